//! The cPanel WHM fake: `/json-api/{function}` (GET query or POST form) for
//! the functions Juragan's hosting delivery uses — `version`, `listpkgs`,
//! `listaccts`, `createacct`, `suspendacct`, `unsuspendacct`, `removeacct`
//! and `changepackage` — with WHM's `Authorization: whm user:token` check and
//! its API 1 envelope (`metadata.result` 1/0, `reason`, `output.raw`).
//!
//! As at WHM, a refused call is HTTP 200 with `metadata.result: 0` and the
//! human-readable reason; a missing or wrong token gets a 401/403 HTML page
//! (not JSON); and a call without `api.version=1` is still carried out but
//! answered in the legacy shape, so a client that forgets the parameter
//! breaks loudly here instead of in production. `createacct` enforces
//! cPanel's username rules (at most 16 lower-case letters and digits, not
//! starting with a digit or `test`, reserved names refused, the first 8
//! characters unique among accounts), a unique domain and an existing
//! package.
//!
//! Tests inject failures per function ([`WhmFakeHandle::fail_next`]),
//! including [`WhmFailure::AnswerAfter`]: the call is carried out but
//! answered late, the "timed out, yet the account exists" case a client
//! must reconcile with `listaccts`.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sandbox::whm::{WhmFailure, WhmFakeConfig, WhmFunction, WhmFake};
//! let whm = WhmFake::start("127.0.0.1:0".parse()?, WhmFakeConfig::default()).await?;
//! whm.fail_next(WhmFunction::CreateAcct, WhmFailure::AnswerAfter(std::time::Duration::from_secs(5)));
//! // ... the client calls whm.base_url() with whm.api_token() ...
//! assert!(whm.accounts().iter().any(|account| account.user == "tokobudi"));
//! # Ok(()) }
//! ```

mod server;
mod state;

use std::{fmt, net::SocketAddr, str::FromStr, sync::Arc, time::Duration};

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use self::state::WhmState;
use crate::{
    checkout::{self, ServerTask},
    error::SandboxError,
};

/// The WHM user the fake's token belongs to.
pub const DEFAULT_USER: &str = "root";
/// 32 upper-case letters and digits, shaped like a real WHM API token.
pub const DEFAULT_API_TOKEN: &str = "JURAGANSANDBOXWHMTOKEN0123456789";
/// The shared IP every account gets.
pub const DEFAULT_SHARED_IP: &str = "203.0.113.10";
/// The server's nameservers, returned by `createacct`.
pub const DEFAULT_NAMESERVERS: [&str; 2] = ["ns1.sandbox.test", "ns2.sandbox.test"];
/// The packages the fake offers from the start.
pub const PACKAGE_STARTER: &str = "juragan_starter";
pub const PACKAGE_BUSINESS: &str = "juragan_business";
pub const PACKAGE_PRO: &str = "juragan_pro";
/// What `version` answers.
pub const WHM_VERSION: &str = "11.124.0.18";

/// Names cPanel refuses as usernames whatever the rules say (system users
/// and cPanel's own).
pub const RESERVED_USERNAMES: &[&str] = &[
    "all",
    "admin",
    "apache",
    "bin",
    "cpanel",
    "cpanelphpmyadmin",
    "cpses",
    "daemon",
    "dovecot",
    "exim",
    "ftp",
    "games",
    "halt",
    "lp",
    "mail",
    "mailman",
    "mailnull",
    "modsec",
    "mysql",
    "named",
    "news",
    "nobody",
    "operator",
    "postgres",
    "root",
    "shutdown",
    "sshd",
    "sync",
    "system",
    "tomcat",
    "uucp",
    "virtfs",
    "whm",
    "www",
];

/// A hosting package (`listpkgs`), sizes in MB; `None` is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhmFakePackage {
    pub name: String,
    pub quota_mb: Option<u64>,
    pub bandwidth_mb: Option<u64>,
}

impl WhmFakePackage {
    pub fn new(name: &str, quota_mb: Option<u64>, bandwidth_mb: Option<u64>) -> Self {
        WhmFakePackage {
            name: name.to_owned(),
            quota_mb,
            bandwidth_mb,
        }
    }
}

/// The fake server: credentials, packages, addresses.
#[derive(Clone)]
pub struct WhmFakeConfig {
    /// The WHM user (`root` or a reseller) of the one accepted token.
    pub user: String,
    pub api_token: String,
    pub packages: Vec<WhmFakePackage>,
    pub shared_ip: String,
    pub nameservers: Vec<String>,
    /// How long every `createacct` takes before answering (real ones take
    /// tens of seconds); zero by default.
    pub createacct_delay: Duration,
}

impl fmt::Debug for WhmFakeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhmFakeConfig")
            .field("user", &self.user)
            .field("api_token", &"***")
            .field("packages", &self.packages)
            .field("shared_ip", &self.shared_ip)
            .field("nameservers", &self.nameservers)
            .field("createacct_delay", &self.createacct_delay)
            .finish()
    }
}

impl Default for WhmFakeConfig {
    fn default() -> Self {
        WhmFakeConfig {
            user: DEFAULT_USER.to_owned(),
            api_token: DEFAULT_API_TOKEN.to_owned(),
            packages: vec![
                WhmFakePackage::new(PACKAGE_STARTER, Some(1024), Some(10_240)),
                WhmFakePackage::new(PACKAGE_BUSINESS, Some(5120), Some(51_200)),
                WhmFakePackage::new(PACKAGE_PRO, None, None),
            ],
            shared_ip: DEFAULT_SHARED_IP.to_owned(),
            nameservers: DEFAULT_NAMESERVERS.map(str::to_owned).to_vec(),
            createacct_delay: Duration::ZERO,
        }
    }
}

