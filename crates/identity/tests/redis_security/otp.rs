//! One-time codes: single use, attempt counting, expiry, resend limits, and
//! what happens when many requests race on several replicas.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use identity::otp::{IssuedCode, OtpError, OtpPolicy, OtpPurpose, OtpStore};
use sha2::Sha256;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::helpers::{TestRedis, wait_past};

const PEPPER: &[u8] = b"test-pepper-0123456789abcdef";

/// Long enough never to expire during a test, short enough to wait out.
const TEST_POLICY: OtpPolicy = OtpPolicy {
    ttl: Duration::from_secs(30),
    max_attempts: 5,
    resend_cooldown: Duration::from_secs(1),
    hourly_cap: 10,
};

/// An OTP store on its own connection ("replica") with [`TEST_POLICY`] for every purpose.
async fn store(redis: &TestRedis) -> OtpStore {
    OtpPurpose::ALL.into_iter().fold(
        OtpStore::new(redis.replica().await, redis.prefix.clone(), PEPPER),
        |store, purpose| store.with_policy(purpose, TEST_POLICY),
    )
}

/// A well-formed code guaranteed to differ from `code`.
fn wrong_code(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

fn expect_cooldown(result: Result<IssuedCode, OtpError>) -> Duration {
    match result {
        Err(OtpError::Cooldown { retry_after }) => retry_after,
        other => panic!("expected Cooldown, got {other:?}"),
    }
}

#[tokio::test]
async fn the_right_code_verifies_exactly_once() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;

    let issued = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();

    assert_eq!(issued.code.len(), 6);
    assert!(issued.code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(issued.expires_in, TEST_POLICY.ttl);
    assert_eq!(issued.resend_after, TEST_POLICY.resend_cooldown);
    otp.verify(OtpPurpose::Login, "challenge-1", &issued.code)
        .await
        .unwrap();
    assert!(matches!(
        otp.verify(OtpPurpose::Login, "challenge-1", &issued.code)
            .await,
        Err(OtpError::Expired)
    ));
    redis.cleanup().await;
}

#[tokio::test]
async fn a_code_issued_on_one_replica_verifies_on_another() {
    let redis = TestRedis::new();
    let replica_a = store(&redis).await;
    let replica_b = store(&redis).await;

    let issued = replica_a
        .issue(OtpPurpose::VerifyEmail, "user-1", "user-1")
        .await
        .unwrap();

    replica_b
        .verify(OtpPurpose::VerifyEmail, "user-1", &issued.code)
        .await
        .unwrap();
    redis.cleanup().await;
}

#[tokio::test]
async fn wrong_codes_count_down_and_the_fifth_kills_the_code() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let issued = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();
    let wrong = wrong_code(&issued.code);

    for expected in [4, 3, 2, 1] {
        match otp.verify(OtpPurpose::Login, "challenge-1", &wrong).await {
            Err(OtpError::Invalid { remaining_attempts }) => {
                assert_eq!(remaining_attempts, expected);
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
    assert!(matches!(
        otp.verify(OtpPurpose::Login, "challenge-1", &wrong).await,
        Err(OtpError::TooManyAttempts)
    ));

    assert!(matches!(
        otp.verify(OtpPurpose::Login, "challenge-1", &issued.code)
            .await,
        Err(OtpError::TooManyAttempts)
    ));
    redis.assert_every_key_expires().await;
    redis.cleanup().await;
}

#[tokio::test]
async fn a_code_expires_after_its_ttl() {
    let redis = TestRedis::new();
    let otp = store(&redis).await.with_policy(
        OtpPurpose::Login,
        OtpPolicy {
            ttl: Duration::from_secs(1),
            ..TEST_POLICY
        },
    );
    let issued = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();
    assert_eq!(issued.expires_in, Duration::from_secs(1));

    wait_past(issued.expires_in).await;

    assert!(matches!(
        otp.verify(OtpPurpose::Login, "challenge-1", &issued.code)
            .await,
        Err(OtpError::Expired)
    ));
    redis.cleanup().await;
}

#[tokio::test]
async fn a_resend_within_the_cooldown_is_refused_and_keeps_the_old_code() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let first = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();

    let retry_after = expect_cooldown(otp.issue(OtpPurpose::Login, "challenge-1", "user-1").await);

    assert!(retry_after > Duration::ZERO);
    assert!(
        retry_after <= TEST_POLICY.resend_cooldown,
        "{retry_after:?}"
    );
    otp.verify(OtpPurpose::Login, "challenge-1", &first.code)
        .await
        .unwrap();
    redis.cleanup().await;
}

#[tokio::test]
async fn a_resend_after_the_cooldown_replaces_the_old_code_and_its_attempts() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let first = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();
    let _ = otp
        .verify(OtpPurpose::Login, "challenge-1", &wrong_code(&first.code))
        .await;
    let retry_after = expect_cooldown(otp.issue(OtpPurpose::Login, "challenge-1", "user-1").await);

    wait_past(retry_after).await;
    let second = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();

    if second.code != first.code {
        // One chance in a million that the two codes are equal.
        match otp
            .verify(OtpPurpose::Login, "challenge-1", &first.code)
            .await
        {
            Err(OtpError::Invalid { remaining_attempts }) => assert_eq!(remaining_attempts, 4),
            other => panic!("expected the old code to be Invalid, got {other:?}"),
        }
    }
    otp.verify(OtpPurpose::Login, "challenge-1", &second.code)
        .await
        .unwrap();
    redis.cleanup().await;
}

#[tokio::test]
async fn the_hourly_cap_is_shared_by_all_subjects_of_an_account() {
    let redis = TestRedis::new();
    let capped = OtpPolicy {
        hourly_cap: 3,
        resend_cooldown: Duration::from_secs(60),
        ..TEST_POLICY
    };
    let otp = store(&redis).await.with_policy(OtpPurpose::Login, capped);

    otp.issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();
    // A refused resend does not use up the cap.
    expect_cooldown(otp.issue(OtpPurpose::Login, "challenge-1", "user-1").await);
    otp.issue(OtpPurpose::Login, "challenge-2", "user-1")
        .await
        .unwrap();
    otp.issue(OtpPurpose::Login, "challenge-3", "user-1")
        .await
        .unwrap();
    let refused = otp.issue(OtpPurpose::Login, "challenge-4", "user-1").await;

    match refused {
        Err(OtpError::HourlyCapReached { retry_after }) => {
            assert!(retry_after <= Duration::from_secs(3600), "{retry_after:?}");
            assert!(retry_after > Duration::from_secs(3500), "{retry_after:?}");
        }
        other => panic!("expected HourlyCapReached, got {other:?}"),
    }
    // Other accounts and other purposes have their own caps.
    otp.issue(OtpPurpose::Login, "challenge-5", "user-2")
        .await
        .unwrap();
    otp.issue(OtpPurpose::VerifyEmail, "user-1", "user-1")
        .await
        .unwrap();
    redis.assert_every_key_expires().await;
    redis.cleanup().await;
}

#[tokio::test]
async fn malformed_codes_are_rejected_without_counting_an_attempt() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let issued = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();

    for malformed in [
        "",
        "12345",
        "1234567",
        "12a456",
        " 123456",
        "123456\n",
        "-12345",
        "١٢٣٤٥٦",
        "１２３４５６",
    ] {
        assert!(
            matches!(
                otp.verify(OtpPurpose::Login, "challenge-1", malformed)
                    .await,
                Err(OtpError::Malformed)
            ),
            "{malformed:?}"
        );
    }

    match otp
        .verify(OtpPurpose::Login, "challenge-1", &wrong_code(&issued.code))
        .await
    {
        Err(OtpError::Invalid { remaining_attempts }) => assert_eq!(remaining_attempts, 4),
        other => panic!("expected Invalid, got {other:?}"),
    }
    otp.verify(OtpPurpose::Login, "challenge-1", &issued.code)
        .await
        .unwrap();
    redis.cleanup().await;
}

