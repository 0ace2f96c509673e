//! The Excel import end to end, as a user meets it: a generated 100,000-row
//! `VPS` + 50,000-row `AKUN` workbook uploaded over HTTP to the real app
//! (release build, PostgreSQL, Redis), answered with the summary and the
//! first page; the next page fetched; the import confirmed; then the same
//! file uploaded again (every host now known, every sale a duplicate) and
//! confirmed again. The server runs in a child process (this binary
//! re-executed) so its resident memory is its own: RSS is read from
//! `/proc/<pid>/status` (`VmRSS` sampled every 10 ms, `VmHWM` at the end).
//! Prints a Markdown section (for BENCHMARKS.md) on stdout; progress goes to
//! stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use monitoring::spreadsheet::sample;

const HOST_ROWS: usize = 100_000;
const SALE_ROWS: usize = 50_000;
const DEFECT_RATIO: f64 = 0.1;
const SEED: u64 = 2025;
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const UPLOAD_TARGET: Duration = Duration::from_millis(1_000);
const CONFIRM_TARGET: Duration = Duration::from_millis(3_000);
const RSS_GROWTH_TARGET_BYTES: u64 = 100_000_000;
const RESPONSE_TARGET_BYTES: usize = 200_000;

/// Whole runs, each on a fresh database and server: one timing on a shared
/// 2-core VM swings by a fifth, so each step reports the median and lists all.
const RUNS: usize = 3;

const SERVER_MODE_ENV: &str = "IMPORT_PATH_BENCH_SERVER";

mod support;

use support::status_kib;

fn main() {
    if let Ok(database_url) = std::env::var(SERVER_MODE_ENV) {
        server(&database_url);
    } else {
        parent();
    }
}

// ---------------------------------------------------------------------------
// Child: the app, as `juragan serve` runs it

#[actix_web::main]
async fn server(database_url: &str) {
    let settings = api::Settings::from_lookup(&|name| match name {
        "APP_ENV" => Some("test".to_owned()),
        "HTTP_ADDR" => Some("127.0.0.1:0".to_owned()),
        "DATABASE_URL" => Some(database_url.to_owned()),
        "REDIS_URL" => std::env::var("REDIS_URL").ok(),
        "REDIS_KEY_PREFIX" => Some(format!("bench-import:{}:", std::process::id())),
        "MONITOR_ENABLED" => Some("false".to_owned()),
        // The expiry sweep runs when the bench asks (after the first
        // confirm), not every minute on a timer that lands on a random step.
        "MONITOR_EXPIRY_CHECK_SECONDS" => Some("3600".to_owned()),
        _ => None,
    })
    .unwrap();
    api::app::install_crypto_provider();
    let pool = api::app::connect_database(&settings).await.unwrap();
    let redis = api::app::connect_redis(&settings).await.unwrap();
    let identity = api::app::build_identity(&settings, pool.clone(), redis).unwrap();
    let owner = identity
        .create_owner(
            "owner@bench.test",
            "Bench Owner",
            "correct horse battery staple",
        )
        .await
        .unwrap();
    let token = identity
        .keys()
        .issue(owner, &[identity::Role::Owner], uuid::Uuid::now_v7())
        .unwrap();
    let app = api::app::Application::build_with_pool(settings, pool)
        .await
        .unwrap();
    println!("port={} token={token}", app.port());
    app.run_until_stopped().await.unwrap();
}

// ---------------------------------------------------------------------------
// Parent: database, server child, requests, report

