//! Checkout under load: 32 clients placing orders at once (`POST
//! /api/v1/orders` for a digital product, each order reserving one stock
//! item) against the real app built in release, in a child process so its
//! memory is its own. Beside it, in the same run, `pgbench` with the same 32
//! clients runs the checkout transaction's statements as bare SQL (the same
//! reads, the stock reservation, the order, its event, the invoice number
//! with the invoice and its line, the messages job): the rate the
//! database alone allows for this work. Afterwards the stock is checked: no
//! item reserved twice, none oversold.
//! Prints a Markdown section (for BENCHMARKS.md) on stdout; progress goes
//! to stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::{ChildServer, Pgbench, pgbench, status_kib};

const CLIENTS: usize = 32;
const STOCK: usize = 200_000;
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(10);
const PRICE: i64 = 35_000;

const RATE_RATIO_TARGET: f64 = 0.5;
const P99_TARGET: Duration = Duration::from_millis(50);
/// The paced run's rate, as a share of the closed loop's.
const PACED_SHARE: f64 = 0.5;

const SERVER_MODE_ENV: &str = "CHECKOUT_LOAD_BENCH_SERVER";
const SERVER_KEY: &str = "SB-Mid-server-bench";
const NOTIFICATIONS: usize = 1_000;

fn main() {
    if let Ok(database_url) = std::env::var(SERVER_MODE_ENV) {
        server(&database_url);
    } else {
        parent();
    }
}

// ---------------------------------------------------------------------------
// Child: the app as `juragan serve` runs it, without its job runner (the
// orders stay unpaid; only checkout is measured)

