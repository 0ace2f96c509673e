//! The shared send throttle against a real Redis: two replicas together
//! keep Telegram's 30/s, one chat gets at most one send a second, and a 429
//! pauses everyone.

use std::time::{Duration, Instant};

use notify::throttle::{SendThrottle, ThrottleError};

use crate::helpers::{WAIT, fresh_prefix, redis, two_replicas};

#[tokio::test]
async fn two_replicas_together_send_at_most_30_a_second() {
    let (first, second) = two_replicas(30).await;
    let started = Instant::now();

    let mut tasks = tokio::task::JoinSet::new();
    for chat in 0..60_i64 {
        let throttle = if chat % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.spawn(async move {
            throttle.acquire(800_000 + chat).await.unwrap();
            started.elapsed()
        });
    }
    let mut granted = Vec::new();
    while let Some(at) = tokio::time::timeout(WAIT, tasks.join_next()).await.unwrap() {
        granted.push(at.unwrap());
    }
    let elapsed = started.elapsed();

    // 60 slots 1/30 s apart: the last one 59/30 s after the first.
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    assert!(elapsed <= Duration::from_millis(2600), "{elapsed:?}");
    granted.sort();
    for (i, at) in granted.iter().enumerate() {
        let in_window = granted[i..]
            .iter()
            .take_while(|later| **later - *at < Duration::from_millis(950))
            .count();
        assert!(
            in_window <= 30,
            "{in_window} sends within 950 ms from {at:?}"
        );
    }
}

#[tokio::test]
async fn two_sends_to_one_chat_are_a_second_apart() {
    let (first, second) = two_replicas(30).await;

    first.acquire(900_001).await.unwrap();
    let after_first = Instant::now();
    second.acquire(900_001).await.unwrap();
    let gap = after_first.elapsed();

    // The slots are exactly 1 s apart in Redis time; the local clock sees
    // that minus a round trip at most.
    assert!(gap >= Duration::from_millis(980), "{gap:?}");
    assert!(gap <= Duration::from_millis(1500), "{gap:?}");
}

#[tokio::test]
async fn other_chats_are_not_held_up_by_a_busy_chat() {
    let (first, second) = two_replicas(30).await;
    first.acquire(900_101).await.unwrap();
    let busy = tokio::spawn({
        let first = first.clone();
        async move { first.acquire(900_101).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;

    let waited = second.acquire(900_102).await.unwrap();

    assert!(waited < Duration::from_millis(300), "{waited:?}");
    let busy_waited = tokio::time::timeout(WAIT, busy).await.unwrap().unwrap();
    assert!(busy_waited >= Duration::from_millis(900), "{busy_waited:?}");
}

#[tokio::test]
async fn pause_all_holds_every_replica_for_the_retry_after() {
    let (first, second) = two_replicas(30).await;

    first.pause_all(Duration::from_millis(1500)).await.unwrap();
    let left = second.pause_left().await.unwrap();
    let started = Instant::now();
    second.acquire(900_201).await.unwrap();
    let waited = started.elapsed();

    assert!(
        left > Duration::from_millis(1300) && left <= Duration::from_millis(1500),
        "{left:?}"
    );
    assert!(waited >= Duration::from_millis(1400), "{waited:?}");
    assert!(waited <= Duration::from_millis(2100), "{waited:?}");
    assert!(first.pause_left().await.unwrap().is_zero());
}

#[tokio::test]
async fn a_wait_longer_than_allowed_fails_fast_and_reserves_nothing() {
    let prefix = fresh_prefix();
    let patient =
        SendThrottle::new(redis().await, &prefix, 30, Duration::from_secs(1)).with_max_wait(WAIT);
    let hasty = SendThrottle::new(redis().await, &prefix, 30, Duration::from_secs(1))
        .with_max_wait(Duration::from_millis(200));
    patient.pause_all(Duration::from_secs(2)).await.unwrap();

    let started = Instant::now();
    let error = hasty.acquire(900_301).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(
        matches!(error, ThrottleError::WouldWaitTooLong { wait } if wait > Duration::from_millis(1500)),
        "{error}"
    );
}
