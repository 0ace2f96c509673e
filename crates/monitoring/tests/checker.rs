//! The port checker over a real database and real loopback sockets: state
//! changes and their messages, maintenance silence, grouped alerts, the
//! canary self-check, claims shared by replicas, and the expiry watch.
#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use monitoring::checker::{CheckerConfig, sweep_once};
use monitoring::expiry;
use monitoring::host::{self, HostInput, WriteContext};
use monitoring::probe::{AddressPolicy, Host, Prober, ProberConfig};
use sqlx::PgPool;

fn config(replica: &str) -> CheckerConfig {
    CheckerConfig {
        prober: ProberConfig {
            timeout: Duration::from_millis(500),
            concurrency: 256,
            addresses: AddressPolicy::for_tests(),
            ..ProberConfig::default()
        },
        replica: replica.to_owned(),
        ..CheckerConfig::default()
    }
}

fn closed_port() -> SocketAddr {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
}

fn input(name: &str, address: SocketAddr) -> HostInput {
    serde_json::from_value(serde_json::json!({
        "name": name, "address": address.ip().to_string(), "port": address.port(),
        "failures_before_down": 1, "check_interval_seconds": 60
    }))
    .unwrap()
}

/// Today as the database reckons it, the loopback test switch on.
async fn context(pool: &PgPool) -> WriteContext {
    WriteContext {
        today: sqlx::query_scalar("SELECT shop_today()")
            .fetch_one(pool)
            .await
            .unwrap(),
        addresses: AddressPolicy::for_tests(),
        private_permitted: false,
    }
}

async fn add(pool: &PgPool, name: &str, address: SocketAddr) -> i64 {
    let context = context(pool).await;
    let mut tx = pool.begin().await.unwrap();
    let created = host::create(&mut tx, &context, &input(name, address))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    created.id
}

/// Makes every host due now.
async fn due_now(pool: &PgPool) {
    sqlx::query("UPDATE monitored_host SET next_check_at = now() - interval '1 second'")
        .execute(pool)
        .await
        .unwrap();
}

/// The expiry rules with `warn_days` and the default group threshold.
fn rules(warn_days: &[i32]) -> expiry::ExpiryRules {
    expiry::ExpiryRules {
        warn_days: warn_days.to_vec(),
        group_threshold: CheckerConfig::default().group_threshold,
    }
}

/// A client, pelanggan@example.test.
async fn customer(pool: &PgPool) -> uuid::Uuid {
    let id = uuid::Uuid::new_v4();
    sqlx::query("INSERT INTO app_user (id, email, password_hash, email_verified_at, roles) VALUES ($1, 'pelanggan@example.test', 'x', now(), ARRAY['client'])")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    id
}

async fn staff_chat(pool: &PgPool) {
    sqlx::query("INSERT INTO telegram_chat (chat_id, kind, label) VALUES (4242, 'staff', 'Admin')")
        .execute(pool)
        .await
        .unwrap();
}

