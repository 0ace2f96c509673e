//! Delivery of VPS, hosting and domain orders against the sandbox's
//! Proxmox, WHM and registrar fakes, as a client and sysadmin meet it: a
//! paid VPS is RUNNING with its IP; a worker killed between any two steps
//! resumes without doing anything twice; a lost answer is adopted, not
//! repeated; a failure is undone and can be retried; addresses are never
//! handed out twice.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use sandbox::proxmox::{
    ProxmoxFailure, ProxmoxFake, ProxmoxFakeConfig, ProxmoxFakeHandle, ProxmoxOp,
};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_problem, spawn_app_with, spawn_replica_with};
use crate::orders::{fund_wallet, ready_client, vps_product, wait_for_status};

/// Fast fake tasks and fast polling, so a delivery takes well under a second.
pub(crate) const FAST: &[(&str, &str)] = &[
    ("PROVISIONING_TASK_POLL_MS", "10"),
    ("PROVISIONING_CALL_TIMEOUT_SECONDS", "2"),
];

async fn fast_proxmox() -> ProxmoxFakeHandle {
    ProxmoxFake::start(
        "127.0.0.1:0".parse().unwrap(),
        ProxmoxFakeConfig {
            task_duration: Duration::from_millis(30),
            task_unknown_window: Duration::from_millis(10),
            ..ProxmoxFakeConfig::default()
        },
    )
    .await
    .unwrap()
}

pub(crate) struct Shop {
    pub(crate) pve: ProxmoxFakeHandle,
    pub(crate) sysadmin: String,
    pub(crate) owner: String,
    pub(crate) finance: String,
    pub(crate) product: i64,
    pub(crate) region: i64,
}

/// A shop as sysadmin sets it up: the VPS plan of the order tests, the
/// fake cluster added and synced, its Jakarta nodes serving region `jkt`,
/// the Ubuntu template mapped, and a pool of `pool_size` addresses.
pub(crate) async fn vps_shop(app: &TestApp, pool_size: usize) -> Shop {
    let pve = fast_proxmox().await;
    let (_, sysadmin) = app.user_token("sys@shop.test", &["sysadmin"]).await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@shop.test", &["finance"]).await;
    let product = vps_product(app, &sysadmin).await;
    let region: i64 = sqlx::query_scalar("SELECT id FROM region WHERE code = 'jkt'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/integrations",
            &sysadmin,
            Some(json!({
                "kind": "proxmox", "name": "Jakarta", "base_url": pve.base_url(),
                "auth_mode": "token", "username": sandbox::proxmox::DEFAULT_TOKEN_ID,
                "secret": sandbox::proxmox::DEFAULT_TOKEN_SECRET,
            })),
        )
        .await;
    assert_eq!(
        created.status().as_u16(),
        201,
        "{}",
        created.text().await.unwrap()
    );
    let integration: Value = created.json().await.unwrap();
    assert!(
        !integration
            .to_string()
            .contains(sandbox::proxmox::DEFAULT_TOKEN_SECRET),
        "the secret never comes back"
    );
    let id = integration["id"].as_i64().unwrap();
    let synced: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/integrations/{id}/sync"),
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(synced["nodes"], 3, "{synced}");
    let nodes: Vec<Value> = app
        .authed(Method::GET, "/api/v1/staff/nodes", &sysadmin, None)
        .await
        .json()
        .await
        .unwrap();
    for node in nodes
        .iter()
        .filter(|n| n["name"].as_str().unwrap().starts_with("pve-jkt"))
    {
        let set = app
            .authed(
                Method::PUT,
                &format!("/api/v1/staff/nodes/{}", node["id"]),
                &sysadmin,
                Some(json!({"region_id": region, "accepts_new": true})),
            )
            .await;
        assert_eq!(set.status().as_u16(), 204);
    }
    let templates: Vec<Value> = app
        .authed(Method::GET, "/api/v1/staff/templates", &sysadmin, None)
        .await
        .json()
        .await
        .unwrap();
    let ubuntu = templates
        .iter()
        .find(|t| t["name"] == "ubuntu-24.04-cloud")
        .expect("the fake has an Ubuntu template");
    let os: i64 = sqlx::query_scalar("SELECT id FROM os_template WHERE code = 'ubuntu-24.04'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mapped = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/templates/{}", ubuntu["id"]),
            &sysadmin,
            Some(json!({"os_template_id": os})),
        )
        .await;
    assert_eq!(mapped.status().as_u16(), 204);
    // A /24 has 253 usable addresses; exclude all but `pool_size`.
    let excluded: Vec<String> = (2 + pool_size..=254)
        .map(|host| format!("198.51.100.{host}"))
        .collect();
    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/ip-pools",
            &sysadmin,
            Some(json!({
                "name": "Jakarta public", "region_id": region, "network": "198.51.100.0/24",
                "gateway": "198.51.100.1", "nameservers": ["1.1.1.1"], "excluded": excluded,
            })),
        )
        .await;
    assert_eq!(
        created.status().as_u16(),
        201,
        "{}",
        created.text().await.unwrap()
    );
    let pool: Value = created.json().await.unwrap();
    assert_eq!(pool["free"], pool_size as i64);
    Shop {
        pve,
        sysadmin,
        owner,
        finance,
        product,
        region,
    }
}

