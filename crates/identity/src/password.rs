//! Passwords: argon2id hashes (PHC strings), computed off the async runtime
//! because a hash takes tens of milliseconds by design.

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

    pub async fn hash(self) -> anyhow::Result<String> {
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(self.0.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|error| anyhow::anyhow!("hashing password: {error}"))
        })
        .await?
    }
}

/// Checks `candidate` against a stored hash. With no stored hash (unknown
/// account) a dummy hash is checked so both cases take the same time.
pub async fn verify(candidate: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3S+FBwV4Vw0JjIY3C3QjFCaYxvNfeGuG8SE/9qOgOEc";
    let candidate = candidate.to_owned();
    let stored_hash = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
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
    .unwrap_or(false)
}