/// The WHM API functions the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WhmFunction {
    Version,
    ListPkgs,
    ListAccts,
    CreateAcct,
    SuspendAcct,
    UnsuspendAcct,
    RemoveAcct,
    ChangePackage,
}

impl WhmFunction {
    pub const ALL: [WhmFunction; 8] = [
        WhmFunction::Version,
        WhmFunction::ListPkgs,
        WhmFunction::ListAccts,
        WhmFunction::CreateAcct,
        WhmFunction::SuspendAcct,
        WhmFunction::UnsuspendAcct,
        WhmFunction::RemoveAcct,
        WhmFunction::ChangePackage,
    ];

    /// The name in the URL (`/json-api/createacct`).
    pub fn as_str(self) -> &'static str {
        match self {
            WhmFunction::Version => "version",
            WhmFunction::ListPkgs => "listpkgs",
            WhmFunction::ListAccts => "listaccts",
            WhmFunction::CreateAcct => "createacct",
            WhmFunction::SuspendAcct => "suspendacct",
            WhmFunction::UnsuspendAcct => "unsuspendacct",
            WhmFunction::RemoveAcct => "removeacct",
            WhmFunction::ChangePackage => "changepackage",
        }
    }
}

impl fmt::Display for WhmFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WhmFunction {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        WhmFunction::ALL
            .into_iter()
            .find(|function| function.as_str() == name)
            .ok_or_else(|| name.to_owned())
    }
}

/// How one injected call fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhmFailure {
    /// HTTP 200 with `metadata.result: 0` and this reason; nothing is done.
    Rejected(String),
    /// This HTTP status with an HTML error page; nothing is done.
    Http(u16),
    /// The call is carried out, but answered only after this long: a
    /// client with a shorter timeout gives up although the work is done.
    AnswerAfter(Duration),
}

/// An account as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhmFakeAccount {
    pub user: String,
    pub domain: String,
    pub plan: String,
    pub suspended: bool,
    /// `None` while active.
    pub suspend_reason: Option<String>,
    /// The `contactemail`; empty when none was given.
    pub email: String,
    pub ip: String,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub suspended_at: Option<DateTime<Utc>>,
    /// `disallowun=1`: a reseller may not unsuspend it.
    pub unsuspend_disallowed: bool,
}

/// One authenticated call that reached a function, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhmCall {
    pub at: DateTime<Utc>,
    pub function: WhmFunction,
    /// Query and form parameters in order; `password`/`pass` values are
    /// replaced by `***`.
    pub params: Vec<(String, String)>,
    /// Whether `api.version=1` was sent.
    pub api_version_1: bool,
    /// `metadata.result` (or the legacy `status`); `None` when the call got
    /// an injected HTTP failure.
    pub result: Option<bool>,
}

/// Starts WHM fakes; see [`WhmFakeHandle`].
pub struct WhmFake;

impl WhmFake {
    /// Binds `addr` (port 0 picks a free port) and serves `/json-api/` until
    /// the last handle is dropped.
    pub async fn start(
        addr: SocketAddr,
        config: WhmFakeConfig,
    ) -> Result<WhmFakeHandle, SandboxError> {
        let (listener, addr) = checkout::bind(addr, "WHM")?;
        let state = WhmState::new(config);
        let server = checkout::serve(
            listener,
            "WHM",
            web::Data::new(state.clone()),
            server::routes,
        )?;
        Ok(WhmFakeHandle {
            addr,
            state,
            _server: Arc::new(server),
        })
    }
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct WhmFakeHandle {
    addr: SocketAddr,
    state: WhmState,
    _server: Arc<ServerTask>,
}

impl WhmFakeHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`: what replaces `https://host:2087`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn user(&self) -> &str {
        &self.state.config().user
    }

    pub fn api_token(&self) -> &str {
        &self.state.config().api_token
    }

    /// The next call of `function` fails as `failure` says; several calls
    /// queue up in order.
    pub fn fail_next(&self, function: WhmFunction, failure: WhmFailure) {
        self.state.fail_next(function, failure);
    }

    /// Every later `createacct` takes this long before answering.
    pub fn set_createacct_delay(&self, delay: Duration) {
        self.state.set_createacct_delay(delay);
    }

    /// Every account, in creation order.
    pub fn accounts(&self) -> Vec<WhmFakeAccount> {
        self.state.accounts()
    }

    pub fn account(&self, user: &str) -> Option<WhmFakeAccount> {
        self.state.account(user)
    }

    /// Creates an account directly (no rules checked but uniqueness of the
    /// user), e.g. one that exists before a test starts.
    pub fn add_account(&self, user: &str, domain: &str, plan: &str) {
        self.state.add_account(user, domain, plan);
    }

    /// The authenticated calls of `function`, oldest first.
    pub fn calls(&self, function: WhmFunction) -> Vec<WhmCall> {
        self.state.calls(Some(function))
    }

    /// Every authenticated call, oldest first.
    pub fn all_calls(&self) -> Vec<WhmCall> {
        self.state.calls(None)
    }

    pub fn packages(&self) -> Vec<WhmFakePackage> {
        self.state.config().packages.clone()
    }

    /// Forgets accounts, calls and injected failures.
    pub fn reset(&self) {
        self.state.reset();
    }
}
