//! TLS towards a router (API-SSL on 8729, REST on www-ssl): a pinned
//! certificate or the web PKI, as `pinned_tls` builds it.
//!
//! A router without any certificate offers anonymous Diffie-Hellman, which
//! rustls rightly does not speak; that shows up as a handshake failure.

use pinned_tls::Fingerprint;
use rustls::pki_types::ServerName;

use crate::RouterOsError;

pub(crate) use pinned_tls::describe;

/// A client configuration trusting exactly `pinned`, or the web PKI.
pub(crate) fn client_config(
    pinned: Option<Fingerprint>,
) -> Result<rustls::ClientConfig, RouterOsError> {
    pinned_tls::client_config(pinned).map_err(|error| RouterOsError::Tls(error.to_string()))
}

/// The host as a TLS server name (an IP address is accepted too).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, RouterOsError> {
    ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
    )
    .map_err(|_| RouterOsError::Tls(format!("{host} is not a valid TLS server name")))
}
