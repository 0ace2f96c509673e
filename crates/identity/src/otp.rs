//! One-time 6-digit codes sent by email — the login second factor, the
//! confirmation of a 2FA settings change, and email verification — kept in
//! Redis so that every API replica sees the same codes, attempts and limits.
//!
//! # What is stored
//! The code itself is never stored or logged: Redis holds only
//! `HMAC-SHA256(pepper, "{purpose}|{subject}|{code}")` in hex, so a dump of
//! Redis neither reveals live codes nor lets one code be replayed for another
//! purpose or subject. Every check-and-update (issue with cooldown and hourly
//! cap, verify with attempt counting, single use) is one Lua script, hence
//! atomic across replicas: two concurrent verifies of the right code succeed
//! at most once, and concurrent wrong guesses never count past `max_attempts`.
//! The HMAC comparison inside the script is constant-time. All expiries use
//! Redis' clock.
//!
//! # Key layout
//! `h(x)` is the SHA-256 hex of `x`; every key starts with the store's prefix
//! and every key has a TTL.
//! - `{prefix}otp:code:{purpose}:{h(subject)}` — hash `{mac, failures}` while
//!   the code is live; once `max_attempts` wrong guesses are counted the `mac`
//!   field is removed and `dead = 1` is set, so later verifies answer
//!   [`OtpError::TooManyAttempts`] until the TTL ends or a new code is issued.
//!   TTL: [`OtpPolicy::ttl`].
//! - `{prefix}otp:cooldown:{purpose}:{h(subject)}` — `"1"` while a resend is
//!   refused. TTL: [`OtpPolicy::resend_cooldown`].
//! - `{prefix}otp:cap:{purpose}:{h(account)}` — number of codes issued in the
//!   current hour for the account (fixed window started by the first issue).
//!   TTL: one hour.
//!
//! The script touches keys of different subjects/accounts in one call, so on a
//! Redis Cluster they would need a common hash tag; Juragan runs one Redis.

use std::sync::LazyLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::Rng;
use redis::Script;
use redis::aio::ConnectionManager;
use sha2::Sha256;

use crate::redis_support::{duration_to_millis, retry_after_from_millis, sha256_hex, to_hex};

/// Issues a code unless the subject is cooling down or the account is at its hourly cap.
/// KEYS: 1 = code, 2 = cooldown, 3 = hourly cap counter.
/// ARGV: 1 = code MAC, 2 = TTL ms, 3 = cooldown ms (0 = none), 4 = hourly cap, 5 = cap window ms.
/// Returns `{0, 0}` issued, `{1, ms_left}` cooling down, `{2, ms_left}` hourly cap reached.
static ISSUE_SCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local cooldown_left = redis.call('PTTL', KEYS[2])
        if cooldown_left > 0 then
            return {1, cooldown_left}
        end
        local cap = tonumber(ARGV[4])
        local cap_window = tonumber(ARGV[5])
        local issued = tonumber(redis.call('GET', KEYS[3]) or '0')
        if issued >= cap then
            local cap_left = redis.call('PTTL', KEYS[3])
            if cap_left < 0 then
                -- -1: a counter without TTL would block forever; -2: the cap is 0.
                if cap_left == -1 then redis.call('PEXPIRE', KEYS[3], cap_window) end
                cap_left = cap_window
            end
            return {2, cap_left}
        end
        redis.call('INCR', KEYS[3])
        if redis.call('PTTL', KEYS[3]) < 0 then
            redis.call('PEXPIRE', KEYS[3], cap_window)
        end
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'mac', ARGV[1], 'failures', 0)
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        if tonumber(ARGV[3]) > 0 then
            redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
        end
        return {0, 0}
        ",
    )
});