#[tokio::test]
async fn a_code_only_verifies_for_its_own_purpose_and_subject() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let issued = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();

    for (purpose, subject) in [
        (OtpPurpose::ConfirmSettings, "challenge-1"),
        (OtpPurpose::VerifyEmail, "challenge-1"),
        (OtpPurpose::Login, "challenge-2"),
    ] {
        assert!(matches!(
            otp.verify(purpose, subject, &issued.code).await,
            Err(OtpError::Expired)
        ));
    }
    otp.verify(OtpPurpose::Login, "challenge-1", &issued.code)
        .await
        .unwrap();
    redis.cleanup().await;
}

#[tokio::test]
async fn a_revoked_code_no_longer_verifies() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let issued = otp
        .issue(OtpPurpose::ConfirmSettings, "user-1", "user-1")
        .await
        .unwrap();

    otp.revoke(OtpPurpose::ConfirmSettings, "user-1")
        .await
        .unwrap();

    assert!(matches!(
        otp.verify(OtpPurpose::ConfirmSettings, "user-1", &issued.code)
            .await,
        Err(OtpError::Expired)
    ));
    // Revoking nothing is not an error.
    otp.revoke(OtpPurpose::ConfirmSettings, "user-1")
        .await
        .unwrap();
    redis.cleanup().await;
}