#[actix_web::main]
async fn server(database_url: &str) {
    let settings = api::Settings::from_lookup(&|name| match name {
        "APP_ENV" => Some("test".to_owned()),
        "HTTP_ADDR" => Some("127.0.0.1:0".to_owned()),
        "DATABASE_URL" => Some(database_url.to_owned()),
        "REDIS_URL" => std::env::var("REDIS_URL").ok(),
        "REDIS_KEY_PREFIX" => Some(format!("bench-checkout:{}:", std::process::id())),
        "MONITOR_ENABLED" => Some("false".to_owned()),
        "JOBS_ENABLED" => Some("false".to_owned()),
        "DATABASE_MAX_CONNECTIONS" => Some(CLIENTS.to_string()),
        _ => None,
    })
    .unwrap();
    api::app::install_crypto_provider();
    let pool = api::app::connect_database(&settings).await.unwrap();
    let redis = api::app::connect_redis(&settings).await.unwrap();
    let identity = api::app::build_identity(&settings, pool.clone(), redis).unwrap();
    let mut tokens = Vec::new();
    for n in 0..CLIENTS {
        let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM bench_user WHERE n = $1")
            .bind(n as i32)
            .fetch_one(&pool)
            .await
            .unwrap();
        tokens.push(
            identity
                .keys()
                .issue(id, &[identity::Role::Client], uuid::Uuid::now_v7())
                .unwrap(),
        );
    }
    // Midtrans, for the notification phase; never called (notifications
    // are verified by their signature alone).
    let sealer = api::app::sealer(&settings).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    billing::payment::methods::save(
        &mut conn,
        &sealer,
        "midtrans",
        &billing::payment::methods::GatewayInput {
            enabled: true,
            base_url: Some("http://127.0.0.1:9".to_owned()),
            checkout_base_url: Some("http://127.0.0.1:9/snap/v1".to_owned()),
            api_key: Some(SERVER_KEY.to_owned()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    drop(conn);
    let app = api::app::Application::build_with_pool(settings, pool)
        .await
        .unwrap();
    println!("port={} tokens={}", app.port(), tokens.join(","));
    app.run_until_stopped().await.unwrap();
}

// ---------------------------------------------------------------------------
// Parent: database, shop, server child, load, pgbench, report

/// The shop: 32 clients ready to check out, one digital product with
/// `STOCK` items (sealed bytes are irrelevant here: nothing is delivered).
async fn seed(pool: &sqlx::PgPool) -> i64 {
    sqlx::query("CREATE TABLE bench_user (n INT PRIMARY KEY, id UUID NOT NULL)")
        .execute(pool)
        .await
        .unwrap();
    for n in 0..CLIENTS as i32 {
        let id: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO app_user (id, email, password_hash, roles, email_verified_at)
             VALUES (gen_random_uuid(), $1, 'x', '{client}', now()) RETURNING id",
        )
        .bind(format!("klien{n}@bench.test"))
        .fetch_one(pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO user_profile (user_id, full_name, phone) VALUES ($1, 'Klien Bench', '+6281234567890')")
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO billing_address (user_id, line1, city, province, postal_code)
             VALUES ($1, 'Jl. Merdeka 1', 'Bandung', 'Jawa Barat', '40111')",
        )
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO bench_user VALUES ($1, $2)")
            .bind(n)
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO telegram_chat (chat_id, kind, label, receives_alerts) VALUES (100200300, 'staff', 'Grup Admin', true)")
        .execute(pool)
        .await
        .unwrap();
    let product: i64 = sqlx::query_scalar(
        "INSERT INTO product (kind, slug, name_id, spec) VALUES ('digital', 'voucher-game', 'Voucher Game 100', '{\"kind\": \"digital\"}')
         RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO product_price (product_id, group_id, currency, cycle, price_minor)
         SELECT $1, id, 'IDR', 'one_time', $2 FROM customer_group WHERE is_default",
    )
    .bind(product)
    .bind(PRICE)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO digital_stock_item (product_id, key_id, sealed, fingerprint)
         SELECT $1, 'bench', '\\x00', int8send(n) FROM generate_series(1, $2) AS n",
    )
    .bind(product)
    .bind(STOCK as i64)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    product
}

struct Load {
    orders: u64,
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// `CLIENTS` clients placing orders: back to back (`pace` `None`, a closed
/// loop), or each on a fixed schedule of one order per `pace` (an open
/// loop at `CLIENTS / pace` orders/s), its latency counted from the time
/// the order was due, so a client that falls behind counts its delay.
async fn load(server: &ChildServer, product: i64, pace: Option<Duration>) -> Load {
    let base = server.base_url();
    let tokens: Vec<String> = server
        .field("tokens")
        .split(',')
        .map(str::to_owned)
        .collect();
    let body = serde_json::json!({"product_id": product, "cycle": "one_time"});
    let first = reqwest::Client::new()
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&tokens[0])
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.status().as_u16(),
        201,
        "{}",
        first.text().await.unwrap()
    );

    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let origin = Instant::now();
    for (index, token) in tokens.into_iter().enumerate() {
        // Paced clients start spread over one interval.
        let mut due = origin + pace.unwrap_or_default() * index as u32 / CLIENTS as u32;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        let url = format!("{base}/api/v1/orders");
        let body = body.clone();
        let (measuring, stop, errors) = (
            Arc::clone(&measuring),
            Arc::clone(&stop),
            Arc::clone(&errors),
        );
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(10_000);
            while !stop.load(Ordering::Relaxed) {
                let started = match pace {
                    None => Instant::now(),
                    Some(interval) => {
                        tokio::time::sleep_until(due.into()).await;
                        let started = due;
                        due += interval;
                        started
                    }
                };
                let ok = match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(response) => {
                        response.status().as_u16() == 201 && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                if measuring.load(Ordering::Relaxed) {
                    samples.push(started.elapsed());
                }
            }
            samples
        }));
    }
    tokio::time::sleep(WARM_UP).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(MEASURE).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap());
    }
    assert_eq!(
        errors.load(Ordering::Relaxed),
        0,
        "checkouts failed under load"
    );
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    Load {
        orders: samples.len() as u64,
        rate: samples.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// The checkout transaction's statements as bare SQL, one client's order
/// per transaction (pgbench `\gset` carries the ids from one to the next).
fn checkout_sql(product: i64) -> String {
    format!(
        r#"\set n random(0, {last})
BEGIN;
SET LOCAL synchronous_commit TO off;
SELECT id AS user_id FROM bench_user WHERE n = :n \gset
SELECT tax_rate_bp, prices_include_tax, order_timeout_minutes FROM billing_setting;
SELECT kind, name_id, category_id, spec FROM product WHERE id = {product} AND visible;
SELECT COALESCE((SELECT group_id FROM customer_group_member WHERE user_id = :user_id), (SELECT id FROM customer_group WHERE is_default)) AS group_id \gset
SELECT price_minor, setup_fee_minor FROM product_price WHERE product_id = {product} AND group_id = :group_id AND currency = 'IDR' AND cycle = 'one_time';
UPDATE digital_stock_item SET status = 'reserved', reserved_at = now() WHERE id = (SELECT id FROM digital_stock_item WHERE product_id BETWEEN {product} AND {product} AND status = 'available' ORDER BY product_id, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id AS item_id \gset
INSERT INTO customer_order (user_id, product_id, product_kind, product_name, cycle, currency, group_id, unit_price_minor, setup_fee_minor, discount_minor, total_minor, stock_item_id, pay_by) VALUES (:user_id, {product}, 'digital', 'Voucher Game 100', 'one_time', 'IDR', :group_id, {PRICE}, 0, 0, {PRICE}, :item_id, now() + interval '1 day') RETURNING id AS order_id \gset
INSERT INTO order_event (order_id, to_status, cause, actor_id) VALUES (:order_id, 'pending_payment', 'order placed', :user_id);
WITH new_id AS (SELECT nextval(pg_get_serial_sequence('invoice', 'id')) AS id), inserted AS (INSERT INTO invoice (id, number, user_id, purpose, order_id, currency, subtotal_minor, discount_minor, tax_minor, total_minor, tax_rate_bp, prices_include_tax, buyer, issued_at, due_at) OVERRIDING SYSTEM VALUE SELECT id, 'INV-' || extract(year FROM now() AT TIME ZONE 'Asia/Jakarta')::INT || '-P' || id, :user_id, 'order', :order_id, 'IDR', {PRICE}, 0, 3468, {PRICE}, 1100, true, '{{"name": "Klien Bench", "email": "klien@bench.test", "phone": null, "address": []}}', now(), now() + interval '1 day' FROM new_id RETURNING id), lines AS (INSERT INTO invoice_line (invoice_id, position, kind, description, quantity, unit_minor, amount_minor) SELECT id, 1, 'item', 'Voucher Game 100', 1, {PRICE}, {PRICE} FROM inserted) SELECT id AS invoice_id FROM inserted \gset
INSERT INTO job (kind, payload, run_at, max_attempts, dedupe_key) VALUES ('billing.invoice_messages', jsonb_build_object('invoice_id', :invoice_id::bigint, 'occasion', 'order_placed'), now(), 10, 'billing.invoice_messages:' || :invoice_id);
COMMIT;
"#,
        last = CLIENTS - 1
    )
}

/// A pending Midtrans payment for `NOTIFICATIONS` unpaid invoices, and the
/// settlement notification of each, signed as Midtrans signs it.
async fn notifications(pool: &sqlx::PgPool) -> Vec<String> {
    use sha2::{Digest, Sha512};
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "INSERT INTO payment_attempt (invoice_id, gateway, reference, gateway_reference, amount_minor, currency, status)
         SELECT id, 'midtrans', number || '-1', number || '-1', total_minor, currency, 'pending'
           FROM invoice WHERE status = 'unpaid' ORDER BY id LIMIT $1
         RETURNING reference, amount_minor",
    )
    .bind(NOTIFICATIONS as i64)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        rows.len(),
        NOTIFICATIONS,
        "enough unpaid invoices from the checkout run"
    );
    rows.into_iter()
        .enumerate()
        .map(|(n, (order_id, amount))| {
            let gross = format!("{amount}.00");
            let digest = Sha512::digest(format!("{order_id}200{gross}{SERVER_KEY}"));
            let signature: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
            serde_json::json!({
                "transaction_time": "2026-12-05 10:00:00", "transaction_status": "settlement",
                "transaction_id": format!("bench-{n}"), "status_message": "midtrans payment notification",
                "status_code": "200", "signature_key": signature, "payment_type": "bank_transfer",
                "order_id": order_id, "merchant_id": "G000000000", "gross_amount": gross,
                "fraud_status": "accept", "currency": "IDR", "settlement_time": "2026-12-05 10:00:05"
            })
            .to_string()
        })
        .collect()
}

