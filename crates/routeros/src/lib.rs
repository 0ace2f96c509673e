//! `routeros`: how Juragan talks to MikroTik routers to control PPP
//! subscribers (list live sessions, disable or re-profile an account, kick
//! a session). Two transports, one trait:
//!
//! - the binary API ([`api`], TCP 8728 or TLS 8729) with our own codec
//!   ([`codec`]): every RouterOS version has it, and one connection runs
//!   many tagged commands at once;
//! - the REST API ([`rest`], RouterOS v7.1+, `www-ssl`): stateless HTTPS,
//!   simpler to operate through firewalls and proxies.
//!
//! The codec is ours because the maintained Rust implementation is AGPL,
//! and because a client facing routers on customer networks must bound
//! what it accepts (see [`codec`]). Callers use [`Router::connect`] and the
//! [`PppRouter`] trait, and never see which transport is underneath.

pub mod api;
pub mod codec;
mod error;
mod model;
pub mod reply;
pub mod rest;
mod tls;

use std::time::Duration;

pub use error::RouterOsError;
pub use model::{ActiveSession, PppSecret, SecretChange, SystemResource, parse_uptime};
pub use pinned_tls::Fingerprint;

/// How to reach a router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Binary API over plain TCP (8728).
    Api,
    /// Binary API over TLS (8729, `api-ssl`).
    ApiTls,
    /// REST over HTTPS (443, `www-ssl`; plain HTTP when the port is 80).
    Rest,
}

impl Transport {
    /// The port RouterOS serves this transport on by default.
    pub fn default_port(self) -> u16 {
        match self {
            Transport::Api => 8728,
            Transport::ApiTls => 8729,
            Transport::Rest => 443,
        }
    }
}

/// Where a router is and how to log in. `Debug` masks the password.
#[derive(Clone)]
pub struct RouterConfig {
    /// Host name or IP address.
    pub host: String,
    pub port: u16,
    pub transport: Transport,
    /// SHA-256 of the router's certificate (DER), for ApiTls/Rest with a
    /// self-signed cert; `None` = verify with the web PKI roots.
    pub pinned_sha256: Option<Fingerprint>,
    pub username: String,
    pub password: String,
    pub connect_timeout: Duration,
    pub reply_timeout: Duration,
}

impl std::fmt::Debug for RouterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("transport", &self.transport)
            .field(
                "pinned_sha256",
                &self.pinned_sha256.as_ref().map(ToString::to_string),
            )
            .field("username", &self.username)
            .field("password", &"***")
            .field("connect_timeout", &self.connect_timeout)
            .field("reply_timeout", &self.reply_timeout)
            .finish()
    }
}

/// One connection to one router, whatever the transport.
#[derive(Debug)]
pub enum Router {
    Api(api::ApiClient),
    Rest(rest::RestClient),
}

impl Router {
    /// For the binary API: connects (TCP, plus TLS for ApiTls) within
    /// `connect_timeout`, then logs in. For REST nothing is sent yet (the
    /// protocol has no login), so credentials are checked by the first call;
    /// a "Test connection" should call [`PppRouter::identity`].
    pub async fn connect(config: &RouterConfig) -> Result<Router, RouterOsError> {
        match config.transport {
            Transport::Api | Transport::ApiTls => {
                Ok(Router::Api(api::ApiClient::connect(config).await?))
            }
            Transport::Rest => Ok(Router::Rest(rest::RestClient::new(config)?)),
        }
    }
}

/// What Juragan asks of a router. Implemented by [`api::ApiClient`],
/// [`rest::RestClient`] and [`Router`].
#[allow(async_fn_in_trait)]
pub trait PppRouter {
    /// `/system/identity/print` → the router's name.
    async fn identity(&self) -> Result<String, RouterOsError>;
    /// `/system/resource/print`.
    async fn resource(&self) -> Result<SystemResource, RouterOsError>;
    /// `/ppp/active/print`.
    async fn active_sessions(&self) -> Result<Vec<ActiveSession>, RouterOsError>;
    /// `/ppp/secret/print`, filtered by exact (case-sensitive) name.
    async fn secrets(&self, name: Option<&str>) -> Result<Vec<PppSecret>, RouterOsError>;
    /// `/ppp/secret/set`. This does not end a live session: follow it with
    /// [`remove_active`](PppRouter::remove_active).
    async fn set_secret(&self, id: &str, change: &SecretChange) -> Result<(), RouterOsError>;
    /// `/ppp/active/remove`: ends a live session.
    async fn remove_active(&self, id: &str) -> Result<(), RouterOsError>;
}

impl PppRouter for Router {
    async fn identity(&self) -> Result<String, RouterOsError> {
        match self {
            Router::Api(client) => client.identity().await,
            Router::Rest(client) => client.identity().await,
        }
    }

    async fn resource(&self) -> Result<SystemResource, RouterOsError> {
        match self {
            Router::Api(client) => client.resource().await,
            Router::Rest(client) => client.resource().await,
        }
    }

    async fn active_sessions(&self) -> Result<Vec<ActiveSession>, RouterOsError> {
        match self {
            Router::Api(client) => client.active_sessions().await,
            Router::Rest(client) => client.active_sessions().await,
        }
    }

    async fn secrets(&self, name: Option<&str>) -> Result<Vec<PppSecret>, RouterOsError> {
        match self {
            Router::Api(client) => client.secrets(name).await,
            Router::Rest(client) => client.secrets(name).await,
        }
    }

    async fn set_secret(&self, id: &str, change: &SecretChange) -> Result<(), RouterOsError> {
        match self {
            Router::Api(client) => client.set_secret(id, change).await,
            Router::Rest(client) => client.set_secret(id, change).await,
        }
    }

    async fn remove_active(&self, id: &str) -> Result<(), RouterOsError> {
        match self {
            Router::Api(client) => client.remove_active(id).await,
            Router::Rest(client) => client.remove_active(id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_never_shows_the_password() {
        let config = RouterConfig {
            host: "10.0.0.1".into(),
            port: 8728,
            transport: Transport::Api,
            pinned_sha256: None,
            username: "juragan".into(),
            password: "hunter2-secret".into(),
            connect_timeout: Duration::from_secs(5),
            reply_timeout: Duration::from_secs(10),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-secret"));
        assert!(shown.contains("juragan"));
    }
}