/// Starts `count` verifications of `code` at once, spread over four replicas.
async fn verify_concurrently(
    redis: &TestRedis,
    subject: &str,
    code: &str,
    count: usize,
) -> Vec<Result<(), OtpError>> {
    let mut replicas = Vec::new();
    for _ in 0..4 {
        replicas.push(store(redis).await);
    }
    let start = Arc::new(Barrier::new(count));
    let mut verifies = JoinSet::new();
    for i in 0..count {
        let otp = replicas[i % replicas.len()].clone();
        let start = Arc::clone(&start);
        let (subject, code) = (subject.to_owned(), code.to_owned());
        verifies.spawn(async move {
            start.wait().await;
            otp.verify(OtpPurpose::Login, &subject, &code).await
        });
    }
    let mut results = Vec::new();
    while let Some(result) = verifies.join_next().await {
        results.push(result.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_verifies_of_the_right_code_succeed_once() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let issued = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();

    let results = verify_concurrently(&redis, "challenge-1", &issued.code, 20).await;

    let successes = results.iter().filter(|r| r.is_ok()).count();
    let expired = results
        .iter()
        .filter(|r| matches!(r, Err(OtpError::Expired)))
        .count();
    assert_eq!((successes, expired), (1, 19), "{results:?}");
    redis.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_wrong_guesses_never_count_past_the_limit() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let issued = otp
        .issue(OtpPurpose::Login, "challenge-1", "user-1")
        .await
        .unwrap();

    let results = verify_concurrently(&redis, "challenge-1", &wrong_code(&issued.code), 20).await;

    let mut remaining: Vec<u32> = results
        .iter()
        .filter_map(|r| match r {
            Err(OtpError::Invalid { remaining_attempts }) => Some(*remaining_attempts),
            _ => None,
        })
        .collect();
    remaining.sort_unstable();
    assert_eq!(remaining, [1, 2, 3, 4], "{results:?}");
    let too_many = results
        .iter()
        .filter(|r| matches!(r, Err(OtpError::TooManyAttempts)))
        .count();
    assert_eq!(too_many, 16, "{results:?}");
    let failures: Vec<String> = redis
        .values()
        .await
        .into_iter()
        .filter(|(key, _)| key.contains(":otp:code:"))
        .map(|(_, value)| value)
        .collect();
    assert!(failures.contains(&"failures".to_owned()) && failures.contains(&"5".to_owned()));
    assert!(matches!(
        otp.verify(OtpPurpose::Login, "challenge-1", &issued.code)
            .await,
        Err(OtpError::TooManyAttempts)
    ));
    redis.cleanup().await;
}

#[tokio::test]
async fn redis_holds_only_the_hmac_of_a_code_never_the_code() {
    let redis = TestRedis::new();
    let otp = store(&redis).await;
    let subject = "challenge-1";
    let issued = otp
        .issue(OtpPurpose::Login, subject, "user-1")
        .await
        .unwrap();
    let _ = otp
        .verify(OtpPurpose::Login, subject, &wrong_code(&issued.code))
        .await;
    let expected_mac = {
        let mut mac = Hmac::<Sha256>::new_from_slice(PEPPER).unwrap();
        mac.update(format!("login|{subject}|{}", issued.code).as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };

    let keys = redis.keys().await;
    let values = redis.values().await;

    assert_eq!(keys.len(), 3, "code, cooldown and cap: {keys:?}");
    for key in &keys {
        assert!(key.starts_with(&format!("{}otp:", redis.prefix)), "{key}");
        assert!(
            !key.contains(&issued.code) && !key.contains(subject),
            "{key}"
        );
    }
    assert!(values.iter().any(|(_, value)| *value == expected_mac));
    for (key, value) in &values {
        // A 64-hex-digit MAC may contain six digits in a row by chance; it is still not the code.
        assert!(
            !value.contains(&issued.code) || *value == expected_mac,
            "{key} holds the code: {value}"
        );
    }
    redis.assert_every_key_expires().await;
    redis.cleanup().await;
}
