//! Domain availability: is `tokobudi.co.id` still free? Asked of the
//! registry's RDAP server, found through the IANA bootstrap file, with the
//! answers shared through Redis for a minute so that replicas and repeated
//! searches do not ask again.
//!
//! A check never fails and never takes longer than its deadline (3 s by
//! default, bootstrap fetch included): what cannot be known in time, or at
//! all, is [`Availability::Unknown`] with a reason, and the shop shows
//! "could not check" instead of a wrong answer. RDAP's 404 means "probably
//! available": it does not know reserved or premium names, so ordering still
//! asks the registrar.
//!
//! ```no_run
//! # async fn example(redis: redis::aio::ConnectionManager) -> Result<(), billing::domain_check::DomainCheckError> {
//! use billing::domain_check::{DomainCheckConfig, DomainChecker};
//! let checker = DomainChecker::new(DomainCheckConfig::default(), redis)?;
//! let label = domain::DomainLabel::parse("tokobudi").expect("a valid label");
//! let names: Vec<_> = ["com", "id", "co.id"]
//!     .iter()
//!     .filter_map(|suffix| label.with_suffix(suffix).ok())
//!     .collect();
//! for (name, availability) in checker.check_many(&names).await {
//!     println!("{}: {}", name.unicode(), availability.code());
//! }
//! # Ok(()) }
//! ```

mod bootstrap;
mod rdap;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use domain::DomainName;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use tokio::time::{Instant, timeout_at};

pub use self::bootstrap::BootstrapError;
use self::{
    bootstrap::{Bootstrap, BootstrapSource},
    rdap::RdapClient,
};

/// Where production reads which RDAP server serves which TLD.
pub const IANA_BOOTSTRAP_URL: &str = "https://data.iana.org/rdap/dns.json";

/// PANDI's RDAP service, which answers for every `.id` name (`co.id`,
/// `my.id`, ... included). IANA's file lists it today; external-apis.md §7
/// asks for it to be kept as a fallback anyway, used only when a loaded
/// bootstrap file lacks `id`, because `.id` is what most of the shop's
/// customers buy and a gap in IANA's file must not hide it.
pub const PANDI_RDAP_BASE_URL: &str = "https://rdap.pandi.id/rdap/";

/// The most redirects one lookup follows (RFC 7480 servers redirect to the
/// authoritative one; a chain longer than this is a loop).
const MAX_REDIRECTS: usize = 5;
/// Redis is the shortcut, not the answer: a slow Redis is skipped.
const CACHE_TIMEOUT: Duration = Duration::from_millis(250);
/// The bootstrap fetch runs in the background and may outlive the check
/// that started it, but not forever.
const BOOTSTRAP_FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// How checks are made.
#[derive(Debug, Clone)]
pub struct DomainCheckConfig {
    /// The RFC 9224 `dns.json` ([`IANA_BOOTSTRAP_URL`] in production, the
    /// sandbox's fake in development and tests).
    pub bootstrap_url: String,
    /// The longest one check (or one [`DomainChecker::check_many`]) takes,
    /// bootstrap fetch included.
    pub deadline: Duration,
    /// How long a "taken" or "available" answer is shared through Redis.
    /// Unknown answers are not kept: the next check should try again.
    pub cache_ttl: Duration,
    pub user_agent: String,
    /// Prefix of the Redis keys (the deployment's `REDIS_KEY_PREFIX`; tests
    /// use a fresh one each).
    pub key_prefix: String,
    /// How old the bootstrap copy may grow before it is fetched again.
    pub bootstrap_refresh: Duration,
    /// After a failed bootstrap fetch, how long before the next try.
    pub bootstrap_retry_after: Duration,
    /// `(suffix, base URL)` used only when the loaded bootstrap file does
    /// not list a suffix; see [`PANDI_RDAP_BASE_URL`].
    pub fallback_servers: Vec<(String, String)>,
}

impl Default for DomainCheckConfig {
    fn default() -> Self {
        DomainCheckConfig {
            bootstrap_url: IANA_BOOTSTRAP_URL.to_owned(),
            deadline: Duration::from_secs(3),
            cache_ttl: Duration::from_secs(60),
            user_agent: concat!(
                "Juragan/",
                env!("CARGO_PKG_VERSION"),
                " (domain availability check)"
            )
            .to_owned(),
            key_prefix: "juragan:".to_owned(),
            bootstrap_refresh: Duration::from_secs(24 * 3600),
            bootstrap_retry_after: Duration::from_secs(30),
            fallback_servers: vec![("id".to_owned(), PANDI_RDAP_BASE_URL.to_owned())],
        }
    }
}

