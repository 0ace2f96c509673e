//! Fixed-window rate limits kept in Redis, shared by every API replica: login
//! attempts per IP and per account, OTP requests, registration and the like.
//!
//! # Algorithm: fixed window, and why
//! Each `(limit, subject)` pair is one integer counter whose TTL is the window.
//! The first counted hit creates the counter and starts the window; hits are
//! counted until `max`, after which [`RateLimiter::hit`] answers
//! [`RateLimitError::Exceeded`] with the time left in the window until the
//! counter expires. Refused hits are *not* counted, so a client hammering a
//! closed window does not push its own reopening further out.
//!
//! We chose a fixed window over GCRA because the limits this guards are
//! lockout-style ("5 failed logins per 15 minutes, then wait"): users and staff
//! expect "try again in N minutes", [`RateLimiter::reset`] clearing the
//! failures after a successful login is one `DEL`, and the budget left is
//! readable directly ([`RateLimiter::peek`]). The price is the well-known
//! boundary burst (up to `2 × max` hits across two adjacent windows), which is
//! acceptable for abuse limits whose job is to bound guessing rates by orders
//! of magnitude, not to shape traffic smoothly.
//!
//! # Atomicity and time
//! The check and the increment run in one Lua script, so concurrent hits from
//! any number of replicas never exceed `max` in a window. Expiry uses Redis'
//! own clock (`PEXPIRE`/`PTTL`), so clock skew between replicas is irrelevant.
//!
//! # Key layout
//! `{prefix}rl:{limit.name}:{sha256_hex(normalised subject)}` → integer counter,
//! always with a TTL (the window). The subject is trimmed and lowercased before
//! hashing, so `" Budi@Example.com"` and `"budi@example.com"` share a budget
//! (case changes cannot be used to get a fresh budget), and raw emails or IPs
//! never appear in key names. `limit.name` is a compile-time identifier such as
//! `"login_ip"`; two limits with the same name share their counters.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use crate::redis_support::{duration_to_millis, retry_after_from_millis, sha256_hex};

/// Counts one hit if the budget allows it.
/// KEYS[1] = counter; ARGV[1] = max; ARGV[2] = window in ms.
/// Returns `{1, 0}` when counted, `{0, ms_left}` when refused.
static HIT_SCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local max = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local count = tonumber(redis.call('GET', KEYS[1]) or '0')
        if count >= max then
            local left = redis.call('PTTL', KEYS[1])
            if left < 0 then
                -- -1: a counter without TTL would lock forever; -2: max is 0.
                if left == -1 then redis.call('PEXPIRE', KEYS[1], window) end
                left = window
            end
            return {0, left}
        end
        redis.call('INCR', KEYS[1])
        if redis.call('PTTL', KEYS[1]) < 0 then
            redis.call('PEXPIRE', KEYS[1], window)
        end
        return {1, 0}
        ",
    )
});

/// Reads the counter without changing it. KEYS[1] = counter.
/// Returns `{count, ms_left}` (`ms_left` < 0 when there is no counter).
static PEEK_SCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local count = tonumber(redis.call('GET', KEYS[1]) or '0')
        return {count, redis.call('PTTL', KEYS[1])}
        ",
    )
});

/// One named limit: at most `max` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Stable identifier used in the Redis key, e.g. `"login_ip"`.
    pub name: &'static str,
    pub max: u32,
    pub window: Duration,
}

/// Budget left for a subject, as shown to the user (e.g. "3 attempts left").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// Hits still allowed in the current window.
    pub remaining: u32,
    /// When the current window ends; `None` when no window is open (nothing counted yet).
    pub resets_in: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("too many attempts; retry after {retry_after:?}")]
    Exceeded { retry_after: Duration },
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

/// Rate limiter shared by all replicas through one Redis. Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    redis: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// `prefix` (e.g. `"juragan:"`) starts every key this limiter touches.
    pub fn new(redis: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            redis,
            prefix: prefix.into(),
        }
    }

    /// Counts one hit of `subject` (e.g. an IP or an email) against `limit`.
    ///
    /// Fails with [`RateLimitError::Exceeded`] — without counting the hit —
    /// when `limit.max` hits were already counted in the current window;
    /// `retry_after` is the time left in that window (at least 1 s).
    pub async fn hit(&self, limit: &Limit, subject: &str) -> Result<(), RateLimitError> {
        let mut conn = self.redis.clone();
        let (counted, ms_left): (i64, i64) = HIT_SCRIPT
            .key(self.key(limit, subject))
            .arg(limit.max)
            .arg(duration_to_millis(limit.window))
            .invoke_async(&mut conn)
            .await?;
        if counted == 1 {
            return Ok(());
        }
        tracing::debug!(limit = limit.name, "rate limit exceeded");
        Err(RateLimitError::Exceeded {
            retry_after: retry_after_from_millis(ms_left),
        })
    }

    /// Shows the budget left for `subject` without counting a hit.
    /// Never fails with [`RateLimitError::Exceeded`].
    pub async fn peek(
        &self,
        limit: &Limit,
        subject: &str,
    ) -> Result<RateLimitStatus, RateLimitError> {
        let mut conn = self.redis.clone();
        let (count, ms_left): (i64, i64) = PEEK_SCRIPT
            .key(self.key(limit, subject))
            .invoke_async(&mut conn)
            .await?;
        let count = u32::try_from(count.max(0)).unwrap_or(u32::MAX);
        Ok(RateLimitStatus {
            remaining: limit.max.saturating_sub(count),
            resets_in: u64::try_from(ms_left).ok().map(Duration::from_millis),
        })
    }

    /// Clears the counter, e.g. the per-account failures after a successful login.
    pub async fn reset(&self, limit: &Limit, subject: &str) -> Result<(), RateLimitError> {
        let mut conn = self.redis.clone();
        redis::cmd("DEL")
            .arg(self.key(limit, subject))
            .exec_async(&mut conn)
            .await?;
        Ok(())
    }

    fn key(&self, limit: &Limit, subject: &str) -> String {
        let normalised = subject.trim().to_lowercase();
        format!(
            "{}rl:{}:{}",
            self.prefix,
            limit.name,
            sha256_hex(normalised.as_bytes())
        )
    }
}