/// Checks a candidate MAC against the live code, counting wrong guesses.
/// KEYS: 1 = code. ARGV: 1 = candidate MAC, 2 = max attempts.
/// Returns `{0, 0}` match (code deleted), `{1, remaining}` wrong, `{2, 0}` too many
/// wrong guesses (code dead), `{3, 0}` no code (expired, used or revoked).
static VERIFY_SCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local stored = redis.call('HGET', KEYS[1], 'mac')
        if not stored then
            if redis.call('HEXISTS', KEYS[1], 'dead') == 1 then
                return {2, 0}
            end
            return {3, 0}
        end
        local candidate = ARGV[1]
        -- Constant-time comparison: always walk the whole stored MAC.
        local diff = 0
        if #stored ~= #candidate then diff = 1 end
        for i = 1, #stored do
            diff = bit.bor(diff, bit.bxor(string.byte(stored, i), string.byte(candidate, i) or 0))
        end
        if diff == 0 then
            redis.call('DEL', KEYS[1])
            return {0, 0}
        end
        local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
        local remaining = tonumber(ARGV[2]) - failures
        if remaining <= 0 then
            -- Set the tombstone before removing the MAC so the hash (and its TTL) survives.
            redis.call('HSET', KEYS[1], 'dead', '1')
            redis.call('HDEL', KEYS[1], 'mac')
            return {2, 0}
        end
        return {1, remaining}
        ",
    )
});

/// Window of [`OtpPolicy::hourly_cap`].
const CAP_WINDOW: Duration = Duration::from_secs(60 * 60);

const CODE_DIGITS: usize = 6;
const CODE_SPACE: u32 = 1_000_000;

/// What a code is for; a code issued for one purpose never verifies for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtpPurpose {
    /// Second factor of a password login.
    Login,
    /// Confirms a change of the 2FA settings.
    ConfirmSettings,
    /// Proves ownership of an email address.
    VerifyEmail,
    /// Confirms a destructive action on a service (a VPS reinstall).
    ConfirmAction,
}

impl OtpPurpose {
    pub const ALL: [Self; 4] = [
        Self::Login,
        Self::ConfirmSettings,
        Self::VerifyEmail,
        Self::ConfirmAction,
    ];

    /// Stable name used in Redis keys and in the code's MAC.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::ConfirmSettings => "confirm_settings",
            Self::VerifyEmail => "verify_email",
            Self::ConfirmAction => "confirm_action",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Login => 0,
            Self::ConfirmSettings => 1,
            Self::VerifyEmail => 2,
            Self::ConfirmAction => 3,
        }
    }
}

/// Lifetime and abuse limits of the codes of one purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    /// How long a code stays valid after it is issued.
    pub ttl: Duration,
    /// Wrong guesses allowed per code; the last one kills the code.
    pub max_attempts: u32,
    /// Minimum time between two codes for the same (purpose, subject).
    pub resend_cooldown: Duration,
    /// Codes per (purpose, account) per hour.
    pub hourly_cap: u32,
}

impl OtpPolicy {
    pub fn for_purpose(purpose: OtpPurpose) -> Self {
        match purpose {
            OtpPurpose::Login | OtpPurpose::ConfirmSettings | OtpPurpose::ConfirmAction => Self {
                ttl: Duration::from_secs(5 * 60),
                max_attempts: 5,
                resend_cooldown: Duration::from_secs(60),
                hourly_cap: 10,
            },
            // The user has to switch to their mailbox and back, often on another device.
            OtpPurpose::VerifyEmail => Self {
                ttl: Duration::from_secs(30 * 60),
                max_attempts: 5,
                resend_cooldown: Duration::from_secs(60),
                hourly_cap: 10,
            },
        }
    }
}

/// A freshly issued code, to be sent to the user and then dropped.
/// `Debug` redacts the code so it cannot end up in logs by accident.
pub struct IssuedCode {
    /// Six ASCII digits, zero-padded.
    pub code: String,
    pub expires_in: Duration,
    /// When the user may ask for another code for the same subject.
    pub resend_after: Duration,
}

impl std::fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCode")
            .field("code", &"******")
            .field("expires_in", &self.expires_in)
            .field("resend_after", &self.resend_after)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    #[error("wrong code; {remaining_attempts} attempt(s) left")]
    Invalid { remaining_attempts: u32 },
    #[error("the code has expired or was already used; request a new one")]
    Expired,
    #[error("too many wrong codes; request a new one")]
    TooManyAttempts,
    #[error("a code was sent moments ago; retry after {retry_after:?}")]
    Cooldown { retry_after: Duration },
    #[error("too many codes requested this hour; retry after {retry_after:?}")]
    HourlyCapReached { retry_after: Duration },
    #[error("a code is exactly 6 digits")]
    Malformed,
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

/// Issues and verifies one-time codes. Cheap to clone.
#[derive(Clone)]
pub struct OtpStore {
    redis: ConnectionManager,
    prefix: String,
    /// HMAC keyed with the pepper; the pepper itself is not kept.
    mac_key: Hmac<Sha256>,
    policies: [OtpPolicy; 4],
}

