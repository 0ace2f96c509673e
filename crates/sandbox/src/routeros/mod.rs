//! The MikroTik RouterOS fake: a PPPoE concentrator as Juragan's ISP side
//! sees it, over the binary API (8728, and API-SSL with the fakes'
//! self-signed certificate) and the v7 REST API, with test controls to log
//! subscribers in and out.
//!
//! What it reproduces of the router:
//! - the API framing (1–5 byte lengths, control bytes refused), implemented
//!   here independently of any RouterOS crate so that it and Juragan's
//!   client check each other; words and sentences are capped, and a hostile
//!   length gets `!fatal` and a closed connection, never an allocation;
//! - both logins: 6.43+'s `/login =name= =password=` ([`LoginStyle::Modern`])
//!   and the older MD5 challenge ([`LoginStyle::Legacy`]), their traps
//!   (`invalid user name or password (6)`, `cannot log in`), `!fatal` after
//!   three failures, `not logged in` before a login;
//! - read-only users (group `read`): writes trap `not enough permissions (9)`;
//! - `/system/identity/print`, `/system/resource/print` (a CHR running
//!   7.18.2), `/ppp/active/print`, `/ppp/secret/print`, `/ppp/secret/set`,
//!   `/ppp/active/remove`, `/cancel`, `/quit`; `no such command prefix`,
//!   `no such command`, `no such item`, `unknown parameter` traps;
//! - prints with `?` queries (exact, case-sensitive, the stack operators),
//!   `=.proplist=`, `=count-only=`, and `!empty` before `!done` when nothing
//!   matches (7.18; switch it off to play 7.17 and earlier);
//! - `.tag` on every reply sentence, several commands in flight on one
//!   connection when replies are delayed, `/cancel` answering
//!   `interrupted` as the router does;
//! - `/ppp/secret/set =disabled=yes` does not end the live session: the
//!   client must remove it from `/ppp/active` too;
//! - `/ip service disable api`: [`RouterOsFakeHandle::set_api_enabled`]
//!   resets new connections and closes open ones;
//! - REST: Basic auth, `/rest/ppp/active`, `/rest/ppp/secret`,
//!   `/rest/system/identity`, `/rest/system/resource`, every value a
//!   string, RouterOS's 400/401/404 bodies.
//!
//! Tests (and the browser end-to-end script, over `/sandbox/...` on the REST
//! port) log subscribers in and out, add secrets, and read the write
//! commands the router received.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sandbox::routeros::{RouterOsFake, RouterOsFakeConfig};
//! let router = RouterOsFake::start(
//!     "127.0.0.1:0".parse()?,
//!     "127.0.0.1:0".parse()?,
//!     RouterOsFakeConfig::default(),
//! )
//! .await?;
//! router.add_secret("budi.santoso", "default")?;
//! router.log_in("budi.santoso", None, None)?;
//! // ... the client connects to router.api_addr() as router.username() ...
//! assert_eq!(router.calls_named("/ppp/active/remove"), 1);
//! # Ok(()) }
//! ```

mod api;
mod control;
mod query;
mod rest;
mod state;
mod tls;
mod words;

use std::{fmt, net::SocketAddr, sync::Arc, time::Duration};

use actix_web::web;
use serde::Serialize;

pub(crate) use self::state::RouterOsState;
use crate::{
    checkout::{self, ServerTask},
    error::SandboxError,
};

/// The identity the fake answers with.
pub const DEFAULT_IDENTITY: &str = "Juragan-Sandbox";
/// The RouterOS version it claims (the first with `!empty`).
pub const DEFAULT_VERSION: &str = "7.18.2 (stable)";
/// The full (group `full`) API user.
pub const DEFAULT_USERNAME: &str = "juragan";
pub const DEFAULT_PASSWORD: &str = "sandbox-router-pass";
/// The read-only (group `read`) API user.
pub const DEFAULT_MONITOR_USERNAME: &str = "monitor";
pub const DEFAULT_MONITOR_PASSWORD: &str = "sandbox-monitor-pass";

/// How `/login` works on the router being played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginStyle {
    /// RouterOS 6.43 and later: name and password in clear.
    #[default]
    Modern,
    /// Before 6.43: a `=ret=` challenge, then an MD5 response.
    Legacy,
}

/// A router user (`/user`).
#[derive(Clone, PartialEq, Eq)]
pub struct RouterOsUser {
    pub name: String,
    pub password: String,
    /// Group `read`: prints work, writes trap `not enough permissions (9)`.
    pub read_only: bool,
}