struct Delivered {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// Posts every body once, `CLIENTS` at a time, each answered 200.
async fn deliver(server: &ChildServer, bodies: &[String]) -> Delivered {
    let url = format!("{}/api/v1/payments/webhooks/midtrans", server.base_url());
    let bodies = Arc::new(bodies.to_vec());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (url, bodies, next) = (url.clone(), Arc::clone(&bodies), Arc::clone(&next));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(index) else { break };
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    response.status().as_u16(),
                    200,
                    "{}",
                    response.text().await.unwrap()
                );
                samples.push(sent.elapsed());
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    Delivered {
        rate: samples.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
    }
}

fn report_notifications(first: &Delivered, replays: &Delivered) {
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "## Payment notifications
"
    );
    println!(
        "Workload: {NOTIFICATIONS} Midtrans settlement notifications, each signed with the real formula (SHA-512 of order id, status code, gross amount and server key), POSTed by {CLIENTS} concurrent senders to `/api/v1/payments/webhooks/midtrans` of the same release app, each about its own unpaid invoice from the checkout run: the signature is verified before anything is read, the event recorded once, the invoice locked and paid, the payment and its ledger entries written, the order moved to PAID and its delivery and messages queued — one transaction each. Then the same {NOTIFICATIONS} again (replays: verified, found recorded, nothing changed). Every answer was 200 and exactly {NOTIFICATIONS} payments exist afterwards.
"
    );
    println!("| | notifications/s | p50 | p99 |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| first deliveries | {:.0} | {:.2} ms | {:.2} ms |",
        first.rate,
        ms(first.p50),
        ms(first.p99)
    );
    println!(
        "| replays | {:.0} | {:.2} ms | {:.2} ms |
",
        replays.rate,
        ms(replays.p50),
        ms(replays.p99)
    );
}

