//! The RDAP fake: the IANA bootstrap file and the domain lookups of a few
//! registries, on its own loopback port, answering as RFC 9083 servers do.
//!
//! `GET /rdap/dns.json` is an RFC 9224 bootstrap listing every TLD the fake
//! serves, each pointing at `http://127.0.0.1:<port>/rdap/<registry>/`.
//! `GET /rdap/<registry>/domain/<name>` answers 200 with a domain object for
//! a registered name, 404 with an RDAP error for a free one and 400 for a
//! malformed one. Tests and the sandbox pages register names at run time and
//! make a registry misbehave: rate limiting (429 with `Retry-After`), a
//! failure status such as 503, or slow answers.
//!
//! Like IANA's file, the bootstrap leaves out many ccTLDs (`de`, `sg`, `my`,
//! ...): a client must cope with a TLD that has no RDAP server.
//!
//! ```no_run
//! # async fn example() -> Result<(), sandbox::SandboxError> {
//! use sandbox::rdap::{RdapFake, RdapFakeConfig};
//! let rdap = RdapFake::start("127.0.0.1:0".parse().unwrap(), RdapFakeConfig::default()).await?;
//! // ... point the RDAP client's bootstrap URL at rdap.bootstrap_url() ...
//! rdap.register("tokobudi.co.id").expect("a valid name");
//! rdap.set_delay("id", std::time::Duration::from_secs(10)).expect("a known registry");
//! # Ok(()) }
//! ```

mod server;
mod state;

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, web as actix};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::task::JoinHandle;

pub(crate) use self::state::RdapState;
use crate::error::SandboxError;

/// One registry's RDAP service: the TLDs it is authoritative for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RdapRegistry {
    /// The path segment of its base URL (`/rdap/verisign/`), and the name
    /// tests and the control API use for it.
    pub id: String,
    /// Who runs it, for the domain objects' notices and the sandbox pages.
    pub operator: String,
    pub tlds: Vec<String>,
}

impl RdapRegistry {
    pub fn new(id: &str, operator: &str, tlds: &[&str]) -> Self {
        RdapRegistry {
            id: id.to_owned(),
            operator: operator.to_owned(),
            tlds: tlds
                .iter()
                .map(|tld| tld.trim_start_matches('.').to_ascii_lowercase())
                .collect(),
        }
    }
}

/// Which registries the fake runs and which names exist from the start.
#[derive(Debug, Clone)]
pub struct RdapFakeConfig {
    pub registries: Vec<RdapRegistry>,
    /// Registered from the start (Unicode or punycode).
    pub registered: Vec<String>,
}

impl Default for RdapFakeConfig {
    fn default() -> Self {
        RdapFakeConfig {
            registries: vec![
                RdapRegistry::new("verisign", "VeriSign", &["com", "net"]),
                RdapRegistry::new("pir", "Public Interest Registry", &["org"]),
                // PANDI answers for every second level of .id (co.id, my.id,
                // web.id, ...) at one base, as the real rdap.pandi.id does.
                RdapRegistry::new("pandi", "PANDI", &["id"]),
                RdapRegistry::new("identitydigital", "Identity Digital", &["info", "io"]),
                RdapRegistry::new("godaddy", "GoDaddy Registry", &["biz", "co"]),
                RdapRegistry::new(
                    "centralnic",
                    "CentralNic",
                    &["xyz", "online", "site", "store", "tech"],
                ),
            ],
            registered: [
                "google.com",
                "tokopedia.com",
                "bukalapak.com",
                "detik.com",
                "kompas.com",
                "example.com",
                "example.net",
                "wikipedia.org",
                "kompas.id",
                "tokobudi.id",
                "juragan.id",
                "budi.co.id",
                "ui.ac.id",
                "budi.my.id",
                "budi.web.id",
                "budi.xyz",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// A registered name as the fake answers for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredDomain {
    /// Lower-case A-labels.
    pub ldh_name: String,
    pub registered_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One domain lookup that reached the fake, with the status it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RdapQuery {
    pub at: DateTime<Utc>,
    pub registry: String,
    /// As the client sent it (lower-cased).
    pub name: String,
    pub status: u16,
}

/// What a test asked for that the fake does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdapFakeError {
    #[error("no registry is called or serves `{0}`")]
    UnknownRegistry(String),
    #[error("`{0}` is not a domain name the fake can register")]
    InvalidName(String),
    #[error("no registry of the fake serves `{0}`")]
    NoRegistryFor(String),
}

/// Starts RDAP fakes; see [`RdapFakeHandle`].
pub struct RdapFake;

impl RdapFake {
    /// Binds `addr` (port 0 picks a free port) and serves until the last
    /// handle is dropped.
    pub async fn start(
        addr: SocketAddr,
        config: RdapFakeConfig,
    ) -> Result<RdapFakeHandle, SandboxError> {
        let bind_error = |source| SandboxError::Bind {
            service: "RDAP",
            addr,
            source,
        };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_error)?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::LocalAddr {
                service: "RDAP",
                source,
            })?;
        let state = RdapState::new(addr, config);
        let data = actix::Data::new(state.clone());
        let server =
            HttpServer::new(move || App::new().app_data(data.clone()).configure(server::routes))
                .workers(1)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)
                .map_err(bind_error)?
                .run();
        let task = tokio::spawn(server);
        Ok(RdapFakeHandle {
            addr,
            state,
            _server: Arc::new(ServerTask(task)),
        })
    }
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct RdapFakeHandle {
    addr: SocketAddr,
    state: RdapState,
    _server: Arc<ServerTask>,
}

#[derive(Debug)]
struct ServerTask(JoinHandle<io::Result<()>>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        // Dropping actix's server future stops its workers too.
        self.0.abort();
    }
}

