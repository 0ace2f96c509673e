//! A Telegram broadcast to 10,000 linked clients against the sandbox's Bot
//! API fake with its flood limit on. Two runs, each in a worker process of
//! its own (this binary re-executed) so that a kill is a real `SIGKILL`:
//!
//! 1. uninterrupted: how close the whole broadcast comes to the floor the
//!    rate limit sets (`(N - 1) / rate` between the first and last send);
//! 2. killed halfway and restarted: nobody may receive the message twice.
//!
//! The fake runs in this (parent) process, so it survives the kill and
//! counts every message per chat. Prints a Markdown section on stdout.
//!
//! Needs `BENCH_PG_SERVER_URL` (server URL without database) and `REDIS_URL`;
//! `BENCH_TELEGRAM_LIMIT` (default 30, Telegram's limit, which the fake
//! enforces), `BENCH_TELEGRAM_RATE` (our throttle, default 29: the shipped
//! default of `TELEGRAM_SEND_RATE_PER_SECOND`) and
//! `BENCH_BROADCAST_RECIPIENTS` (default 10,000) change the workload.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jobs::{JobRunner, Registry, RunnerConfig};
use notify::broadcast::{self, BroadcastStatus, NewBroadcast};
use notify::delivery::{Channel, Sender, Senders, TelegramDelivery, TelegramSender};
use notify::telegram::TelegramClient;
use notify::throttle::SendThrottle;
use sandbox::telegram::{RateLimit, TelegramFake, TelegramFakeConfig, TelegramFakeHandle};
use sqlx::{Connection, PgConnection, PgPool};

const WORKER_ENV: &str = "BENCH_BROADCAST_WORKER";
/// Short, so that the restarted worker takes the killed one's job over soon.
const LEASE: Duration = Duration::from_secs(5);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// The worker: a job runner with the real Telegram broadcast sender, until
/// the broadcast is done or the parent kills it.
async fn worker() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let database = std::env::var("BENCH_DATABASE_URL").unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .connect(&database)
        .await
        .unwrap();
    let redis = redis::aio::ConnectionManager::new(redis::Client::open(redis_url()).unwrap())
        .await
        .unwrap();
    let rate: u32 = env_or("BENCH_TELEGRAM_RATE", 29);
    let prefix = std::env::var("BENCH_THROTTLE_PREFIX").unwrap();
    let throttle = SendThrottle::new(redis, &prefix, rate, Duration::from_secs(1));
    let client = TelegramClient::new(
        &std::env::var("BENCH_TELEGRAM_URL").unwrap(),
        "123456:sandbox-token",
        Duration::from_secs(10),
    )
    .unwrap();
    let sender: Arc<dyn Sender> = Arc::new(TelegramSender::new(
        TelegramDelivery {
            client: Arc::new(client),
            throttle: Arc::new(throttle),
        },
        pool.clone(),
    ));
    let mut registry = Registry::new();
    broadcast::register_jobs(
        &mut registry,
        Senders {
            email: None,
            telegram: Some(sender),
        },
    );
    let config = RunnerConfig {
        poll_interval: Duration::from_millis(50),
        lease: LEASE,
        ..RunnerConfig::default()
    };
    let runner = JobRunner::new(pool.clone(), registry, config)
        .start()
        .await
        .unwrap();
    let id: i64 = std::env::var("BENCH_BROADCAST_ID")
        .unwrap()
        .parse()
        .unwrap();
    while broadcast::find(&pool, id).await.unwrap().unwrap().status == BroadcastStatus::Running {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    runner.shutdown().await;
}

struct Setup {
    server: String,
    name: String,
    pool: PgPool,
    fake: TelegramFakeHandle,
    recipients: i64,
    /// Telegram's limit, enforced by the fake.
    limit: u32,
}

