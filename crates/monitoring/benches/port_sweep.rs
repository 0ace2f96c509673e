//! Port sweep: one `Prober::sweep` over 10,000 loopback targets (8,000
//! listening, 1,000 refused, 1,000 black-holed) with the default 3 s timeout,
//! against the seed's blocking one-at-a-time checker measured in the same run.
//! Prints a Markdown section (for BENCHMARKS.md) on stdout, progress on stderr.
//!
//! Linux only, loopback only: the whole 127.0.0.0/8 is routed to `lo`, so each
//! target gets its own address (127.1.x.y listening, 127.2.x.y black-holed,
//! 127.3.x.y refused) on one shared port, and every connect goes to a distinct
//! (address, port) pair: the client's ephemeral ports can then be reused
//! across destinations and never run out.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream as StdTcpStream};
use std::time::{Duration, Instant};

use chrono::Utc;
use monitoring::probe::{
    AddressPolicy, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, DownReason, Host, ProbeOutcome,
    ProbeResult, ProbeTarget, Prober, ProberConfig, raise_fd_limit,
};
use nix::sys::resource::{UsageWho, getrusage};
use socket2::{Domain, Socket, Type};

const LISTENING: usize = 8_000;
const REFUSED: usize = 1_000;
const HANGING: usize = 1_000;
const TARGETS: usize = LISTENING + REFUSED + HANGING;
const ANSWERING: usize = LISTENING + REFUSED;
/// Sweeps measured; the median by wall time is reported.
const SWEEPS: usize = 3;
/// Answering targets the blocking baseline checks (its projection covers all).
const BASELINE_SAMPLE: usize = 1_000;
/// Backlog of the listening targets: never accepted, each receives one
/// connect per sweep plus the baseline's, so the queue never fills.
const LISTEN_BACKLOG: i32 = 64;

const TARGET_SWEEP_SLACK: Duration = Duration::from_secs(1);
const TARGET_CHECKS_PER_SECOND: f64 = 20_000.0;
const TARGET_CPU_SECONDS_PER_10K: f64 = 1.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expected {
    Up,
    Refused,
    Timeout,
}

/// The sockets behind the targets; dropping it closes every listener (which
/// also resets the never-accepted connections queued on them).
struct Fixture {
    targets: Vec<ProbeTarget>,
    /// Indexed by target id.
    expected: Vec<Expected>,
    _listeners: Vec<Socket>,
    /// The connections that keep the black holes' accept queues full.
    _fillers: Vec<StdTcpStream>,
}

/// Spreads targets over 250 hosts per /24 of a 127.`block`.0.0/16.
fn loopback_address(block: u8, index: usize) -> Ipv4Addr {
    let third = u8::try_from(index / 250).expect("at most 64,000 targets per block");
    let fourth = u8::try_from(index % 250 + 1).expect("1..=250");
    Ipv4Addr::new(127, block, third, fourth)
}

fn listen(address: SocketAddr, backlog: i32) -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&address.into())?;
    socket.listen(backlog)?;
    Ok(socket)
}

/// Binds every listening and black-holed target on one port. The first bind
/// lets the kernel pick a free port; a later `AddrInUse` means someone holds
/// that port on a wildcard address, so the caller retries with another.
fn bind_listeners() -> io::Result<(u16, Vec<Socket>, Vec<Socket>)> {
    let first = listen(
        SocketAddr::from((loopback_address(1, 0), 0)),
        LISTEN_BACKLOG,
    )?;
    let port = first
        .local_addr()?
        .as_socket()
        .map_or(0, |address| address.port());
    let mut listening = vec![first];
    for index in 1..LISTENING {
        listening.push(listen(
            SocketAddr::from((loopback_address(1, index), port)),
            LISTEN_BACKLOG,
        )?);
    }
    // Backlog 0 holds exactly one completed connection on Linux; once the
    // filler below occupies it, the kernel drops every further SYN (with
    // tcp_abort_on_overflow = 0), so a connect hangs until its timeout.
    let mut hanging = Vec::with_capacity(HANGING);
    for index in 0..HANGING {
        hanging.push(listen(
            SocketAddr::from((loopback_address(2, index), port)),
            0,
        )?);
    }
    Ok((port, listening, hanging))
}