struct Oversold {
    orders: i64,
    reserved: i64,
    distinct_items: i64,
}

/// The invoice numbers after both runs: every invoice numbered, each
/// number once, 1 to the counter with nothing skipped.
struct Numbering {
    invoices: i64,
    provisional: i64,
    distinct: i64,
    lowest: i64,
    highest: i64,
    counter: i64,
}

impl Numbering {
    fn gapless(&self) -> bool {
        self.provisional == 0
            && self.distinct == self.invoices
            && self.lowest == 1
            && self.highest == self.invoices
            && self.counter == self.invoices
    }
}

async fn numbering(pool: &sqlx::PgPool) -> Numbering {
    let (invoices, provisional, distinct, lowest, highest, counter): (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "SELECT count(*),
                    count(*) FILTER (WHERE number LIKE 'INV-____-P%'),
                    count(DISTINCT number),
                    coalesce(min(substr(number, 10)::BIGINT) FILTER (WHERE number NOT LIKE 'INV-____-P%'), 0),
                    coalesce(max(substr(number, 10)::BIGINT) FILTER (WHERE number NOT LIKE 'INV-____-P%'), 0),
                    (SELECT coalesce(sum(last), 0)::BIGINT FROM invoice_counter)
               FROM invoice",
        )
        .fetch_one(pool)
        .await
        .unwrap();
    Numbering {
        invoices,
        provisional,
        distinct,
        lowest,
        highest,
        counter,
    }
}