impl Setup {
    fn spawn_worker(&self, broadcast_id: i64, prefix: &str) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .env(WORKER_ENV, "1")
            .env(
                "BENCH_DATABASE_URL",
                format!("{}/{}", self.server, self.name),
            )
            .env("BENCH_TELEGRAM_URL", self.fake.base_url())
            .env("BENCH_THROTTLE_PREFIX", prefix)
            .env("BENCH_BROADCAST_ID", broadcast_id.to_string())
            .spawn()
            .unwrap()
    }

    async fn start_broadcast(&self) -> i64 {
        self.fake.clear_sent();
        let input = NewBroadcast {
            channel: Channel::Telegram,
            subject: None,
            body: "Promo akhir tahun: VPS diskon 20%".to_owned(),
            photo_url: None,
        };
        let mut tx = self.pool.begin().await.unwrap();
        let id = broadcast::create(&mut tx, None, &input).await.unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn wait_done(&self, id: i64) -> broadcast::Broadcast {
        let bound =
            Duration::from_secs_f64(self.recipients as f64 / f64::from(self.limit) * 2.0 + 60.0);
        let started = Instant::now();
        loop {
            let found = broadcast::find(&self.pool, id).await.unwrap().unwrap();
            if found.status != BroadcastStatus::Running {
                return found;
            }
            assert!(
                started.elapsed() < bound,
                "the broadcast did not finish in {bound:?}: {:?}",
                found.progress
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// (first to last send, messages per chat)
    fn sends(&self) -> (Duration, HashMap<i64, usize>) {
        let sent = self.fake.sent();
        let mut per_chat = HashMap::new();
        for message in &sent {
            *per_chat.entry(message.chat_id).or_insert(0) += 1;
        }
        let first = sent.iter().map(|message| message.sent_at).min().unwrap();
        let last = sent.iter().map(|message| message.sent_at).max().unwrap();
        ((last - first).to_std().unwrap_or_default(), per_chat)
    }

    fn floor(&self) -> Duration {
        Duration::from_secs_f64((self.recipients - 1) as f64 / f64::from(self.limit))
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if std::env::var(WORKER_ENV).is_ok() {
        runtime.block_on(worker());
    } else {
        runtime.block_on(parent());
    }
}

async fn parent() {
    let server = std::env::var("BENCH_PG_SERVER_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    let recipients: i64 = env_or("BENCH_BROADCAST_RECIPIENTS", 10_000);
    let limit: u32 = env_or("BENCH_TELEGRAM_LIMIT", 30);
    let rate: u32 = env_or("BENCH_TELEGRAM_RATE", 29);
    let name = format!("juragan_bench_broadcast_{}", std::process::id());
    let mut admin = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .connect(&format!("{server}/{name}"))
        .await
        .unwrap();
    sqlx::migrate!("../../migrations").run(&pool).await.unwrap();
    sqlx::query(
        "WITH users AS (
             INSERT INTO app_user (id, email, password_hash, email_verified_at, roles)
             SELECT gen_random_uuid(), 'client' || n || '@bench.test', 'x', now(), ARRAY['client'] FROM generate_series(1, $1) AS n
             RETURNING id, email)
         INSERT INTO telegram_chat (chat_id, kind, label, user_id)
         SELECT 7000000 + row_number() OVER (ORDER BY email), 'client', email, id FROM users",
    )
    .bind(recipients)
    .execute(&pool)
    .await
    .unwrap();

    // The fake refuses a send when `limit` were accepted in the last second
    // (429, retry_after 1), as Telegram's flood control does.
    let config = TelegramFakeConfig {
        max_stored_messages: usize::try_from(recipients).unwrap() * 2,
        ..TelegramFakeConfig::default()
    };
    let fake = TelegramFake::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    fake.set_rate_limit(Some(RateLimit::new(limit, 1)));
    let setup = Setup {
        server: server.clone(),
        name: name.clone(),
        pool,
        fake,
        recipients,
        limit,
    };

    eprintln!(
        "broadcast bench: run 1, {recipients} recipients, throttle {rate}/s, limit {limit}/s (floor {:.1} s)",
        setup.floor().as_secs_f64()
    );
    let first = setup.start_broadcast().await;
    let started = Instant::now();
    let mut worker =
        setup.spawn_worker(first, &format!("bench:broadcast:{}:1", std::process::id()));
    let done = setup.wait_done(first).await;
    let total = started.elapsed();
    worker.wait().unwrap();
    let (span, per_chat) = setup.sends();
    let uninterrupted_max = per_chat.values().copied().max().unwrap_or(0);
    eprintln!(
        "run 1: {:?} total, {:?} first→last, {:?}",
        total, span, done.progress
    );

    eprintln!("broadcast bench: run 2, killed halfway");
    let second = setup.start_broadcast().await;
    let started = Instant::now();
    let prefix = format!("bench:broadcast:{}:2", std::process::id());
    let mut killed = setup.spawn_worker(second, &prefix);
    let half = usize::try_from(recipients / 2).unwrap();
    while setup.fake.sent().len() < half {
        assert!(
            started.elapsed() < setup.floor() * 2 + Duration::from_secs(60),
            "run 2 never got halfway"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed.kill().unwrap();
    killed.wait().unwrap();
    let killed_at = Instant::now();
    let sent_when_killed = setup.fake.sent().len();
    let mut restarted = setup.spawn_worker(second, &prefix);
    while setup.fake.sent().len() == sent_when_killed {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let takeover = killed_at.elapsed();
    let resumed = setup.wait_done(second).await;
    let total_killed = started.elapsed();
    restarted.wait().unwrap();
    let (_, per_chat_killed) = setup.sends();
    let duplicates = per_chat_killed.values().filter(|count| **count > 1).count();
    let missing = usize::try_from(recipients).unwrap() - per_chat_killed.len();

    setup.pool.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();

    let floor = setup.floor().as_secs_f64();
    let ratio = span.as_secs_f64() / floor;
    println!("## Telegram broadcast\n");
    println!(
        "Workload: a Telegram broadcast to {recipients} linked clients through the real Bot API client"
    );
    println!(
        "and the Redis send throttle at {rate} messages/s, against the sandbox fake enforcing Telegram's"
    );
    println!(
        "flood limit ({limit} sends per sliding second, else 429 `retry_after` 1). Each run is a job in a"
    );
    println!(
        "worker process of its own. The floor is what the limit allows: {recipients} sends {:.1} ms apart.",
        1000.0 / f64::from(limit)
    );
    println!(
        "The throttle runs one send per second below the limit: at exactly {limit}/s any network jitter"
    );
    println!(
        "puts {limit} sends into one sliding second and trips the flood limit (each 429 costs a whole second).\n"
    );
    println!(
        "| run | first → last send | floor | ratio | whole broadcast | sent | unknown | failed |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| uninterrupted | {:.1} s | {floor:.1} s | {ratio:.3}× | {:.1} s | {} | {} | {} |",
        span.as_secs_f64(),
        total.as_secs_f64(),
        done.progress.sent,
        done.progress.unknown,
        done.progress.failed
    );
    println!(
        "| `SIGKILL` at {sent_when_killed} sent, restarted | — | — | — | {:.1} s (takeover {:.1} s) | {} | {} | {} |",
        total_killed.as_secs_f64(),
        takeover.as_secs_f64(),
        resumed.progress.sent,
        resumed.progress.unknown,
        resumed.progress.failed
    );
    println!();
    let within = (ratio - 1.0).abs() <= 0.05;
    println!(
        "Target: first → last send within 5% of the floor: {} ({:+.1}%). Most messages to one chat in the uninterrupted run: {uninterrupted_max}.",
        if within { "met" } else { "NOT met" },
        (ratio - 1.0) * 100.0
    );
    println!(
        "Target: zero duplicates after the kill: {} ({duplicates} chats got it twice; {missing} chats got nothing: only the sends in flight at the kill (at most {}) can be, recorded as `unknown`). The takeover waits for the killed worker's job lease ({} s).\n",
        if duplicates == 0 { "met" } else { "NOT met" },
        broadcast::SENDS_IN_FLIGHT,
        LEASE.as_secs()
    );
}