fn build_fixture() -> Fixture {
    let (port, mut listeners, black_holes) = (0..5)
        .find_map(|attempt| match bind_listeners() {
            Ok(bound) => Some(bound),
            Err(error) => {
                eprintln!("port_sweep: binding listeners failed (attempt {attempt}): {error}; retrying on another port");
                None
            }
        })
        .expect("bind the loopback listeners");

    let fillers: Vec<StdTcpStream> = (0..HANGING)
        .map(|index| {
            let address = SocketAddr::from((loopback_address(2, index), port));
            StdTcpStream::connect_timeout(&address, Duration::from_secs(1))
                .expect("fill a black hole's accept queue")
        })
        .collect();
    listeners.extend(black_holes);

    // Interleave the kinds (one refused and one hanging in every ten) the way
    // a real fleet mixes them, rather than in blocks.
    let (mut listening, mut refused, mut hanging) = (0, 0, 0);
    let mut targets = Vec::with_capacity(TARGETS);
    let mut expected = Vec::with_capacity(TARGETS);
    for id in 0..TARGETS {
        let (address, kind) = match id % 10 {
            0 => (
                loopback_address(2, post_increment(&mut hanging)),
                Expected::Timeout,
            ),
            // Nothing is bound on 127.3.0.0/16, and no wildcard listener holds
            // `port` (the binds above would have failed), so the kernel resets.
            1 => (
                loopback_address(3, post_increment(&mut refused)),
                Expected::Refused,
            ),
            _ => (
                loopback_address(1, post_increment(&mut listening)),
                Expected::Up,
            ),
        };
        let id = i64::try_from(id).expect("id fits i64");
        targets.push(ProbeTarget {
            id,
            host: Host::from(IpAddr::V4(address)),
            port,
        });
        expected.push(kind);
    }
    assert_eq!((listening, refused, hanging), (LISTENING, REFUSED, HANGING));
    Fixture {
        targets,
        expected,
        _listeners: listeners,
        _fillers: fillers,
    }
}

fn post_increment(counter: &mut usize) -> usize {
    *counter += 1;
    *counter - 1
}

fn outcome_kind(outcome: &ProbeOutcome) -> Option<Expected> {
    match outcome {
        ProbeOutcome::Up { .. } => Some(Expected::Up),
        ProbeOutcome::Down {
            reason: DownReason::Refused,
        } => Some(Expected::Refused),
        ProbeOutcome::Down {
            reason: DownReason::Timeout,
        } => Some(Expected::Timeout),
        ProbeOutcome::Down { .. } => None,
    }
}

/// Checks that each kind of target behaves as intended before timing anything,
/// in particular that a black hole times out rather than refusing.
async fn verify_fixture(fixture: &Fixture) {
    let prober = Prober::new(ProberConfig {
        timeout: Duration::from_millis(500),
        concurrency: 8,
        addresses: AddressPolicy::for_tests(),
        ..ProberConfig::default()
    });
    for kind in [Expected::Up, Expected::Refused, Expected::Timeout] {
        let index = fixture
            .expected
            .iter()
            .position(|expected| *expected == kind)
            .expect("every kind is present");
        let result = prober.probe(fixture.targets[index].clone()).await;
        assert_eq!(
            outcome_kind(&result.outcome),
            Some(kind),
            "fixture check of {kind:?}: {:?}",
            result.outcome
        );
    }
}

fn cpu_time() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let seconds = |time: nix::sys::time::TimeVal| {
        Duration::from_secs(u64::try_from(time.tv_sec()).unwrap_or(0))
            + Duration::from_micros(u64::try_from(time.tv_usec()).unwrap_or(0))
    };
    seconds(usage.user_time()) + seconds(usage.system_time())
}