impl RouterOsUser {
    pub fn new(name: &str, password: &str, read_only: bool) -> Self {
        RouterOsUser {
            name: name.to_owned(),
            password: password.to_owned(),
            read_only,
        }
    }
}

impl fmt::Debug for RouterOsUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterOsUser")
            .field("name", &self.name)
            .field("password", &"***")
            .field("read_only", &self.read_only)
            .finish()
    }
}

/// A PPP secret (`/ppp/secret`) as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterOsSecret {
    pub name: String,
    pub password: String,
    pub profile: String,
    /// `pppoe` unless told otherwise.
    pub service: String,
    pub local_address: Option<String>,
    /// The address the subscriber gets; a pool address when `None`.
    pub remote_address: Option<String>,
    pub disabled: bool,
    pub comment: Option<String>,
}

impl RouterOsSecret {
    pub fn new(name: &str, password: &str, profile: &str) -> Self {
        RouterOsSecret {
            name: name.to_owned(),
            password: password.to_owned(),
            profile: profile.to_owned(),
            service: "pppoe".to_owned(),
            local_address: None,
            remote_address: None,
            disabled: false,
            comment: None,
        }
    }
}

/// A subscriber online when the fake starts, `uptime` into its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialSession {
    pub name: String,
    pub uptime: Duration,
}

/// The router being played.
#[derive(Debug, Clone)]
pub struct RouterOsFakeConfig {
    /// `/system identity`.
    pub identity: String,
    /// `/system resource`'s `version`, e.g. `7.18.2 (stable)`.
    pub version: String,
    pub login_style: LoginStyle,
    pub users: Vec<RouterOsUser>,
    /// Whether an empty print answers `!empty` before `!done` (7.18 and
    /// later) or `!done` alone (7.17 and earlier).
    pub empty_reply: bool,
    /// Whether API-SSL listens too.
    pub tls: bool,
    /// Where API-SSL listens; `None` is a free port on the API's address.
    pub tls_addr: Option<SocketAddr>,
    /// Where REST over HTTPS (`www-ssl`, with the same certificate)
    /// listens when `tls` is on; `None` is a free port on the REST address.
    pub rest_tls_addr: Option<SocketAddr>,
    /// The PPP secrets there from the start.
    pub secrets: Vec<RouterOsSecret>,
    /// The subscribers online from the start.
    pub online: Vec<InitialSession>,
}

impl Default for RouterOsFakeConfig {
    /// What tests want: the two users, API-SSL on a free port, no secrets,
    /// nobody online.
    fn default() -> Self {
        RouterOsFakeConfig {
            identity: DEFAULT_IDENTITY.to_owned(),
            version: DEFAULT_VERSION.to_owned(),
            login_style: LoginStyle::Modern,
            users: vec![
                RouterOsUser::new(DEFAULT_USERNAME, DEFAULT_PASSWORD, false),
                RouterOsUser::new(DEFAULT_MONITOR_USERNAME, DEFAULT_MONITOR_PASSWORD, true),
            ],
            empty_reply: true,
            tls: true,
            tls_addr: None,
            rest_tls_addr: None,
            secrets: Vec::new(),
            online: Vec::new(),
        }
    }
}

impl RouterOsFakeConfig {
    /// What `make dev` shows: four PPPoE subscribers, two of them online.
    pub fn demo() -> Self {
        let mut warung = RouterOsSecret::new("warungkopi", "kopi-tubruk-77", "20mbps");
        warung.comment = Some("Warung Kopi Pak Darto".to_owned());
        let mut budi = RouterOsSecret::new("budi.santoso", "budi-rumah-01", "10mbps");
        budi.remote_address = Some("10.10.10.11".to_owned());
        RouterOsFakeConfig {
            secrets: vec![
                RouterOsSecret::new("egisetiawansempu", "egi-sempu-2024", "10mbps"),
                budi,
                RouterOsSecret::new("sitirahma", "siti-rahma-09", "default"),
                warung,
            ],
            online: vec![
                InitialSession {
                    name: "budi.santoso".to_owned(),
                    uptime: Duration::from_secs(3 * 3600 + 12 * 60 + 5),
                },
                InitialSession {
                    name: "warungkopi".to_owned(),
                    uptime: Duration::from_secs(86_400 + 4 * 3600 + 31 * 60),
                },
            ],
            ..RouterOsFakeConfig::default()
        }
    }
}

/// An active PPP session (`/ppp/active`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveRow {
    /// `*80000001`.
    pub id: String,
    pub name: String,
    pub service: String,
    /// The subscriber's MAC, upper case.
    pub caller_id: String,
    pub address: String,
    /// `1h2m3s`, as of when the row was read.
    pub uptime: String,
    pub encoding: String,
    /// `0x81000001`.
    pub session_id: String,
    pub radius: bool,
}