impl RdapFakeHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What replaces `https://data.iana.org/rdap/dns.json`.
    pub fn bootstrap_url(&self) -> String {
        format!("http://{}/rdap/dns.json", self.addr)
    }

    /// The base URL of one registry's service, ending in `/`.
    pub fn registry_url(&self, registry: &str) -> Result<String, RdapFakeError> {
        let id = self.state.resolve_registry(registry)?;
        Ok(self.state.registry_base_url(&id))
    }

    pub fn registries(&self) -> &[RdapRegistry] {
        self.state.registries()
    }

    /// Registers `name` (Unicode or punycode) from now for a year; returns
    /// its A-label form. Its TLD must be one a registry of the fake serves.
    pub fn register(&self, name: &str) -> Result<String, RdapFakeError> {
        self.state.register(name)
    }

    /// Makes a name free again; `false` when it was not registered.
    pub fn unregister(&self, name: &str) -> bool {
        self.state.unregister(name)
    }

    /// The registered names, in A-label form and alphabetical order.
    pub fn registered(&self) -> Vec<RegisteredDomain> {
        self.state.registered()
    }

    /// From now until `retry_after` has passed, every lookup at this
    /// registry (its id, or any TLD it serves) answers 429 with the
    /// seconds left in `Retry-After`.
    pub fn rate_limit(&self, registry: &str, retry_after: Duration) -> Result<(), RdapFakeError> {
        self.state.rate_limit(registry, retry_after)
    }

    /// Every lookup at this registry answers `status` (503, 500, 400, ...)
    /// until [`RdapFakeHandle::clear_faults`].
    pub fn fail(&self, registry: &str, status: u16) -> Result<(), RdapFakeError> {
        self.state.fail(registry, status)
    }

    /// Every lookup at this registry waits this long before it is answered.
    pub fn set_delay(&self, registry: &str, delay: Duration) -> Result<(), RdapFakeError> {
        self.state.set_delay(registry, delay)
    }

    /// Every registry answers promptly and truthfully again, and the
    /// bootstrap lists every TLD.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// The bootstrap file answers `status` instead (`None`: served again).
    pub fn fail_bootstrap(&self, status: Option<u16>) {
        self.state.fail_bootstrap(status);
    }

    /// Leaves a TLD out of the bootstrap file, as IANA's file leaves out
    /// TLDs whose registry has no RDAP service; its registry still answers.
    pub fn hide_from_bootstrap(&self, tld: &str) {
        self.state.hide_from_bootstrap(tld);
    }

    /// The domain lookups that reached the fake, oldest first (at most the
    /// last 1000).
    pub fn queries(&self) -> Vec<RdapQuery> {
        self.state.queries()
    }

    /// How many lookups of `name` (A-label form) reached the fake.
    pub fn queries_for(&self, name: &str) -> usize {
        self.state.queries_for(name)
    }

    /// How many lookups reached the fake, whatever they asked.
    pub fn query_count(&self) -> u64 {
        self.state.query_count()
    }

    /// How many times the bootstrap file was fetched.
    pub fn bootstrap_fetches(&self) -> u64 {
        self.state.bootstrap_fetches()
    }

    /// Back to the configured names, no faults and no recorded queries.
    pub fn reset(&self) {
        self.state.reset();
    }

    pub(crate) fn state(&self) -> &RdapState {
        &self.state
    }
}
