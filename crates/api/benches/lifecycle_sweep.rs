//! The billing lifecycle's daily sweep over 1,000,000 services: 2 % due
//! for a renewal invoice, 0.5 % to suspend, 0.2 % to terminate, the rest
//! not due. Measured: the sweep (finding and deciding, invoices issued,
//! decisions recorded, jobs queued), then the jobs it queued carried out
//! by the real runner and handlers — VPS among the suspended and
//! terminated ones stopped and deleted on the sandbox's Proxmox fake with
//! zero task time, notices rendered — and a second sweep the same day,
//! which finds nothing to do. Baseline in the same run: the sweep's
//! candidate queries alone (the scan it cannot avoid). Prints a Markdown
//! section (for BENCHMARKS.md) on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use billing::lifecycle::sweep::{self, Step};
use chrono::NaiveDate;
use domain::{Clock, ShopCalendar};
use jobs::{JobRunner, Registry, RunnerConfig};
use provisioning::integration::{self, AuthMode, IntegrationInput, IntegrationKind};
use provisioning::proxmox::CloneRequest;
use sandbox::proxmox::{ProxmoxFake, ProxmoxFakeConfig};

mod support;

const SERVICES: i64 = 1_000_000;
const USERS: i64 = 10_000;
/// One in this many of the services to suspend or terminate is a VPS with
/// a VM on the fake; the others have no remote part (their status only).
const VPS_EVERY: i64 = 50;
const SWEEP_TARGET: Duration = Duration::from_secs(60);
const IDLE_TARGET: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() {
    api::app::install_crypto_provider();
    let database = support::BenchDatabase::create("lifecycle", 20).await;
    let pool = database.pool.clone();

    let calendar = ShopCalendar::default();
    let now = chrono::Utc::now();
    let today = calendar.today(now);
    let clock = Clock::manual(calendar, now);

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
    let sealer = Arc::new(domain::Sealer::new(&[b"bench-lifecycle"]).unwrap());
    let mut tx = pool.begin().await.unwrap();
    let cluster = integration::create(
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

    let seeding = Instant::now();
    seed(&pool, today).await;
    let vms = place_vms(&pool, &sealer, cluster.id).await;
    eprintln!(
        "seeded {SERVICES} services and {vms} VMs in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    // Baseline: the candidate queries alone, for every step.
    let started = Instant::now();
    let mut found = 0;
    let mut conn = pool.acquire().await.unwrap();
    for step in Step::ALL {
        found += sweep::candidates(&mut conn, step, today, None)
            .await
            .unwrap()
            .len();
    }
    drop(conn);
    let scan = started.elapsed();

    // Ours: the sweep.
    let report = sweep::run(&pool, &clock, false).await.unwrap();
    let swept = Duration::from_millis(report.duration_ms as u64);
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE status = 'queued'")
        .fetch_one(&pool)
        .await
        .unwrap();

    // The jobs it queued, carried out by the runner and the handlers.
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
    let payments = billing::payment::PaymentContext {
        pool: pool.clone(),
        sealer: sealer.clone(),
        http: reqwest::Client::new(),
        clock: clock.clone(),
    };
    billing::jobs_registry::register_jobs(&mut registry, payments);
    // Mail and Telegram delivery are not part of it: the outbox fills.
    let handled: Vec<String> = registry.kinds().map(str::to_owned).collect();
    let drain_started = Instant::now();
    let runner = JobRunner::new(
        pool.clone(),
        registry,
        RunnerConfig {
            concurrency: 16,
            poll_interval: Duration::from_millis(10),
            ..RunnerConfig::default()
        },
    )
    .start()
    .await
    .unwrap();
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM job WHERE status IN ('queued', 'running') AND kind = ANY($1)
                AND kind NOT IN (SELECT kind FROM job_schedule)",
        )
        .bind(&handled)
        .fetch_one(&pool)
        .await
        .unwrap();
        if left == 0 || drain_started.elapsed() > Duration::from_secs(600) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = drain_started.elapsed();
    runner.shutdown().await;
    let (suspended, terminated): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'suspended'), count(*) FILTER (WHERE status = 'terminated')
           FROM service",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let vms_left = pve
        .vms()
        .into_iter()
        .filter(|vm| vm.name.as_deref().is_some_and(|n| n.starts_with("svc-")))
        .count();
    let stopped = pve
        .vms()
        .into_iter()
        .filter(|vm| {
            vm.status == "stopped" && vm.name.as_deref().is_some_and(|n| n.starts_with("svc-"))
        })
        .count();
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE status = 'dead'")
        .fetch_one(&pool)
        .await
        .unwrap();

    // The same day again: nothing left to do.
    let idle = sweep::run(&pool, &clock, false).await.unwrap();
    let idle_time = Duration::from_millis(idle.duration_ms as u64);
    let peak_rss = support::status_kib(std::process::id(), "VmHWM:") / 1024;

    println!("## Billing lifecycle: the daily sweep over {SERVICES} services (issue 14)\n");
    println!(
        "Workload: {SERVICES} monthly services of {USERS} clients: 2 % due for their renewal \
         invoice today, 0.5 % unpaid 3 days after their due date, 0.2 % unpaid 15 days after \
         it, the rest due later. One in {VPS_EVERY} of those to suspend or terminate is a VPS \
         with a VM on the sandbox's Proxmox fake (zero task time); the others have no remote \
         part. The sweep runs in this process against PostgreSQL; then the job runner (16 \
         at a time) carries out what it queued: suspensions and terminations through the \
         provisioning runs, and the client notices. Baseline in the same run: the sweep's \
         candidate queries alone.\n"
    );
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!(
        "| candidate queries alone (baseline, {found} found) | {:.2} s | |",
        scan.as_secs_f64()
    );
    println!(
        "| the sweep (decisions, invoices, events, {queued} jobs queued) | {:.2} s ({:.1}× the baseline) | ≤ {} s |",
        swept.as_secs_f64(),
        swept.as_secs_f64() / scan.as_secs_f64().max(0.001),
        SWEEP_TARGET.as_secs()
    );
    println!(
        "| its jobs carried out (suspend, terminate, notices) | {:.2} s | |",
        drained.as_secs_f64()
    );
    println!(
        "| a second sweep the same day (does nothing) | {:.2} s | ≤ {} s |",
        idle_time.as_secs_f64(),
        IDLE_TARGET.as_secs()
    );
    println!("| peak resident memory of the process | {peak_rss} MB | |\n");
    println!("| step | services | time | per service |");
    println!("|---|---:|---:|---:|");
    for timing in &report.timings {
        let per = if timing.candidates > 0 {
            format!("{:.2} ms", timing.ms as f64 / timing.candidates as f64)
        } else {
            "—".into()
        };
        println!(
            "| {:?} | {} | {:.2} s | {per} |",
            timing.step,
            timing.candidates,
            timing.ms as f64 / 1000.0
        );
    }
    println!(
        "\nCounts: {:?}. Afterwards {suspended} services suspended, {terminated} terminated; on the fake {stopped} of the {vms_left} VMs left are stopped (the terminated ones' VMs are deleted); {dead} dead jobs. The second sweep: {:?}.\n",
        report.counts, idle.counts
    );
    println!(
        "Targets: sweep ≤ {} s — {}; second sweep ≤ {} s — {}.\n",
        SWEEP_TARGET.as_secs(),
        if swept <= SWEEP_TARGET {
            "met"
        } else {
            "NOT met"
        },
        IDLE_TARGET.as_secs(),
        if idle_time <= IDLE_TARGET {
            "met"
        } else {
            "NOT met"
        },
    );

    database.drop().await;
}

