//! Everything identity can refuse, with enough detail for the API to answer
//! precisely and for the SPA to react (retry later, ask for the code again…).

use std::time::Duration;

use domain::ValidationErrors;

use crate::otp::OtpError;
use crate::password::{BUSY_RETRY_AFTER, Busy, HashError};
use crate::rate_limit::RateLimitError;
use crate::tokens::TokenError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// Only for the owner's staff invitations: public registration never says so.
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("verify your email address before signing in")]
    EmailNotVerified,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("wrong code; {remaining_attempts} attempt(s) left")]
    OtpInvalid { remaining_attempts: u32 },
    #[error("the code has expired or was used up; ask for a new one")]
    OtpExpired,
    /// A verification code failed, without saying why (wrong, expired, or
    /// no such account): nothing to learn about the address.
    #[error("the code is wrong or has expired; ask for a new one if it keeps failing")]
    CodeRejected,
    #[error("too many attempts; retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    #[error("sign in again: {0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the server is busy checking passwords; retry in {} s", retry_after.as_secs().max(1))]
    Busy { retry_after: Duration },
    #[error("two-factor sign-in cannot be turned off for staff accounts")]
    OtpRequiredForStaff,
    #[error("the link has expired or was already used")]
    LinkExpired,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("complete your profile and billing address before checking out")]
    OnboardingIncomplete(ValidationErrors),
    #[error("the shop must keep at least one active owner")]
    LastOwner,
    #[error("sign-in checks are unavailable for a moment; retry shortly")]
    RevocationsUnavailable,
    #[error("an API token cannot do this: sign in to the app")]
    InteractiveSessionRequired,
    #[error(
        "confirm with your password (or an emailed code): your sign-in is older than 5 minutes"
    )]
    StepUpRequired,
    #[error("email could not be sent; try again shortly")]
    MailUnavailable(#[source] notify::NotifyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<RateLimitError> for IdentityError {
    fn from(error: RateLimitError) -> Self {
        match error {
            RateLimitError::Exceeded { retry_after } => IdentityError::RateLimited { retry_after },
            other => IdentityError::Internal(anyhow::Error::new(other).context("rate limiter")),
        }
    }
}

impl From<OtpError> for IdentityError {
    fn from(error: OtpError) -> Self {
        match error {
            OtpError::Invalid { remaining_attempts } => {
                IdentityError::OtpInvalid { remaining_attempts }
            }
            OtpError::Expired | OtpError::TooManyAttempts => IdentityError::OtpExpired,
            OtpError::Cooldown { retry_after } | OtpError::HourlyCapReached { retry_after } => {
                IdentityError::RateLimited { retry_after }
            }
            OtpError::Malformed => IdentityError::Validation(ValidationErrors::single(
                "code",
                "invalid_format",
                "the code is 6 digits",
            )),
            other => IdentityError::Internal(anyhow::Error::new(other).context("one-time codes")),
        }
    }
}

impl From<TokenError> for IdentityError {
    fn from(error: TokenError) -> Self {
        IdentityError::Unauthenticated(error.to_string())
    }
}

impl From<Busy> for IdentityError {
    fn from(_: Busy) -> Self {
        IdentityError::Busy {
            retry_after: BUSY_RETRY_AFTER,
        }
    }
}

impl From<HashError> for IdentityError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy(busy) => busy.into(),
            HashError::Failed(error) => IdentityError::Internal(error),
        }
    }
}
