//! Telegram broadcasts through the real sender against the fake: linked
//! clients get the photo once, a chat that blocked the bot is marked, a
//! flood limit is waited out, and a kill halfway repeats nobody.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jobs::{JobRunner, Registry, RunnerConfig};
use notify::broadcast::{self, BroadcastStatus, NewBroadcast};
use notify::delivery::{Channel, Sender, Senders, TelegramDelivery, TelegramSender};
use notify::throttle::SendThrottle;
use sandbox::telegram::{MessageKind, RateLimit, TelegramFakeHandle};
use sqlx::PgPool;

use super::helpers::{WAIT, client_for, fresh_prefix, redis, spawn_fake};

/// `count` active clients with linked chats 900_001.. (and one disabled
/// client whose chat must be skipped).
async fn linked_clients(pool: &PgPool, count: i32) {
    sqlx::query(
        "WITH users AS (
             INSERT INTO app_user (id, email, password_hash, email_verified_at, roles, status)
             SELECT gen_random_uuid(), 'tg' || n || '@example.test', 'x', now(), ARRAY['client'],
                    CASE WHEN n = 0 THEN 'disabled' ELSE 'active' END
             FROM generate_series(0, $1) AS n RETURNING id, email)
         INSERT INTO telegram_chat (chat_id, kind, label, user_id)
         SELECT 900000 + substring(email from 3 for position('@' in email) - 3)::int + 1, 'client', email, id FROM users",
    )
    .bind(count)
    .execute(pool)
    .await
    .unwrap();
}

async fn runner(
    pool: &PgPool,
    fake: &TelegramFakeHandle,
    prefix: &str,
    per_second: u32,
) -> JobRunner {
    let throttle = SendThrottle::new(redis().await, prefix, per_second, Duration::from_secs(1))
        .with_max_wait(WAIT);
    let delivery = TelegramDelivery {
        client: Arc::new(client_for(fake)),
        throttle: Arc::new(throttle),
    };
    let sender: Arc<dyn Sender> = Arc::new(TelegramSender::new(delivery, pool.clone()));
    let mut registry = Registry::new();
    broadcast::register_jobs(
        &mut registry,
        Senders {
            email: None,
            telegram: Some(sender),
        },
    );
    let config = RunnerConfig {
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(2),
        ..RunnerConfig::default()
    };
    JobRunner::new(pool.clone(), registry, config)
}

async fn start_broadcast(pool: &PgPool, photo: Option<&str>) -> i64 {
    let input = NewBroadcast {
        channel: Channel::Telegram,
        subject: None,
        body: "Promo VPS akhir tahun: diskon 20%".to_owned(),
        photo_url: photo.map(str::to_owned),
    };
    let mut tx = pool.begin().await.unwrap();
    let id = broadcast::create(&mut tx, None, &input).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn wait_done(pool: &PgPool, id: i64, bound: Duration) -> broadcast::Broadcast {
    let started = Instant::now();
    loop {
        let found = broadcast::find(pool, id).await.unwrap().unwrap();
        if found.status == BroadcastStatus::Done {
            return found;
        }
        assert!(
            started.elapsed() < bound,
            "not finished: {:?}",
            found.progress
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn linked_clients_get_the_photo_once_and_a_blocked_chat_is_marked(pool: PgPool) {
    linked_clients(&pool, 20).await;
    let fake = spawn_fake().await;
    fake.block_chat(900_005);
    let id = start_broadcast(&pool, Some("https://cdn.example.id/promo.jpg")).await;
    let runner = runner(&pool, &fake, &fresh_prefix(), 200)
        .await
        .start()
        .await
        .unwrap();
    let done = wait_done(&pool, id, Duration::from_secs(20)).await;
    runner.shutdown().await;

    assert_eq!(
        done.progress.total, 20,
        "the disabled client's chat is not a recipient"
    );
    assert_eq!(
        (
            done.progress.sent,
            done.progress.blocked,
            done.progress.remaining
        ),
        (19, 1, 0)
    );
    let sent = fake.sent();
    assert_eq!(sent.len(), 19);
    assert!(
        sent.iter().all(|message| message.kind == MessageKind::Photo
            && message.content().contains("diskon 20%"))
    );
    let blocked: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT blocked_at FROM telegram_chat WHERE chat_id = 900005")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(blocked.is_some(), "the blocked chat is marked");

    // The next broadcast leaves the blocked chat out.
    let next = start_broadcast(&pool, None).await;
    let mut tx = pool.begin().await.unwrap();
    broadcast::cancel(&mut tx, next).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        broadcast::find(&pool, next)
            .await
            .unwrap()
            .unwrap()
            .progress
            .total,
        19
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_flood_limit_is_waited_out_and_nobody_is_skipped(pool: PgPool) {
    linked_clients(&pool, 12).await;
    let fake = spawn_fake().await;
    // The fake allows 5 per second; our throttle (wrongly) allows 50, so
    // Telegram answers 429 retry_after 1 and the sender must wait it out.
    fake.set_rate_limit(Some(RateLimit::new(5, 1)));
    let id = start_broadcast(&pool, None).await;
    let runner = runner(&pool, &fake, &fresh_prefix(), 50)
        .await
        .start()
        .await
        .unwrap();
    let done = wait_done(&pool, id, Duration::from_secs(30)).await;
    runner.shutdown().await;
    assert_eq!(
        (done.progress.sent, done.progress.failed),
        (12, 0),
        "{:?}",
        done.progress
    );
    assert_eq!(fake.sent().len(), 12);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_kill_halfway_sends_nobody_the_broadcast_twice(pool: PgPool) {
    linked_clients(&pool, 60).await;
    let fake = spawn_fake().await;
    let prefix = fresh_prefix();
    let id = start_broadcast(&pool, None).await;
    let first = runner(&pool, &fake, &prefix, 40)
        .await
        .start()
        .await
        .unwrap();
    let started = Instant::now();
    while fake.sent().len() < 25 {
        assert!(started.elapsed() < WAIT, "the broadcast never got going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();

    let second = runner(&pool, &fake, &prefix, 40)
        .await
        .start()
        .await
        .unwrap();
    let done = wait_done(&pool, id, Duration::from_secs(30)).await;
    second.shutdown().await;

    let mut per_chat: HashMap<i64, usize> = HashMap::new();
    for message in fake.sent() {
        *per_chat.entry(message.chat_id).or_default() += 1;
    }
    assert!(
        per_chat.values().all(|count| *count == 1),
        "someone got it twice: {per_chat:?}"
    );
    assert!(
        done.progress.unknown <= broadcast::SENDS_IN_FLIGHT as i64,
        "{:?}",
        done.progress
    );
    assert_eq!(
        done.progress.sent + done.progress.unknown,
        60,
        "{:?}",
        done.progress
    );
    assert!(per_chat.len() >= 60 - broadcast::SENDS_IN_FLIGHT);
}