async fn messages(pool: &PgPool, event: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT body FROM outbox_message WHERE event = $1 ORDER BY id")
        .bind(event)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn status(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM monitored_host WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_sweep_marks_up_and_down_and_tells_staff_and_the_customer(pool: PgPool) {
    staff_chat(&pool).await;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let up = add(&pool, "VPS-UP", listener.local_addr().unwrap()).await;
    let down = add(&pool, "VPS-DOWN", closed_port()).await;
    let customer = customer(&pool).await;
    sqlx::query("UPDATE monitored_host SET customer_id = $1 WHERE id = $2")
        .bind(customer)
        .bind(down)
        .execute(&pool)
        .await
        .unwrap();
    due_now(&pool).await;

    let prober = Prober::new(config("a").prober);
    let report = sweep_once(&pool, &prober, &config("a")).await.unwrap();
    assert_eq!(
        (
            report.checked,
            report.up,
            report.failed,
            report.state_changes
        ),
        (2, 1, 1, 2)
    );
    assert_eq!(status(&pool, up).await, "up");
    assert_eq!(status(&pool, down).await, "down");

    // Staff on Telegram and the customer by email, through the outbox.
    let down_messages: Vec<(String, String)> = sqlx::query_as("SELECT channel, recipient FROM outbox_message WHERE event = 'monitoring.host_down' ORDER BY channel")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        down_messages,
        [
            ("email".to_owned(), "pelanggan@example.test".to_owned()),
            ("telegram".to_owned(), "4242".to_owned())
        ]
    );
    assert!(messages(&pool, "monitoring.host_down").await[0].contains("VPS-DOWN"));
    // One row per change, one rollup row per host and hour; nothing is due now.
    let changes: i64 = sqlx::query_scalar("SELECT count(*) FROM host_state_change")
        .fetch_one(&pool)
        .await
        .unwrap();
    let rollups: Vec<(i32, i32)> =
        sqlx::query_as("SELECT checks, up_checks FROM host_check_hourly ORDER BY host_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!((changes, rollups), (2, vec![(1, 1), (1, 0)]));
    assert_eq!(
        sweep_once(&pool, &prober, &config("a"))
            .await
            .unwrap()
            .checked,
        0
    );

    // The port opens: DOWN → UP is announced, and the next check is
    // counted in the same hourly row.
    let reopened = TcpListener::bind(closed_port_of(&pool, down).await).unwrap();
    due_now(&pool).await;
    let report = sweep_once(&pool, &prober, &config("a")).await.unwrap();
    assert_eq!((report.up, report.state_changes), (2, 1));
    assert_eq!(status(&pool, down).await, "up");
    assert_eq!(
        messages(&pool, "monitoring.host_up").await.len(),
        2,
        "staff chat and customer email"
    );
    let checks: i64 = sqlx::query_scalar("SELECT sum(checks) FROM host_check_hourly")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(checks, 4);
    drop((listener, reopened));
}

async fn closed_port_of(pool: &PgPool, id: i64) -> SocketAddr {
    let port: i32 = sqlx::query_scalar("SELECT port FROM monitored_host WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    SocketAddr::from((Ipv4Addr::LOCALHOST, u16::try_from(port).unwrap()))
}

#[sqlx::test(migrations = "../../migrations")]
async fn pending_comes_before_down_and_maintenance_keeps_quiet(pool: PgPool) {
    staff_chat(&pool).await;
    let quiet = add(&pool, "VPS-MAINT", closed_port()).await;
    let loud = add(&pool, "VPS-LOUD", closed_port()).await;
    sqlx::query("UPDATE monitored_host SET failures_before_down = 2")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO maintenance_window (host_id, starts_at, ends_at) VALUES ($1, now() - interval '1 minute', now() + interval '1 hour')")
        .bind(quiet)
        .execute(&pool)
        .await
        .unwrap();
    let prober = Prober::new(config("a").prober);
    due_now(&pool).await;
    sweep_once(&pool, &prober, &config("a")).await.unwrap();
    assert_eq!(
        (status(&pool, quiet).await, status(&pool, loud).await),
        ("pending".to_owned(), "pending".to_owned())
    );
    assert!(
        messages(&pool, "monitoring.host_down").await.is_empty(),
        "one failure is not an outage"
    );
    due_now(&pool).await;
    sweep_once(&pool, &prober, &config("a")).await.unwrap();
    assert_eq!(
        (status(&pool, quiet).await, status(&pool, loud).await),
        ("down".to_owned(), "down".to_owned())
    );
    let down = messages(&pool, "monitoring.host_down").await;
    assert_eq!(
        down.len(),
        1,
        "only the host outside maintenance alerts: {down:?}"
    );
    assert!(down[0].contains("VPS-LOUD"));

    // Still down when the window ends: now it is announced, once.
    sqlx::query("UPDATE maintenance_window SET ends_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    for _ in 0..2 {
        due_now(&pool).await;
        sweep_once(&pool, &prober, &config("a")).await.unwrap();
    }
    let down = messages(&pool, "monitoring.host_down").await;
    assert_eq!(down.len(), 2, "{down:?}");
    assert!(down[1].contains("VPS-MAINT"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_host_that_stays_down_is_announced_again_after_renotify_minutes(pool: PgPool) {
    staff_chat(&pool).await;
    let id = add(&pool, "VPS-LAMA", closed_port()).await;
    sqlx::query("UPDATE monitored_host SET renotify_minutes = 30")
        .execute(&pool)
        .await
        .unwrap();
    let prober = Prober::new(config("a").prober);
    due_now(&pool).await;
    sweep_once(&pool, &prober, &config("a")).await.unwrap();
    due_now(&pool).await;
    sweep_once(&pool, &prober, &config("a")).await.unwrap();
    assert_eq!(
        messages(&pool, "monitoring.host_down").await.len(),
        1,
        "not again within 30 minutes"
    );
    sqlx::query(
        "UPDATE monitored_host SET down_notified_at = now() - interval '31 minutes' WHERE id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    due_now(&pool).await;
    sweep_once(&pool, &prober, &config("a")).await.unwrap();
    assert_eq!(
        messages(&pool, "monitoring.host_down").await.len(),
        2,
        "repeated after 30 minutes"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn many_hosts_down_in_one_sweep_send_one_grouped_message(pool: PgPool) {
    staff_chat(&pool).await;
    for n in 0..8 {
        add(&pool, &format!("VPS-{n:02}"), closed_port()).await;
    }
    due_now(&pool).await;
    sweep_once(&pool, &Prober::new(config("a").prober), &config("a"))
        .await
        .unwrap();
    let grouped = messages(&pool, "monitoring.hosts_down").await;
    assert_eq!(grouped.len(), 1);
    assert!(
        grouped[0].contains("VPS-00") && grouped[0].contains("VPS-07"),
        "{}",
        grouped[0]
    );
    assert!(
        messages(&pool, "monitoring.host_down").await.is_empty(),
        "no per-host flood to the staff chat"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn when_the_canary_fails_too_nothing_goes_down_and_one_alert_says_why(pool: PgPool) {
    staff_chat(&pool).await;
    let host = add(&pool, "VPS-A", closed_port()).await;
    let canary = closed_port();
    let mut offline = config("a");
    offline.canaries = vec![(Host::from(canary.ip()), canary.port())];
    let prober = Prober::new(offline.prober.clone());
    for _ in 0..2 {
        due_now(&pool).await;
        let report = sweep_once(&pool, &prober, &offline).await.unwrap();
        assert!(report.network_down);
    }
    assert_eq!(
        status(&pool, host).await,
        "pending",
        "the host is not blamed for the checker's network"
    );
    assert_eq!(
        messages(&pool, "monitoring.checker_offline").await.len(),
        1,
        "announced once"
    );
    let counted: Option<i64> = sqlx::query_scalar("SELECT sum(checks) FROM host_check_hourly")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(counted, None, "offline checks do not count against uptime");

    // The network is back (the canary answers): the host goes down now.
    let listener = TcpListener::bind(canary).unwrap();
    due_now(&pool).await;
    assert!(
        !sweep_once(&pool, &prober, &offline)
            .await
            .unwrap()
            .network_down
    );
    assert_eq!(status(&pool, host).await, "down");
    drop(listener);
}

#[sqlx::test(migrations = "../../migrations")]
async fn replicas_check_each_host_once_and_take_over_a_dead_replicas_claims(pool: PgPool) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let address = listener.local_addr().unwrap();
    sqlx::query(
        "INSERT INTO monitored_host (name, address, port, next_check_at) SELECT 'vps-' || n, '127.0.0.1', $1, now() - interval '1 second' FROM generate_series(1, 600) n",
    )
    .bind(i32::from(address.port()))
    .execute(&pool)
    .await
    .unwrap();
    // A replica died holding 100 claims that have not lapsed yet (for an
    // hour: however slow the machine, they cannot lapse during the sweeps;
    // the test lapses them itself below).
    sqlx::query("UPDATE monitored_host SET claimed_by = 'dead', claimed_until = now() + interval '1 hour' WHERE id IN (SELECT id FROM monitored_host ORDER BY id LIMIT 100)")
        .execute(&pool)
        .await
        .unwrap();

    let replicas: Vec<CheckerConfig> = ["a", "b", "c"]
        .iter()
        .map(|name| CheckerConfig {
            batch_size: 50,
            ..config(name)
        })
        .collect();
    let sweeps = replicas.iter().map(|replica| {
        let pool = pool.clone();
        let replica = replica.clone();
        async move {
            let prober = Prober::new(replica.prober.clone());
            let mut checked = 0;
            loop {
                let report = sweep_once(&pool, &prober, &replica).await.unwrap();
                if report.checked == 0 {
                    return checked;
                }
                checked += report.checked;
            }
        }
    });
    let per_replica = futures::future::join_all(sweeps).await;
    assert_eq!(
        per_replica.iter().sum::<usize>(),
        500,
        "the dead replica's claims are not taken yet: {per_replica:?}"
    );
    assert!(
        per_replica.iter().all(|checked| *checked > 0),
        "the work is shared: {per_replica:?}"
    );

    // The dead replica's claims lapse.
    sqlx::query("UPDATE monitored_host SET claimed_until = now() - interval '1 second' WHERE claimed_by = 'dead'")
        .execute(&pool)
        .await
        .unwrap();
    let prober = Prober::new(replicas[0].prober.clone());
    let mut taken_over = 0;
    for _ in 0..10 {
        taken_over += sweep_once(&pool, &prober, &replicas[0])
            .await
            .unwrap()
            .checked;
    }
    assert_eq!(taken_over, 100, "lapsed claims are taken over");
    let checks: Vec<i32> = sqlx::query_scalar("SELECT checks FROM host_check_hourly")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(checks.len(), 600);
    assert!(
        checks.iter().all(|count| *count == 1),
        "every host checked exactly once"
    );
    // Spread: the next checks of 600 hosts with one interval do not bunch up.
    let busiest: i64 = sqlx::query_scalar("SELECT max(n) FROM (SELECT count(*) AS n FROM monitored_host GROUP BY date_trunc('second', next_check_at)) s")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(busiest < 600, "{busiest}");
    drop(listener);
}

#[sqlx::test(migrations = "../../migrations")]
async fn hosts_added_together_are_spread_over_their_interval(pool: PgPool) {
    for n in 0..300 {
        add(
            &pool,
            &format!("vps-{n}"),
            SocketAddr::from((Ipv4Addr::LOCALHOST, 22)),
        )
        .await;
    }
    // 300 hosts over a 60 s interval: 5 per second on average.
    let busiest: i64 = sqlx::query_scalar("SELECT max(n) FROM (SELECT count(*) AS n FROM monitored_host GROUP BY date_trunc('second', next_check_at)) s")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        busiest <= 10,
        "at most 10 hosts due in one second, got {busiest}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn expiry_is_announced_once_and_rearmed_by_renewal(pool: PgPool) {
    staff_chat(&pool).await;
    let id = add(
        &pool,
        "VPS-EXP",
        SocketAddr::from((Ipv4Addr::LOCALHOST, 22)),
    )
    .await;
    sqlx::query("UPDATE monitored_host SET expires_on = shop_today() - 1 WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        expiry::check(&pool, context(&pool).await.today, &rules(&[7, 3, 1]))
            .await
            .unwrap()
            .expired,
        1
    );
    assert_eq!(
        expiry::check(&pool, context(&pool).await.today, &rules(&[7, 3, 1]))
            .await
            .unwrap()
            .expired,
        0,
        "once per date"
    );
    assert_eq!(messages(&pool, "monitoring.host_expired").await.len(), 1);

    // Renewed for 5 days: the flag resets, the 7-day warning goes out once,
    // and passing the 3-day mark warns again.
    let mut tx = pool.begin().await.unwrap();
    let renewed: NaiveDateOffset = sqlx::query_as("SELECT shop_today() + 5")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let mut renew = input("VPS-EXP", SocketAddr::from((Ipv4Addr::LOCALHOST, 22)));
    renew.expires_on = Some(renewed.0);
    host::update(&mut tx, &context(&pool).await, id, &renew)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let flag: bool = sqlx::query_scalar("SELECT expiry_notified FROM monitored_host WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!flag, "renewal re-arms the expiry message");
    assert_eq!(
        expiry::check(&pool, context(&pool).await.today, &rules(&[7, 3, 1]))
            .await
            .unwrap(),
        expiry::ExpiryReport {
            expired: 0,
            warned: 1
        }
    );
    assert_eq!(
        expiry::check(&pool, context(&pool).await.today, &rules(&[7, 3, 1]))
            .await
            .unwrap()
            .warned,
        0
    );
    sqlx::query("UPDATE monitored_host SET expires_on = shop_today() + 2, expiry_warned_days = 7 WHERE id = $1").bind(id).execute(&pool).await.unwrap();
    assert_eq!(
        expiry::check(&pool, context(&pool).await.today, &rules(&[7, 3, 1]))
            .await
            .unwrap()
            .warned,
        1
    );
    let warnings = messages(&pool, "monitoring.host_expiring").await;
    assert_eq!(warnings.len(), 2);
    assert!(warnings[1].contains("2 hari"), "{}", warnings[1]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn many_hosts_expiring_on_one_check_send_staff_one_message_and_each_customer_theirs(
    pool: PgPool,
) {
    staff_chat(&pool).await;
    let customer = customer(&pool).await;
    // 40 hosts already past their date (as an import of old data brings
    // them), one of them a customer's; 6 inside the 3-day warning.
    for n in 0..46u16 {
        add(
            &pool,
            &format!("VPS-{n:02}"),
            SocketAddr::from((Ipv4Addr::LOCALHOST, 2000 + n)),
        )
        .await;
    }
    sqlx::query(
        "UPDATE monitored_host SET expires_on = CASE WHEN name < 'VPS-40' THEN shop_today() - 10 ELSE shop_today() + 2 END",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE monitored_host SET customer_id = $1 WHERE name = 'VPS-07'")
        .bind(customer)
        .execute(&pool)
        .await
        .unwrap();

    let today = context(&pool).await.today;
    assert_eq!(
        expiry::check(&pool, today, &rules(&[7, 3, 1]))
            .await
            .unwrap(),
        expiry::ExpiryReport {
            expired: 40,
            warned: 6
        }
    );
    let grouped = messages(&pool, "monitoring.hosts_expired").await;
    assert_eq!(grouped.len(), 1, "one staff message for the 40");
    assert!(grouped[0].contains("40 host"), "{}", grouped[0]);
    assert!(
        grouped[0].contains("VPS-00") && grouped[0].contains("VPS-29"),
        "{}",
        grouped[0]
    );
    assert!(
        grouped[0].contains("… +10"),
        "the rest counted: {}",
        grouped[0]
    );
    let single: Vec<(String, String)> = sqlx::query_as(
        "SELECT channel::text, recipient FROM outbox_message WHERE event = 'monitoring.host_expired'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        single,
        [("email".to_owned(), "pelanggan@example.test".to_owned())],
        "the customer hears about their own host; staff get no per-host flood"
    );
    let warnings = messages(&pool, "monitoring.hosts_expiring").await;
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("VPS-40") && warnings[0].contains("(2)"),
        "{}",
        warnings[0]
    );
    assert!(messages(&pool, "monitoring.host_expiring").await.is_empty());
    let warned: i64 =
        sqlx::query_scalar("SELECT count(*) FROM monitored_host WHERE expiry_warned_days = 3")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(warned, 6, "each warning remembered");

    // Once per date: the next check sends nothing.
    assert_eq!(
        expiry::check(&pool, today, &rules(&[7, 3, 1]))
            .await
            .unwrap(),
        expiry::ExpiryReport::default()
    );
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox_message")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(queued, 3);
}

#[derive(sqlx::FromRow)]
struct NaiveDateOffset(chrono::NaiveDate);

#[sqlx::test(migrations = "../../migrations")]
async fn old_history_and_expired_previews_are_pruned(pool: PgPool) {
    let id = add(
        &pool,
        "VPS-OLD",
        SocketAddr::from((Ipv4Addr::LOCALHOST, 22)),
    )
    .await;
    sqlx::query(
        "INSERT INTO host_check_hourly (host_id, hour, checks, up_checks, latency_sum_ms)
         VALUES ($1, date_trunc('hour', now()) - interval '100 days', 12, 12, 30), ($1, date_trunc('hour', now()) - interval '1 day', 12, 11, 30)",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO host_state_change (host_id, from_status, to_status, at) VALUES ($1, 'up', 'down', now() - interval '100 days'), ($1, 'down', 'up', now())")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO import_preview (id, file_name, summary, expires_at) VALUES (gen_random_uuid(), 'a.xlsx', '{}', now() - interval '1 minute')")
        .execute(&pool)
        .await
        .unwrap();
    let report = monitoring::retention::prune(&pool, 90).await.unwrap();
    assert_eq!(
        report,
        monitoring::retention::PruneReport {
            rollups: 1,
            state_changes: 1,
            import_previews: 1
        }
    );
    // Never below 31 days: the 30-day uptime keeps its data.
    assert_eq!(
        monitoring::retention::prune(&pool, 1)
            .await
            .unwrap()
            .rollups,
        0
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_shorter_interval_brings_the_next_check_forward(pool: PgPool) {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 22));
    let mut slow = input("VPS-SLOW", address);
    slow.check_interval_seconds = Some(3600);
    let context = context(&pool).await;
    let mut tx = pool.begin().await.unwrap();
    let created = host::create(&mut tx, &context, &slow).await.unwrap();
    sqlx::query(
        "UPDATE monitored_host SET next_check_at = now() + interval '50 minutes' WHERE id = $1",
    )
    .bind(created.id)
    .execute(&mut *tx)
    .await
    .unwrap();
    slow.check_interval_seconds = Some(30);
    host::update(&mut tx, &context, created.id, &slow)
        .await
        .unwrap();
    let soon: bool = sqlx::query_scalar(
        "SELECT next_check_at <= now() + interval '30 seconds' FROM monitored_host WHERE id = $1",
    )
    .bind(created.id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert!(soon, "the next check comes within the new interval");
}

/// Seed 000's rule: the EXPIRED flag resets only when the expiry date moves
/// to today or later. Correcting an expired host's date to another past
/// date does not announce EXPIRED again; renewing it and letting it lapse
/// again does.
#[sqlx::test(migrations = "../../migrations")]
async fn the_expired_flag_resets_only_when_the_date_moves_to_today_or_later(pool: PgPool) {
    staff_chat(&pool).await;
    let context = context(&pool).await;
    let today = context.today;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 22));
    let id = add(&pool, "VPS-LAPSED", address).await;
    let set_expiry = |days: i64| {
        let pool = pool.clone();
        async move {
            let mut edit = input("VPS-LAPSED", address);
            edit.expires_on = domain::calendar::add_days(today, days);
            let mut tx = pool.begin().await.unwrap();
            host::update(&mut tx, &context, id, &edit).await.unwrap();
            tx.commit().await.unwrap();
            sqlx::query_scalar::<_, bool>(
                "SELECT expiry_notified FROM monitored_host WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert!(!set_expiry(-10).await);
    assert_eq!(
        expiry::check(&pool, today, &rules(&[]))
            .await
            .unwrap()
            .expired,
        1
    );

    // Another past date: still flagged, nothing announced.
    assert!(set_expiry(-3).await, "a past date keeps the flag");
    assert_eq!(
        expiry::check(&pool, today, &rules(&[]))
            .await
            .unwrap()
            .expired,
        0
    );
    assert_eq!(messages(&pool, "monitoring.host_expired").await.len(), 1);

    // Renewed to today (not expired yet): the flag resets...
    assert!(!set_expiry(0).await, "today or later re-arms the message");
    assert_eq!(
        expiry::check(&pool, today, &rules(&[]))
            .await
            .unwrap()
            .expired,
        0
    );
    // ...so when the date lapses again, it is news again.
    assert!(!set_expiry(-1).await, "the flag was reset by the renewal");
    assert_eq!(
        expiry::check(&pool, today, &rules(&[]))
            .await
            .unwrap()
            .expired,
        1
    );
    assert_eq!(messages(&pool, "monitoring.host_expired").await.len(), 2);
}

/// The expiry watch reckons "today" from the injected clock, so a test can
/// move time instead of waiting for the calendar.
#[sqlx::test(migrations = "../../migrations")]
async fn the_expiry_watch_follows_the_injected_clock(pool: PgPool) {
    staff_chat(&pool).await;
    let clock = domain::Clock::manual(domain::ShopCalendar::default(), chrono::Utc::now());
    let id = add(
        &pool,
        "VPS-CLOCK",
        SocketAddr::from((Ipv4Addr::LOCALHOST, 22)),
    )
    .await;
    sqlx::query("UPDATE monitored_host SET expires_on = $2 WHERE id = $1")
        .bind(id)
        .bind(domain::calendar::add_days(clock.today(), 1))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        expiry::check(&pool, clock.today(), &rules(&[]))
            .await
            .unwrap()
            .expired,
        0
    );
    clock.advance(chrono::Duration::days(2));
    assert_eq!(
        expiry::check(&pool, clock.today(), &rules(&[]))
            .await
            .unwrap()
            .expired,
        1
    );
}
