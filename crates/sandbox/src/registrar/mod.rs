//! The domain registrar fake: ResellerClub's HTTP API under `/api/` —
//! `contacts/add.json`, `domains/register.json`,
//! `domains/details-by-name.json`, `domains/modify-ns.json` and
//! `domains/available.json` — with `auth-userid`/`api-key` in the query
//! string and errors as `{"status":"ERROR","message":…}`.
//!
//! Registrations live in memory. A name in the configured `taken` list, one
//! registered here before, or (inside a [`crate::Sandbox`]) one the RDAP
//! fake knows is refused; a registration made here also makes the RDAP fake
//! answer 200 for the name. Tests inject failures per call
//! ([`RegistrarFakeHandle::fail_next`]), among them
//! [`RegistrarFailure::AnswerAfter`]: registered at once, answered late.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sandbox::registrar::{RegistrarFake, RegistrarFakeConfig};
//! let registrar = RegistrarFake::start("127.0.0.1:0".parse()?, RegistrarFakeConfig::default()).await?;
//! // ... point the ResellerClub client at registrar.api_url() ...
//! assert!(registrar.registration("tokobudi.id").is_none());
//! # Ok(()) }
//! ```

mod server;
mod state;

use std::{fmt, net::SocketAddr, sync::Arc, time::Duration};

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use self::state::RegistrarState;
use crate::{
    checkout::{self, ServerTask},
    error::SandboxError,
    rdap::RdapState,
};

/// The reseller id the fake accepts.
pub const DEFAULT_AUTH_USERID: &str = "712345";
/// The API key the fake accepts.
pub const DEFAULT_API_KEY: &str = "jrgnSandboxResellerClubApiKey2026";
/// The one customer of the fake reseller.
pub const DEFAULT_CUSTOMER_ID: &str = "20123456";

/// The fake reseller account.
#[derive(Clone)]
pub struct RegistrarFakeConfig {
    pub auth_userid: String,
    pub api_key: String,
    pub customer_id: String,
    /// Names registered elsewhere: `register` refuses them.
    pub taken: Vec<String>,
}

impl fmt::Debug for RegistrarFakeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrarFakeConfig")
            .field("auth_userid", &self.auth_userid)
            .field("api_key", &"***")
            .field("customer_id", &self.customer_id)
            .field("taken", &self.taken)
            .finish()
    }
}

impl Default for RegistrarFakeConfig {
    fn default() -> Self {
        RegistrarFakeConfig {
            auth_userid: DEFAULT_AUTH_USERID.to_owned(),
            api_key: DEFAULT_API_KEY.to_owned(),
            customer_id: DEFAULT_CUSTOMER_ID.to_owned(),
            taken: [
                "google.com",
                "tokopedia.com",
                "example.com",
                "kompas.id",
                "taken.id",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// The API calls of the fake, for failure injection and counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RegistrarCall {
    AddContact,
    Register,
    Details,
    ModifyNs,
    Available,
}

/// How one injected call fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrarFailure {
    /// `{"status":"ERROR","message":…}` (HTTP 400); nothing is done.
    Rejected(String),
    /// This HTTP status with a plain-text body; nothing is done.
    Http(u16),
    /// The call is carried out but answered only after this long.
    AnswerAfter(Duration),
}

/// A registration as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FakeRegistration {
    pub order_id: String,
    /// Lower-case A-labels.
    pub domain: String,
    pub customer_id: String,
    pub years: u8,
    pub nameservers: Vec<String>,
    pub contact_id: String,
    pub privacy: bool,
    pub registered_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A contact made by `contacts/add.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FakeContact {
    pub id: String,
    pub name: String,
    pub email: String,
    pub country: String,
    pub city: String,
    pub phone_cc: String,
    pub phone: String,
}

/// Starts registrar fakes; see [`RegistrarFakeHandle`].
pub struct RegistrarFake;

impl RegistrarFake {
    /// Binds `addr` (port 0 picks a free port) and serves until the last
    /// handle is dropped.
    pub async fn start(
        addr: SocketAddr,
        config: RegistrarFakeConfig,
    ) -> Result<RegistrarFakeHandle, SandboxError> {
        Self::start_linked(addr, config, None)
    }

    /// The same, sharing registrations with an RDAP fake.
    pub(crate) fn start_linked(
        addr: SocketAddr,
        config: RegistrarFakeConfig,
        rdap: Option<RdapState>,
    ) -> Result<RegistrarFakeHandle, SandboxError> {
        let (listener, addr) = checkout::bind(addr, "registrar")?;
        let state = RegistrarState::new(config, rdap);
        let server = checkout::serve(
            listener,
            "registrar",
            web::Data::new(state.clone()),
            server::routes,
        )?;
        Ok(RegistrarFakeHandle {
            addr,
            state,
            _server: Arc::new(server),
        })
    }
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct RegistrarFakeHandle {
    addr: SocketAddr,
    state: RegistrarState,
    _server: Arc<ServerTask>,
}

impl RegistrarFakeHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port/api/`: what replaces `https://httpapi.com/api/`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/", self.addr)
    }

    pub fn auth_userid(&self) -> &str {
        &self.state.config().auth_userid
    }

    pub fn api_key(&self) -> &str {
        &self.state.config().api_key
    }

    pub fn customer_id(&self) -> &str {
        &self.state.config().customer_id
    }

    /// The next `call` fails as `failure` says; several queue up in order.
    pub fn fail_next(&self, call: RegistrarCall, failure: RegistrarFailure) {
        self.state.fail_next(call, failure);
    }

    /// From now on `register` refuses `domain`.
    pub fn add_taken(&self, domain: &str) {
        self.state.add_taken(domain);
    }

    /// Every registration, oldest first.
    pub fn registrations(&self) -> Vec<FakeRegistration> {
        self.state.registrations()
    }

    pub fn registration(&self, domain: &str) -> Option<FakeRegistration> {
        self.state.registration(domain)
    }

    pub fn contacts(&self) -> Vec<FakeContact> {
        self.state.contacts()
    }

    /// How many authenticated calls of `call` arrived.
    pub fn calls(&self, call: RegistrarCall) -> usize {
        self.state.calls(call)
    }

    /// Forgets registrations, contacts, calls, failures and added names.
    pub fn reset(&self) {
        self.state.reset();
    }
}