struct SweepRun {
    wall: Duration,
    cpu: Duration,
    /// From the start of the sweep to the moment the last answering target
    /// (listening or refused) had its result.
    answering_done: Duration,
    counts: [usize; 3],
    other: usize,
    mismatches: usize,
}

async fn measure_sweep(fixture: &Fixture) -> SweepRun {
    let targets = fixture.targets.clone();
    let started_at = Utc::now();
    let cpu_before = cpu_time();
    let started = Instant::now();
    // Spawned, as `juragan serve` would run it: a worker thread drives the
    // sweep, not the thread blocked in `block_on`.
    let results: Vec<ProbeResult> =
        // The targets are loopback sockets: the test-only switch, as in the
        // tests; the address rules are checked for every target as in
        // production.
        tokio::spawn(async move {
            Prober::new(ProberConfig {
                addresses: AddressPolicy::for_tests(),
                ..ProberConfig::default()
            })
            .sweep(targets)
            .await
        })
            .await
            .expect("sweep task");
    let wall = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);

    assert_eq!(results.len(), TARGETS, "one result per target");
    let mut run = SweepRun {
        wall,
        cpu,
        answering_done: Duration::ZERO,
        counts: [0; 3],
        other: 0,
        mismatches: 0,
    };
    for result in &results {
        let expected = fixture.expected[usize::try_from(result.id).expect("our ids are indices")];
        let actual = outcome_kind(&result.outcome);
        match actual {
            Some(kind) => run.counts[kind as usize] += 1,
            None => run.other += 1,
        }
        if actual != Some(expected) {
            run.mismatches += 1;
        }
        if expected != Expected::Timeout {
            let finished = (result.checked_at - started_at)
                .to_std()
                .unwrap_or(Duration::ZERO);
            run.answering_done = run.answering_done.max(finished);
        }
    }
    run
}

struct Baseline {
    wall: Duration,
    cpu: Duration,
    checked: usize,
    mismatches: usize,
}

