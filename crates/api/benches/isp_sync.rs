//! One PPPoE status sync of a router with 10,000 active sessions against
//! 10,000 customers, the sandbox's RouterOS fake on loopback speaking the
//! binary API: split into fetch + parse (connect, log in,
//! `/ppp/active/print`) and the database update, and the whole sync as
//! "Sync now" runs it (lease, fetch, one transaction, log). Baseline in the
//! same run: seed 004's approach on the same data — reset every customer
//! offline, then one UPDATE per active session (through the same index) —
//! in one transaction.
//! Prints a Markdown section (for BENCHMARKS.md) on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use monitoring::isp::router::{self, IsolationMode, RouterInput, RouterTransport};
use monitoring::isp::sync::{self, SyncTrigger};
use routeros::{PppRouter, Router};
use sandbox::routeros::{RouterOsFake, RouterOsFakeConfig};

mod support;

const SESSIONS: usize = 10_000;
const ROUNDS: usize = 5;
const TARGET: Duration = Duration::from_millis(300);

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    api::app::install_crypto_provider();
    let database = support::BenchDatabase::create("isp", 10).await;
    let pool = database.pool.clone();
    let fake = RouterOsFake::start(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        RouterOsFakeConfig::default(),
    )
    .await
    .unwrap();
    // Names as customers type them and as routers keep them differ in case.
    fake.log_in_many((0..SESSIONS).map(|i| format!("pelanggan{i:05}")))
        .unwrap();
    let sealer = domain::Sealer::new(&[b"bench-isp"]).unwrap();
    let mut tx = pool.begin().await.unwrap();
    let router_id = router::create(
        &mut tx,
        &sealer,
        &RouterInput {
            name: "Bench".into(),
            host: "127.0.0.1".into(),
            port: Some(fake.api_addr().port()),
            transport: RouterTransport::Api,
            tls_fingerprint: None,
            username: fake.username().to_owned(),
            password: Some(fake.password().to_owned()),
            sync_enabled: false,
            sync_interval_seconds: None,
            isolation_mode: IsolationMode::Off,
            isolation_profile: None,
            note: String::new(),
        },
    )
    .await
    .unwrap()
    .id;
    sqlx::query(
        "INSERT INTO isp_customer (name, pppoe_username, router_id, latitude, longitude)
         SELECT 'Pelanggan ' || i, 'Pelanggan' || lpad(i::text, 5, '0'), $1,
                -8.4 + i * 0.00001, 112.7 + i * 0.00001
           FROM generate_series(0, $2 - 1) AS i",
    )
    .bind(router_id)
    .bind(i32::try_from(SESSIONS).unwrap())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE isp_customer")
        .execute(&pool)
        .await
        .unwrap();
    let config = router::connection_config(&pool, &sealer, router_id)
        .await
        .unwrap();

    // Fetch + parse: connect, log in, print 10,000 rows.
    let mut fetches = Vec::new();
    let mut sessions = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let client = Router::connect(&config).await.unwrap();
        sessions = client.active_sessions().await.unwrap();
        fetches.push(started.elapsed());
    }
    assert_eq!(sessions.len(), SESSIONS);
    let fetch = support::median(&fetches);

    // The database update: first everyone goes online, then steady syncs.
    let now = chrono::Utc::now();
    let started = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    let applied = sync::apply_sessions(&mut tx, router_id, &sessions, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let first_update = started.elapsed();
    assert_eq!(applied.online, SESSIONS as i64);
    let mut steady_updates = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut tx = pool.begin().await.unwrap();
        let applied = sync::apply_sessions(&mut tx, router_id, &sessions, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        steady_updates.push(started.elapsed());
        assert_eq!(applied.written, 0);
    }
    let steady_update = support::median(&steady_updates);

    // Whole syncs as "Sync now" runs them: steady, and with 5 % churn.
    let mut whole = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let report = sync::sync_router(&pool, &sealer, router_id, SyncTrigger::Manual)
            .await
            .unwrap();
        whole.push(started.elapsed());
        assert!(report.ok, "{}", report.message);
    }
    let whole_steady = support::median(&whole);
    for i in 0..SESSIONS / 20 {
        fake.log_out(&format!("pelanggan{i:05}"));
    }
    let started = Instant::now();
    let churn = sync::sync_router(&pool, &sealer, router_id, SyncTrigger::Manual)
        .await
        .unwrap();
    let whole_churn = started.elapsed();
    assert_eq!(churn.went_offline, (SESSIONS / 20) as i64);

    // Seed 004's approach on the same sessions: reset all, one UPDATE each.
    let mut baselines = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("UPDATE isp_customer SET connection = 'offline' WHERE router_id = $1")
            .bind(router_id)
            .execute(&mut *tx)
            .await
            .unwrap();
        for session in &sessions {
            sqlx::query(
                "UPDATE isp_customer SET connection = 'online', session_address = $3
                  WHERE router_id = $1 AND pppoe_username <> ''
                    AND lower(pppoe_username) = lower($2)",
            )
            .bind(router_id)
            .bind(&session.name)
            .bind(&session.address)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        baselines.push(started.elapsed());
    }
    let baseline = support::median(&baselines);
    let baseline_total = fetch + baseline;
    let peak_rss = support::status_kib(std::process::id(), "VmHWM:");

    println!("## ISP: one PPPoE status sync, 10,000 sessions against 10,000 customers\n");
    println!(
        "Router: the sandbox's RouterOS fake on loopback (binary API, 8728 framing). Median of {ROUNDS} \
         rounds unless noted. Target: the whole sync ≤ {} (seed 004 reports 1–2 s).\n",
        ms(TARGET)
    );
    println!("| Step | Ours | Seed 004's approach | Ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| Fetch + parse (connect, login, `/ppp/active/print` of 10,000 rows) | {} | same client | — |",
        ms(fetch)
    );
    println!(
        "| Database update, everyone changes (first sync) | {} | {} | {:.1}× faster |",
        ms(first_update),
        ms(baseline),
        baseline.as_secs_f64() / first_update.as_secs_f64()
    );
    println!(
        "| Database update, steady (nobody changes) | {} | {} | {:.1}× faster |",
        ms(steady_update),
        ms(baseline),
        baseline.as_secs_f64() / steady_update.as_secs_f64()
    );
    println!(
        "| Whole sync as Sync now runs it (lease, fetch, update, log), steady | {} | {} (fetch + reset-and-update) | {:.1}× faster |",
        ms(whole_steady),
        ms(baseline_total),
        baseline_total.as_secs_f64() / whole_steady.as_secs_f64()
    );
    println!(
        "| Whole sync, 500 of 10,000 logged out since the last | {} (one run) | — | — |",
        ms(whole_churn)
    );
    println!(
        "\nWithin target: {} (steady whole sync {} ≤ {}). Bench process peak RSS (client, fake and \
         pool in one process): {} MiB.\n",
        if whole_steady <= TARGET && whole_churn <= TARGET {
            "yes"
        } else {
            "NO"
        },
        ms(whole_steady),
        ms(TARGET),
        peak_rss / 1024
    );
    drop(fake);
    database.drop().await;
}
