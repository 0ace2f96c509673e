//! What can go wrong talking to WHM, sorted by what the caller can do about
//! it. No variant ever carries the API token or the request URL.

/// A failed WHM call.
///
/// For a call that changes something (`createacct` above all), every
/// transient error means *the outcome is unknown*: the server may have done
/// the work and only the answer was lost. Reconcile with
/// [`WhmClient::find_account`](super::WhmClient::find_account) before
/// retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhmError {
    /// The server's name did not resolve.
    #[error("WHM host name did not resolve: {0}")]
    Dns(String),
    /// Nothing listens there, or the connection broke off.
    #[error("WHM connection failed: {0}")]
    Refused(String),
    /// The TLS handshake failed (certificate, protocol).
    #[error("WHM TLS handshake failed: {0}")]
    Tls(String),
    /// No complete answer within the configured timeout.
    #[error("WHM did not answer within the timeout")]
    Timeout,
    /// The token was refused (401/403), or the user may not call this.
    #[error("WHM refused the API token")]
    Unauthorized,
    /// WHM answered `metadata.result: 0`: it understood and said no.
    #[error("WHM {command} refused: {reason}")]
    Rejected { command: String, reason: String },
    /// The server answered 5xx or 429: it may work later.
    #[error("WHM is unavailable: {0}")]
    Unavailable(String),
    /// The answer was not WHM API 1 JSON (a proxy page, the legacy shape,
    /// an oversized body, missing fields).
    #[error("WHM answered something unexpected: {0}")]
    Protocol(String),
}

impl WhmError {
    /// Whether the same call may succeed later without anyone changing
    /// anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            WhmError::Dns(_) | WhmError::Refused(_) | WhmError::Timeout | WhmError::Unavailable(_)
        )
    }

    /// A short stable name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            WhmError::Dns(_) => "dns",
            WhmError::Refused(_) => "refused",
            WhmError::Tls(_) => "tls",
            WhmError::Timeout => "timeout",
            WhmError::Unauthorized => "unauthorized",
            WhmError::Rejected { .. } => "rejected",
            WhmError::Unavailable(_) => "unavailable",
            WhmError::Protocol(_) => "protocol",
        }
    }

    /// A refusal because the user, its first 8 characters, or the domain is
    /// already taken (what a repeated `createacct` gets).
    pub fn is_already_exists(&self) -> bool {
        let WhmError::Rejected { reason, .. } = self else {
            return false;
        };
        let reason = reason.to_ascii_lowercase();
        reason.contains("already exists")
            || reason.contains("already set up")
            || reason.contains("same initial 8 characters")
    }

    /// A refusal because the account is not there (suspend, unsuspend,
    /// remove or change the package of a user WHM does not know).
    pub fn is_no_such_account(&self) -> bool {
        let WhmError::Rejected { reason, .. } = self else {
            return false;
        };
        let reason = reason.to_ascii_lowercase();
        !reason.contains("package")
            && (reason.contains("does not exist")
                || reason.contains("doesn't exist")
                || reason.contains("no such user")
                || reason.contains("could not find the user"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(reason: &str) -> WhmError {
        WhmError::Rejected {
            command: "createacct".into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn refusals_are_recognised() {
        assert!(rejected("Sorry, a user with that name already exists.").is_already_exists());
        assert!(
            rejected("(XID 8r5k2e) The domain “a.id” already exists in the userdata.")
                .is_already_exists()
        );
        assert!(rejected("The user “budi” does not exist.").is_no_such_account());
        assert!(!rejected("Specified package “x” does not exist.").is_no_such_account());
        assert!(!WhmError::Timeout.is_already_exists());
        assert!(WhmError::Timeout.is_transient());
        assert!(!rejected("x").is_transient());
        assert_eq!(WhmError::Unauthorized.kind(), "unauthorized");
    }
}