struct Server {
    child: Child,
    base: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Samples the server's `VmRSS` every 10 ms: the highest since the last reset.
struct RssSampler {
    peak_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (peak, stopped) = (Arc::clone(&peak_kib), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                peak.fetch_max(status_kib(pid, "VmRSS:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        RssSampler { peak_kib, stop }
    }

    fn take_peak(&self) -> u64 {
        self.peak_kib.swap(0, Ordering::Relaxed) * 1024
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

struct Step {
    name: &'static str,
    elapsed: Duration,
    /// Each run's time, when `elapsed` is their median.
    runs: Vec<Duration>,
    response_bytes: usize,
    rss_peak_bytes: u64,
    rss_after_bytes: u64,
}

#[tokio::main]
async fn parent() {
    api::app::install_crypto_provider();
    eprintln!("generating {HOST_ROWS} VPS rows and {SALE_ROWS} AKUN rows...");
    let workbook = sample::generate_workbook(HOST_ROWS, SALE_ROWS, DEFECT_RATIO, SEED).unwrap();

    let mut runs = Vec::with_capacity(RUNS);
    let mut floors = Vec::with_capacity(RUNS);
    for run_number in 1..=RUNS {
        eprintln!("run {run_number} of {RUNS}");
        let database = support::BenchDatabase::create(&format!("import_{run_number}"), 2).await;
        let run = run(&database.url, &workbook.bytes).await;
        database.drop().await;
        eprintln!("run {run_number}: the machine's floor");
        floors.push(floor(run_number, &workbook.bytes, &run.first_confirm).await);
        runs.push(run);
    }
    report(&workbook, &runs, &floors);
}

/// What the machine needs, measured in the same run, for the work no code
/// of ours can skip: a spreadsheet library reading every cell of the same
/// bytes (calamine's streaming cell reader, one thread, nothing done with
/// the cells), and PostgreSQL storing the rows the first confirm created
/// (as many hosts, host sales and account sales) with bare `INSERT …
/// SELECT generate_series(…)` in one transaction, on a database of its own
/// with the same schema: no file rows read, no matching. Our parser alone
/// on the same bytes is measured beside them (in this process, the same
/// release build), to show what the upload adds to it.
struct Floor {
    library_read: Duration,
    parse: Duration,
    store: Duration,
}

/// Every cell of every sheet through calamine's cell reader.
fn library_read(bytes: &[u8]) -> usize {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let mut cells = 0;
    for name in workbook.sheet_names() {
        let mut reader = workbook.worksheet_cells_reader(&name).unwrap();
        while let Some(cell) = reader.next_cell().unwrap() {
            cells += usize::from(*cell.get_value() != calamine::DataRef::Empty);
        }
    }
    cells
}

async fn floor(run_number: usize, bytes: &[u8], first_confirm: &serde_json::Value) -> Floor {
    let started = Instant::now();
    std::hint::black_box(library_read(bytes));
    let library_read = started.elapsed();
    let started = Instant::now();
    let preview = monitoring::spreadsheet::preview(bytes).unwrap();
    let parse = started.elapsed();
    drop(preview);

    let count = |field: &str| first_confirm[field].as_i64().unwrap();
    let database = support::BenchDatabase::create(&format!("import_floor_{run_number}"), 1).await;
    let started = Instant::now();
    let mut tx = database.pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO monitored_host (name, address, port, expires_on, price_minor, currency, is_public, next_check_at)
         SELECT 'Floor host ' || g, '10.' || (g / 65536) % 256 || '.' || (g / 256) % 256 || '.' || g % 256, 22,
                shop_today() + g % 400, 150000 + g % 1000, 'IDR', true, now() + make_interval(secs => g % 300)
         FROM generate_series(1, $1::int) g",
    )
    .bind(count("hosts_created"))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sale (kind, sold_on, name, item_type, qty, price_minor, currency, host_id)
         SELECT 'host', shop_today(), name, 'vps', 1, price_minor, currency, id FROM monitored_host",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sale (kind, sold_on, name, merchant, item_type, qty, price_minor, currency)
         SELECT 'account', shop_today() - g % 700, 'Akun ' || g, 'Shopee', 'Netflix', 1, 50000 + g % 7 * 1000, 'IDR'
         FROM generate_series(1, $1::int) g",
    )
    .bind(count("account_sales_created"))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let store = started.elapsed();
    database.drop().await;
    Floor {
        library_read,
        parse,
        store,
    }
}

/// One whole run: its steps, and the server's RSS idle, at its peak
/// (`VmHWM`) and settled after the last step.
struct Run {
    steps: Vec<Step>,
    /// The first confirm's answer (what it created).
    first_confirm: serde_json::Value,
    idle: u64,
    hwm: u64,
    settled: u64,
}

impl Run {
    fn growth(&self) -> u64 {
        self.hwm.saturating_sub(self.idle)
    }
}

/// Step by step over the runs: the median time, with every run's; the
/// largest answer and memory of them all.
fn median_steps(runs: &[Run]) -> Vec<Step> {
    (0..runs[0].steps.len())
        .map(|index| {
            let of_step = || runs.iter().map(move |run| &run.steps[index]);
            let times: Vec<Duration> = of_step().map(|step| step.elapsed).collect();
            Step {
                name: runs[0].steps[index].name,
                elapsed: support::median(&times),
                runs: times,
                response_bytes: of_step().map(|step| step.response_bytes).max().unwrap_or(0),
                rss_peak_bytes: of_step().map(|step| step.rss_peak_bytes).max().unwrap_or(0),
                rss_after_bytes: of_step()
                    .map(|step| step.rss_after_bytes)
                    .max()
                    .unwrap_or(0),
            }
        })
        .collect()
}

fn start_server(database_url: &str) -> Server {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(SERVER_MODE_ENV, database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("the server printed no {key}: {line}"))
            .to_owned()
    };
    Server {
        base: format!("http://127.0.0.1:{}", field("port")),
        token: field("token"),
        child,
    }
}

async fn run(database_url: &str, bytes: &[u8]) -> Run {
    let server = start_server(database_url);
    let pid = server.child.id();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    // Warm up: the first request pays for connections and lazy statics.
    let response = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = status_kib(pid, "VmRSS:") * 1024;
    let sampler = RssSampler::start(pid);
    let mut steps = Vec::new();
    let mut first_confirm = serde_json::Value::Null;

    for round in ["first import", "re-import"] {
        eprintln!("{round}: upload");
        sampler.take_peak();
        let started = Instant::now();
        let response = client
            .post(format!(
                "{}/api/v1/monitoring/imports?file_name=bench.xlsx",
                server.base
            ))
            .bearer_auth(&server.token)
            .header("content-type", XLSX)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.bytes().await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(status.as_u16(), 201, "{}", String::from_utf8_lossy(&body));
        let staged: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            staged["summary"]["parsed"]["hosts"]["total_rows"], HOST_ROWS,
            "every row read"
        );
        steps.push(Step {
            name: if round == "first import" {
                "upload → summary + first page (empty database)"
            } else {
                "upload → summary + first page (re-import: 100k hosts known)"
            },
            elapsed,
            runs: Vec::new(),
            response_bytes: body.len(),
            rss_peak_bytes: sampler.take_peak(),
            rss_after_bytes: status_kib(pid, "VmRSS:") * 1024,
        });
        let id = staged["id"].as_str().unwrap().to_owned();

        let started = Instant::now();
        let response = client
            .get(format!(
                "{}/api/v1/monitoring/imports/{id}/hosts?status=invalid&offset=5000&limit=50",
                server.base
            ))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let body = response.bytes().await.unwrap();
        steps.push(Step {
            name: "a later page, only problems (offset 5,000)",
            elapsed: started.elapsed(),
            runs: Vec::new(),
            response_bytes: body.len(),
            rss_peak_bytes: sampler.take_peak(),
            rss_after_bytes: status_kib(pid, "VmRSS:") * 1024,
        });

        eprintln!("{round}: confirm");
        let started = Instant::now();
        let response = client
            .post(format!(
                "{}/api/v1/monitoring/imports/{id}/confirm",
                server.base
            ))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.bytes().await.unwrap();
        assert_eq!(status.as_u16(), 200, "{}", String::from_utf8_lossy(&body));
        let elapsed = started.elapsed();
        let result: serde_json::Value = serde_json::from_slice(&body).unwrap();
        eprintln!("{round}: {result}");
        if round == "first import" {
            first_confirm = result.clone();
        }
        steps.push(Step {
            name: if round == "first import" {
                "confirm (creates the hosts, their sales, the account sales)"
            } else {
                "confirm (re-import: nothing changes, duplicates skipped)"
            },
            elapsed,
            runs: Vec::new(),
            response_bytes: body.len(),
            rss_peak_bytes: sampler.take_peak(),
            rss_after_bytes: status_kib(pid, "VmRSS:") * 1024,
        });
        if round == "first import" {
            // The confirm leaves the tables' ANALYZE to a job that runs
            // right after it, and the expiry sweep (every minute in a shop)
            // then marks the hosts that arrived already expired, tens of
            // thousands at once: ~1 s of database work that would otherwise
            // land on whichever step it meets. A user uploads again later
            // than both, so the re-import starts once they are done (their
            // time is reported).
            let started = Instant::now();
            let pool = sqlx::PgPool::connect(database_url).await.unwrap();
            sqlx::query(
                "INSERT INTO job (kind, payload, run_at, max_attempts) VALUES ($1, '{}', now(), 1)",
            )
            .bind(monitoring::expiry::EXPIRY_JOB)
            .execute(&pool)
            .await
            .unwrap();
            loop {
                let pending: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM job WHERE kind IN ($1, $2) AND status IN ('queued', 'running')",
                )
                .bind(monitoring::import::ANALYZE_JOB)
                .bind(monitoring::expiry::EXPIRY_JOB)
                .fetch_one(&pool)
                .await
                .unwrap();
                if pending == 0 {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "the statistics and expiry jobs did not finish"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            pool.close().await;
            steps.push(Step {
                name: "after the confirm: statistics refreshed, expired hosts marked, by jobs (nobody waits for them)",
                elapsed: started.elapsed(),
                runs: Vec::new(),
                response_bytes: 0,
                rss_peak_bytes: sampler.take_peak(),
                rss_after_bytes: status_kib(pid, "VmRSS:") * 1024,
            });
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let settled = status_kib(pid, "VmRSS:") * 1024;
    let hwm = status_kib(pid, "VmHWM:") * 1024;
    drop(sampler);
    drop(server);
    Run {
        steps,
        first_confirm,
        idle,
        hwm,
        settled,
    }
}

fn report(workbook: &sample::SampleWorkbook, runs: &[Run], floors: &[Floor]) {
    let steps = median_steps(runs);
    // The run whose server grew the most stands for memory.
    let heaviest = runs.iter().max_by_key(|run| run.growth()).unwrap();
    let (idle, hwm, settled) = (heaviest.idle, heaviest.hwm, heaviest.settled);
    let mb = |bytes: u64| format!("{:.1} MB", bytes as f64 / 1e6);
    let kb = |bytes: usize| format!("{:.1} KB", bytes as f64 / 1e3);
    println!("## Spreadsheet import, end to end\n");
    println!(
        "Workload: one generated workbook (`spreadsheet::sample::generate_workbook`, {HOST_ROWS} `VPS` rows and \
         {SALE_ROWS} `AKUN` rows, ~{:.0}% defective, {:.1} MB) uploaded over HTTP to the app built in release \
         (`Application`, as `juragan serve` runs it, in a child process) on PostgreSQL and Redis, by the owner. \
         Each upload is parsed row by row into the import row tables (binary `COPY` batches written by two \
         connections at once while the parser reads on, each row marked new/update/unchanged/duplicate \
         in the app against the stored hosts and sales, read once at the upload's start) and answered with the \
         summary and the first 50 rows of each kind. Then a later page, and the confirm (which queues the \
         tables' ANALYZE as a job run right after it; the bench then runs the expiry sweep, every minute in a \
         shop and here hourly so that it lands on no step, which marks the hosts that arrived already expired; the \
         re-import starts once both are done). The same \
         file is then imported a second time. RSS is the server process's: `VmRSS` sampled every 10 ms during each \
         step, idle after start-up, and `VmHWM` at the end. The whole sequence runs {RUNS} times, each on a fresh database \
         and server: each step's time is the median, the runs' times follow in brackets; answer size and RSS are \
         the largest of the runs.\n",
        DEFECT_RATIO * 100.0,
        workbook.bytes.len() as f64 / 1e6,
    );
    println!(
        "| step | wall time, median (each run) | response | server RSS peak (growth over idle) | server RSS after |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for step in &steps {
        let response = if step.response_bytes == 0 {
            "—".to_owned()
        } else {
            kb(step.response_bytes)
        };
        let times: Vec<String> = step
            .runs
            .iter()
            .map(|run| format!("{:.3}", run.as_secs_f64()))
            .collect();
        println!(
            "| {} | {:.3} s ({}) | {} | {} (+{}) | {} |",
            step.name,
            step.elapsed.as_secs_f64(),
            times.join(", "),
            response,
            mb(step.rss_peak_bytes),
            mb(step.rss_peak_bytes.saturating_sub(idle)),
            mb(step.rss_after_bytes),
        );
    }
    println!();
    let slowest = |prefix: &str| {
        steps
            .iter()
            .filter(|step| step.name.starts_with(prefix))
            .map(|step| step.elapsed)
            .max()
            .unwrap_or_default()
    };
    let upload = slowest("upload");
    let confirm = slowest("confirm");
    let response = steps
        .iter()
        .map(|step| step.response_bytes)
        .max()
        .unwrap_or(0);
    let growth = hwm.saturating_sub(idle);
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let listed = |times: &[Duration]| {
        times
            .iter()
            .map(|time| format!("{:.3}", time.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let reads: Vec<Duration> = floors.iter().map(|floor| floor.library_read).collect();
    let parses: Vec<Duration> = floors.iter().map(|floor| floor.parse).collect();
    let stores: Vec<Duration> = floors.iter().map(|floor| floor.store).collect();
    let (read, parse, store) = (
        support::median(&reads),
        support::median(&parses),
        support::median(&stores),
    );
    println!(
        "Baseline, measured in the same runs: the machine's floor for each wait, the work no code of ours can \
         skip. For the upload, a spreadsheet library reading every cell of the same bytes (calamine's streaming \
         cell reader, one thread, in the bench process); beside it, our parser alone (`spreadsheet::preview`: \
         our own reader, the two kinds of sheet on two threads, every row typed and checked); \
         for the confirm, PostgreSQL storing as many hosts, host sales and account sales as the first confirm \
         created, with bare `INSERT … SELECT generate_series(…)` in one transaction on a database of its own.\n"
    );
    println!("| wait | ours, median | floor, median (each run) | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| upload → first page (the slower upload) | {:.3} s | {:.3} s ({}), calamine reading every cell | {:.2}× |",
        upload.as_secs_f64(),
        read.as_secs_f64(),
        listed(&reads),
        upload.as_secs_f64() / read.as_secs_f64()
    );
    println!(
        "| our parser alone, same bytes | {:.3} s ({}) | {:.3} s, calamine reading every cell | {:.2}× |",
        parse.as_secs_f64(),
        listed(&parses),
        read.as_secs_f64(),
        parse.as_secs_f64() / read.as_secs_f64()
    );
    println!(
        "| confirm (the slower confirm) | {:.3} s | {:.3} s ({}), bare inserts of the same rows | {:.2}× |\n",
        confirm.as_secs_f64(),
        store.as_secs_f64(),
        listed(&stores),
        confirm.as_secs_f64() / store.as_secs_f64()
    );
    println!(
        "Server RSS (the run that grew most): idle {}, peak (`VmHWM`) {} (+{} over idle), 1 s after the last step {}.\n",
        mb(idle),
        mb(hwm),
        mb(growth),
        mb(settled)
    );
    println!(
        "Targets: upload → first page ≤ {:.1} s — {} ({:.3} s, the slower upload's median); confirm ≤ {:.1} s — {} \
         ({:.3} s); server RSS growth ≤ {} — {} (+{}); response ≤ {} — {} ({}).\n",
        UPLOAD_TARGET.as_secs_f64(),
        verdict(upload <= UPLOAD_TARGET),
        upload.as_secs_f64(),
        CONFIRM_TARGET.as_secs_f64(),
        verdict(confirm <= CONFIRM_TARGET),
        confirm.as_secs_f64(),
        mb(RSS_GROWTH_TARGET_BYTES),
        verdict(growth <= RSS_GROWTH_TARGET_BYTES),
        mb(growth),
        kb(RESPONSE_TARGET_BYTES),
        verdict(response <= RESPONSE_TARGET_BYTES),
        kb(response),
    );
}