/// A client who buys the VPS from their wallet; returns (token, order id).
pub(crate) async fn buy_vps(app: &TestApp, shop: &Shop, email: &str) -> (String, i64) {
    let (_, client) = ready_client(app, email).await;
    fund_wallet(app, &client, &shop.finance, &shop.owner, 1_000_000).await;
    let placed = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(
                json!({"product_id": shop.product, "cycle": "monthly", "region": "jkt",
                        "os_template": "ubuntu-24.04", "pay_with_wallet": true}),
            ),
        )
        .await;
    assert_eq!(
        placed.status().as_u16(),
        201,
        "{}",
        placed.text().await.unwrap()
    );
    let placed: Value = placed.json().await.unwrap();
    (client, placed["order"]["id"].as_i64().unwrap())
}

pub(crate) async fn service_of_order(pool: &PgPool, order: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM service WHERE order_id = $1")
        .bind(order)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_paid_vps_runs_with_its_ip_and_the_password_is_shown_once(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let (client, order) = buy_vps(&app, &shop, "budi@pelanggan.test").await;
    wait_for_status(&app, &client, order, "active").await;

    let service = service_of_order(&pool, order).await;
    let view: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/services/{service}"),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["service"]["status"], "active", "{view}");
    assert_eq!(view["vps"]["power_state"], "running");
    assert_eq!(view["vps"]["ip_address"], "198.51.100.2");
    assert!(
        view["vps"].get("node").is_none(),
        "clients do not see the node"
    );
    // Only the mapped template can be reinstalled: the node has no other.
    let ubuntu: i64 = sqlx::query_scalar("SELECT id FROM os_template WHERE code = 'ubuntu-24.04'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        view["vps"]["reinstall_choices"],
        json!([{"id": ubuntu, "name": "Ubuntu 24.04"}]),
        "{view}"
    );
    let steps: Vec<&str> = view["latest"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "reserve_ip",
            "choose_node",
            "allocate_vmid",
            "clone_template",
            "configure",
            "resize_disk",
            "start",
            "finish"
        ]
    );

    let vms: Vec<_> = shop
        .pve
        .vms()
        .into_iter()
        .filter(|vm| vm.name.as_deref() == Some(&format!("svc-{service}")))
        .collect();
    assert_eq!(vms.len(), 1);
    let vm = &vms[0];
    assert_eq!(vm.status, "running");
    assert_eq!(vm.config["cores"].to_string().trim_matches('"'), "2");
    assert_eq!(vm.config["memory"].to_string().trim_matches('"'), "4096");
    assert_eq!(
        vm.config["ipconfig0"].as_str().unwrap(),
        "ip=198.51.100.2/24,gw=198.51.100.1"
    );
    assert!(
        vm.node.starts_with("pve-jkt"),
        "placed in the order's region"
    );

    let shown = app
        .authed(
            Method::POST,
            &format!("/api/v1/services/{service}/password"),
            &client,
            None,
        )
        .await;
    assert_eq!(shown.status().as_u16(), 200);
    let password = shown.json::<Value>().await.unwrap()["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        Some(password.as_str()),
        vm.cipassword.as_deref(),
        "the VM got that password"
    );
    let again = app
        .authed(
            Method::POST,
            &format!("/api/v1/services/{service}/password"),
            &client,
            None,
        )
        .await;
    assert_eq!(again.status().as_u16(), 410);

    // The IP is USED, the client was told where to find the password (not the password).
    let status: String = sqlx::query_scalar("SELECT status FROM ip_address WHERE service_id = $1")
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "used");
    let messages: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM outbox_message WHERE event = 'provisioning.service_ready'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(messages.len(), 1, "the client is told once");
    assert!(messages[0].contains("198.51.100.2"));
    assert!(
        !messages[0].contains(&password),
        "never the password itself"
    );

    // Another client cannot see or act on it.
    let (_, stranger) = ready_client(&app, "eve@pelanggan.test").await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/services/{service}")),
        (Method::POST, format!("/api/v1/services/{service}/password")),
        (Method::POST, format!("/api/v1/services/{service}/power")),
    ] {
        let answer = app.authed(method, &path, &stranger, None).await;
        assert_eq!(answer.status().as_u16(), 404, "{path}");
    }
    let answer = app
        .authed(
            Method::POST,
            &format!("/api/v1/services/{service}/actions"),
            &stranger,
            Some(json!({"action": "stop"})),
        )
        .await;
    assert_eq!(answer.status().as_u16(), 404);
    let _ = shop.region;
}

