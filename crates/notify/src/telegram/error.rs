//! What can go wrong talking to the Bot API, sorted by what the sender must
//! do next: wait and retry, retry with backoff, or stop.

use std::time::Duration;

/// A failed Bot API call. Messages never contain the bot token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelegramError {
    /// 429: the flood limit. Wait exactly this long, then send the same
    /// message again; the whole bot is limited meanwhile.
    #[error("Telegram flood limit: retry after {} s", .0.as_secs())]
    RetryAfter(Duration),
    /// 403: the user blocked the bot, deleted their account, or never
    /// started it. Mark the chat unreachable; retrying never helps.
    #[error("the chat cannot be reached: {0}")]
    Blocked(String),
    /// 400: the request itself is wrong (chat not found, text too long,
    /// markup that does not parse, ...).
    #[error("Telegram refused the request: {0}")]
    BadRequest(String),
    /// 401: the bot token is wrong or revoked.
    #[error("Telegram refused the bot token (401 Unauthorized)")]
    Unauthorized,
    /// 5xx, a timeout or a connection failure: worth retrying with backoff.
    /// After a timeout the message may have been delivered all the same.
    #[error("Telegram is unavailable: {0}")]
    Transient(String),
    /// Another error status (404 for an unknown method, 409, ...).
    #[error("Telegram answered {status}: {description}")]
    Api { status: u16, description: String },
    /// A success status with a body that is not the Bot API's.
    #[error("unexpected answer from Telegram: {0}")]
    InvalidResponse(String),
    /// The client could not be built.
    #[error("invalid Telegram client configuration: {0}")]
    Config(String),
}

impl TelegramError {
    /// Whether sending the same request again later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TelegramError::RetryAfter(_) | TelegramError::Transient(_)
        )
    }

    /// A 400 because the HTML or Markdown did not parse.
    pub fn is_markup_error(&self) -> bool {
        matches!(self, TelegramError::BadRequest(description) if description.contains("can't parse entities"))
    }

    /// Sorts an `ok: false` answer by its `error_code`.
    pub(crate) fn from_api(code: u16, description: String, retry_after: Option<u64>) -> Self {
        match code {
            429 => {
                let seconds = retry_after
                    .or_else(|| {
                        description
                            .rsplit(' ')
                            .next()
                            .and_then(|seconds| seconds.parse().ok())
                    })
                    .unwrap_or(1);
                TelegramError::RetryAfter(Duration::from_secs(seconds))
            }
            403 => TelegramError::Blocked(description),
            401 => TelegramError::Unauthorized,
            400 => TelegramError::BadRequest(description),
            500..=599 => TelegramError::Transient(format!("HTTP {code}: {description}")),
            _ => TelegramError::Api {
                status: code,
                description,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_flood_limits_and_transient_failures_are_retryable() {
        assert!(
            TelegramError::from_api(429, "Too Many Requests: retry after 7".into(), None)
                .is_retryable()
        );
        assert_eq!(
            TelegramError::from_api(429, "Too Many Requests: retry after 7".into(), None),
            TelegramError::RetryAfter(Duration::from_secs(7))
        );
        assert!(TelegramError::from_api(502, "Bad Gateway".into(), None).is_retryable());
        for code in [400, 401, 403, 404, 409] {
            assert!(
                !TelegramError::from_api(code, "x".into(), None).is_retryable(),
                "{code}"
            );
        }
        assert!(
            TelegramError::BadRequest(
                "Bad Request: can't parse entities: Unsupported start tag".into()
            )
            .is_markup_error()
        );
    }
}