impl std::fmt::Debug for OtpStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtpStore")
            .field("prefix", &self.prefix)
            .field("policies", &self.policies)
            .finish_non_exhaustive()
    }
}

impl OtpStore {
    /// `prefix` (e.g. `"juragan:"`) starts every key; `pepper` is a server
    /// secret (from the environment) keying the HMAC of stored codes.
    pub fn new(redis: ConnectionManager, prefix: impl Into<String>, pepper: &[u8]) -> Self {
        if pepper.len() < 16 {
            tracing::warn!("the OTP pepper is shorter than 16 bytes");
        }
        let mac_key = <Hmac<Sha256> as Mac>::new_from_slice(pepper)
            .expect("HMAC-SHA256 accepts keys of any length");
        Self {
            redis,
            prefix: prefix.into(),
            mac_key,
            policies: OtpPurpose::ALL.map(OtpPolicy::for_purpose),
        }
    }

    /// Replaces the policy of one purpose (tests use short TTLs and cooldowns).
    pub fn with_policy(mut self, purpose: OtpPurpose, policy: OtpPolicy) -> Self {
        self.policies[purpose.index()] = policy;
        self
    }

    pub fn policy(&self, purpose: OtpPurpose) -> OtpPolicy {
        self.policies[purpose.index()]
    }

    /// Issues a fresh code for `(purpose, subject)` — a user id or a challenge
    /// id — replacing any previous one (and its attempt count).
    ///
    /// Refused with [`OtpError::Cooldown`] when the previous code for this
    /// `(purpose, subject)` was issued less than `resend_cooldown` ago, and with
    /// [`OtpError::HourlyCapReached`] when `account` already received
    /// `hourly_cap` codes for `purpose` this hour (all its subjects together).
    /// Refusals count towards neither limit.
    pub async fn issue(
        &self,
        purpose: OtpPurpose,
        subject: &str,
        account: &str,
    ) -> Result<IssuedCode, OtpError> {
        let policy = self.policy(purpose);
        let code = generate_code();
        let mac = self.code_mac(purpose, subject, &code);
        let cooldown_ms = if policy.resend_cooldown.is_zero() {
            0
        } else {
            duration_to_millis(policy.resend_cooldown)
        };

        let mut conn = self.redis.clone();
        let (status, ms_left): (i64, i64) = ISSUE_SCRIPT
            .key(self.code_key(purpose, subject))
            .key(self.cooldown_key(purpose, subject))
            .key(self.cap_key(purpose, account))
            .arg(mac)
            .arg(duration_to_millis(policy.ttl))
            .arg(cooldown_ms)
            .arg(policy.hourly_cap)
            .arg(duration_to_millis(CAP_WINDOW))
            .invoke_async(&mut conn)
            .await?;

        match status {
            0 => {
                tracing::debug!(purpose = purpose.as_str(), "otp issued");
                Ok(IssuedCode {
                    code,
                    expires_in: policy.ttl,
                    resend_after: policy.resend_cooldown,
                })
            }
            1 => Err(OtpError::Cooldown {
                retry_after: retry_after_from_millis(ms_left),
            }),
            2 => {
                tracing::info!(purpose = purpose.as_str(), "otp hourly cap reached");
                Err(OtpError::HourlyCapReached {
                    retry_after: retry_after_from_millis(ms_left),
                })
            }
            _ => Err(unexpected_status()),
        }
    }

    /// Checks `code` for `(purpose, subject)`. A match consumes the code (single
    /// use); a wrong code counts one attempt and the attempt that reaches
    /// `max_attempts` kills the code. Input that is not 6 ASCII digits is
    /// rejected as [`OtpError::Malformed`] without touching Redis or counting.
    pub async fn verify(
        &self,
        purpose: OtpPurpose,
        subject: &str,
        code: &str,
    ) -> Result<(), OtpError> {
        if !is_well_formed(code) {
            return Err(OtpError::Malformed);
        }
        let policy = self.policy(purpose);
        let mac = self.code_mac(purpose, subject, code);

        let mut conn = self.redis.clone();
        let (status, remaining): (i64, i64) = VERIFY_SCRIPT
            .key(self.code_key(purpose, subject))
            .arg(mac)
            .arg(policy.max_attempts)
            .invoke_async(&mut conn)
            .await?;

        match status {
            0 => Ok(()),
            1 => Err(OtpError::Invalid {
                remaining_attempts: u32::try_from(remaining).unwrap_or(0),
            }),
            2 => {
                tracing::info!(purpose = purpose.as_str(), "otp killed by wrong attempts");
                Err(OtpError::TooManyAttempts)
            }
            3 => Err(OtpError::Expired),
            _ => Err(unexpected_status()),
        }
    }

