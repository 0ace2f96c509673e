//! When to try a failed send again: a flood limit is waited out exactly,
//! transient failures back off exponentially with jitter, and after
//! `max_attempts` the message is dead. Errors that retrying cannot fix (403,
//! 400, 401) are dead at once.

use std::time::Duration;

use rand::Rng as _;

use super::error::TelegramError;

/// The outbox's retry rule for Telegram sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included, before a transient failure is
    /// final. A 429 does not count: the flood limit is not the message's
    /// fault, and Telegram says when to come back.
    pub max_attempts: u32,
    /// Delay after the first transient failure; doubles each time.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(300),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Send the same message again after this long.
    RetryAfter(Duration),
    /// Give up: the message is dead (or the chat unreachable).
    GiveUp,
}

impl RetryPolicy {
    /// `transient_failures` counts the transient failures so far, this one
    /// included.
    pub fn decide(&self, transient_failures: u32, error: &TelegramError) -> RetryDecision {
        match error {
            TelegramError::RetryAfter(wait) => RetryDecision::RetryAfter(*wait),
            TelegramError::Transient(_) if transient_failures < self.max_attempts => {
                RetryDecision::RetryAfter(self.backoff(transient_failures))
            }
            _ => RetryDecision::GiveUp,
        }
    }

    /// Half the exponential delay fixed, half random, so that replicas that
    /// failed together do not retry together.
    fn backoff(&self, failures: u32) -> Duration {
        let exponent = failures.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_limits_are_waited_out_exactly_and_never_make_a_message_dead() {
        let policy = RetryPolicy::default();
        let error = TelegramError::RetryAfter(Duration::from_secs(13));
        assert_eq!(
            policy.decide(99, &error),
            RetryDecision::RetryAfter(Duration::from_secs(13))
        );
    }

    #[test]
    fn transient_failures_back_off_until_the_last_attempt() {
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
        };
        let error = TelegramError::Transient("HTTP 502: Bad Gateway".into());
        let RetryDecision::RetryAfter(first) = policy.decide(1, &error) else {
            panic!("the first failure is retried");
        };
        assert!(
            (Duration::from_secs(1)..=Duration::from_secs(2)).contains(&first),
            "{first:?}"
        );
        let RetryDecision::RetryAfter(second) = policy.decide(2, &error) else {
            panic!("the second failure is retried");
        };
        assert!(
            (Duration::from_secs(2)..=Duration::from_secs(4)).contains(&second),
            "{second:?}"
        );
        assert_eq!(policy.decide(3, &error), RetryDecision::GiveUp);
    }

    #[test]
    fn permanent_failures_give_up_at_once() {
        let policy = RetryPolicy::default();
        for error in [
            TelegramError::Blocked("Forbidden: bot was blocked by the user".into()),
            TelegramError::BadRequest("Bad Request: chat not found".into()),
            TelegramError::Unauthorized,
        ] {
            assert_eq!(policy.decide(1, &error), RetryDecision::GiveUp, "{error}");
        }
    }
}
