//! The storefront's first page under load, as the shop's busiest page meets
//! it: a signed-in member asks for `GET /api/v1/catalog/products` over 64
//! keep-alive connections to the real app (release build, in a child
//! process so its memory is its own) on the demo catalog. Beside it, in the
//! same run, `pgbench` with the same 64 clients runs the very SQL the
//! endpoint runs (read out of `billing::catalog::storefront`'s source, with
//! the member's parameters filled in): the rate the database alone allows.
//! The app is measured twice: as deployed (the storefront cache on, every
//! request after the first served from memory) and with the cache off
//! (every request runs the statement), so both paths are on record.
//! Prints a Markdown section (for BENCHMARKS.md) on stdout; progress goes
//! to stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::{ChildServer, Pgbench, pgbench, status_kib};

const CONNECTIONS: usize = 64;
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(10);
const PAGE: &str = "/api/v1/catalog/products?limit=20";

const RATE_RATIO_TARGET: f64 = 0.5;
const P99_TARGET: Duration = Duration::from_millis(20);

const SERVER_MODE_ENV: &str = "CATALOG_LOAD_BENCH_SERVER";

fn main() {
    if let Ok(database_url) = std::env::var(SERVER_MODE_ENV) {
        server(&database_url);
    } else {
        parent();
    }
}

// ---------------------------------------------------------------------------
// Child: the app, as `juragan serve` runs it, over the demo catalog

#[actix_web::main]
async fn server(database_url: &str) {
    let cache = std::env::var("STOREFRONT_CACHE_ENABLED").unwrap_or_else(|_| "true".to_owned());
    let settings = api::Settings::from_lookup(&|name| match name {
        "STOREFRONT_CACHE_ENABLED" => Some(cache.clone()),
        "APP_ENV" => Some("test".to_owned()),
        "HTTP_ADDR" => Some("127.0.0.1:0".to_owned()),
        "DATABASE_URL" => Some(database_url.to_owned()),
        "REDIS_URL" => std::env::var("REDIS_URL").ok(),
        "REDIS_KEY_PREFIX" => Some(format!("bench-catalog:{}:", std::process::id())),
        "MONITOR_ENABLED" => Some("false".to_owned()),
        _ => None,
    })
    .unwrap();
    api::app::install_crypto_provider();
    let pool = api::app::connect_database(&settings).await.unwrap();
    let redis = api::app::connect_redis(&settings).await.unwrap();
    let identity = api::app::build_identity(&settings, pool.clone(), redis).unwrap();
    api::demo::seed(&identity, &pool, &api::app::sealer(&settings).unwrap())
        .await
        .unwrap();
    let member: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM app_user WHERE email = 'budi@example.test'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let token = identity
        .keys()
        .issue(member, &[identity::Role::Client], uuid::Uuid::now_v7())
        .unwrap();
    let app = api::app::Application::build_with_pool(settings, pool)
        .await
        .unwrap();
    println!("port={} token={token} member={member}", app.port());
    app.run_until_stopped().await.unwrap();
}

// ---------------------------------------------------------------------------
// Parent: database, server child, load, pgbench, report

struct Load {
    products: usize,
    requests: u64,
    rate: f64,
    p50: Duration,
    p99: Duration,
    response_bytes: usize,
}