/// The shop: clients, a domain plan and a VPS plan, and a million paid
/// services with their orders and invoices, spread over the due dates.
async fn seed(pool: &sqlx::PgPool, today: NaiveDate) {
    let statements = [
        "INSERT INTO app_user (id, email, password_hash, roles, email_verified_at)
         SELECT gen_random_uuid(), 'klien' || g || '@bench.test', 'x', '{client}', now()
           FROM generate_series(1, $2) g",
        "INSERT INTO product (kind, slug, name_id, spec) VALUES
            ('domain', 'domain-com', 'Domain .com', '{\"kind\": \"domain\", \"tld\": \"com\"}'),
            ('vps', 'vps-bench', 'VPS Bench', '{\"kind\": \"vps\", \"cores\": 1, \"ram_mb\": 1024, \"disk_gb\": 20}')",
        "INSERT INTO region (code, name, country) VALUES ('jkt', 'Jakarta', 'ID')",
        "INSERT INTO os_template (code, name, family) VALUES ('ubuntu-24.04', 'Ubuntu 24.04', 'linux')",
        // g % 1000: 0–19 invoice today, 20–24 suspend, 25–26 terminate.
        "CREATE TABLE plan AS
         SELECT g, u.ids[1 + g % $2] AS user_id,
                CASE WHEN g % 1000 BETWEEN 20 AND 26 AND (g / 1000) % $3 = 0 THEN 'vps' ELSE 'domain' END AS kind,
                CASE WHEN g % 1000 < 20 THEN $1 + 7
                     WHEN g % 1000 < 25 THEN $1 - 3
                     WHEN g % 1000 < 27 THEN $1 - 15
                     ELSE $1 + 8 + (g % 350)::INT END AS due,
                CASE WHEN g % 1000 BETWEEN 25 AND 26 THEN 'suspended' ELSE 'active' END AS status
           FROM generate_series(1, $4) g
           CROSS JOIN (SELECT array_agg(id ORDER BY email) AS ids FROM app_user) u",
        "INSERT INTO customer_order (id, user_id, product_id, product_kind, product_name, cycle, currency,
                                     group_id, unit_price_minor, setup_fee_minor, discount_minor,
                                     total_minor, status, pay_by)
         OVERRIDING SYSTEM VALUE
         SELECT p.g, p.user_id, pr.id, p.kind, pr.name_id, 'monthly', 'IDR', 1, 150000, 0, 0, 150000,
                'active', now()
           FROM plan p JOIN product pr ON pr.kind = p.kind",
        "INSERT INTO invoice (number, user_id, purpose, order_id, currency, subtotal_minor, discount_minor,
                              tax_minor, total_minor, tax_rate_bp, prices_include_tax, amount_paid_minor,
                              status, buyer, issued_at, due_at, paid_at)
         SELECT 'INV-2001-' || lpad(p.g::TEXT, 7, '0'), p.user_id, 'order', p.g, 'IDR', 150000, 0, 0,
                150000, 0, true, 150000, 'paid',
                jsonb_build_object('name', 'Klien ' || p.g, 'email', 'klien@bench.test', 'phone', NULL,
                                   'address', jsonb_build_array('Jl. Contoh 1')),
                now(), now(), now()
           FROM plan p",
        "INSERT INTO service (id, order_id, user_id, product_id, kind, label, status, cycle, currency,
                              recurring_minor, anchor_day, next_due_on)
         OVERRIDING SYSTEM VALUE
         SELECT p.g, p.g, p.user_id, pr.id, p.kind, 'Layanan ' || p.g, p.status, 'monthly', 'IDR',
                150000, extract(day FROM p.due)::SMALLINT, p.due
           FROM plan p JOIN product pr ON pr.kind = p.kind",
        // The overdue ones were invoiced and reminded on earlier days; the
        // ones to terminate were suspended too.
        "INSERT INTO invoice (number, user_id, purpose, currency, subtotal_minor, discount_minor,
                              tax_minor, total_minor, tax_rate_bp, prices_include_tax, status, buyer,
                              issued_at, due_at, service_id, period_start, period_end)
         SELECT 'INV-2002-' || lpad(p.g::TEXT, 7, '0'), p.user_id, 'renewal', 'IDR', 150000, 0, 0,
                150000, 0, true, 'unpaid', '{\"name\": \"Klien\", \"email\": \"klien@bench.test\", \"phone\": null, \"address\": []}',
                now(), now(), p.g, p.due, p.due + 30
           FROM plan p WHERE p.due < $1",
        "INSERT INTO lifecycle_event (service_id, period_start, kind, shop_day)
         SELECT p.g, p.due, k.kind, $1
           FROM plan p
           CROSS JOIN (VALUES ('invoiced'), ('due_soon'), ('due_today'), ('overdue'), ('suspend')) k(kind)
          WHERE p.due < $1 AND (k.kind <> 'suspend' OR p.status = 'suspended')",
        "SELECT setval(pg_get_serial_sequence('service', 'id'), $4)",
        "SELECT setval(pg_get_serial_sequence('customer_order', 'id'), $4)",
        "DROP TABLE plan",
        "ANALYZE",
    ];
    for statement in statements {
        let started = Instant::now();
        // Our own constants, spelled into the SQL.
        let sql = statement
            .replace("$1", &format!("'{today}'::DATE"))
            .replace("$2", &USERS.to_string())
            .replace("$3", &VPS_EVERY.to_string())
            .replace("$4", &SERVICES.to_string());
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
        eprintln!(
            "  {:.1} s  {}",
            started.elapsed().as_secs_f64(),
            statement.lines().next().unwrap_or_default()
        );
    }
}