/// The checker could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DomainCheckError {
    #[error("invalid domain check settings: {0}")]
    Config(String),
}

/// What RDAP says about a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Availability {
    /// No such registration (RDAP 404): probably free, unless the registry
    /// reserves the name.
    Available,
    /// Registered; the dates when the registry published them.
    Taken {
        registered_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
    },
    /// Could not be told, and why.
    Unknown { reason: UnknownReason },
}

impl Availability {
    pub fn unknown(reason: UnknownReason) -> Self {
        Availability::Unknown { reason }
    }

    /// `available`, `taken` or `unknown`.
    pub fn code(&self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Taken { .. } => "taken",
            Availability::Unknown { .. } => "unknown",
        }
    }

    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available)
    }

    fn is_known(&self) -> bool {
        !matches!(self, Availability::Unknown { .. })
    }
}

/// Why availability is unknown. The codes are stable: the API passes them on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownReason {
    /// The bootstrap file (and the fallbacks) name no RDAP server for the TLD.
    NoRdap,
    /// The bootstrap file was never loaded (IANA unreachable at start-up).
    BootstrapUnavailable,
    /// The registry answered 429, or did so recently and asked for quiet.
    RateLimited,
    /// The registry refused the query (400 and other 4xx but 404 and 429).
    Rejected,
    /// The registry failed (5xx).
    ServerError,
    /// No answer before the deadline.
    Timeout,
    /// No connection (DNS, refused, TLS).
    Unreachable,
    /// An answer that is not RDAP: bad JSON, not a domain object, redirect loop.
    BadResponse,
}

impl UnknownReason {
    pub fn code(self) -> &'static str {
        match self {
            UnknownReason::NoRdap => "no_rdap",
            UnknownReason::BootstrapUnavailable => "bootstrap_unavailable",
            UnknownReason::RateLimited => "rate_limited",
            UnknownReason::Rejected => "rejected",
            UnknownReason::ServerError => "server_error",
            UnknownReason::Timeout => "timeout",
            UnknownReason::Unreachable => "unreachable",
            UnknownReason::BadResponse => "bad_response",
        }
    }
}

/// Checks availability over RDAP. Cheap to clone: clones share the HTTP
/// connections, the bootstrap copy and the rate-limit back-offs.
#[derive(Clone)]
pub struct DomainChecker {
    inner: Arc<Inner>,
}

struct Inner {
    config: DomainCheckConfig,
    bootstrap: Arc<BootstrapSource>,
    fallbacks: Bootstrap,
    rdap: RdapClient,
    redis: ConnectionManager,
}