#[sqlx::test(migrations = "../../migrations")]
async fn client_power_actions_and_staff_suspend_move_and_terminate_reach_the_vm(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let (client, order) = buy_vps(&app, &shop, "budi@pelanggan.test").await;
    wait_for_status(&app, &client, order, "active").await;
    let service = service_of_order(&pool, order).await;
    let vm = |pve: &ProxmoxFakeHandle| {
        pve.vms()
            .into_iter()
            .find(|vm| vm.name.as_deref() == Some(&format!("svc-{service}")))
    };

    let act = |token: String, path: String, body: Value| {
        let app = &app;
        async move { app.authed(Method::POST, &path, &token, Some(body)).await }
    };
    let client_actions = format!("/api/v1/services/{service}/actions");
    let staff_actions = format!("/api/v1/staff/services/{service}/actions");

    let stopped = act(
        client.clone(),
        client_actions.clone(),
        json!({"action": "stop"}),
    )
    .await;
    assert_eq!(stopped.status().as_u16(), 202);
    wait_until(|| async { vm(&shop.pve).is_some_and(|vm| vm.status == "stopped") }).await;
    wait_for_runs_to_finish(&pool, service).await;

    let refused = act(
        client.clone(),
        client_actions.clone(),
        json!({"action": "suspend"}),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 409, "clients do not suspend");
    let no_code = act(
        client.clone(),
        client_actions.clone(),
        json!({"action": "reinstall", "os_template_id": 1}),
    )
    .await;
    assert_eq!(
        no_code.status().as_u16(),
        422,
        "a reinstall needs the emailed code"
    );

    let started = act(
        client.clone(),
        client_actions.clone(),
        json!({"action": "start"}),
    )
    .await;
    assert_eq!(started.status().as_u16(), 202);
    wait_until(|| async { vm(&shop.pve).is_some_and(|vm| vm.status == "running") }).await;
    wait_for_runs_to_finish(&pool, service).await;

    let suspended = act(
        shop.sysadmin.clone(),
        staff_actions.clone(),
        json!({"action": "suspend"}),
    )
    .await;
    assert_eq!(suspended.status().as_u16(), 202);
    wait_for_runs_to_finish(&pool, service).await;
    assert_eq!(vm(&shop.pve).unwrap().status, "stopped");
    assert_eq!(service_status(&pool, service).await, "suspended");
    let refused = act(
        client.clone(),
        client_actions.clone(),
        json!({"action": "start"}),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 409, "a suspended VPS stays off");

    let unsuspended = act(
        shop.sysadmin.clone(),
        staff_actions.clone(),
        json!({"action": "unsuspend"}),
    )
    .await;
    assert_eq!(unsuspended.status().as_u16(), 202);
    wait_for_runs_to_finish(&pool, service).await;
    assert_eq!(vm(&shop.pve).unwrap().status, "running");
    assert_eq!(service_status(&pool, service).await, "active");

    // Moving to another node: staff only, to a node of the VM's cluster
    // other than its own; the running VM moves live and keeps running.
    let from = vm(&shop.pve).unwrap().node;
    let to = if from == "pve-jkt-1" {
        "pve-jkt-2"
    } else {
        "pve-jkt-1"
    };
    let view: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/staff/services/{service}"),
            &shop.sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        view["vps"]["move_choices"],
        json!(
            ["pve-jkt-1", "pve-jkt-2", "pve-sg-1"]
                .into_iter()
                .filter(|n| *n != from)
                .collect::<Vec<_>>()
        ),
        "{view}"
    );
    let refused = act(
        client.clone(),
        client_actions.clone(),
        json!({"action": "move_node", "node": to}),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 409, "clients do not move VMs");
    for (node, code) in [
        (from.as_str(), "same_node"),
        ("pve-mars-1", "not_found"),
        ("", "required"),
    ] {
        let refused = act(
            shop.sysadmin.clone(),
            staff_actions.clone(),
            json!({"action": "move_node", "node": node}),
        )
        .await;
        assert_eq!(refused.status().as_u16(), 422, "moving to {node:?}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    let moved = act(
        shop.sysadmin.clone(),
        staff_actions.clone(),
        json!({"action": "move_node", "node": to}),
    )
    .await;
    assert_eq!(moved.status().as_u16(), 202);
    wait_for_runs_to_finish(&pool, service).await;
    let after = vm(&shop.pve).unwrap();
    assert_eq!(
        (after.node.as_str(), after.status.as_str()),
        (to, "running")
    );
    let node: String = sqlx::query_scalar("SELECT node FROM vps_instance WHERE service_id = $1")
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(node, to, "the VPS is recorded where it now runs");

    // An OS the product sells but the VM's node has no template for is
    // refused before anything is touched: the VM keeps running.
    sqlx::query(
        "WITH os AS (INSERT INTO os_template (code, name, family) VALUES ('debian-12', 'Debian 12', 'linux') RETURNING id)
         INSERT INTO product_os_template (product_id, os_template_id) SELECT $1, id FROM os",
    )
    .bind(shop.product)
    .execute(&pool)
    .await
    .unwrap();
    let debian: i64 = sqlx::query_scalar("SELECT id FROM os_template WHERE code = 'debian-12'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let refused = act(
        shop.sysadmin.clone(),
        staff_actions.clone(),
        json!({"action": "reinstall", "os_template_id": debian}),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["code"], "not_offered", "{problem}");
    assert_eq!(vm(&shop.pve).unwrap().status, "running");

    let terminated = act(
        shop.sysadmin.clone(),
        staff_actions,
        json!({"action": "terminate"}),
    )
    .await;
    assert_eq!(terminated.status().as_u16(), 202);
    wait_for_runs_to_finish(&pool, service).await;
    assert!(vm(&shop.pve).is_none(), "the VM is deleted");
    assert_eq!(service_status(&pool, service).await, "terminated");
    let address: (String, bool) = sqlx::query_as(
        "SELECT status, quarantined_until > now() FROM ip_address WHERE address = '198.51.100.2'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(address, ("quarantined".to_owned(), true));
}

pub(crate) async fn service_status(pool: &PgPool, service: i64) -> String {
    sqlx::query_scalar("SELECT status FROM service WHERE id = $1")
        .bind(service)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub(crate) async fn wait_until<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition never held within 6 s");
}

pub(crate) async fn wait_for_runs_to_finish(pool: &PgPool, service: i64) {
    wait_until(|| async {
        let running: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM provisioning_run WHERE service_id = $1 AND status = 'running'",
        )
        .bind(service)
        .fetch_one(pool)
        .await
        .unwrap();
        running == 0
    })
    .await;
    let failed: Option<String> = sqlx::query_scalar(
        "SELECT error FROM provisioning_run WHERE service_id = $1 AND status = 'failed' ORDER BY id DESC LIMIT 1",
    )
    .bind(service)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten();
    assert_eq!(failed, None, "no run failed");
}