/// A PPP secret (`/ppp/secret`) as the router shows it, without password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretRow {
    /// `*1`.
    pub id: String,
    pub name: String,
    pub service: String,
    pub profile: String,
    pub local_address: Option<String>,
    pub remote_address: Option<String>,
    pub disabled: bool,
    pub comment: Option<String>,
    /// When a session of this secret last ended (`2025-05-06 10:11:12`).
    pub last_logged_out: Option<String>,
    pub last_caller_id: Option<String>,
}

/// A write command the router received from a logged-in user (whether it
/// succeeded or trapped), over the API or REST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedCall {
    /// The API command: `/ppp/secret/set`, `/ppp/active/remove`.
    pub command: String,
    /// `=key=value` attributes in order (`.id` included, `.tag` not).
    pub attributes: Vec<(String, String)>,
    pub user: String,
}

/// Why a test control could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouterOsFakeError {
    /// The secret is disabled: the router would refuse the PPPoE login.
    #[error("the secret `{0}` is disabled")]
    SecretDisabled(String),
    #[error("`{0}` is already online")]
    AlreadyOnline(String),
    #[error("a secret named `{0}` already exists")]
    SecretExists(String),
    #[error("`{0}` is not an IP address")]
    InvalidAddress(String),
    #[error("a name must not be empty")]
    EmptyName,
}

/// Starts router fakes; see [`RouterOsFakeHandle`].
pub struct RouterOsFake;

impl RouterOsFake {
    /// Binds the API on `api_addr` (and API-SSL if the config says so) and
    /// REST with the test controls on `rest_addr`; port 0 picks a free
    /// port. Serves until the last handle is dropped.
    pub async fn start(
        api_addr: SocketAddr,
        rest_addr: SocketAddr,
        config: RouterOsFakeConfig,
    ) -> Result<RouterOsFakeHandle, SandboxError> {
        let tls_addr = config
            .tls
            .then(|| config.tls_addr.unwrap_or(SocketAddr::new(api_addr.ip(), 0)));
        let state = RouterOsState::new(config).map_err(|error| SandboxError::Bind {
            service: api::SERVICE,
            addr: api_addr,
            source: std::io::Error::other(error),
        })?;
        let api = api::ApiServer::start(api_addr, state.clone(), None).await?;
        let api_tls = match tls_addr {
            Some(addr) => {
                let acceptor = tls::acceptor(addr)?;
                Some(api::ApiServer::start(addr, state.clone(), Some(acceptor)).await?)
            }
            None => None,
        };
        let (listener, rest_addr) = checkout::bind(rest_addr, rest::SERVICE)?;
        let server = checkout::serve(
            listener,
            rest::SERVICE,
            web::Data::new(state.clone()),
            routes,
        )?;
        // `www-ssl`: the REST API over HTTPS, as RouterOS serves it.
        let rest_tls = match state.config().tls {
            true => {
                let addr = state
                    .config()
                    .rest_tls_addr
                    .unwrap_or(SocketAddr::new(rest_addr.ip(), 0));
                Some(Arc::new(
                    crate::proxmox::tls::TlsTerminator::start_named(
                        "RouterOS REST (www-ssl)",
                        addr,
                        rest_addr,
                    )
                    .await?,
                ))
            }
            false => None,
        };
        Ok(RouterOsFakeHandle {
            state,
            api: Arc::new(api),
            api_tls: api_tls.map(Arc::new),
            rest_addr,
            rest_tls,
            _server: Arc::new(server),
        })
    }
}