impl std::fmt::Debug for DomainChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainChecker")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl DomainChecker {
    /// Loads nothing yet: the bootstrap file is fetched by the first check.
    /// Needs a rustls crypto provider installed (the api binary does it).
    pub fn new(
        config: DomainCheckConfig,
        redis: ConnectionManager,
    ) -> Result<Self, DomainCheckError> {
        if config.deadline.is_zero() {
            return Err(DomainCheckError::Config(
                "the deadline must be above zero".to_owned(),
            ));
        }
        let bootstrap_url = reqwest::Url::parse(&config.bootstrap_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                DomainCheckError::Config(format!(
                    "the bootstrap URL `{}` is not an http(s) URL",
                    config.bootstrap_url
                ))
            })?;
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            // The deadline bounds the whole check; these bound each step, so
            // a hung connection is not kept for the next check either.
            .connect_timeout(config.deadline)
            .read_timeout(config.deadline)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(|error| DomainCheckError::Config(error.to_string()))?;
        let bootstrap = Arc::new(BootstrapSource::new(
            http.clone(),
            bootstrap_url.to_string(),
            config.bootstrap_refresh,
            config.bootstrap_retry_after,
            BOOTSTRAP_FETCH_TIMEOUT.max(config.deadline),
        ));
        Ok(DomainChecker {
            inner: Arc::new(Inner {
                fallbacks: Bootstrap::from_entries(&config.fallback_servers),
                rdap: RdapClient::new(http),
                bootstrap,
                redis,
                config,
            }),
        })
    }

    pub fn config(&self) -> &DomainCheckConfig {
        &self.inner.config
    }

    /// Whether `name` is registered, within the deadline.
    pub async fn check(&self, name: &DomainName) -> Availability {
        self.check_by(name, Instant::now() + self.inner.config.deadline)
            .await
    }

    /// Several names at once (one label under each of the shop's suffixes),
    /// concurrently and under one deadline; answers in the order asked.
    pub async fn check_many(&self, names: &[DomainName]) -> Vec<(DomainName, Availability)> {
        let deadline = Instant::now() + self.inner.config.deadline;
        let answers =
            futures::future::join_all(names.iter().map(|name| self.check_by(name, deadline))).await;
        names.iter().cloned().zip(answers).collect()
    }

    async fn check_by(&self, name: &DomainName, deadline: Instant) -> Availability {
        if let Some(cached) = self.cached(name, deadline).await {
            return cached;
        }
        let availability = timeout_at(deadline, self.lookup(name))
            .await
            .unwrap_or(Availability::unknown(UnknownReason::Timeout));
        tracing::debug!(domain = %name, answer = ?availability, "domain checked");
        if availability.is_known() {
            self.remember(name, &availability, deadline).await;
        }
        availability
    }

    async fn lookup(&self, name: &DomainName) -> Availability {
        let bootstrap = match self.inner.bootstrap.current().await {
            Ok(bootstrap) => bootstrap,
            Err(_) => return Availability::unknown(UnknownReason::BootstrapUnavailable),
        };
        let Some(base) = bootstrap
            .base_for(name)
            .or_else(|| self.inner.fallbacks.base_for(name))
        else {
            return Availability::unknown(UnknownReason::NoRdap);
        };
        self.inner.rdap.query(base, name).await
    }

    fn cache_key(&self, name: &DomainName) -> String {
        format!(
            "{}domain-check:{}",
            self.inner.config.key_prefix,
            name.ascii()
        )
    }

    /// A shared answer, if Redis has one and answers quickly.
    async fn cached(&self, name: &DomainName, deadline: Instant) -> Option<Availability> {
        let key = self.cache_key(name);
        let mut redis = self.inner.redis.clone();
        let mut command = redis::cmd("GET");
        command.arg(&key);
        let read = command.query_async::<Option<String>>(&mut redis);
        let until = deadline.min(Instant::now() + CACHE_TIMEOUT);
        let stored = match timeout_at(until, read).await {
            Ok(Ok(stored)) => stored?,
            Ok(Err(error)) => {
                tracing::warn!(%error, "Redis failed; domain checked without the cache");
                return None;
            }
            Err(_) => {
                tracing::warn!("Redis is slow; domain checked without the cache");
                return None;
            }
        };
        match serde_json::from_str::<Availability>(&stored) {
            Ok(availability) if availability.is_known() => Some(availability),
            Ok(_) | Err(_) => None,
        }
    }

    async fn remember(&self, name: &DomainName, availability: &Availability, deadline: Instant) {
        let ttl_ms = u64::try_from(self.inner.config.cache_ttl.as_millis()).unwrap_or(u64::MAX);
        if ttl_ms == 0 {
            return;
        }
        let Ok(value) = serde_json::to_string(availability) else {
            return;
        };
        let mut redis = self.inner.redis.clone();
        let mut command = redis::cmd("SET");
        command
            .arg(self.cache_key(name))
            .arg(value)
            .arg("PX")
            .arg(ttl_ms);
        let write = command.query_async::<()>(&mut redis);
        let until = deadline.min(Instant::now() + CACHE_TIMEOUT);
        match timeout_at(until, write).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "Redis failed; domain check answer not shared");
            }
            Err(_) => tracing::warn!("Redis is slow; domain check answer not shared"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_serialise_with_stable_codes() {
        let unknown = Availability::unknown(UnknownReason::NoRdap);
        assert_eq!(
            serde_json::to_value(&unknown).expect("serialises"),
            serde_json::json!({"status": "unknown", "reason": "no_rdap"})
        );
        assert_eq!(
            serde_json::to_value(Availability::Available).expect("serialises"),
            serde_json::json!({"status": "available"})
        );
        for reason in [
            UnknownReason::NoRdap,
            UnknownReason::BootstrapUnavailable,
            UnknownReason::RateLimited,
            UnknownReason::Rejected,
            UnknownReason::ServerError,
            UnknownReason::Timeout,
            UnknownReason::Unreachable,
            UnknownReason::BadResponse,
        ] {
            assert_eq!(
                serde_json::to_value(reason).expect("serialises"),
                serde_json::json!(reason.code())
            );
        }
        let taken = Availability::Taken {
            registered_at: Some(Utc::now()),
            expires_at: None,
        };
        let json = serde_json::to_string(&taken).expect("serialises");
        assert_eq!(
            serde_json::from_str::<Availability>(&json).expect("parses"),
            taken
        );
    }
}
