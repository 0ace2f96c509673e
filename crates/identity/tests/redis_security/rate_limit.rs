//! The fixed-window rate limiter, as several API replicas sharing one Redis see it.

use std::sync::Arc;
use std::time::Duration;

use identity::rate_limit::{Limit, RateLimitError, RateLimitStatus, RateLimiter};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::helpers::{TestRedis, wait_past};

const LOGIN_IP: Limit = Limit {
    name: "login_ip",
    max: 3,
    window: Duration::from_secs(30),
};

async fn limiter(redis: &TestRedis) -> RateLimiter {
    RateLimiter::new(redis.replica().await, redis.prefix.clone())
}

fn expect_exceeded(result: Result<(), RateLimitError>) -> Duration {
    match result {
        Err(RateLimitError::Exceeded { retry_after }) => retry_after,
        other => panic!("expected Exceeded, got {other:?}"),
    }
}

#[tokio::test]
async fn allows_max_hits_then_refuses_with_the_time_left_in_the_window() {
    let redis = TestRedis::new();
    let limiter = limiter(&redis).await;

    for _ in 0..LOGIN_IP.max {
        limiter.hit(&LOGIN_IP, "203.0.113.7").await.unwrap();
    }
    let retry_after = expect_exceeded(limiter.hit(&LOGIN_IP, "203.0.113.7").await);

    assert!(retry_after > Duration::ZERO);
    assert!(retry_after <= LOGIN_IP.window, "{retry_after:?}");
    // Refused hits are not counted, so they do not extend the lockout.
    let again = expect_exceeded(limiter.hit(&LOGIN_IP, "203.0.113.7").await);
    assert!(again <= retry_after, "{again:?} > {retry_after:?}");
    redis.cleanup().await;
}

#[tokio::test]
async fn retry_after_is_at_least_one_second() {
    let redis = TestRedis::new();
    let limiter = limiter(&redis).await;
    let tiny = Limit {
        name: "tiny",
        max: 1,
        window: Duration::from_millis(1_500),
    };
    limiter.hit(&tiny, "x").await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;

    let retry_after = expect_exceeded(limiter.hit(&tiny, "x").await);

    assert_eq!(retry_after, Duration::from_secs(1));
    redis.cleanup().await;
}

#[tokio::test]
async fn hits_pass_again_once_the_window_has_expired() {
    let redis = TestRedis::new();
    let limiter = limiter(&redis).await;
    let short = Limit {
        name: "short",
        max: 2,
        window: Duration::from_secs(1),
    };
    limiter.hit(&short, "budi@example.com").await.unwrap();
    limiter.hit(&short, "budi@example.com").await.unwrap();
    let retry_after = expect_exceeded(limiter.hit(&short, "budi@example.com").await);
    assert!(retry_after <= short.window);

    wait_past(retry_after).await;

    limiter.hit(&short, "budi@example.com").await.unwrap();
    limiter.hit(&short, "budi@example.com").await.unwrap();
    expect_exceeded(limiter.hit(&short, "budi@example.com").await);
    redis.cleanup().await;
}

#[tokio::test]
async fn reset_clears_the_counter() {
    let redis = TestRedis::new();
    let limiter = limiter(&redis).await;
    for _ in 0..LOGIN_IP.max {
        limiter.hit(&LOGIN_IP, "budi@example.com").await.unwrap();
    }
    expect_exceeded(limiter.hit(&LOGIN_IP, "budi@example.com").await);

    limiter.reset(&LOGIN_IP, "budi@example.com").await.unwrap();

    for _ in 0..LOGIN_IP.max {
        limiter.hit(&LOGIN_IP, "budi@example.com").await.unwrap();
    }
    expect_exceeded(limiter.hit(&LOGIN_IP, "budi@example.com").await);
    // Resetting a subject that was never counted is fine too.
    limiter
        .reset(&LOGIN_IP, "nobody@example.com")
        .await
        .unwrap();
    redis.cleanup().await;
}

#[tokio::test]
async fn subjects_and_limits_are_independent() {
    let redis = TestRedis::new();
    let limiter = limiter(&redis).await;
    let login_account = Limit {
        name: "login_account",
        ..LOGIN_IP
    };
    for _ in 0..LOGIN_IP.max {
        limiter.hit(&LOGIN_IP, "203.0.113.7").await.unwrap();
    }
    expect_exceeded(limiter.hit(&LOGIN_IP, "203.0.113.7").await);

    limiter.hit(&LOGIN_IP, "203.0.113.8").await.unwrap();
    limiter.hit(&login_account, "203.0.113.7").await.unwrap();
    redis.cleanup().await;
}

