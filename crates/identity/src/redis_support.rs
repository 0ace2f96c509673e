//! Helpers shared by the Redis-backed modules (one-time codes, rate limits,
//! reset links): hashing subjects into key names, and converting durations to
//! and from the milliseconds Redis counts in.

use std::fmt::Write as _;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Shortest wait ever announced: "retry in 0 s" helps nobody.
pub(crate) const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing into a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Keys name subjects (emails, tokens) by hash, never in the clear.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Redis wants a positive integer of milliseconds for `PX`/`PEXPIRE`.
pub(crate) fn duration_to_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

pub(crate) fn retry_after_from_millis(ms_left: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms_left).unwrap_or(0)).max(MIN_RETRY_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_at_least_a_second() {
        assert_eq!(retry_after_from_millis(-2), MIN_RETRY_AFTER);
        assert_eq!(retry_after_from_millis(250), MIN_RETRY_AFTER);
        assert_eq!(retry_after_from_millis(4_500), Duration::from_millis(4_500));
    }

    #[test]
    fn durations_become_positive_millis() {
        assert_eq!(duration_to_millis(Duration::ZERO), 1);
        assert_eq!(duration_to_millis(Duration::from_secs(2)), 2_000);
    }

    #[test]
    fn hashes_are_lowercase_hex_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
