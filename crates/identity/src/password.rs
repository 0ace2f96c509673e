//! Passwords: argon2id hashes (PHC strings), computed off the async runtime
//! because a hash takes tens of milliseconds by design.
//!
//! That cost is also a lever for anyone who can make us hash: every hash and
//! verification in the process takes a permit from one semaphore sized to the
//! CPU count, so a flood of password requests cannot occupy every core (and
//! the blocking pool) and starve the rest of the API. A request that cannot get
//! a permit within [`PERMIT_WAIT`] is refused with [`Busy`] (503, Retry-After)
//! instead of queueing without bound. [`argon2_runs`] counts the work done, for
//! tests and the metrics.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("password must be at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("password must be at most {MAX_LENGTH} characters")]
    TooLong,
}

/// A password that satisfies the policy; the only way to get a hash.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, PasswordPolicyError> {
        let length = input.chars().count();
        if length < MIN_LENGTH {
            return Err(PasswordPolicyError::TooShort);
        }
        if length > MAX_LENGTH {
            return Err(PasswordPolicyError::TooLong);
        }
        Ok(Self(input.to_owned()))
    }

    pub async fn hash(self) -> Result<String, HashError> {
        let permit = permit().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            ARGON2_RUNS.fetch_add(1, Ordering::Relaxed);
            Argon2::default()
                .hash_password(self.0.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|error| HashError::Failed(anyhow::anyhow!("hashing password: {error}")))
        })
        .await
        .map_err(|error| HashError::Failed(error.into()))?
    }
}

/// How long a password request waits for a free core before it is refused.
pub const PERMIT_WAIT: Duration = Duration::from_millis(250);

/// What a refused client is told to wait.
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(2);

/// Every argon2 computation in this process holds one of these.
static ARGON2_PERMITS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    tokio::sync::Semaphore::new(cores)
});

static ARGON2_RUNS: AtomicU64 = AtomicU64::new(0);

/// Argon2 hashes and verifications this process has run.
pub fn argon2_runs() -> u64 {
    ARGON2_RUNS.load(Ordering::Relaxed)
}

/// Every core is already hashing; try again shortly.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the server is busy checking passwords; retry shortly")]
pub struct Busy;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Failed(anyhow::Error),
}

async fn permit() -> Result<tokio::sync::SemaphorePermit<'static>, Busy> {
    match tokio::time::timeout(PERMIT_WAIT, ARGON2_PERMITS.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Busy),
    }
}

/// Checks `candidate` against a stored hash. With no stored hash (unknown
/// account) a dummy hash is checked so both cases take the same time.
pub async fn verify(candidate: &str, stored: Option<&str>) -> Result<bool, Busy> {
    let permit = permit().await?;
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3S+FBwV4Vw0JjIY3C3QjFCaYxvNfeGuG8SE/9qOgOEc";
    let candidate = candidate.to_owned();
    let stored_hash = stored.map(str::to_owned);
    Ok(tokio::task::spawn_blocking(move || {
        let _permit = permit;
        ARGON2_RUNS.fetch_add(1, Ordering::Relaxed);
        let hash_text = stored_hash.as_deref().unwrap_or(DUMMY);
        let Ok(hash) = PasswordHash::new(hash_text) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(candidate.as_bytes(), &hash)
            .is_ok();
        matches && stored_hash.is_some()
    })
    .await
    .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_work_beyond_the_cores_is_refused_not_queued() {
        let cores =
            u32::try_from(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
                .unwrap_or(u32::MAX);
        // Every core busy hashing: the next request is refused after the
        // short wait instead of queueing behind them.
        let held = ARGON2_PERMITS
            .acquire_many(cores)
            .await
            .expect("the semaphore is open");
        let started = std::time::Instant::now();
        assert!(matches!(verify("anything", None).await, Err(Busy)));
        let password = NewPassword::parse("a-long-enough-password").expect("valid");
        assert!(matches!(password.hash().await, Err(HashError::Busy(Busy))));
        assert!(started.elapsed() >= PERMIT_WAIT);
        drop(held);
        let runs = argon2_runs();
        assert_eq!(verify("anything", None).await.ok(), Some(false));
        assert_eq!(argon2_runs(), runs + 1, "every argon2 run is counted");
    }
}
