//! ISP customers on MikroTik (seed 004) against the sandbox's RouterOS fake
//! over the real binary API: seed 004's four scenarios, a router that
//! cannot be read (customers keep their status, stale), two replicas
//! syncing one router (one sync at a time), Test connection's precise
//! errors, isolation by the billing lifecycle and its restoration on
//! payment (each router call once), and the customers' import and export.

use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use sandbox::routeros::{RouterOsFake, RouterOsFakeConfig, RouterOsFakeHandle};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_replica};

async fn fake_router() -> RouterOsFakeHandle {
    RouterOsFake::start(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        RouterOsFakeConfig::default(),
    )
    .await
    .expect("the RouterOS fake starts")
}

async fn add_router(app: &TestApp, sysadmin: &str, fake: &RouterOsFakeHandle, extra: Value) -> i64 {
    let mut body = json!({
        "name": "Core Sempu", "host": "127.0.0.1", "port": fake.api_addr().port(),
        "transport": "api", "username": fake.username(), "password": fake.password(),
        // The app's own schedule stays out of the tests that sync by hand.
        "sync_enabled": false,
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    let created = app
        .authed(Method::POST, "/api/v1/isp/routers", sysadmin, Some(body))
        .await;
    assert_eq!(
        created.status().as_u16(),
        201,
        "{}",
        created.text().await.unwrap()
    );
    let router: Value = created.json().await.unwrap();
    assert!(
        !router.to_string().contains(fake.password()),
        "the password never comes back: {router}"
    );
    router["id"].as_i64().unwrap()
}

async fn add_customer(app: &TestApp, token: &str, body: Value) -> i64 {
    let created = app
        .authed(Method::POST, "/api/v1/isp/customers", token, Some(body))
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

/// A POST that must answer 200; its JSON.
async fn post_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let answered = app.authed(Method::POST, path, token, None).await;
    assert_eq!(
        answered.status().as_u16(),
        200,
        "{path}: {}",
        answered.text().await.unwrap()
    );
    answered.json().await.unwrap()
}

async fn sync_now(app: &TestApp, token: &str, router: i64) -> Value {
    post_ok(app, token, &format!("/api/v1/isp/routers/{router}/sync")).await
}

async fn test_router(app: &TestApp, token: &str, router: i64) -> Value {
    post_ok(app, token, &format!("/api/v1/isp/routers/{router}/test")).await
}

async fn customer(app: &TestApp, token: &str, id: i64) -> Value {
    app.authed(
        Method::GET,
        &format!("/api/v1/isp/customers/{id}"),
        token,
        None,
    )
    .await
    .json()
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn seed_004_scenarios_online_and_offline_follow_the_routers_active_list(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("cs@isp.test", &["business"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    let without_pppoe = add_customer(
        &app,
        &business,
        json!({"name": "Tanpa PPPoE", "router_id": router, "latitude": -8.41, "longitude": 112.70}),
    )
    .await;
    // Stored in another case than the router has it: matched ignoring case.
    let egi = add_customer(
        &app,
        &business,
        json!({"name": "Egi Setiawan Sempu", "pppoe_username": "EgiSetiawanSempu",
               "router_id": router, "latitude": -8.4095, "longitude": 112.7035}),
    )
    .await;
    // Someone else logged in on the router, not a customer of ours.
    fake.log_in("usertest", Some("10.10.10.3"), Some("AA:BB:CC:DD:EE:FF"))
        .expect("usertest logs in");

    // Tests 1 and 2: no PPPoE name, and not logged in: both offline.
    let report = sync_now(&app, &business, router).await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["message"],
        "Status updated: 1 active connections, 0 customers online"
    );
    assert_eq!(
        customer(&app, &business, without_pppoe).await["connection"],
        "offline"
    );
    assert_eq!(
        customer(&app, &business, egi).await["connection"],
        "offline"
    );

    // Test 3: the customer logs in; Sync now shows them online.
    fake.log_in(
        "egisetiawansempu",
        Some("10.10.10.2"),
        Some("00:11:22:33:44:55"),
    )
    .expect("egi logs in");
    let report = sync_now(&app, &business, router).await;
    assert_eq!(
        report["message"],
        "Status updated: 2 active connections, 1 customers online"
    );
    assert_eq!(report["went_online"], 1);
    let online = customer(&app, &business, egi).await;
    assert_eq!(online["connection"], "online", "{online}");
    assert_eq!(online["session_address"], "10.10.10.2");
    assert_eq!(online["session_caller_id"], "00:11:22:33:44:55");
    assert_eq!(online["stale"], false);
    let markers: Vec<Value> = app
        .authed(
            Method::GET,
            "/api/v1/isp/customers/markers",
            &business,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(markers.len(), 2);
    let marker = markers.iter().find(|m| m["id"] == egi).unwrap();
    assert_eq!(marker["connection"], "online");
    let page: Value = app
        .authed(
            Method::GET,
            "/api/v1/isp/customers?connection=online",
            &business,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (page["total"].as_i64(), page["online"].as_i64()),
        (Some(1), Some(1))
    );

    // A steady sync writes nothing: the session is the same one.
    let report = sync_now(&app, &business, router).await;
    assert_eq!(
        (
            report["went_online"].as_i64(),
            report["went_offline"].as_i64()
        ),
        (Some(0), Some(0))
    );

    // Test 4: the customer disconnects; Sync now shows them offline.
    assert!(fake.log_out("egisetiawansempu"));
    let report = sync_now(&app, &business, router).await;
    assert_eq!(report["went_offline"], 1, "{report}");
    let offline = customer(&app, &business, egi).await;
    assert_eq!(offline["connection"], "offline");
    assert_eq!(offline["session_address"], Value::Null);
    assert!(offline["last_seen_at"].is_string(), "{offline}");

    let log: Vec<Value> = app
        .authed(
            Method::GET,
            &format!("/api/v1/isp/routers/{router}/syncs"),
            &business,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0]["trigger"], "manual");
    let router_view: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/isp/routers/{router}"),
            &business,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(router_view["last_active_connections"], 1);
    assert_eq!(router_view["last_customers_online"], 0);
    assert_eq!(router_view["last_sync_ok"], true);
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_unreachable_router_leaves_the_last_status_marked_stale(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    let egi = add_customer(
        &app,
        &sysadmin,
        json!({"name": "Egi", "pppoe_username": "egisetiawansempu", "router_id": router}),
    )
    .await;
    fake.log_in("egisetiawansempu", None, None).unwrap();
    sync_now(&app, &sysadmin, router).await;
    assert_eq!(customer(&app, &sysadmin, egi).await["connection"], "online");

    // `/ip service disable api`: the port is closed, the connect refused.
    fake.set_api_enabled(false).await;
    let report = sync_now(&app, &sysadmin, router).await;
    assert_eq!(report["ok"], false, "{report}");
    let message = report["message"].as_str().unwrap();
    assert!(message.contains("/ip service enable api"), "{message}");
    let kept = customer(&app, &sysadmin, egi).await;
    assert_eq!(kept["connection"], "online", "not everyone offline: {kept}");
    assert_eq!(kept["stale"], true);
    let test = test_router(&app, &sysadmin, router).await;
    assert_eq!(test["ok"], false, "{test}");
    let message = test["message"].as_str().unwrap();
    assert!(message.starts_with("connection refused"), "{message}");

    fake.set_api_enabled(true).await;
    sync_now(&app, &sysadmin, router).await;
    assert_eq!(customer(&app, &sysadmin, egi).await["stale"], false);
}

#[sqlx::test(migrations = "../../migrations")]
async fn test_connection_reports_identity_version_sessions_or_the_precise_error(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, business) = app.user_token("cs@isp.test", &["business"]).await;
    let fake = fake_router().await;
    fake.log_in("a", None, None).unwrap();
    fake.log_in("b", None, None).unwrap();
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    let path = format!("/api/v1/isp/routers/{router}/test");
    let test = test_router(&app, &sysadmin, router).await;
    assert_eq!(test["ok"], true, "{test}");
    assert_eq!(test["identity"], fake.identity());
    assert_eq!(test["active_sessions"], 2);
    assert!(test["version"].as_str().unwrap().starts_with('7'), "{test}");

    // Business staff may sync but not test or change routers.
    assert_problem(
        app.authed(Method::POST, &path, &business, None).await,
        403,
        "forbidden",
    )
    .await;
    // A wrong password is named as such; a blank one on an update keeps it.
    let update = |password: Option<&str>| {
        let mut body = json!({
            "name": "Core Sempu", "host": "127.0.0.1", "port": fake.api_addr().port(),
            "transport": "api", "username": fake.username(),
        });
        if let Some(password) = password {
            body["password"] = json!(password);
        }
        body
    };
    let saved = app
        .authed(
            Method::PUT,
            &format!("/api/v1/isp/routers/{router}"),
            &sysadmin,
            Some(update(Some("salah"))),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 200);
    let test = test_router(&app, &sysadmin, router).await;
    assert_eq!(test["ok"], false);
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .contains("user name or password"),
        "{test}"
    );
    app.authed(
        Method::PUT,
        &format!("/api/v1/isp/routers/{router}"),
        &sysadmin,
        Some(update(Some(fake.password()))),
    )
    .await;
    app.authed(
        Method::PUT,
        &format!("/api/v1/isp/routers/{router}"),
        &sysadmin,
        Some(update(None)),
    )
    .await;
    let test = test_router(&app, &sysadmin, router).await;
    assert_eq!(test["ok"], true, "the stored password was kept: {test}");

    // Bad input is refused field by field and writes nothing.
    let refused = app
        .authed(
            Method::POST,
            "/api/v1/isp/routers",
            &sysadmin,
            Some(
                json!({"name": "", "host": "http://x/", "transport": "api", "username": "u",
                        "isolation_mode": "profile", "sync_interval_seconds": 1}),
            ),
        )
        .await;
    let problem = assert_problem(refused, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "host",
            "password",
            "sync_interval_seconds",
            "isolation_profile"
        ]
    );
    let routers: i64 = sqlx::query_scalar("SELECT count(*) FROM isp_router")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(routers, 1);
    // A router with customers is not deleted.
    add_customer(&app, &sysadmin, json!({"name": "X", "router_id": router})).await;
    assert_problem(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/isp/routers/{router}"),
            &sysadmin,
            None,
        )
        .await,
        409,
        "router_in_use",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_replicas_never_sync_one_router_at_once(pool: PgPool) {
    let first = spawn_app(pool.clone()).await;
    let second = spawn_replica(&first).await;
    let (_, sysadmin) = first.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    let router = add_router(&first, &sysadmin, &fake, json!({})).await;
    // Each sync holds the router for at least 300 ms.
    fake.set_reply_delay(Duration::from_millis(300));
    let path = format!("/api/v1/isp/routers/{router}/sync");
    let attempts = (0..6).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.authed(Method::POST, &path, &sysadmin, None)
    });
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|response| response.status().as_u16())
        .collect();
    let done = statuses.iter().filter(|s| **s == 200).count();
    let busy = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((done, busy), (1, 5), "{statuses:?}");
    let syncs: i64 = sqlx::query_scalar("SELECT count(*) FROM isp_router_sync")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(syncs, 1);
    assert_eq!(fake.connections(), 1, "one login to the router");
    // The lease was given back: the next sync runs.
    let next = first.authed(Method::POST, &path, &sysadmin, None).await;
    assert_eq!(next.status().as_u16(), 200);
    second.stop().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_schedule_syncs_each_due_router_once_across_replicas(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    let router = add_router(
        &app,
        &sysadmin,
        &fake,
        json!({"sync_interval_seconds": 600}),
    )
    .await;
    let egi = add_customer(
        &app,
        &sysadmin,
        json!({"name": "Egi", "pppoe_username": "egisetiawansempu", "router_id": router}),
    )
    .await;
    fake.log_in("egisetiawansempu", None, None).unwrap();
    // The schedule takes the router only now that Egi is there: a tick of
    // the app's own schedule in between would sync an empty router.
    sqlx::query("UPDATE isp_router SET sync_enabled = true WHERE id = $1")
        .bind(router)
        .execute(&pool)
        .await
        .unwrap();
    // Three replicas look for due routers at once, while the app's own
    // schedule may tick too: one sync is enqueued in all.
    let enqueued: Vec<usize> = join_all((0..3).map(|_| monitoring::isp::sync::enqueue_due(&pool)))
        .await
        .into_iter()
        .map(|result| result.unwrap())
        .collect();
    assert!(enqueued.iter().sum::<usize>() <= 1, "{enqueued:?}");
    let syncs = || async {
        sqlx::query_scalar::<_, String>("SELECT trigger FROM isp_router_sync")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    crate::provisioning::wait_until(|| async { !syncs().await.is_empty() }).await;
    assert_eq!(customer(&app, &sysadmin, egi).await["connection"], "online");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(syncs().await, ["schedule"]);
    // Not due again for ten minutes.
    assert_eq!(monitoring::isp::sync::enqueue_due(&pool).await.unwrap(), 0);
}

async fn internet_product(app: &TestApp, sysadmin: &str) -> i64 {
    let created = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            sysadmin,
            Some(json!({
                "kind": "internet", "slug": "internet-20", "name_id": "Internet 20 Mbps",
                "spec": {"pppoe_profile": "20mbps", "download_mbps": 20, "upload_mbps": 10},
                "prices": [{"group": "member", "currency": "IDR", "cycle": "monthly", "price_minor": 150000, "setup_fee_minor": 0}]
            })),
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

#[sqlx::test(migrations = "../../migrations")]
async fn a_suspended_internet_service_is_isolated_once_and_paying_restores_the_line(pool: PgPool) {
    use crate::lifecycle::{
        next_due, pay_from_wallet, renewal_invoice, sweep_on, wait_for_service,
    };
    use crate::provisioning::{FAST, wait_until};

    let app = crate::helpers::spawn_app_with(pool.clone(), FAST).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, owner) = app.user_token("owner@isp.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@isp.test", &["finance"]).await;
    let fake = fake_router().await;
    fake.add_secret("egisetiawansempu", "20mbps").unwrap();
    fake.log_in("egisetiawansempu", Some("10.10.10.2"), None)
        .unwrap();
    let router = add_router(&app, &sysadmin, &fake, json!({"isolation_mode": "disable"})).await;
    let product = internet_product(&app, &sysadmin).await;

    let (client, service, line) =
        bought_line(&app, &owner, &finance, product, "egi@pelanggan.test").await;
    // The technician sets the line up on the router.
    put_line_on_router(&app, &sysadmin, line, router, product, service).await;

    // Unpaid: suspended three days after the due date, the line isolated.
    let due = next_due(&pool, service).await;
    sweep_on(&pool, due - chrono::Duration::days(7)).await;
    sweep_on(&pool, due + chrono::Duration::days(3)).await;
    wait_for_service(&pool, service, "suspended").await;
    let secret = || {
        fake.secrets()
            .into_iter()
            .find(|secret| secret.name == "egisetiawansempu")
            .unwrap()
    };
    assert!(secret().disabled, "the PPP secret is disabled");
    assert!(fake.sessions().is_empty(), "the live session was ended");
    assert_eq!(fake.calls_named("/ppp/secret/set"), 1);
    assert_eq!(fake.calls_named("/ppp/active/remove"), 1);
    assert!(
        fake.log_in("egisetiawansempu", None, None).is_err(),
        "an isolated customer cannot dial in"
    );
    let isolated = customer(&app, &sysadmin, line).await;
    assert_eq!(isolated["isolated"], true, "{isolated}");
    assert_eq!(isolated["service_status"], "suspended");
    // The next day's sweep changes nothing on the router.
    sweep_on(&pool, due + chrono::Duration::days(4)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.calls_named("/ppp/secret/set"), 1);

    // Paying the renewal restores the line at once.
    let (invoice, _, _) = renewal_invoice(&pool, service, due)
        .await
        .expect("renewal invoice");
    let paid = pay_from_wallet(&app, &client, invoice).await;
    assert!(paid.status().is_success(), "{}", paid.text().await.unwrap());
    wait_for_service(&pool, service, "active").await;
    wait_until(|| async { !secret().disabled }).await;
    assert_eq!(fake.calls_named("/ppp/secret/set"), 2);
    assert_eq!(fake.calls_named("/ppp/active/remove"), 1);
    fake.log_in("egisetiawansempu", None, None)
        .expect("the restored customer dials in again");
    let events: Vec<Value> = app
        .authed(
            Method::GET,
            &format!("/api/v1/isp/customers/{line}/events"),
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["cause"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [("restore", "lifecycle"), ("isolate", "lifecycle")]
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_overdue_line_is_isolated_by_a_worker_with_one_database_connection(pool: PgPool) {
    use crate::lifecycle::next_due;
    let app = crate::helpers::spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, owner) = app.user_token("owner@isp.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@isp.test", &["finance"]).await;
    let fake = fake_router().await;
    fake.add_secret("egisetiawansempu", "20mbps").unwrap();
    let router = add_router(&app, &sysadmin, &fake, json!({"isolation_mode": "disable"})).await;
    let product = internet_product(&app, &sysadmin).await;
    let (_, service, line) =
        bought_line(&app, &owner, &finance, product, "egi@pelanggan.test").await;
    // The technician sets the line up on the router.
    put_line_on_router(&app, &sysadmin, line, router, product, service).await;

    // The suspension holds the service's row in its transaction while the
    // line follows: on the same connection, not a second one from the pool
    // (with one, it waited for itself until the pool gave up).
    let one_connection = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let worker = crate::provisioning::provisioner(&one_connection, provisioning::Hooks::default());
    let job = billing::lifecycle::ServiceActionJob {
        service_id: service,
        action: billing::lifecycle::LifecycleAction::Suspend,
        cause: billing::lifecycle::Cause::Overdue,
        period: next_due(&pool, service).await,
    };
    let outcome = provisioning::lifecycle::carry_out(&worker, job).await;
    assert!(
        matches!(outcome, Ok(provisioning::lifecycle::Outcome::Marked(_))),
        "{outcome:?}"
    );
    assert!(
        fake.secrets()
            .iter()
            .any(|secret| secret.name == "egisetiawansempu" && secret.disabled),
        "the PPP secret is disabled"
    );
    let isolated = customer(&app, &sysadmin, line).await;
    assert_eq!(isolated["isolated"], true, "{isolated}");
    assert_eq!(isolated["service_status"], "suspended");
}

/// The technician puts Egi's line (customer `line`, sold as `service`) on
/// `router` with PPPoE name `egisetiawansempu`.
async fn put_line_on_router(
    app: &TestApp,
    sysadmin: &str,
    line: i64,
    router: i64,
    product: i64,
    service: i64,
) {
    let set_up = app
        .authed(
            Method::PUT,
            &format!("/api/v1/isp/customers/{line}"),
            sysadmin,
            Some(
                json!({"name": "Egi Setiawan", "pppoe_username": "egisetiawansempu",
                        "router_id": router, "product_id": product, "service_id": service}),
            ),
        )
        .await;
    assert_eq!(
        set_up.status().as_u16(),
        200,
        "{}",
        set_up.text().await.unwrap()
    );
}

/// A client who bought the internet plan from their wallet: (token,
/// service, the line registered for it among the customers).
async fn bought_line(
    app: &TestApp,
    owner: &str,
    finance: &str,
    product: i64,
    email: &str,
) -> (String, i64, i64) {
    use crate::orders::{fund_wallet, ready_client, wait_for_status};
    let (_, client) = ready_client(app, email).await;
    fund_wallet(app, &client, finance, owner, 1_000_000).await;
    let placed = app
        .authed(
            Method::POST,
            "/api/v1/orders",
            &client,
            Some(json!({"product_id": product, "cycle": "monthly", "pay_with_wallet": true})),
        )
        .await;
    assert_eq!(
        placed.status().as_u16(),
        201,
        "{}",
        placed.text().await.unwrap()
    );
    let order = placed.json::<Value>().await.unwrap()["order"]["id"]
        .as_i64()
        .unwrap();
    wait_for_status(app, &client, order, "active").await;
    let service = crate::provisioning::service_of_order(&app.pool, order).await;
    let line: (i64, i64) =
        sqlx::query_as("SELECT id, product_id FROM isp_customer WHERE service_id = $1")
            .bind(service)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(line.1, product, "the line carries the plan");
    (client, service, line.0)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_line_that_cannot_be_isolated_does_not_hold_the_suspension_back(pool: PgPool) {
    use crate::lifecycle::{next_due, sweep_on, wait_for_service};
    let app = crate::helpers::spawn_app_with(pool.clone(), crate::provisioning::FAST).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, owner) = app.user_token("owner@isp.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@isp.test", &["finance"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({"isolation_mode": "disable"})).await;
    let product = internet_product(&app, &sysadmin).await;
    let (_, service, line) =
        bought_line(&app, &owner, &finance, product, "tono@pelanggan.test").await;
    // Typed wrong: the router has no such PPP secret.
    let set_up = app
        .authed(
            Method::PUT,
            &format!("/api/v1/isp/customers/{line}"),
            &sysadmin,
            Some(json!({"name": "Tono", "pppoe_username": "tono-salah-ketik",
                        "router_id": router, "product_id": product, "service_id": service})),
        )
        .await;
    assert_eq!(set_up.status().as_u16(), 200);
    let due = next_due(&pool, service).await;
    sweep_on(&pool, due - chrono::Duration::days(7)).await;
    sweep_on(&pool, due + chrono::Duration::days(3)).await;
    wait_for_service(&pool, service, "suspended").await;
    assert_eq!(customer(&app, &sysadmin, line).await["isolated"], false);
    assert_eq!(fake.calls_named("/ppp/secret/set"), 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn staff_isolate_by_profile_twice_changes_the_router_once(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    fake.add_secret("sitirahma", "10mbps").unwrap();
    fake.log_in("sitirahma", None, None).unwrap();
    let router = add_router(
        &app,
        &sysadmin,
        &fake,
        json!({"isolation_mode": "profile", "isolation_profile": "isolir"}),
    )
    .await;
    // Stored in another case: `?name=` is exact, the secret is still found.
    let siti = add_customer(
        &app,
        &sysadmin,
        json!({"name": "Siti Rahma", "pppoe_username": "SitiRahma", "router_id": router}),
    )
    .await;
    let path = format!("/api/v1/isp/customers/{siti}/isolate");
    let first: Value = app
        .authed(Method::POST, &path, &sysadmin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            first["changed"].as_bool(),
            first["sessions_removed"].as_i64()
        ),
        (Some(true), Some(1)),
        "{first}"
    );
    let second: Value = app
        .authed(Method::POST, &path, &sysadmin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["changed"], false, "{second}");
    let profile = || {
        fake.secrets()
            .into_iter()
            .find(|s| s.name == "sitirahma")
            .unwrap()
            .profile
    };
    assert_eq!(profile(), "isolir");
    assert_eq!(fake.calls_named("/ppp/secret/set"), 1);
    let restored: Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/isp/customers/{siti}/restore"),
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(restored["isolated"], false, "{restored}");
    assert_eq!(profile(), "10mbps", "back on its own profile");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('isp_customer.isolated', 'isp_customer.restored')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 2, "the no-op second isolation is not audited");
    // Isolation off: refused, nothing sent.
    let off = add_router(&app, &sysadmin, &fake, json!({"name": "Tanpa isolir"})).await;
    let other = add_customer(
        &app,
        &sysadmin,
        json!({"name": "Budi", "pppoe_username": "budi", "router_id": off}),
    )
    .await;
    assert_problem(
        app.authed(
            Method::POST,
            &format!("/api/v1/isp/customers/{other}/isolate"),
            &sysadmin,
            None,
        )
        .await,
        409,
        "isolation_off",
    )
    .await;
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/isp/customers/imports?file_name=pelanggan.xlsx"))
        .bearer_auth(token)
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(bytes)
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn customers_import_previews_confirms_and_export_imports_back_unchanged(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    let product = internet_product(&app, &sysadmin).await;
    let existing = add_customer(
        &app,
        &sysadmin,
        json!({"name": "Egi Setiawan Sempu", "pppoe_username": "egisetiawansempu",
               "phone": "0812-1111", "router_id": router, "latitude": -8.4, "longitude": 112.7}),
    )
    .await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let rows: [[&str; 6]; 5] = [
        ["Nama", "PPPoE", "No HP", "Koordinat", "Paket", "Router"],
        // Same PPPoE name in another case: an update of the phone only;
        // the blank coordinate keeps the stored one.
        [
            "Egi Setiawan Sempu",
            "EGISETIAWANSEMPU",
            "0812-2222",
            "",
            "",
            "Core Sempu",
        ],
        [
            "Warung Kopi",
            "warungkopi",
            "0813",
            "-8.41, 112.71",
            "Internet 20 Mbps",
            "Core Sempu",
        ],
        [
            "Paket Salah",
            "salah",
            "",
            "",
            "Internet 99 Mbps",
            "Core Sempu",
        ],
        ["Kopi Lagi", "WarungKopi", "", "", "", "Core Sempu"],
    ];
    for (r, row) in (0u32..).zip(rows) {
        for (c, value) in (0u16..).zip(row) {
            sheet.write_string(r, c, value).unwrap();
        }
    }
    let staged = upload(&app, &sysadmin, workbook.save_to_buffer().unwrap()).await;
    assert_eq!(
        staged.status().as_u16(),
        201,
        "{}",
        staged.text().await.unwrap()
    );
    let staged: Value = staged.json().await.unwrap();
    assert_eq!(
        staged["summary"],
        json!({"total": 4, "new": 1, "update": 1, "unchanged": 0, "invalid": 2}),
        "{staged}"
    );
    let update = &staged["rows"][0];
    assert_eq!(update["status"], "update");
    assert_eq!(
        update["changes"],
        json!([{"field": "phone", "old": "0812-1111", "new": "0812-2222"}])
    );
    assert_eq!(staged["rows"][2]["problems"][0]["field"], "plan");
    assert_eq!(
        staged["rows"][3]["problems"][0]["field"], "pppoe_username",
        "a repeated name"
    );
    let customers = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM isp_customer")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(customers().await, 1, "a preview writes nothing");
    let id = staged["id"].as_str().unwrap();
    let invalid: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/isp/customers/imports/{id}?status=invalid"),
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invalid["matching"], 2);
    let confirm = format!("/api/v1/isp/customers/imports/{id}/confirm");
    let outcome: Value = app
        .authed(Method::POST, &confirm, &sysadmin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        outcome,
        json!({"created": 1, "updated": 1, "unchanged": 0, "skipped_invalid": 2})
    );
    assert_problem(
        app.authed(Method::POST, &confirm, &sysadmin, None).await,
        409,
        "import_confirmed",
    )
    .await;
    let egi = customer(&app, &sysadmin, existing).await;
    assert_eq!(
        (egi["phone"].as_str(), egi["latitude"].as_f64()),
        (Some("0812-2222"), Some(-8.4))
    );
    let kopi: Value = app
        .authed(
            Method::GET,
            "/api/v1/isp/customers?q=warung",
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kopi["customers"][0]["product_id"], product);

    // Export → import: every row unchanged.
    let exported = app
        .authed(Method::GET, "/api/v1/isp/customers/export", &sysadmin, None)
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let again: Value = upload(&app, &sysadmin, exported)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["summary"],
        json!({"total": 2, "new": 0, "update": 0, "unchanged": 2, "invalid": 0}),
        "{again}"
    );
    // Not a workbook: refused, nothing stored.
    assert_problem(
        upload(&app, &sysadmin, b"nama,pppoe\n".to_vec()).await,
        422,
        "not_xlsx",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn api_ssl_and_rest_transports_sync_the_same_with_a_pinned_certificate(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    fake.log_in("egisetiawansempu", Some("10.10.10.2"), None)
        .unwrap();
    let fingerprint = fake.tls_fingerprint_hex();
    let transports = [
        ("api_tls", fake.api_tls_addr().unwrap().port()),
        ("rest", fake.rest_tls_addr().unwrap().port()),
    ];
    for (transport, port) in transports {
        let router = add_router(
            &app,
            &sysadmin,
            &fake,
            json!({"name": transport, "transport": transport, "port": port,
                   "tls_fingerprint": fingerprint}),
        )
        .await;
        let egi = add_customer(
            &app,
            &sysadmin,
            json!({"name": "Egi", "pppoe_username": "egisetiawansempu", "router_id": router}),
        )
        .await;
        let test = test_router(&app, &sysadmin, router).await;
        assert_eq!(test["ok"], true, "{transport}: {test}");
        assert_eq!(test["active_sessions"], 1);
        let report = sync_now(&app, &sysadmin, router).await;
        assert_eq!(report["customers_online"], 1, "{transport}: {report}");
        assert_eq!(
            customer(&app, &sysadmin, egi).await["session_address"],
            "10.10.10.2"
        );
    }
    // Another pin: the TLS handshake is refused, and said so.
    let wrong = add_router(
        &app,
        &sysadmin,
        &fake,
        json!({"name": "wrong pin", "transport": "api_tls",
               "port": fake.api_tls_addr().unwrap().port(), "tls_fingerprint": "ab".repeat(32)}),
    )
    .await;
    let test = test_router(&app, &sysadmin, wrong).await;
    assert_eq!(test["ok"], false, "{test}");
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("tls")
            || test["message"].as_str().unwrap().contains("certificate"),
        "{test}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_customers_are_refused_over_http_and_nothing_is_written(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, client) = app.user_token("klien@isp.test", &["client"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    add_customer(
        &app,
        &sysadmin,
        json!({"name": "Egi", "pppoe_username": "egisetiawansempu", "router_id": router}),
    )
    .await;
    let post =
        |body: Value| app.authed(Method::POST, "/api/v1/isp/customers", &sysadmin, Some(body));
    // The same PPPoE name in another case on the same router.
    let taken = assert_problem(
        post(
            json!({"name": "Egi lagi", "pppoe_username": "EgiSetiawanSempu", "router_id": router}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(taken["errors"][0]["field"], "pppoe_username", "{taken}");
    // A plan that is not an internet product, a router that does not exist,
    // half a coordinate, a name with spaces.
    let bad = assert_problem(
        post(
            json!({"name": "X", "pppoe_username": "a b", "latitude": -8.4,
                    "product_id": 999_999, "router_id": 999_999}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["pppoe_username", "longitude"], "{bad}");
    let missing = assert_problem(
        post(json!({"name": "X", "product_id": 999_999, "router_id": 999_999})).await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = missing["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["product_id", "router_id"], "{missing}");
    let customers: i64 = sqlx::query_scalar("SELECT count(*) FROM isp_customer")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(customers, 1, "nothing written");
    // Clients see none of it.
    assert_problem(
        app.authed(Method::GET, "/api/v1/isp/customers", &client, None)
            .await,
        403,
        "forbidden",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_replica_that_died_mid_sync_frees_the_router_when_its_lease_runs_out(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let fake = fake_router().await;
    let router = add_router(&app, &sysadmin, &fake, json!({})).await;
    let path = format!("/api/v1/isp/routers/{router}/sync");
    // A replica took the lease and stopped without giving it back.
    let lease = |until: &'static str| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE isp_router SET sync_lease_owner = 'dead-replica',
                    sync_lease_until = now() + interval '{until}' WHERE id = $1"
        )))
        .bind(router)
        .execute(&pool)
    };
    lease("30 seconds").await.unwrap();
    assert_problem(
        app.authed(Method::POST, &path, &sysadmin, None).await,
        409,
        "sync_in_progress",
    )
    .await;
    // Its lease ran out: the next sync runs and gives the router back.
    lease("-1 second").await.unwrap();
    let report = post_ok(&app, &sysadmin, &path).await;
    assert_eq!(report["ok"], true, "{report}");
    let owner: Option<String> =
        sqlx::query_scalar("SELECT sync_lease_owner FROM isp_router WHERE id = $1")
            .bind(router)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(owner, None);
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_internet_upgrade_moves_the_secret_to_the_new_profile_and_reconnects_the_line(
    pool: PgPool,
) {
    use crate::lifecycle::pay_from_wallet;
    use crate::provisioning::{FAST, wait_until};

    let app = crate::helpers::spawn_app_with(pool.clone(), FAST).await;
    let (_, sysadmin) = app.user_token("sys@isp.test", &["sysadmin"]).await;
    let (_, owner) = app.user_token("owner@isp.test", &["owner"]).await;
    let (_, finance) = app.user_token("finance@isp.test", &["finance"]).await;
    let fake = fake_router().await;
    fake.add_secret("dewi", "20mbps").unwrap();
    fake.log_in("dewi", Some("10.10.10.7"), None).unwrap();
    let router = add_router(&app, &sysadmin, &fake, json!({"isolation_mode": "disable"})).await;
    let product = internet_product(&app, &sysadmin).await;
    let faster: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/catalog/products",
            &sysadmin,
            Some(json!({
                "kind": "internet", "slug": "internet-50", "name_id": "Internet 50 Mbps",
                "spec": {"pppoe_profile": "50mbps", "download_mbps": 50, "upload_mbps": 25},
                "prices": [{"group": "member", "currency": "IDR", "cycle": "monthly", "price_minor": 250000, "setup_fee_minor": 0}]
            })),
        )
        .await
        .json()
        .await
        .unwrap();
    let faster = faster["id"].as_i64().unwrap();
    let (client, service, line) =
        bought_line(&app, &owner, &finance, product, "dewi@pelanggan.test").await;
    let set_up = app
        .authed(
            Method::PUT,
            &format!("/api/v1/isp/customers/{line}"),
            &sysadmin,
            Some(
                json!({"name": "Dewi", "pppoe_username": "dewi", "router_id": router,
                        "product_id": product, "service_id": service}),
            ),
        )
        .await;
    assert_eq!(set_up.status().as_u16(), 200);

    let asked = app
        .authed(
            Method::POST,
            &format!("/api/v1/services/{service}/plan-changes"),
            &client,
            Some(json!({"product_id": faster})),
        )
        .await;
    assert_eq!(
        asked.status().as_u16(),
        201,
        "{}",
        asked.text().await.unwrap()
    );
    let asked: Value = asked.json().await.unwrap();
    assert_eq!(asked["status"], "awaiting_payment");
    let paid = pay_from_wallet(&app, &client, asked["invoice_id"].as_i64().unwrap()).await;
    assert_eq!(
        paid.status().as_u16(),
        200,
        "{}",
        paid.text().await.unwrap()
    );

    let secret = || {
        fake.secrets()
            .into_iter()
            .find(|secret| secret.name == "dewi")
            .unwrap()
    };
    wait_until(|| async { secret().profile == "50mbps" }).await;
    wait_until(|| async { fake.sessions().is_empty() }).await;
    assert_eq!(fake.calls_named("/ppp/secret/set"), 1);
    let moved = customer(&app, &sysadmin, line).await;
    assert_eq!(moved["product_id"], faster, "{moved}");
    let events: Vec<Value> = app
        .authed(
            Method::GET,
            &format!("/api/v1/isp/customers/{line}/events"),
            &sysadmin,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events[0]["action"], "plan_change", "{events:?}");
    fake.log_in("dewi", None, None)
        .expect("the line dials in again on its new profile");
}