fn routes(config: &mut web::ServiceConfig) {
    control::routes(config);
    rest::routes(config);
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct RouterOsFakeHandle {
    state: RouterOsState,
    api: Arc<api::ApiServer>,
    api_tls: Option<Arc<api::ApiServer>>,
    rest_addr: SocketAddr,
    rest_tls: Option<Arc<crate::proxmox::tls::TlsTerminator>>,
    _server: Arc<ServerTask>,
}

impl RouterOsFakeHandle {
    /// The binary API (what replaces `router:8728`).
    pub fn api_addr(&self) -> SocketAddr {
        self.api.addr()
    }

    /// API-SSL (what replaces `router:8729`), when configured.
    pub fn api_tls_addr(&self) -> Option<SocketAddr> {
        self.api_tls.as_ref().map(|server| server.addr())
    }

    /// SHA-256 of the API-SSL certificate (DER), for pinning.
    pub fn tls_fingerprint(&self) -> [u8; 32] {
        tls::certificate_fingerprint()
    }

    /// The same, as lower-case hex without separators.
    pub fn tls_fingerprint_hex(&self) -> String {
        hex::encode(tls::certificate_fingerprint())
    }

    /// The REST and test-control server.
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest_addr
    }

    /// REST over HTTPS (`www-ssl`, the API-SSL certificate), when `tls`.
    pub fn rest_tls_addr(&self) -> Option<SocketAddr> {
        self.rest_tls.as_ref().map(|terminator| terminator.addr())
    }

    /// `http://127.0.0.1:port/rest`: what replaces `https://router/rest`.
    pub fn rest_base_url(&self) -> String {
        format!("http://{}/rest", self.rest_addr)
    }

    /// `http://127.0.0.1:port`: the test controls live under `/sandbox/`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    pub fn identity(&self) -> &str {
        &self.state.config().identity
    }

    pub fn config(&self) -> &RouterOsFakeConfig {
        self.state.config()
    }

    /// The first full user's name (`juragan` by default).
    pub fn username(&self) -> &str {
        self.full_user().map_or("", |user| user.name.as_str())
    }

    /// The first full user's password.
    pub fn password(&self) -> &str {
        self.full_user().map_or("", |user| user.password.as_str())
    }

    fn full_user(&self) -> Option<&RouterOsUser> {
        self.state
            .config()
            .users
            .iter()
            .find(|user| !user.read_only)
    }

    /// A subscriber dials in. Refused when their secret exists and is
    /// disabled, or when they are online already; a name without a secret
    /// is let in (tests need not set secrets up). Address and MAC are
    /// generated when not given (the secret's `remote-address` first).
    pub fn log_in(
        &self,
        name: &str,
        address: Option<&str>,
        caller_id: Option<&str>,
    ) -> Result<ActiveRow, RouterOsFakeError> {
        self.state.log_in(name, address, caller_id)
    }

    /// Logs many subscribers in at once (all or none), for benchmarks with
    /// thousands of sessions; returns how many.
    pub fn log_in_many<I, S>(&self, names: I) -> Result<usize, RouterOsFakeError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.state
            .log_in_many(names.into_iter().map(Into::into).collect())
    }

    /// The subscriber hangs up; `false` when they were not online.
    pub fn log_out(&self, name: &str) -> bool {
        self.state.log_out(name)
    }

    /// `/ppp/active`, in login order.
    pub fn sessions(&self) -> Vec<ActiveRow> {
        self.state.sessions()
    }

    /// Adds a PPPoE secret with a generated password; returns its `.id`.
    pub fn add_secret(&self, name: &str, profile: &str) -> Result<String, RouterOsFakeError> {
        self.state
            .add_secret(RouterOsSecret::new(name, &format!("{name}-pass"), profile))
    }

    /// Adds a secret as given; returns its `.id`.
    pub fn add_secret_with(&self, secret: RouterOsSecret) -> Result<String, RouterOsFakeError> {
        self.state.add_secret(secret)
    }

    /// Disables or enables a secret directly; `false` when there is none.
    pub fn set_secret_disabled(&self, name: &str, disabled: bool) -> bool {
        self.state.set_secret_disabled(name, disabled)
    }

    /// `/ppp/secret`, in creation order.
    pub fn secrets(&self) -> Vec<SecretRow> {
        self.state.secrets()
    }

    pub fn secret(&self, name: &str) -> Option<SecretRow> {
        self.secrets()
            .into_iter()
            .find(|secret| secret.name == name)
    }

    /// Every write command received, oldest first.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.state.calls()
    }

    /// How many write commands named `command` were received.
    pub fn calls_named(&self, command: &str) -> usize {
        self.state
            .calls()
            .iter()
            .filter(|call| call.command == command)
            .count()
    }

    /// Every later API reply (not REST) comes this much later.
    pub fn set_reply_delay(&self, delay: Duration) {
        self.state.set_reply_delay(delay);
    }

    /// API and API-SSL connections served so far (reset ones not counted).
    pub fn connections(&self) -> usize {
        self.state.connections()
    }

    /// `/ip service enable|disable api,api-ssl`: when disabled, open
    /// connections are closed and the ports closed (a connect is refused);
    /// enabled, they listen again. Returns once the ports are so.
    pub async fn set_api_enabled(&self, enabled: bool) {
        self.state.set_api_enabled(enabled);
        let ports = if enabled { self.state.api_ports() } else { 0 };
        self.state.wait_for_ports(ports).await;
    }
}