async fn oversold(pool: &sqlx::PgPool) -> Oversold {
    let (orders, reserved, distinct_items): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM customer_order),
                (SELECT count(*) FROM digital_stock_item WHERE status = 'reserved'),
                (SELECT count(DISTINCT stock_item_id) FROM customer_order)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    Oversold {
        orders,
        reserved,
        distinct_items,
    }
}

#[tokio::main]
async fn parent() {
    api::app::install_crypto_provider();
    let server_url = std::env::var("BENCH_PG_SERVER_URL").expect("BENCH_PG_SERVER_URL");
    let name = format!("juragan_bench_checkout_{}", std::process::id());
    let mut admin = {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&format!("{server_url}/postgres"))
            .await
            .unwrap()
    };
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let database_url = format!("{server_url}/{name}");
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    sqlx::migrate!("../../migrations").run(&pool).await.unwrap();
    let product = seed(&pool).await;

    let server = ChildServer::start(SERVER_MODE_ENV, &database_url, &[]);
    let pid = server.pid();
    let idle = status_kib(pid, "VmRSS:") * 1024;
    eprintln!(
        "checkout load: {CLIENTS} clients, {}s warm-up, {}s measured",
        WARM_UP.as_secs(),
        MEASURE.as_secs()
    );
    let app = load(&server, product, None).await;
    // The same clients at half that rate, each on a schedule: the latency
    // of a checkout when the shop is busy but not saturated.
    let pace = Duration::from_secs_f64(CLIENTS as f64 / (app.rate * PACED_SHARE));
    eprintln!(
        "checkout paced: {:.0} orders/s",
        CLIENTS as f64 / pace.as_secs_f64()
    );
    let paced = load(&server, product, Some(pace)).await;
    eprintln!("notifications: {NOTIFICATIONS} signed Midtrans settlements, then their replays");
    let bodies = notifications(&pool).await;
    let first = deliver(&server, &bodies).await;
    let replays = deliver(&server, &bodies).await;
    let paid: i64 = sqlx::query_scalar("SELECT count(*) FROM payment WHERE method = 'midtrans'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(paid as usize, NOTIFICATIONS, "each notification pays once");
    let hwm = status_kib(pid, "VmHWM:") * 1024;
    drop(server);
    let app_check = oversold(&pool).await;

    eprintln!("pgbench: the same transaction as bare SQL, {CLIENTS} clients");
    let database = pgbench(
        &database_url,
        &checkout_sql(product),
        CLIENTS,
        MEASURE.as_secs(),
    );
    let total_check = oversold(&pool).await;
    let numbers = numbering(&pool).await;
    pool.close().await;

    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    report(
        &app,
        &paced,
        ServerRss { idle, peak: hwm },
        &database,
        &app_check,
        &total_check,
        &numbers,
    );
    report_notifications(&first, &replays);
}

/// The server's resident memory after start-up and at its peak (bytes).
struct ServerRss {
    idle: u64,
    peak: u64,
}