/// `CONNECTIONS` tasks, each with its own keep-alive connection, asking for
/// the page back to back; latencies recorded after the warm-up.
async fn load(server: &ChildServer) -> Load {
    let (base, token) = (server.base_url(), server.field("token"));
    let first = reqwest::Client::new()
        .get(format!("{base}{PAGE}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(first.status().is_success(), "{}", first.status());
    let body = first.bytes().await.unwrap();
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(page["tier"], "member");
    let total = page["total"].as_u64().unwrap() as usize;
    let items = page["items"].as_array().unwrap().len();
    assert!(items == total.min(20) && items >= 10, "{items} of {total}");

    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        let url = format!("{base}{PAGE}");
        let token = token.clone();
        let (measuring, stop, errors) = (
            Arc::clone(&measuring),
            Arc::clone(&stop),
            Arc::clone(&errors),
        );
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(20_000);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let response = client.get(&url).bearer_auth(&token).send().await;
                let ok = match response {
                    Ok(response) => {
                        response.status().is_success() && response.bytes().await.is_ok()
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
        "requests failed under load"
    );
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    Load {
        products: items,
        requests: samples.len() as u64,
        rate: samples.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        response_bytes: body.len(),
    }
}

/// The storefront statement as the app sends it, with the member's
/// parameters as literals: `$1` user, `$2` reseller role, `$3` currency,
/// `$4` language, `$5`–`$9` the (absent) filters, `$10` limit, `$11` offset.
fn storefront_sql(member: &str) -> String {
    let source = include_str!("../../billing/src/catalog/storefront.rs");
    let start = source
        .find("r#\"WITH tier AS")
        .expect("the storefront statement")
        + 3;
    let end = start + source[start..].find("\"#").expect("its end");
    let mut sql = source[start..end].replace("AS \"offers!\"", "AS offers");
    // Typed annotations of sqlx's macro are column aliases to PostgreSQL;
    // quoted names are fine as they are.
    let parameters = [
        (11, "0".to_owned()),
        (10, "20".to_owned()),
        (9, "NULL".to_owned()),
        (8, "NULL".to_owned()),
        (7, "NULL".to_owned()),
        (6, "NULL".to_owned()),
        (5, "NULL".to_owned()),
        (4, "'id'".to_owned()),
        (3, "'IDR'".to_owned()),
        (2, "false".to_owned()),
        (1, format!("'{member}'::uuid")),
    ];
    for (index, literal) in parameters {
        sql = sql.replace(&format!("${index}"), &literal);
    }
    // pgbench reads one statement per line unless told otherwise.
    sql.split_whitespace().collect::<Vec<_>>().join(" ") + ";\n"
}

#[tokio::main]
async fn parent() {
    api::app::install_crypto_provider();
    let server_url = std::env::var("BENCH_PG_SERVER_URL").expect("BENCH_PG_SERVER_URL");
    let name = format!("juragan_bench_catalog_{}", std::process::id());
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
    {
        let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
        sqlx::migrate!("../../migrations").run(&pool).await.unwrap();
        pool.close().await;
    }

    let mut runs = Vec::new();
    let mut member = String::new();
    for cache in [true, false] {
        let server = ChildServer::start(
            SERVER_MODE_ENV,
            &database_url,
            &[("STOREFRONT_CACHE_ENABLED", cache.to_string())],
        );
        let pid = server.pid();
        let idle = status_kib(pid, "VmRSS:") * 1024;
        eprintln!(
            "load (cache {}): {CONNECTIONS} connections, {}s warm-up, {}s measured",
            if cache { "on" } else { "off" },
            WARM_UP.as_secs(),
            MEASURE.as_secs()
        );
        let load = load(&server).await;
        let hwm = status_kib(pid, "VmHWM:") * 1024;
        member = server.field("member");
        drop(server);
        runs.push((cache, load, idle, hwm));
    }
    let sql = storefront_sql(&member);
    eprintln!("pgbench: the same statement, {CONNECTIONS} clients");
    let database = pgbench(&database_url, &sql, CONNECTIONS, MEASURE.as_secs());

    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    report(&runs, &database);
}

fn report(runs: &[(bool, Load, u64, u64)], database: &Pgbench) {
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
    let products = runs.first().map_or(0, |(_, load, _, _)| load.products);
    println!("## Storefront catalog under load\n");
    println!(
        "Workload: `GET {PAGE}` (the first page: {products} products of the demo catalog, priced for a signed-in member) over {CONNECTIONS} keep-alive connections from a Rust load generator (tokio + reqwest, one connection per task, requests back to back, {}s warm-up then {}s measured) against the app built in release (`Application`, as `juragan serve` runs it, in a child process) on PostgreSQL and Redis: once as deployed (storefront cache on: after the first request the page comes from memory until a catalog change is announced) and once with `STOREFRONT_CACHE_ENABLED=false` (every request resolves the tier and runs the statement). Baseline in the same run: `pgbench --protocol=prepared --client {CONNECTIONS} --jobs 2 --time {}` running the endpoint's own statement (read from `billing::catalog::storefront`, the member's parameters filled in) against the same database. Client, server and database share this machine's cores in all three.\n",
        WARM_UP.as_secs(),
        MEASURE.as_secs(),
        MEASURE.as_secs()
    );
    println!("| | requests/s | p50 | p99 | of pgbench's rate | server RSS idle → peak |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (cache, load, idle, hwm) in runs {
        println!(
            "| HTTP endpoint, cache {} ({} requests, {:.1} KB each) | {:.0} | {:.2} ms | {:.2} ms | {:.0}% | {:.1} → {:.1} MB |",
            if *cache { "on" } else { "off" },
            load.requests,
            load.response_bytes as f64 / 1000.0,
            load.rate,
            ms(load.p50),
            ms(load.p99),
            load.rate / database.tps * 100.0,
            mb(*idle),
            mb(*hwm)
        );
    }
    println!(
        "| pgbench, same SQL (baseline) | {:.0} | {:.2} ms (mean) | — | 100% | — |\n",
        database.tps, database.latency_ms
    );
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    for (cache, load, _, _) in runs {
        let ratio = load.rate / database.tps;
        println!(
            "Targets, cache {}: ≥ {:.0}% of pgbench's rate — {} ({:.0}%); p99 < {:.0} ms — {} ({:.2} ms).\n",
            if *cache { "on (as deployed)" } else { "off" },
            RATE_RATIO_TARGET * 100.0,
            verdict(ratio >= RATE_RATIO_TARGET),
            ratio * 100.0,
            ms(P99_TARGET),
            verdict(load.p99 < P99_TARGET),
            ms(load.p99)
        );
    }
    println!(
        "Every catalog change invalidates the cache on every replica (a trigger on each catalog table sends `catalog_changed` on commit; each replica listens, and its cache is off while not subscribed): tested by `catalog::every_catalog_change_reaches_the_storefront_cache_of_every_replica`. With {CONNECTIONS} requests in flight on two shared cores, the uncached path's latency is queueing behind the database (Little's law: in flight / rate).\n"
    );
}