#[tokio::test]
async fn subjects_are_compared_trimmed_and_case_insensitively() {
    let redis = TestRedis::new();
    let limiter = limiter(&redis).await;

    limiter.hit(&LOGIN_IP, "budi@example.com").await.unwrap();
    limiter.hit(&LOGIN_IP, "Budi@Example.COM").await.unwrap();
    limiter.hit(&LOGIN_IP, "  budi@example.com ").await.unwrap();

    expect_exceeded(limiter.hit(&LOGIN_IP, "BUDI@EXAMPLE.COM").await);
    redis.cleanup().await;
}

#[tokio::test]
async fn peek_shows_the_budget_without_counting() {
    let redis = TestRedis::new();
    let limiter = limiter(&redis).await;
    assert_eq!(
        limiter.peek(&LOGIN_IP, "s").await.unwrap(),
        RateLimitStatus {
            remaining: 3,
            resets_in: None
        }
    );

    limiter.hit(&LOGIN_IP, "s").await.unwrap();
    let status = limiter.peek(&LOGIN_IP, "s").await.unwrap();
    let status_again = limiter.peek(&LOGIN_IP, "s").await.unwrap();

    assert_eq!(status.remaining, 2);
    assert_eq!(status_again.remaining, 2);
    let resets_in = status.resets_in.unwrap();
    assert!(resets_in > Duration::ZERO && resets_in <= LOGIN_IP.window);
    redis.cleanup().await;
}

#[tokio::test]
async fn replicas_sharing_a_prefix_share_the_budget() {
    let redis = TestRedis::new();
    let replica_a = limiter(&redis).await;
    let replica_b = limiter(&redis).await;

    replica_a.hit(&LOGIN_IP, "203.0.113.7").await.unwrap();
    replica_b.hit(&LOGIN_IP, "203.0.113.7").await.unwrap();
    replica_a.hit(&LOGIN_IP, "203.0.113.7").await.unwrap();

    expect_exceeded(replica_b.hit(&LOGIN_IP, "203.0.113.7").await);
    expect_exceeded(replica_a.hit(&LOGIN_IP, "203.0.113.7").await);
    replica_b.reset(&LOGIN_IP, "203.0.113.7").await.unwrap();
    replica_a.hit(&LOGIN_IP, "203.0.113.7").await.unwrap();
    redis.cleanup().await;
}

#[tokio::test]
async fn different_prefixes_do_not_share_budgets() {
    let redis = TestRedis::new();
    let other = TestRedis::new();
    let limiter_a = limiter(&redis).await;
    let limiter_b = limiter(&other).await;
    for _ in 0..LOGIN_IP.max {
        limiter_a.hit(&LOGIN_IP, "s").await.unwrap();
    }

    limiter_b.hit(&LOGIN_IP, "s").await.unwrap();

    expect_exceeded(limiter_a.hit(&LOGIN_IP, "s").await);
    redis.cleanup().await;
    other.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_hits_on_five_replicas_let_exactly_ten_through() {
    let redis = TestRedis::new();
    let limit = Limit {
        name: "burst",
        max: 10,
        window: Duration::from_secs(30),
    };
    let mut replicas = Vec::new();
    for _ in 0..5 {
        replicas.push(limiter(&redis).await);
    }
    let start = Arc::new(Barrier::new(50));
    let mut hits = JoinSet::new();
    for i in 0..50 {
        let limiter = replicas[i % replicas.len()].clone();
        let start = Arc::clone(&start);
        hits.spawn(async move {
            start.wait().await;
            limiter.hit(&limit, "203.0.113.7").await
        });
    }

    let (mut passed, mut refused) = (0, 0);
    while let Some(result) = hits.join_next().await {
        match result.unwrap() {
            Ok(()) => passed += 1,
            Err(RateLimitError::Exceeded { .. }) => refused += 1,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    assert_eq!((passed, refused), (10, 40));
    assert_eq!(
        replicas[0]
            .peek(&limit, "203.0.113.7")
            .await
            .unwrap()
            .remaining,
        0
    );
    redis.cleanup().await;
}

#[tokio::test]
async fn keys_carry_the_prefix_expire_and_never_contain_the_raw_subject() {
    let redis = TestRedis::new();
    let limiter = limiter(&redis).await;
    let subject = "Budi Santoso <budi@example.com>";

    limiter.hit(&LOGIN_IP, subject).await.unwrap();

    let keys = redis.keys().await;
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert!(
        key.starts_with(&format!("{}rl:login_ip:", redis.prefix)),
        "{key}"
    );
    assert!(!key.to_lowercase().contains("budi"), "{key}");
    assert!(!key.contains(' '), "{key}");
    redis.assert_every_key_expires().await;
    redis.cleanup().await;
}