    /// Removes the code of `(purpose, subject)`, e.g. when its challenge is
    /// cancelled. The resend cooldown and hourly cap are left as they are.
    pub async fn revoke(&self, purpose: OtpPurpose, subject: &str) -> Result<(), OtpError> {
        let mut conn = self.redis.clone();
        redis::cmd("DEL")
            .arg(self.code_key(purpose, subject))
            .exec_async(&mut conn)
            .await?;
        Ok(())
    }

    /// `HMAC(pepper, "{purpose}|{subject}|{code}")`; unambiguous because the
    /// purpose has no `|` and the code has a fixed length at the end.
    fn code_mac(&self, purpose: OtpPurpose, subject: &str, code: &str) -> String {
        let mut mac = self.mac_key.clone();
        mac.update(purpose.as_str().as_bytes());
        mac.update(b"|");
        mac.update(subject.as_bytes());
        mac.update(b"|");
        mac.update(code.as_bytes());
        to_hex(&mac.finalize().into_bytes())
    }

    fn code_key(&self, purpose: OtpPurpose, subject: &str) -> String {
        format!(
            "{}otp:code:{}:{}",
            self.prefix,
            purpose.as_str(),
            sha256_hex(subject.as_bytes())
        )
    }

    fn cooldown_key(&self, purpose: OtpPurpose, subject: &str) -> String {
        format!(
            "{}otp:cooldown:{}:{}",
            self.prefix,
            purpose.as_str(),
            sha256_hex(subject.as_bytes())
        )
    }

    fn cap_key(&self, purpose: OtpPurpose, account: &str) -> String {
        format!(
            "{}otp:cap:{}:{}",
            self.prefix,
            purpose.as_str(),
            sha256_hex(account.as_bytes())
        )
    }
}

/// Uniform over 000000..=999999, from the thread-local CSPRNG (seeded by the OS).
fn generate_code() -> String {
    let n = rand::rng().random_range(0..CODE_SPACE);
    format!("{n:0width$}", width = CODE_DIGITS)
}

fn is_well_formed(code: &str) -> bool {
    code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

fn unexpected_status() -> OtpError {
    OtpError::Redis(redis::RedisError::from((
        redis::ErrorKind::UnexpectedReturnType,
        "unexpected status from the OTP script",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_ascii_digits() {
        for _ in 0..1_000 {
            let code = generate_code();
            assert!(is_well_formed(&code), "{code:?}");
        }
    }

    #[test]
    fn well_formed_means_exactly_six_ascii_digits() {
        assert!(is_well_formed("000000"));
        assert!(is_well_formed("123456"));
        for bad in [
            "",
            "12345",
            "1234567",
            "12a456",
            " 12345",
            "١٢٣٤٥٦",
            "12345６",
        ] {
            assert!(!is_well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn default_policies_follow_the_spec() {
        let login = OtpPolicy::for_purpose(OtpPurpose::Login);
        assert_eq!(login.ttl, Duration::from_secs(300));
        assert_eq!(login.max_attempts, 5);
        assert_eq!(login.resend_cooldown, Duration::from_secs(60));
        assert_eq!(login.hourly_cap, 10);
        assert_eq!(OtpPolicy::for_purpose(OtpPurpose::ConfirmSettings), login);
        let verify_email = OtpPolicy::for_purpose(OtpPurpose::VerifyEmail);
        assert_eq!(verify_email.ttl, Duration::from_secs(30 * 60));
        assert_eq!(verify_email.max_attempts, 5);
    }

    #[test]
    fn issued_code_debug_hides_the_code() {
        let issued = IssuedCode {
            code: "482913".to_owned(),
            expires_in: Duration::from_secs(300),
            resend_after: Duration::from_secs(60),
        };
        assert!(!format!("{issued:?}").contains("482913"));
    }
}