/// The seed's checker: `socket.create_connection((host, port), timeout=3)`
/// one target after another on one thread, over the first answering targets.
fn measure_baseline(fixture: &Fixture) -> Baseline {
    let sample: Vec<(SocketAddr, Expected)> = fixture
        .targets
        .iter()
        .zip(&fixture.expected)
        .filter(|(_, expected)| **expected != Expected::Timeout)
        .take(BASELINE_SAMPLE)
        .map(|(target, expected)| {
            let ip = target.host.ip().expect("bench targets are IP literals");
            (SocketAddr::new(ip, target.port), *expected)
        })
        .collect();
    let cpu_before = cpu_time();
    let started = Instant::now();
    let mut mismatches = 0;
    for (address, expected) in &sample {
        let actual = match StdTcpStream::connect_timeout(address, DEFAULT_TIMEOUT) {
            Ok(_stream) => Expected::Up,
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => Expected::Refused,
            Err(_) => Expected::Timeout,
        };
        if actual != *expected {
            mismatches += 1;
        }
    }
    Baseline {
        wall: started.elapsed(),
        cpu: cpu_time().saturating_sub(cpu_before),
        checked: sample.len(),
        mismatches,
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// Everything above is bounded by timeouts, but a broken loopback setup
/// (say, a black hole that refuses instead) must not hang `make bench`.
const WATCHDOG: Duration = Duration::from_secs(120);

fn main() {
    std::thread::spawn(|| {
        std::thread::sleep(WATCHDOG);
        eprintln!("port_sweep: still running after {WATCHDOG:?}; giving up");
        std::process::exit(1);
    });
    let fd_limit = raise_fd_limit().expect("raise RLIMIT_NOFILE");
    // Listeners + fillers + one socket per slot in flight, with room to spare.
    assert!(
        fd_limit >= (TARGETS + HANGING + 4_096) as u64,
        "RLIMIT_NOFILE hard limit {fd_limit} is too low for this benchmark"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");

    eprintln!(
        "port_sweep: binding {LISTENING} listeners and {HANGING} black holes on 127.0.0.0/8 (fd limit {fd_limit})"
    );
    // Plain (socket2/std) sockets, outside the runtime: nothing in the
    // process polls them, so the sweep's CPU time is the prober's alone.
    let fixture = build_fixture();
    runtime.block_on(verify_fixture(&fixture));

    eprintln!("port_sweep: baseline, {BASELINE_SAMPLE} blocking connects one after another");
    let baseline = measure_baseline(&fixture);

    let mut runs = Vec::with_capacity(SWEEPS);
    for sweep in 1..=SWEEPS {
        let run = runtime.block_on(measure_sweep(&fixture));
        eprintln!(
            "port_sweep: sweep {sweep}/{SWEEPS}: {:.3} s wall, {:.3} s CPU, answering done at {:.3} s, {} mismatches",
            run.wall.as_secs_f64(),
            run.cpu.as_secs_f64(),
            run.answering_done.as_secs_f64(),
            run.mismatches
        );
        runs.push(run);
    }
    eprintln!("port_sweep: the checker with the database, two sweeps over the same targets");
    let with_database = runtime.block_on(measure_checker(&fixture));
    drop(fixture);
    runtime.shutdown_timeout(Duration::from_secs(1));

    runs.sort_by_key(|run| run.wall);
    let ours = &runs[SWEEPS / 2];
    let timeout = DEFAULT_TIMEOUT.as_secs_f64();
    let rate = |run: &SweepRun| ANSWERING as f64 / run.answering_done.as_secs_f64();
    let cpu_per_10k = |run: &SweepRun| run.cpu.as_secs_f64() * 10_000.0 / TARGETS as f64;

    let ours_rate = rate(ours);
    let ours_cpu_per_10k = cpu_per_10k(ours);
    let worst_wall = runs
        .iter()
        .map(|run| run.wall.as_secs_f64())
        .fold(0.0, f64::max);
    let worst_rate = runs.iter().map(rate).fold(f64::INFINITY, f64::min);
    let worst_cpu_per_10k = runs.iter().map(cpu_per_10k).fold(0.0, f64::max);
    let total_mismatches: usize = runs.iter().map(|run| run.mismatches).sum();

    let base_per_check = baseline.wall.as_secs_f64() / baseline.checked as f64;
    let base_rate = 1.0 / base_per_check;
    let base_answering = base_per_check * ANSWERING as f64;
    let base_sweep = base_answering + HANGING as f64 * timeout;
    let base_cpu_per_10k = baseline.cpu.as_secs_f64() * 10_000.0 / baseline.checked as f64;

    println!("## Port sweep\n");
    println!(
        "Workload: one `Prober::sweep` over {TARGETS} loopback targets with the default {timeout:.0} s timeout and"
    );
    println!(
        "concurrency {DEFAULT_CONCURRENCY}, spawned on a 2-worker tokio runtime: {LISTENING} listening (never-accepted"
    );
    println!(
        "listeners: the handshake completes in the backlog), {REFUSED} refused (nothing bound on the address), {HANGING}"
    );
    println!(
        "black-holed (listeners with a full accept queue: the kernel drops the SYN and the connect hangs until the"
    );
    println!(
        "timeout), interleaved, each on its own 127.x.y.z address. Median of {SWEEPS} sweeps by wall time. Baseline: the"
    );
    println!(
        "seed's checker (`socket.create_connection(host, port, timeout=3)` one target after another, here"
    );
    println!(
        "`TcpStream::connect_timeout` on one thread) measured over {} answering targets and projected to the",
        baseline.checked
    );
    println!(
        "full sweep as `time per check × {ANSWERING} + {HANGING} × {timeout:.0} s`. CPU is user + system time of the whole"
    );
    println!(
        "process (`getrusage`), which on loopback includes the kernel's work for both ends of every handshake.\n"
    );
    println!("| workload | ours | baseline | ratio (> 1: ours better) |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| full sweep, {TARGETS} targets (wall) | {:.2} s | {:.0} s (projected) | {:.0}× |",
        ours.wall.as_secs_f64(),
        base_sweep,
        base_sweep / ours.wall.as_secs_f64()
    );
    println!(
        "| last of the {ANSWERING} answering targets done | {:.3} s | {:.3} s (projected) | {:.2}× |",
        ours.answering_done.as_secs_f64(),
        base_answering,
        base_answering / ours.answering_done.as_secs_f64()
    );
    println!(
        "| checks/s over the answering targets | {ours_rate:.0} | {base_rate:.0} | {:.2}× |",
        ours_rate / base_rate
    );
    println!(
        "| CPU per 10,000 checks | {ours_cpu_per_10k:.3} s | {base_cpu_per_10k:.3} s | {:.2}× |",
        base_cpu_per_10k / ours_cpu_per_10k
    );
    println!(
        "| results: up / refused / timeout / other | {} / {} / {} / {} | {} wrong of {} | |",
        ours.counts[Expected::Up as usize],
        ours.counts[Expected::Refused as usize],
        ours.counts[Expected::Timeout as usize],
        ours.other,
        baseline.mismatches,
        baseline.checked
    );
    println!();
    println!(
        "The sweep lasts about one timeout after its last hanging check starts: with {DEFAULT_CONCURRENCY} slots, every hanging"
    );
    println!(
        "target gets a slot as soon as the answering ones ahead of it free theirs. On loopback a round trip costs"
    );
    println!(
        "nothing, so a blocking connect is just its syscalls and the sequential loop gets through answering targets"
    );
    println!(
        "faster than the engine, which also pays an epoll registration, a reactor turn and a wake-up per socket (the"
    );
    println!(
        "CPU row). The engine wins by overlapping waits: the {HANGING} hanging checks cost one timeout instead of"
    );
    println!(
        "{HANGING}, and on a real network each of the baseline's {ANSWERING} answering checks would also wait one round trip\n(`{ANSWERING} × RTT`: {:.0} s at 10 ms).\n",
        ANSWERING as f64 * 0.010
    );
    let sweep_budget = (DEFAULT_TIMEOUT + TARGET_SWEEP_SLACK).as_secs_f64();
    println!("Targets, judged on the median sweep (worst of {SWEEPS} in brackets):\n");
    println!(
        "- whole sweep ≤ timeout + 1 s ({sweep_budget:.0} s): {:.2} s ({worst_wall:.2} s) — {}.",
        ours.wall.as_secs_f64(),
        met(ours.wall.as_secs_f64() <= sweep_budget)
    );
    println!(
        "- ≥ {TARGET_CHECKS_PER_SECOND:.0} checks/s over the answering targets: {ours_rate:.0} ({worst_rate:.0}) — {}.",
        met(ours_rate >= TARGET_CHECKS_PER_SECOND)
    );
    println!(
        "- ≤ {TARGET_CPU_SECONDS_PER_10K:.0} CPU-second per 10,000 checks: {ours_cpu_per_10k:.3} s ({worst_cpu_per_10k:.3} s) — {}.",
        met(ours_cpu_per_10k <= TARGET_CPU_SECONDS_PER_10K)
    );
    println!(
        "- correct results ({LISTENING} up, {REFUSED} refused, {HANGING} timeout in every sweep): {total_mismatches} wrong over {SWEEPS} sweeps — {}.",
        met(total_mismatches == 0)
    );
    println!();
    println!(
        "The same {TARGETS} targets as monitored hosts in PostgreSQL, swept by the checker itself (`checker::sweep_once`:"
    );
    println!(
        "claim the due batch, probe, write back), twice; all hosts start PENDING with the default 2 failures before DOWN."
    );
    println!(
        "The write is one statement per sweep (states, hourly rollups and state-change rows together, `UPDATE … FROM"
    );
    println!(
        "unnest(…)` with data-modifying CTEs); the rows it adds to `host_state_change` are counted.\n"
    );
    println!(
        "| sweep | wall (claim + probe + write) | of which claim + write | hosts written | state-change rows | rollup rows |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (index, sweep) in with_database.iter().enumerate() {
        println!(
            "| {} | {:.2} s | {:.3} s | {} | {} (expected {}) | {} |",
            index + 1,
            sweep.wall.as_secs_f64(),
            sweep.write.as_secs_f64(),
            sweep.checked,
            sweep.change_rows,
            sweep.expected_changes,
            sweep.rollup_rows
        );
    }
    let exact = with_database
        .iter()
        .all(|sweep| sweep.change_rows == sweep.expected_changes && sweep.checked == TARGETS);
    println!(
        "\nTarget: one batched write per sweep plus one row per state change — {}.\n",
        met(exact)
    );
}

struct CheckerSweep {
    wall: Duration,
    write: Duration,
    checked: usize,
    change_rows: i64,
    expected_changes: i64,
    rollup_rows: i64,
}

/// Two checker sweeps over the fixture's targets stored as hosts in a fresh
/// database. The write's time is the sweep minus a probe-only sweep of the
/// same batch measured just before (claim time is included in the wall).
async fn measure_checker(fixture: &Fixture) -> Vec<CheckerSweep> {
    use monitoring::checker::{CheckerConfig, sweep_once};
    use sqlx::Connection;
    let server = std::env::var("BENCH_PG_SERVER_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    let name = format!("juragan_bench_sweep_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create the bench database");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(&format!("{server}/{name}"))
        .await
        .expect("connect");
    sqlx::migrate!("../../migrations")
        .run(&pool)
        .await
        .expect("migrate");
    let (addresses, ports): (Vec<String>, Vec<i32>) = fixture
        .targets
        .iter()
        .map(|target| (target.host.to_string(), i32::from(target.port)))
        .unzip();
    sqlx::query(
        "INSERT INTO monitored_host (name, address, port, next_check_at)
         SELECT 'host-' || n, address, port, now() - interval '1 second' FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS t(address, port, n)",
    )
    .bind(&addresses)
    .bind(&ports)
    .execute(&pool)
    .await
    .expect("insert the hosts");
    let config = CheckerConfig {
        batch_size: i64::try_from(TARGETS).unwrap_or(i64::MAX),
        replica: "bench".to_owned(),
        prober: ProberConfig {
            addresses: AddressPolicy::for_tests(),
            ..ProberConfig::default()
        },
        ..CheckerConfig::default()
    };
    let prober = Prober::new(config.prober.clone());
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    let mut sweeps = Vec::new();
    // Sweep 1: 8,000 PENDING → UP; sweep 2: the 2,000 failing PENDING → DOWN.
    for expected_changes in [
        i64::try_from(LISTENING).unwrap_or(0),
        i64::try_from(REFUSED + HANGING).unwrap_or(0),
    ] {
        sqlx::query("UPDATE monitored_host SET next_check_at = now() - interval '1 second'")
            .execute(&pool)
            .await
            .expect("make due");
        let probe_only = Instant::now();
        prober.sweep(fixture.targets.clone()).await;
        let probe_time = probe_only.elapsed();
        let changes_before = count("SELECT count(*) FROM host_state_change").await;
        let started = Instant::now();
        let report = sweep_once(&pool, &prober, &config)
            .await
            .expect("a checker sweep");
        let wall = started.elapsed();
        sweeps.push(CheckerSweep {
            wall,
            write: wall.saturating_sub(probe_time),
            checked: report.checked,
            change_rows: count("SELECT count(*) FROM host_state_change").await - changes_before,
            expected_changes,
            rollup_rows: count("SELECT count(*) FROM host_check_hourly").await,
        });
    }
    pool.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop");
    sweeps
}
