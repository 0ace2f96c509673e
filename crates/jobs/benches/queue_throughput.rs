//! Job queue throughput: how fast runners drain no-op jobs, against the
//! minimal claim-then-finish SQL loop on one connection measured in the same
//! run. Prints a Markdown section (for BENCHMARKS.md) on stdout.
//!
//! Needs `BENCH_PG_SERVER_URL` (a PostgreSQL server URL without database);
//! creates and drops its own database.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use jobs::{JobRunner, Registry, RunnerConfig, queue_summary};
use sqlx::{Connection, PgConnection, PgPool};

const JOBS: i64 = 20_000;

async fn fresh_database(server: &str) -> (PgPool, String) {
    let name = format!("juragan_bench_{}", std::process::id());
    let mut admin = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect(&format!("{server}/{name}"))
        .await
        .unwrap();
    sqlx::migrate!("../../migrations").run(&pool).await.unwrap();
    (pool, name)
}

async fn fill_queue(pool: &PgPool) {
    sqlx::query("TRUNCATE job").execute(pool).await.unwrap();
    sqlx::query("INSERT INTO job (kind, payload) SELECT 'bench.noop', jsonb_build_object('n', n) FROM generate_series(1, $1) AS n")
        .bind(JOBS)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("VACUUM ANALYZE job")
        .execute(pool)
        .await
        .unwrap();
}

/// The smallest correct worker: claim one job with SKIP LOCKED, mark it done.
async fn baseline_loop(pool: &PgPool) -> Duration {
    fill_queue(pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let started = Instant::now();
    loop {
        let claimed: Option<i64> = sqlx::query_scalar(
            "UPDATE job SET status = 'running', locked_by = 'baseline', locked_until = now() + interval '1 minute', attempts = attempts + 1
             WHERE id = (SELECT id FROM job WHERE status = 'queued' AND run_at <= now() ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING id",
        )
        .fetch_optional(&mut *conn)
        .await
        .unwrap();
        let Some(id) = claimed else { break };
        sqlx::query("UPDATE job SET status = 'done', locked_by = NULL, locked_until = NULL, finished_at = now() WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    started.elapsed()
}

async fn runners(pool: &PgPool, count: usize) -> Duration {
    fill_queue(pool).await;
    let config = RunnerConfig {
        concurrency: 16,
        poll_interval: Duration::from_millis(5),
        ..RunnerConfig::default()
    };
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..count {
        let mut registry = Registry::new();
        registry.handle("bench.noop", |_| async { Ok(()) });
        handles.push(
            JobRunner::new(pool.clone(), registry, config.clone())
                .start()
                .await
                .unwrap(),
        );
    }
    while queue_summary(pool).await.unwrap().done < JOBS {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    for handle in handles {
        handle.shutdown().await;
    }
    elapsed
}

fn per_second(elapsed: Duration) -> f64 {
    JOBS as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let server = std::env::var("BENCH_PG_SERVER_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    let (pool, name) = fresh_database(&server).await;

    let baseline = baseline_loop(&pool).await;
    let one = runners(&pool, 1).await;
    let three = runners(&pool, 3).await;
    pool.close().await;
    let mut admin = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();

    let base_rate = per_second(baseline);
    println!("## Job queue throughput\n");
    println!(
        "Workload: {JOBS} queued no-op jobs drained to `done` on a fresh database. Baseline: the minimal"
    );
    println!(
        "correct worker (claim one job with `FOR UPDATE SKIP LOCKED`, then mark it done) looping on one"
    );
    println!(
        "connection, measured in the same run. Ours: `JobRunner` (batched claims, 16 concurrent jobs,"
    );
    println!("lease heartbeats, result bookkeeping, metrics).\n");
    println!("| setup | time | jobs/s | vs baseline |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| baseline: claim-1 + finish loop, 1 connection | {:.2} s | {:.0} | 1.00× |",
        baseline.as_secs_f64(),
        base_rate
    );
    for (label, elapsed) in [
        ("ours: 1 runner × 16 concurrent", one),
        ("ours: 3 runners × 16 concurrent (3 replicas)", three),
    ] {
        println!(
            "| {label} | {:.2} s | {:.0} | {:.2}× |",
            elapsed.as_secs_f64(),
            per_second(elapsed),
            per_second(elapsed) / base_rate
        );
    }
    println!();
}