/// The app with its job runner off, so the test drives the runs itself.
const NO_JOBS: &[(&str, &str)] = &[
    ("PROVISIONING_TASK_POLL_MS", "10"),
    ("PROVISIONING_CALL_TIMEOUT_SECONDS", "1"),
    ("JOBS_ENABLED", "false"),
];

/// The provisioner the app would build, with `hooks`.
pub(crate) fn provisioner(pool: &PgPool, hooks: provisioning::Hooks) -> provisioning::Provisioner {
    let settings = crate::helpers::test_settings(NO_JOBS);
    let sealer = Arc::new(api::app::sealer(&settings).unwrap());
    let mut provisioner = api::app::build_provisioner(&settings, pool.clone(), sealer).unwrap();
    provisioner.hooks = hooks;
    provisioner
}

async fn the_run(pool: &PgPool, service: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT id FROM provisioning_run WHERE service_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(service)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Paid and handed to delivery (order PROVISIONING, run started) but not run.
async fn paid_undelivered(
    app: &TestApp,
    shop: &Shop,
    email: &str,
    provisioner: &provisioning::Provisioner,
) -> i64 {
    let (_, order) = buy_vps(app, shop, email).await;
    provisioning::delivery::begin(provisioner, order)
        .await
        .unwrap();
    service_of_order(&app.pool, order).await
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_worker_killed_between_any_two_steps_resumes_without_doing_anything_twice(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), NO_JOBS).await;
    let shop = vps_shop(&app, 10).await;
    let steps = provisioning::vps::deliver::STEPS.len();
    for kill_after in 0..steps - 1 {
        let plain = provisioner(&pool, provisioning::Hooks::default());
        let service = paid_undelivered(
            &app,
            &shop,
            &format!("c{kill_after}@pelanggan.test"),
            &plain,
        )
        .await;
        let run = the_run(&pool, service).await;
        // The worker dies right after step `kill_after` is recorded done:
        // its future is dropped there, as a killed process stops.
        let (reached, mut at_kill) = tokio::sync::mpsc::unbounded_channel::<()>();
        let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let hooks = provisioning::Hooks::on_step_done(move |_| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let reached = reached.clone();
            Box::pin(async move {
                if n == kill_after {
                    let _ = reached.send(());
                    std::future::pending::<()>().await;
                }
            })
        });
        let doomed = provisioner(&pool, hooks);
        let worker =
            tokio::spawn(
                async move { provisioning::delivery::carry_out(&doomed, run, false).await },
            );
        tokio::time::timeout(Duration::from_secs(10), at_kill.recv())
            .await
            .expect("the worker reaches the kill point");
        worker.abort();
        let _ = worker.await;

        // After the restart, another worker takes the run over.
        provisioning::delivery::carry_out(&plain, run, false)
            .await
            .unwrap_or_else(|e| panic!("resumed after step {kill_after}: {e}"));
        let (status, error): (String, Option<String>) =
            sqlx::query_as("SELECT status, error FROM provisioning_run WHERE id = $1")
                .bind(run)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            (status.as_str(), error),
            ("succeeded", None),
            "killed after step {kill_after}"
        );
        let done: Vec<String> = sqlx::query_scalar(
            "SELECT step FROM provisioning_step WHERE run_id = $1 AND status = 'done' ORDER BY id",
        )
        .bind(run)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(done.len(), steps, "each step done once: {done:?}");
        let named = shop
            .pve
            .vms()
            .into_iter()
            .filter(|vm| vm.name.as_deref() == Some(&format!("svc-{service}")))
            .count();
        assert_eq!(named, 1, "one VM after a kill after step {kill_after}");
    }
    assert_eq!(
        shop.pve.calls(ProxmoxOp::Clone),
        (steps - 1) as u64,
        "one clone per delivery, never a second"
    );
    let addresses: Vec<String> = sqlx::query_scalar(
        "SELECT host(address) FROM ip_address WHERE status = 'used' ORDER BY address",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        addresses.len(),
        steps - 1,
        "each delivery holds one distinct address"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_clone_whose_answer_was_lost_is_adopted_not_repeated(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), NO_JOBS).await;
    let shop = vps_shop(&app, 5).await;
    let plain = provisioner(&pool, provisioning::Hooks::default());
    let service = paid_undelivered(&app, &shop, "budi@pelanggan.test", &plain).await;
    let run = the_run(&pool, service).await;
    // Proxmox clones, but its answer arrives after our 1 s timeout.
    shop.pve.fail_next(
        ProxmoxOp::Clone,
        ProxmoxFailure::AnswerAfter(Duration::from_millis(1500)),
    );
    let first = provisioning::delivery::carry_out(&plain, run, false).await;
    assert!(
        first.is_err(),
        "the timeout is a transient failure, retried later"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    provisioning::delivery::carry_out(&plain, run, false)
        .await
        .unwrap();
    let steps: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT step, status, detail FROM provisioning_step WHERE run_id = $1 AND step = 'clone_template' ORDER BY id",
    )
    .bind(run)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0].1, "failed");
    assert!(steps[1].2.starts_with("adopted VM"), "{steps:?}");
    assert_eq!(shop.pve.calls(ProxmoxOp::Clone), 1, "never cloned twice");
    assert_eq!(
        shop.pve
            .vms()
            .iter()
            .filter(|vm| vm.name.as_deref() == Some(&format!("svc-{service}")))
            .count(),
        1
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_failed_delivery_is_undone_alerts_staff_and_sysadmin_can_retry_it(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), NO_JOBS).await;
    let shop = vps_shop(&app, 5).await;
    let plain = provisioner(&pool, provisioning::Hooks::default());
    let service = paid_undelivered(&app, &shop, "budi@pelanggan.test", &plain).await;
    let run = the_run(&pool, service).await;
    // The VM is made, then starting it fails for good.
    shop.pve.fail_next(
        ProxmoxOp::Start,
        ProxmoxFailure::TaskFails("start failed: QEMU exited with code 1".into()),
    );
    provisioning::delivery::carry_out(&plain, run, false)
        .await
        .unwrap();
    let order: i64 = sqlx::query_scalar("SELECT order_id FROM service WHERE id = $1")
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap();
    let order_status: String =
        sqlx::query_scalar("SELECT status FROM customer_order WHERE id = $1")
            .bind(order)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(order_status, "failed");
    assert_eq!(service_status(&pool, service).await, "failed");
    assert!(
        shop.pve
            .vms()
            .iter()
            .all(|vm| vm.name.as_deref() != Some(&format!("svc-{service}"))),
        "the half-made VM is deleted"
    );
    let free: i64 = sqlx::query_scalar("SELECT count(*) FROM ip_address WHERE status = 'free'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(free, 5, "the address is given back");
    let alerts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM owner_alert WHERE source = 'provisioning' AND detail LIKE '%QEMU exited%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(alerts, 1, "staff are alerted with the cause");

    // A client cannot retry; sysadmin can, and the retry delivers.
    let (_, client) = ready_client(&app, "other@pelanggan.test").await;
    let refused = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/provisioning/runs/{run}/retry"),
            &client,
            None,
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    let retried = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/provisioning/runs/{run}/retry"),
            &shop.sysadmin,
            None,
        )
        .await;
    assert_eq!(retried.status().as_u16(), 202);
    let new_run = retried.json::<Value>().await.unwrap()["run_id"]
        .as_i64()
        .unwrap();
    provisioning::delivery::carry_out(&plain, new_run, false)
        .await
        .unwrap();
    assert_eq!(service_status(&pool, service).await, "active");
    let again = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/provisioning/runs/{run}/retry"),
            &shop.sysadmin,
            None,
        )
        .await;
    assert_eq!(
        again.status().as_u16(),
        409,
        "a retried failure is not retried twice"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_hundred_deliveries_on_fifty_addresses_get_fifty_distinct_ips_and_fifty_clean_failures(
    pool: PgPool,
) {
    let app = spawn_app_with(pool.clone(), NO_JOBS).await;
    let shop = vps_shop(&app, 50).await;
    // A hundred paid VPS services, written directly: checkout is tested
    // elsewhere; this is about the addresses.
    let (user, _) = ready_client(&app, "bulk@pelanggan.test").await;
    let services: Vec<i64> = sqlx::query_scalar(
        "WITH o AS (
             INSERT INTO customer_order (user_id, product_id, product_kind, product_name, cycle, currency,
                                         group_id, region_id, os_template_id, unit_price_minor,
                                         setup_fee_minor, discount_minor, total_minor, status, pay_by)
             SELECT $1, $2, 'vps', 'VPS Kecil', 'monthly', 'IDR',
                    (SELECT id FROM customer_group ORDER BY id LIMIT 1), $3,
                    (SELECT id FROM os_template LIMIT 1), 0, 0, 0, 0, 'provisioning', now()
               FROM generate_series(1, 100)
             RETURNING id, user_id, product_id)
         INSERT INTO service (order_id, user_id, product_id, kind, label)
         SELECT id, user_id, product_id, 'vps', 'VPS Kecil' FROM o RETURNING id",
    )
    .bind(user)
    .bind(shop.product)
    .bind(shop.region)
    .fetch_all(&pool)
    .await
    .unwrap();
    let outcomes = join_all(services.iter().map(|service| {
        let pool = pool.clone();
        let region = shop.region;
        let service = *service;
        async move {
            let mut conn = pool.acquire().await.unwrap();
            provisioning::ip_pool::reserve(&mut conn, region, service)
                .await
                .unwrap()
        }
    }))
    .await;
    let leases: Vec<_> = outcomes.iter().flatten().collect();
    assert_eq!(leases.len(), 50);
    let distinct: std::collections::BTreeSet<_> = leases.iter().map(|l| l.address).collect();
    assert_eq!(distinct.len(), 50, "never the same address twice");
    // Asking again returns the address a service holds, and nothing new.
    let mut conn = pool.acquire().await.unwrap();
    for (service, outcome) in services.iter().zip(&outcomes) {
        let again = provisioning::ip_pool::reserve(&mut conn, shop.region, *service)
            .await
            .unwrap();
        assert_eq!(
            again.map(|l| l.address),
            outcome.as_ref().map(|l| l.address)
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_delivery_with_no_address_left_fails_cleanly_and_alerts_staff(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), NO_JOBS).await;
    let shop = vps_shop(&app, 1).await;
    let plain = provisioner(&pool, provisioning::Hooks::default());
    let first = paid_undelivered(&app, &shop, "a@pelanggan.test", &plain).await;
    let second = paid_undelivered(&app, &shop, "b@pelanggan.test", &plain).await;
    let (a, b) = tokio::join!(
        provisioning::delivery::carry_out(&plain, the_run(&pool, first).await, false),
        provisioning::delivery::carry_out(&plain, the_run(&pool, second).await, false),
    );
    a.unwrap();
    b.unwrap();
    let mut statuses = vec![
        service_status(&pool, first).await,
        service_status(&pool, second).await,
    ];
    statuses.sort();
    assert_eq!(statuses, ["active", "failed"]);
    let alert: String =
        sqlx::query_scalar("SELECT detail FROM owner_alert WHERE source = 'provisioning'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(alert.contains("no free IPv4 address"), "{alert}");
    assert_eq!(
        shop.pve.calls(ProxmoxOp::Clone),
        1,
        "the failed one touched no hypervisor"
    );
}

/// A client who buys `product` (hosting or domain, paid yearly) for
/// `domain` from their wallet; returns (token, order id).
pub(crate) async fn buy_named(
    app: &TestApp,
    finance: &str,
    owner: &str,
    product: i64,
    domain: &str,
) -> (String, i64) {
    let (_, client) = ready_client(app, &format!("owner@{domain}")).await;
    fund_wallet(app, &client, finance, owner, 2_000_000).await;
    let placed = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(
                json!({"product_id": product, "cycle": "annual", "domain_name": domain,
                        "pay_with_wallet": true}),
            ),
        )
        .await;
    assert_eq!(
        placed.status().as_u16(),
        201,
        "{}",
        placed.text().await.unwrap()
    );
    let placed: Value = placed.json().await.unwrap();
    (client, placed["order"]["id"].as_i64().unwrap())
}

pub(crate) async fn product(app: &TestApp, staff: &str, body: Value) -> i64 {
    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            staff,
            Some(body),
        )
        .await;
    assert_eq!(
        created.status().as_u16(),
        201,
        "{}",
        created.text().await.unwrap()
    );
    created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// A shop with the WHM fake added and synced: (the fake, sysadmin, owner,
/// finance).
pub(crate) async fn whm_shop(
    app: &TestApp,
) -> (sandbox::whm::WhmFakeHandle, String, String, String) {
    let whm = sandbox::whm::WhmFake::start(
        "127.0.0.1:0".parse().unwrap(),
        sandbox::whm::WhmFakeConfig::default(),
    )
    .await
    .unwrap();
    let (_, sysadmin) = app.user_token("sys@shop.test", &["sysadmin"]).await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@shop.test", &["finance"]).await;
    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/integrations",
            &sysadmin,
            Some(json!({
                "kind": "whm", "name": "Hosting 1", "base_url": format!("http://{}", whm.addr()),
                "auth_mode": "token", "username": "root", "secret": sandbox::whm::DEFAULT_API_TOKEN,
            })),
        )
        .await;
    assert_eq!(
        created.status().as_u16(),
        201,
        "{}",
        created.text().await.unwrap()
    );
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let tested: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/integrations/{id}/test"),
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tested["ok"], true, "{tested}");
    let synced: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/integrations/{id}/sync"),
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(synced["packages"].as_i64().unwrap() >= 2, "{synced}");
    (whm, sysadmin, owner, finance)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_hosting_account_is_created_suspended_unsuspended_and_removed_on_whm(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let (whm, sysadmin, owner, finance) = whm_shop(&app).await;
    let hosting = product(
        &app,
        &owner,
        json!({
            "kind": "hosting", "slug": "hosting-starter", "name_id": "Hosting Starter",
            "spec": {"whm_package": "juragan_starter", "disk_mb": 1024, "bandwidth_gb": 10, "addon_domains": 0},
            "prices": [{"group": "member", "currency": "IDR", "cycle": "annual", "price_minor": 300000}]
        }),
    )
    .await;

    // createacct's answer is lost (after our 2 s timeout); the retry adopts it.
    whm.fail_next(
        sandbox::whm::WhmFunction::CreateAcct,
        sandbox::whm::WhmFailure::AnswerAfter(Duration::from_millis(2500)),
    );
    let (client, order) = buy_named(&app, &finance, &owner, hosting, "tokobudi.com").await;
    wait_for_status(&app, &client, order, "active").await;
    let service = service_of_order(&pool, order).await;
    assert_eq!(service_status(&pool, service).await, "active");
    let accounts = whm.accounts();
    assert_eq!(
        accounts.len(),
        1,
        "one account, never a second: {accounts:?}"
    );
    let account = &accounts[0];
    assert_eq!(account.domain, "tokobudi.com");
    assert_eq!(account.plan, "juragan_starter");
    let view: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/services/{service}"),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["hosting"]["username"], account.user.as_str(), "{view}");
    assert_eq!(
        view["hosting"]["package_choices"],
        json!([]),
        "the server's packages are the staff's business"
    );
    let adopted = view["latest"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["detail"].as_str().unwrap().starts_with("adopted account"));
    assert!(adopted, "{view}");

    let staff_actions = format!("/api/v1/staff/services/{service}/actions");
    for (action, check) in [("suspend", true), ("unsuspend", false)] {
        let answer = app
            .authed(
                Method::POST,
                &staff_actions,
                &sysadmin,
                Some(json!({"action": action})),
            )
            .await;
        assert_eq!(answer.status().as_u16(), 202, "{action}");
        wait_for_runs_to_finish(&pool, service).await;
        assert_eq!(
            whm.account(&account.user).unwrap().suspended,
            check,
            "{action}"
        );
    }
    let changed = app
        .authed(
            Method::POST,
            &staff_actions,
            &sysadmin,
            Some(json!({"action": "change_package", "package": "juragan_business"})),
        )
        .await;
    assert_eq!(changed.status().as_u16(), 202);
    wait_for_runs_to_finish(&pool, service).await;
    assert_eq!(whm.account(&account.user).unwrap().plan, "juragan_business");
    let unknown = app
        .authed(
            Method::POST,
            &staff_actions,
            &sysadmin,
            Some(json!({"action": "change_package", "package": "nope"})),
        )
        .await;
    assert_eq!(unknown.status().as_u16(), 422);
    let removed = app
        .authed(
            Method::POST,
            &staff_actions,
            &sysadmin,
            Some(json!({"action": "terminate"})),
        )
        .await;
    assert_eq!(removed.status().as_u16(), 202);
    wait_for_runs_to_finish(&pool, service).await;
    assert!(whm.accounts().is_empty(), "the account is removed");
    assert_eq!(service_status(&pool, service).await, "terminated");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_domain_order_is_registered_with_its_expiry_and_nameservers(pool: PgPool) {
    let registrar = sandbox::registrar::RegistrarFake::start(
        "127.0.0.1:0".parse().unwrap(),
        sandbox::registrar::RegistrarFakeConfig::default(),
    )
    .await
    .unwrap();
    let url = registrar.api_url();
    let app = spawn_app_with(
        pool.clone(),
        &[
            ("REGISTRAR_URL", url.as_str()),
            (
                "REGISTRAR_AUTH_USERID",
                sandbox::registrar::DEFAULT_AUTH_USERID,
            ),
            ("REGISTRAR_API_KEY", sandbox::registrar::DEFAULT_API_KEY),
            (
                "REGISTRAR_CUSTOMER_ID",
                sandbox::registrar::DEFAULT_CUSTOMER_ID,
            ),
            ("DOMAIN_NAMESERVERS", "ns1.tokobudi.net,ns2.tokobudi.net"),
        ],
    )
    .await;
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@shop.test", &["finance"]).await;
    let com = product(
        &app,
        &owner,
        json!({
            "kind": "domain", "slug": "domain-com", "name_id": "Domain .com", "spec": {"tld": "com"},
            "prices": [{"group": "member", "currency": "IDR", "cycle": "annual", "price_minor": 165000}]
        }),
    )
    .await;
    let (client, order) = buy_named(&app, &finance, &owner, com, "warungbudi.com").await;
    wait_for_status(&app, &client, order, "active").await;
    let registration = registrar
        .registration("warungbudi.com")
        .expect("registered");
    assert_eq!(registration.years, 1);
    assert_eq!(
        registration.nameservers,
        ["ns1.tokobudi.net", "ns2.tokobudi.net"]
    );
    let service = service_of_order(&pool, order).await;
    let view: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/services/{service}"),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["domain"]["domain"], "warungbudi.com", "{view}");
    let expires = view["domain"]["expires_at"].as_str().unwrap();
    assert_eq!(
        &expires[..10],
        registration.expires_at.format("%Y-%m-%d").to_string(),
        "the registrar's expiry is recorded"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_integrations_and_pools_are_refused_and_write_nothing(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 5).await;
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {table}"
            )))
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (integrations, pools, addresses) = (
        count("integration").await,
        count("ip_pool").await,
        count("ip_address").await,
    );

    let bad_integration = app
        .authed(
            Method::POST,
            "/api/v1/staff/integrations",
            &shop.sysadmin,
            Some(json!({
                "kind": "proxmox", "name": "", "base_url": "pve1:8006/api2/json",
                "auth_mode": "token", "username": "root", "tls_fingerprint": "ab:cd",
            })),
        )
        .await;
    assert_problem(bad_integration, 422, "validation_failed").await;
    let whm_password = app
        .authed(
            Method::POST,
            "/api/v1/staff/integrations",
            &shop.sysadmin,
            Some(json!({
                "kind": "whm", "name": "WHM", "base_url": "https://whm.example.id:2087",
                "auth_mode": "password", "username": "root", "secret": "x",
            })),
        )
        .await;
    assert_problem(whm_password, 422, "validation_failed").await;
    let duplicate = app
        .authed(
            Method::POST,
            "/api/v1/staff/integrations",
            &shop.sysadmin,
            Some(json!({
                "kind": "proxmox", "name": "Jakarta", "base_url": "https://pve2.example.id:8006",
                "auth_mode": "token", "username": "a@pve!b", "secret": "x",
            })),
        )
        .await;
    assert_problem(duplicate, 422, "validation_failed").await;

    for (body, status, code) in [
        // Host bits set, a gateway outside, an excluded address outside.
        (
            json!({"name": "x", "region_id": shop.region, "network": "10.0.0.5/24", "gateway": "10.1.0.1",
                "excluded": ["192.0.2.1"]}),
            422,
            "validation_failed",
        ),
        // Too large a range to hold as rows.
        (
            json!({"name": "x", "region_id": shop.region, "network": "10.0.0.0/8", "gateway": "10.0.0.1"}),
            422,
            "validation_failed",
        ),
        (
            json!({"name": "x", "region_id": 999_999, "network": "10.0.0.0/24", "gateway": "10.0.0.1"}),
            422,
            "validation_failed",
        ),
        // Overlapping the shop's pool.
        (
            json!({"name": "x", "region_id": shop.region, "network": "198.51.100.128/25",
                "gateway": "198.51.100.129"}),
            409,
            "pool_overlaps",
        ),
    ] {
        let answer = app
            .authed(
                Method::POST,
                "/api/v1/staff/ip-pools",
                &shop.sysadmin,
                Some(body),
            )
            .await;
        assert_problem(answer, status, code).await;
    }
    // A pool with an address in use cannot be deleted.
    let (client, order) = buy_vps(&app, &shop, "budi@pelanggan.test").await;
    wait_for_status(&app, &client, order, "active").await;
    let pool_id: i64 = sqlx::query_scalar("SELECT id FROM ip_pool")
        .fetch_one(&pool)
        .await
        .unwrap();
    let busy = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/ip-pools/{pool_id}"),
            &shop.sysadmin,
            None,
        )
        .await;
    assert_problem(busy, 409, "pool_in_use").await;
    // Nor an integration a VPS was delivered on.
    let integration: i64 = sqlx::query_scalar("SELECT id FROM integration")
        .fetch_one(&pool)
        .await
        .unwrap();
    let in_use = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/integrations/{integration}"),
            &shop.sysadmin,
            None,
        )
        .await;
    assert_problem(in_use, 409, "integration_in_use").await;

    assert_eq!(count("integration").await, integrations);
    assert_eq!(count("ip_pool").await, pools);
    assert_eq!(count("ip_address").await, addresses);
}

