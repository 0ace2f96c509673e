//! Broadcast delivery across a crash: a runner is killed halfway through, a
//! second one takes the job over after the lease, and nobody receives the
//! message twice.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jobs::{JobRunner, Registry, RunnerConfig};
use notify::broadcast::{self, BroadcastStatus, NewBroadcast};
use notify::delivery::{Channel, Message, SendFailure, SendFuture, Sender, Senders};
use sqlx::PgPool;

/// Records every delivery; slow enough that a kill lands mid-broadcast.
#[derive(Default)]
struct RecordingSender {
    delivered: Mutex<Vec<String>>,
    blocked: Vec<String>,
}

impl Sender for RecordingSender {
    fn send<'a>(&'a self, recipient: &'a str, _message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if self.blocked.iter().any(|blocked| blocked == recipient) {
                return Err(SendFailure::Blocked(
                    "Forbidden: bot was blocked by the user".to_owned(),
                ));
            }
            self.delivered.lock().unwrap().push(recipient.to_owned());
            Ok(())
        })
    }
}

async fn seed_clients(pool: &PgPool, count: usize) {
    sqlx::query(
        "INSERT INTO app_user (id, email, password_hash, email_verified_at, roles)
         SELECT gen_random_uuid(), 'client' || n || '@example.test', 'x', now(), ARRAY['client'] FROM generate_series(1, $1) AS n",
    )
    .bind(i32::try_from(count).unwrap())
    .execute(pool)
    .await
    .unwrap();
}

fn runner(pool: &PgPool, sender: &Arc<RecordingSender>) -> JobRunner {
    let mut registry = Registry::new();
    let sender: Arc<dyn Sender> = sender.clone();
    broadcast::register_jobs(
        &mut registry,
        Senders {
            email: Some(sender),
            telegram: None,
        },
    );
    let config = RunnerConfig {
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(2),
        ..RunnerConfig::default()
    };
    JobRunner::new(pool.clone(), registry, config)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_broadcast_killed_halfway_resumes_without_sending_anyone_twice(pool: PgPool) {
    seed_clients(&pool, 200).await;
    let input = NewBroadcast {
        channel: Channel::Email,
        subject: Some("Promo".to_owned()),
        body: "Diskon 20%".to_owned(),
        photo_url: None,
    };
    let mut tx = pool.begin().await.unwrap();
    let id = broadcast::create(&mut tx, None, &input).await.unwrap();
    tx.commit().await.unwrap();

    let first_sender = Arc::new(RecordingSender {
        blocked: vec!["client7@example.test".to_owned()],
        ..Default::default()
    });
    let first = runner(&pool, &first_sender).start().await.unwrap();
    let started = Instant::now();
    while first_sender.delivered.lock().unwrap().len() < 60 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the broadcast never got going"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();

    let second_sender = Arc::new(RecordingSender {
        blocked: vec!["client7@example.test".to_owned()],
        ..Default::default()
    });
    let second = runner(&pool, &second_sender).start().await.unwrap();
    let started = Instant::now();
    let done = loop {
        let broadcast = broadcast::find(&pool, id).await.unwrap().unwrap();
        if broadcast.status == BroadcastStatus::Done {
            break broadcast;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not finished: {:?}",
            broadcast.progress
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    second.shutdown().await;

    let mut deliveries: HashMap<String, usize> = HashMap::new();
    for recipient in first_sender
        .delivered
        .lock()
        .unwrap()
        .iter()
        .chain(second_sender.delivered.lock().unwrap().iter())
    {
        *deliveries.entry(recipient.clone()).or_default() += 1;
    }
    assert!(
        deliveries.values().all(|count| *count == 1),
        "someone got the message twice"
    );
    assert!(
        !second_sender.delivered.lock().unwrap().is_empty(),
        "the second runner did part of the work"
    );

    let progress = done.progress;
    assert_eq!(progress.total, 200);
    assert_eq!(progress.blocked, 1);
    assert_eq!(progress.remaining, 0);
    // Every row marked sent was delivered; a send the kill interrupted after
    // the message left but before its row was marked is `unknown`, never
    // `sent` and never sent again.
    let delivered = i64::try_from(deliveries.len()).unwrap();
    assert!(
        progress.sent <= delivered && delivered <= progress.sent + progress.unknown,
        "deliveries {delivered} vs {progress:?}"
    );
    // Only the sends in flight when the runner died can be unknown.
    assert!(
        progress.unknown <= broadcast::SENDS_IN_FLIGHT as i64,
        "{progress:?}"
    );
    assert_eq!(progress.sent + progress.blocked + progress.unknown, 200);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_cancelled_broadcast_stops(pool: PgPool) {
    seed_clients(&pool, 300).await;
    let input = NewBroadcast {
        channel: Channel::Email,
        subject: Some("Promo".to_owned()),
        body: "Diskon".to_owned(),
        photo_url: None,
    };
    let mut tx = pool.begin().await.unwrap();
    let id = broadcast::create(&mut tx, None, &input).await.unwrap();
    tx.commit().await.unwrap();
    let sender = Arc::new(RecordingSender::default());
    let handle = runner(&pool, &sender).start().await.unwrap();
    while sender.delivered.lock().unwrap().len() < 20 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut conn = pool.acquire().await.unwrap();
    assert!(broadcast::cancel(&mut conn, id).await.unwrap());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after_cancel = sender.delivered.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sender.delivered.lock().unwrap().len(),
        after_cancel,
        "nothing more is sent"
    );
    assert!(after_cancel < 300);
    handle.shutdown().await;
    let broadcast = broadcast::find(&pool, id).await.unwrap().unwrap();
    assert_eq!(broadcast.status, BroadcastStatus::Cancelled);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_broadcasts_are_refused_and_write_nothing(pool: PgPool) {
    let mut tx = pool.begin().await.unwrap();
    let no_subject = NewBroadcast {
        channel: Channel::Email,
        subject: None,
        body: "x".to_owned(),
        photo_url: Some("ftp://nope".to_owned()),
    };
    let error = broadcast::create(&mut tx, None, &no_subject)
        .await
        .unwrap_err();
    let notify::NotifyError::Validation(errors) = error else {
        panic!("validation error expected")
    };
    let fields: Vec<&str> = errors
        .errors()
        .iter()
        .map(|error| error.field.as_str())
        .collect();
    assert_eq!(fields, ["subject", "photo_url"]);
    tx.rollback().await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcast")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}
