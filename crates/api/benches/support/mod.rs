//! What the load benchmarks share: the app in a child process (this bench
//! binary again, in server mode) and its announcement line, its memory read
//! from /proc, and `pgbench` as the database-alone baseline. Each bench uses
//! the parts it needs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The middle of `samples` (the upper one of an even count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

/// The app in a child process, killed when dropped.
pub struct ChildServer {
    pub child: Child,
    /// The `key=value` pairs of the line the server printed when ready.
    announcement: String,
}

impl ChildServer {
    /// Runs this bench binary again with `mode_env` set to `database_url`
    /// (and `env`), and waits for the line starting `port=` it prints when
    /// ready (the demo seeding may print lines before it).
    pub fn start(mode_env: &str, database_url: &str, env: &[(&str, String)]) -> ChildServer {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .env(mode_env, database_url)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.starts_with("port=") {
            line.clear();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "the server stopped"
            );
        }
        ChildServer {
            child,
            announcement: line,
        }
    }

    /// The value the server announced for `key`.
    pub fn field(&self, key: &str) -> String {
        self.announcement
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("the server printed no {key}: {}", self.announcement))
            .to_owned()
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.field("port"))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` field in KiB (`VmRSS:`, `VmHWM:`); 0 if unreadable.
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub struct Pgbench {
    pub tps: f64,
    pub latency_ms: f64,
    /// Per-transaction latency percentiles, from pgbench's transaction log.
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// `pgbench --protocol=prepared` running `sql` (a script file's text) with
/// `clients` clients on two threads for `seconds`, logging each
/// transaction's latency (`--log`) for the percentiles.
pub fn pgbench(database_url: &str, sql: &str, clients: usize, seconds: u64) -> Pgbench {
    let work = std::env::temp_dir().join(format!("bench-pgbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let script = work.join("script.sql");
    std::fs::write(&script, sql).unwrap();
    let output = Command::new("pgbench")
        .args(["--no-vacuum", "--protocol=prepared"])
        .args(["--client", &clients.to_string(), "--jobs", "2"])
        .args(["--time", &seconds.to_string()])
        .arg("--log")
        .arg(format!("--log-prefix={}", work.join("tx").display()))
        .arg("--file")
        .arg(&script)
        .arg(database_url)
        .output()
        .expect("pgbench must be installed (Debian: package postgresql)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pgbench failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Each log line: client, transaction, latency in µs, script, epoch s, µs.
    let mut latencies_us: Vec<u64> = std::fs::read_dir(&work)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("tx."))
        })
        .flat_map(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .filter_map(|line| line.split_whitespace().nth(2)?.parse().ok())
                .collect::<Vec<u64>>()
        })
        .collect();
    let _ = std::fs::remove_dir_all(&work);
    assert!(!latencies_us.is_empty(), "pgbench logged no transaction");
    latencies_us.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies_us.len() - 1) as f64 * p).round() as usize;
        latencies_us[index] as f64 / 1000.0
    };
    let number_after = |prefix: &str| -> f64 {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("no `{prefix}` in pgbench's output: {stdout}"))
    };
    Pgbench {
        tps: number_after("tps = "),
        latency_ms: number_after("latency average = "),
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
    }
}

/// A database of its own on `BENCH_PG_SERVER_URL`, migrated; dropped by
/// [`BenchDatabase::drop`] when the bench is done.
pub struct BenchDatabase {
    pub pool: sqlx::PgPool,
    /// Its URL, for a child server.
    pub url: String,
    name: String,
    admin: sqlx::PgConnection,
}

impl BenchDatabase {
    pub async fn create(prefix: &str, connections: u32) -> BenchDatabase {
        use sqlx::Connection;
        let server_url = std::env::var("BENCH_PG_SERVER_URL").expect("BENCH_PG_SERVER_URL");
        let name = format!("juragan_bench_{prefix}_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&format!("{server_url}/postgres"))
            .await
            .expect("the PostgreSQL server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("a bench database");
        let url = format!("{server_url}/{name}");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(connections)
            .connect(&url)
            .await
            .expect("the bench database");
        sqlx::migrate!("../../migrations")
            .run(&pool)
            .await
            .expect("migrations");
        BenchDatabase {
            pool,
            url,
            name,
            admin,
        }
    }

    pub async fn drop(mut self) {
        self.pool.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut self.admin)
        .await
        .expect("the bench database dropped");
    }
}