/// A running VM on the fake for each VPS service, recorded as delivered.
async fn place_vms(pool: &sqlx::PgPool, sealer: &domain::Sealer, cluster: i64) -> usize {
    provisioning::inventory::sync(pool, sealer, cluster)
        .await
        .unwrap();
    let client = integration::proxmox(pool, sealer, cluster, Duration::from_secs(30))
        .await
        .unwrap();
    let services: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM service WHERE kind = 'vps' ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    let sealed = sealer.seal(b"bench-password-123");
    let poll = Duration::from_millis(5);
    for (n, service) in services.iter().enumerate() {
        let vmid = 1000 + n as u32;
        let request = CloneRequest {
            newid: vmid,
            name: format!("svc-{service}"),
            full: true,
            target: None,
            storage: None,
            description: None,
        };
        let upid = client.clone_vm("pve-jkt-1", 9001, &request).await.unwrap();
        client
            .wait_task(&upid, poll, Duration::from_secs(30))
            .await
            .unwrap();
        let start = client
            .power("pve-jkt-1", vmid, provisioning::proxmox::PowerAction::Start)
            .await
            .unwrap();
        if let Some(upid) = start {
            client
                .wait_task(&upid, poll, Duration::from_secs(30))
                .await
                .unwrap();
        }
        sqlx::query(
            "INSERT INTO vps_instance (service_id, vm_name, region_id, os_template_id, cores, ram_mb,
                                       disk_gb, login_user, password_key_id, password_sealed,
                                       integration_id, node, template_vmid, vmid, power_state)
             VALUES ($1, $2, (SELECT id FROM region), (SELECT id FROM os_template), 1, 1024, 20,
                     'root', $3, $4, $5, 'pve-jkt-1', 9001, $6, 'running')",
        )
        .bind(service)
        .bind(format!("svc-{service}"))
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .bind(cluster)
        .bind(vmid as i32)
        .execute(pool)
        .await
        .unwrap();
    }
    services.len()
}