#[sqlx::test(migrations = "../../migrations")]
async fn three_replicas_deliver_each_paid_vps_once(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), FAST).await;
    let shop = vps_shop(&app, 10).await;
    let _second = spawn_replica_with(&app, FAST).await;
    let _third = spawn_replica_with(&app, FAST).await;
    let mut orders = Vec::new();
    for n in 0..6 {
        orders.push(buy_vps(&app, &shop, &format!("c{n}@pelanggan.test")).await);
    }
    for (client, order) in &orders {
        wait_for_status(&app, client, *order, "active").await;
    }
    // The last step makes the order ACTIVE; the run is recorded as
    // succeeded just after it.
    for (_, order) in &orders {
        wait_for_runs_to_finish(&pool, service_of_order(&pool, *order).await).await;
    }
    let runs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM provisioning_run WHERE status = 'succeeded'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(runs, 6, "one delivery run per order");
    let steps_done: i64 =
        sqlx::query_scalar("SELECT count(*) FROM provisioning_step WHERE status = 'done'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(steps_done, 6 * 8, "every step once");
    assert_eq!(
        shop.pve.calls(ProxmoxOp::Clone),
        6,
        "one clone per VPS across the replicas"
    );
    let messages: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox_message WHERE event = 'provisioning.service_ready' AND channel = 'email'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(messages, 6, "each client told once");
}