fn report(
    app: &Load,
    paced: &Load,
    rss: ServerRss,
    database: &Pgbench,
    app_check: &Oversold,
    total: &Oversold,
    numbers: &Numbering,
) {
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
    println!("## Checkout under load\n");
    println!(
        "Workload: {CLIENTS} signed-in clients, each on its own keep-alive connection, placing orders back to back (`POST /api/v1/orders`, a digital product at Rp 35.000: the order, a stock item reserved with `FOR UPDATE SKIP LOCKED`, the invoice, the job that sends its messages — one transaction, whose commit takes the invoice's gapless yearly number in the deferred trigger and, the order being unpaid, does not wait for the WAL flush) against the app built in release in a child process (job runner off, so orders stay unpaid), {}s warm-up then {}s measured. Baseline in the same run: `pgbench --protocol=prepared --client {CLIENTS} --jobs 2 --time {}` running the same transaction's statements as bare SQL (`synchronous_commit` off for the transaction, the reads, the reservation, the order and its event, the invoice with its provisional number and its line in one statement, the messages job; the same trigger numbers it at commit) on the same database. {STOCK} items in stock. Client, server and database share this machine's cores.\n",
        WARM_UP.as_secs(),
        MEASURE.as_secs(),
        MEASURE.as_secs()
    );
    println!("| | orders/s | p50 | p99 | of the bare-SQL rate | server RSS idle → peak |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| HTTP checkout ({} orders measured) | {:.0} | {:.2} ms | {:.2} ms | {:.0}% | {:.1} → {:.1} MB |",
        app.orders,
        app.rate,
        ms(app.p50),
        ms(app.p99),
        app.rate / database.tps * 100.0,
        mb(rss.idle),
        mb(rss.peak)
    );
    println!(
        "| HTTP checkout paced at {:.0}% of that rate, each client on a schedule ({} orders measured; latency from when each order was due) | {:.0} | {:.2} ms | {:.2} ms | — | — |",
        PACED_SHARE * 100.0,
        paced.orders,
        paced.rate,
        ms(paced.p50),
        ms(paced.p99)
    );
    println!(
        "| pgbench, the same transaction as bare SQL (baseline) | {:.0} | {:.2} ms | {:.2} ms | 100% | — |\n",
        database.tps, database.p50_ms, database.p99_ms
    );
    let oversold = |check: &Oversold| check.orders - check.distinct_items.min(check.reserved);
    println!(
        "Stock after the HTTP run: {} orders, {} items reserved, {} distinct items on orders — {} oversold. After both runs: {} orders, {} reserved, {} distinct — {} oversold.\n",
        app_check.orders,
        app_check.reserved,
        app_check.distinct_items,
        oversold(app_check),
        total.orders,
        total.reserved,
        total.distinct_items,
        oversold(total)
    );
    println!(
        "Invoice numbers after both runs: {} invoices, {} distinct numbers, lowest {} and highest {} of the year, counter at {}, {} still provisional — {}.\n",
        numbers.invoices,
        numbers.distinct,
        numbers.lowest,
        numbers.highest,
        numbers.counter,
        numbers.provisional,
        if numbers.gapless() {
            "gapless"
        } else {
            "NOT gapless"
        }
    );
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let ratio = app.rate / database.tps;
    // In a closed loop each client waits for its answer before the next
    // order, so the mean latency is the clients divided by the rate
    // (Little's law): no p99 is below the mean.
    println!(
        "Latency in a closed loop: with {CLIENTS} clients ordering back to back the mean latency is {CLIENTS} ÷ the rate (Little's law): {:.1} ms at the HTTP rate, {:.1} ms at the bare SQL's (pgbench's own mean {:.2} ms). A p99 under {:.0} ms needs a rate above {:.0} orders/s at the very least; the bare SQL alone reaches {:.0} with a p99 of {:.2} ms.\n",
        1000.0 * CLIENTS as f64 / app.rate,
        1000.0 * CLIENTS as f64 / database.tps,
        database.latency_ms,
        ms(P99_TARGET),
        CLIENTS as f64 / P99_TARGET.as_secs_f64(),
        database.tps,
        database.p99_ms
    );
    println!(
        "Targets: ≥ {:.0}% of the bare-SQL rate — {} ({:.0}%); p99 < {:.0} ms with {CLIENTS} clients back to back — {} ({:.2} ms; paced at {:.0}% of the rate: {:.2} ms); 0 oversold — {}.\n",
        RATE_RATIO_TARGET * 100.0,
        verdict(ratio >= RATE_RATIO_TARGET),
        ratio * 100.0,
        ms(P99_TARGET),
        verdict(app.p99 < P99_TARGET),
        ms(app.p99),
        PACED_SHARE * 100.0,
        ms(paced.p99),
        verdict(oversold(app_check) == 0 && oversold(total) == 0)
    );
}
