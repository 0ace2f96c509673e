//! The one error type of this crate. Its `Display` is written for a person
//! reading a "Test connection" box, so every message says what went wrong
//! and, where there is one, what to check on the router. Nothing here ever
//! carries the password: commands are named by their path only.

/// Why a call to a router failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouterOsError {
    /// The router's host name does not resolve.
    #[error("the router's host name {0} does not resolve")]
    Dns(String),
    /// Nothing listens on the port.
    #[error(
        "connection refused: is the API service enabled on the router? \
         (/ip service enable api; api-ssl for TLS, www-ssl for REST)"
    )]
    Refused,
    /// The TCP connection (or the TLS handshake) did not complete in time.
    #[error(
        "the router did not accept the connection in time: \
         is the address right, and does a firewall let the port through?"
    )]
    ConnectTimeout,
    /// The router accepted the command but did not finish answering in time.
    #[error("the router did not answer {command} in time")]
    ReplyTimeout { command: String },
    /// The login was refused.
    #[error("the router refused the login: invalid user name or password")]
    BadCredentials,
    /// The TLS handshake failed (untrusted or unpinned certificate, no
    /// certificate on the router, protocol mismatch).
    #[error("TLS with the router failed: {0}")]
    Tls(String),
    /// The router refused the command (`!trap`).
    #[error("the router refused the command: {message}")]
    Trap {
        message: String,
        category: Option<u8>,
    },
    /// The router closed the session (`!fatal`).
    #[error("the router closed the session: {0}")]
    Fatal(String),
    /// The router's bytes are not the RouterOS API protocol as we know it.
    #[error("the router's answer does not follow the API protocol: {0}")]
    Protocol(String),
    /// The REST API answered with an error status.
    #[error("the router's REST API answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// The connection broke.
    #[error("the connection to the router failed: {0}")]
    Io(String),
}

impl RouterOsError {
    /// Whether trying again later may succeed without anyone changing the
    /// configuration: network trouble, a busy or rebooting router (and REST
    /// 5xx answers). Wrong credentials, refused commands and protocol
    /// violations will fail the same way again.
    pub fn is_transient(&self) -> bool {
        match self {
            RouterOsError::Dns(_)
            | RouterOsError::Refused
            | RouterOsError::ConnectTimeout
            | RouterOsError::ReplyTimeout { .. }
            | RouterOsError::Fatal(_)
            | RouterOsError::Io(_) => true,
            RouterOsError::Http { status, .. } => *status >= 500,
            RouterOsError::BadCredentials
            | RouterOsError::Tls(_)
            | RouterOsError::Trap { .. }
            | RouterOsError::Protocol(_) => false,
        }
    }

    pub(crate) fn io(error: &std::io::Error) -> RouterOsError {
        RouterOsError::Io(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_fix_and_never_a_secret() {
        assert!(RouterOsError::Refused.to_string().contains("/ip service"));
        assert!(RouterOsError::Refused.to_string().contains("www-ssl"));
        let timeout = RouterOsError::ReplyTimeout {
            command: "/ppp/active/print".into(),
        };
        assert_eq!(
            timeout.to_string(),
            "the router did not answer /ppp/active/print in time"
        );
    }

    #[test]
    fn transient_errors_are_the_ones_worth_retrying() {
        assert!(RouterOsError::Refused.is_transient());
        assert!(RouterOsError::Fatal("rebooting".into()).is_transient());
        assert!(!RouterOsError::BadCredentials.is_transient());
        assert!(
            !RouterOsError::Trap {
                message: "no such item".into(),
                category: None
            }
            .is_transient()
        );
        assert!(!RouterOsError::Protocol("x".into()).is_transient());
    }
}
