//! VPS delivery under load: 100 VPS orders paid at once, delivered by the
//! real job runner and handlers against the sandbox's Proxmox fake with its
//! task time set to zero, so what is measured is our own overhead: the
//! queue, the recorded steps, placement, the IP reservation, the VM id lock
//! and the HTTP calls. Beside it, in the same run, the baseline: the same
//! Proxmox calls for one VPS (nextid, clone, config, rate, resize, start,
//! status and the task polls) made straight from the client, serially —
//! the fake's own time. Then the addresses are checked: no collision.
//! Prints a Markdown section (for BENCHMARKS.md) on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jobs::{JobRunner, Registry, RunnerConfig};
use provisioning::integration::{self, AuthMode, IntegrationInput, IntegrationKind};
use provisioning::proxmox::{CloneRequest, IpConfig, PowerAction, VmConfig};
use sandbox::proxmox::{ProxmoxFake, ProxmoxFakeConfig};

mod support;

const ORDERS: usize = 100;
const CONCURRENCY: usize = 16;
const OVERHEAD_TARGET: Duration = Duration::from_millis(50);
const TOTAL_TARGET: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() {
    api::app::install_crypto_provider();
    let database = support::BenchDatabase::create("provisioning", 40).await;
    let pool = database.pool.clone();

    let pve = ProxmoxFake::start(
        "127.0.0.1:0".parse().unwrap(),
        ProxmoxFakeConfig {
            task_duration: Duration::ZERO,
            task_unknown_window: Duration::ZERO,
            ..ProxmoxFakeConfig::default()
        },
    )
    .await
    .unwrap();
    let sealer = Arc::new(domain::Sealer::new(&[b"bench-provisioning"]).unwrap());
    let mut tx = pool.begin().await.unwrap();
    let created = integration::create(
        &mut tx,
        &sealer,
        &IntegrationInput {
            kind: IntegrationKind::Proxmox,
            name: "bench".into(),
            base_url: pve.base_url(),
            auth_mode: AuthMode::Token,
            username: sandbox::proxmox::DEFAULT_TOKEN_ID.into(),
            secret: Some(sandbox::proxmox::DEFAULT_TOKEN_SECRET.into()),
            tls_fingerprint: None,
            active: true,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    provisioning::inventory::sync(&pool, &sealer, created.id)
        .await
        .unwrap();
    let orders = seed(&pool).await;

    // Baseline: the fake's own time for one VPS's calls, serially.
    let client = integration::proxmox(&pool, &sealer, created.id, Duration::from_secs(30))
        .await
        .unwrap();
    let started = Instant::now();
    const BASELINE_VMS: u32 = 20;
    let mut baseline_vms = Vec::new();
    for n in 0..BASELINE_VMS {
        let poll = Duration::from_millis(10);
        let deadline = Duration::from_secs(30);
        let vmid = client.next_id().await.unwrap();
        let request = CloneRequest {
            newid: vmid,
            name: format!("baseline-{n}"),
            full: true,
            target: None,
            storage: None,
            description: None,
        };
        let upid = client.clone_vm("pve-jkt-1", 9001, &request).await.unwrap();
        client.wait_task(&upid, poll, deadline).await.unwrap();
        client.vm_status("pve-jkt-1", vmid).await.unwrap();
        let config = VmConfig {
            cores: Some(2),
            memory_mb: Some(2048),
            ciuser: Some("root".into()),
            cipassword: Some("bench-password-123".into()),
            ip: Some(IpConfig {
                address: "192.0.2.10".parse().unwrap(),
                prefix_len: 24,
                gateway: "192.0.2.1".parse().unwrap(),
            }),
            nameservers: vec!["1.1.1.1".parse().unwrap()],
            ..VmConfig::default()
        };
        if let Some(upid) = client.set_config("pve-jkt-1", vmid, &config).await.unwrap() {
            client.wait_task(&upid, poll, deadline).await.unwrap();
        }
        client
            .set_network_rate("pve-jkt-1", vmid, Some(100))
            .await
            .unwrap();
        client.vm_config("pve-jkt-1", vmid).await.unwrap();
        if let Some(upid) = client
            .resize_disk("pve-jkt-1", vmid, "scsi0", 10)
            .await
            .unwrap()
        {
            client.wait_task(&upid, poll, deadline).await.unwrap();
        }
        client.vm_status("pve-jkt-1", vmid).await.unwrap();
        if let Some(upid) = client
            .power("pve-jkt-1", vmid, PowerAction::Start)
            .await
            .unwrap()
        {
            client.wait_task(&upid, poll, deadline).await.unwrap();
        }
        baseline_vms.push(vmid);
    }
    let fake_per_vps = started.elapsed() / BASELINE_VMS;
    for vmid in baseline_vms {
        let poll = Duration::from_millis(10);
        if let Some(upid) = client
            .power("pve-jkt-1", vmid, PowerAction::Stop)
            .await
            .unwrap()
        {
            client
                .wait_task(&upid, poll, Duration::from_secs(30))
                .await
                .unwrap();
        }
        if let Some(upid) = client.delete_vm("pve-jkt-1", vmid).await.unwrap() {
            client
                .wait_task(&upid, poll, Duration::from_secs(30))
                .await
                .unwrap();
        }
    }
    eprintln!("baseline: {fake_per_vps:?} of fake time per VPS");

    // Ours: the runner and the handlers, the orders paid at once.
    let provisioner = provisioning::Provisioner {
        pool: pool.clone(),
        sealer: sealer.clone(),
        registrar: Arc::new(provisioning::registrar::NotConfigured),
        registrar_name: "none".into(),
        default_nameservers: Vec::new(),
        tasks: provisioning::TaskTiming {
            poll: Duration::from_millis(10),
            ..provisioning::TaskTiming::default()
        },
        hooks: provisioning::Hooks::default(),
    };
    let mut registry = Registry::new();
    provisioning::register_jobs(&mut registry, provisioner);
    let started = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for order in &orders {
        billing::order::delivery::enqueue(&mut tx, *order, chrono::Utc::now().date_naive())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let runner = JobRunner::new(
        pool.clone(),
        registry,
        RunnerConfig {
            concurrency: CONCURRENCY,
            poll_interval: Duration::from_millis(10),
            ..RunnerConfig::default()
        },
    )
    .start()
    .await
    .unwrap();
    loop {
        let active: i64 =
            sqlx::query_scalar("SELECT count(*) FROM service WHERE status IN ('active', 'failed')")
                .fetch_one(&pool)
                .await
                .unwrap();
        if active as usize == ORDERS || started.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let total = started.elapsed();
    runner.shutdown().await;
    let running: i64 = sqlx::query_scalar("SELECT count(*) FROM service WHERE status = 'active'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let run_seconds: f64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(extract(epoch FROM finished_at - created_at)), 0)::float8
           FROM provisioning_run WHERE status = 'succeeded'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let (distinct, used): (i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT address), count(*) FROM ip_address WHERE status = 'used'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let vmids: (i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT vmid), count(*) FROM vps_instance WHERE vmid IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // The batch's wall time shared by its VPS (what each one costs the
    // machine), less the fake's own time per VPS.
    let per_vps_wall = total / ORDERS as u32;
    let overhead = per_vps_wall.saturating_sub(fake_per_vps);
    let per_run = Duration::from_secs_f64(run_seconds / running.max(1) as f64);
    let collisions = used - distinct;

    println!("## VPS delivery: {ORDERS} orders paid at once (issue 13)\n");
    println!(
        "Workload: {ORDERS} VPS orders handed to delivery in one transaction; the job runner \
         ({CONCURRENCY} concurrent jobs) delivers each through its 8 recorded steps against the \
         sandbox Proxmox fake with zero task time. Baseline in the same run: the same Proxmox \
         calls for one VPS made directly with the client, serially ({BASELINE_VMS} VMs).\n"
    );
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!(
        "| all {ORDERS} RUNNING | {:.2} s ({running} running) | ≤ {} s |",
        total.as_secs_f64(),
        TOTAL_TARGET.as_secs()
    );
    println!(
        "| fake's own time per VPS (baseline) | {:.1} ms | |",
        fake_per_vps.as_secs_f64() * 1000.0
    );
    println!(
        "| wall time per VPS (batch / {ORDERS}) | {:.1} ms | |",
        per_vps_wall.as_secs_f64() * 1000.0
    );
    println!(
        "| overhead per VPS over the fake | {:.1} ms | ≤ {} ms |",
        overhead.as_secs_f64() * 1000.0,
        OVERHEAD_TARGET.as_millis()
    );
    println!(
        "| mean run duration (queued → finished) | {:.0} ms | |",
        per_run.as_secs_f64() * 1000.0
    );
    println!(
        "| ratio ours / fake per VPS | {:.2} | |",
        per_vps_wall.as_secs_f64() / fake_per_vps.as_secs_f64().max(1e-9)
    );
    println!("| IP collisions | {collisions} ({distinct} distinct of {used}) | 0 |");
    println!("| VM id collisions | {} | 0 |", vmids.1 - vmids.0);
    println!();
    drop(pool);
    database.drop().await;
}

/// A region served by the fake's Jakarta nodes with the Ubuntu template, a
/// /24 pool, a VPS plan and `ORDERS` paid orders of it.
async fn seed(pool: &sqlx::PgPool) -> Vec<i64> {
    let region: i64 = sqlx::query_scalar(
        "INSERT INTO region (code, name, country) VALUES ('jkt', 'Jakarta', 'ID') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let os: i64 = sqlx::query_scalar(
        "INSERT INTO os_template (code, name, family) VALUES ('ubuntu-24.04', 'Ubuntu', 'linux') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("UPDATE pve_node SET region_id = $1 WHERE name LIKE 'pve-jkt-%'")
        .bind(region)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE pve_template SET os_template_id = $1 WHERE name = 'ubuntu-24.04-cloud'")
        .bind(os)
        .execute(pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    provisioning::ip_pool::create(
        &mut conn,
        &provisioning::ip_pool::PoolInput {
            name: "bench".into(),
            region_id: region,
            network: "203.0.113.0/24".into(),
            gateway: "203.0.113.1".into(),
            nameservers: vec!["1.1.1.1".into()],
            excluded: Vec::new(),
            quarantine_hours: 72,
        },
    )
    .await
    .unwrap();
    let product: i64 = sqlx::query_scalar(
        r#"INSERT INTO product (kind, slug, name_id, spec)
           VALUES ('vps', 'vps-bench', 'VPS Bench',
                   '{"kind":"vps","cores":1,"ram_mb":512,"disk_gb":10,"rate_limit_mbps":100}')
           RETURNING id"#,
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let user = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO app_user (id, email, password_hash) VALUES ($1, 'bench@example.test', 'x')",
    )
    .bind(user)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query_scalar(
        "INSERT INTO customer_order (user_id, product_id, product_kind, product_name, cycle, currency,
                                     group_id, region_id, os_template_id, unit_price_minor,
                                     setup_fee_minor, discount_minor, total_minor, status, pay_by)
         SELECT $1, $2, 'vps', 'VPS Bench', 'monthly', 'IDR',
                (SELECT id FROM customer_group WHERE is_default), $3, $4, 100000, 0, 0, 100000,
                'paid', now()
           FROM generate_series(1, $5)
         RETURNING id",
    )
    .bind(user)
    .bind(product)
    .bind(region)
    .bind(os)
    .bind(ORDERS as i32)
    .fetch_all(pool)
    .await
    .unwrap()
}
