//! Settings, read from the environment only (see `.env.example`). Secrets are
//! wrapped so they never reach a log line, and production refuses to start
//! while any secret still has its development default.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::client_ip::{ProxyTrust, parse_cidr_list};

/// A value that must not be printed: `Debug` and `Display` show a mask.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

impl FromStr for AppEnv {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "development" | "dev" => Ok(AppEnv::Development),
            "test" => Ok(AppEnv::Test),
            "production" | "prod" => Ok(AppEnv::Production),
            other => Err(format!(
                "expected development, test or production, got `{other}`"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The port checker and expiry watch.
#[derive(Debug, Clone)]
pub struct MonitorSettings {
    /// Run the port checker in this process (every replica may).
    pub enabled: bool,
    pub check_timeout: Duration,
    /// Checks in flight at once; at least the number of hosts that may hang.
    pub concurrency: usize,
    /// Most hosts one sweep claims.
    pub batch_size: i64,
    /// Always-up `host:port` targets that tell a dead host from a dead
    /// checker network (e.g. `1.1.1.1:53`); none turns the self-check off.
    pub canaries: Vec<(monitoring::probe::Host, u16)>,
    /// This many hosts down in one sweep are announced in one message.
    pub group_threshold: usize,
    pub expiry_check_interval: Duration,
    /// "Expiring soon" warnings this many days before.
    pub expiry_warn_days: Vec<i32>,
    /// Days of hourly rollups and state changes kept (at least 31).
    pub history_days: u32,
    /// Which addresses may be monitored: private ranges with
    /// `MONITOR_ALLOW_PRIVATE_ADDRESSES`, loopback only with the test switch
    /// `MONITOR_ALLOW_LOOPBACK_FOR_TESTS` (refused in production).
    pub addresses: monitoring::probe::AddressPolicy,
    /// The ISP map's tiles (`MAP_TILE_URL`, e.g.
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`) and their credit
    /// (`MAP_TILE_ATTRIBUTION`); none draws the markers on a plain
    /// background, as on a machine without internet.
    pub map_tile_url: Option<String>,
    pub map_tile_attribution: String,
}

fn canaries(raw: &str) -> Result<Vec<(monitoring::probe::Host, u16)>, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        name: "MONITOR_CANARY",
        reason,
    };
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (host, port) = entry
                .rsplit_once(':')
                .ok_or_else(|| invalid(format!("`{entry}` is not host:port")))?;
            let host =
                monitoring::probe::Host::parse(host.trim_start_matches('[').trim_end_matches(']'))
                    .map_err(|error| invalid(format!("`{entry}`: {error}")))?;
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or_else(|| invalid(format!("`{entry}`: bad port")))?;
            Ok((host, port))
        })
        .collect()
}

fn day_list(raw: &str) -> Result<Vec<i32>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<i32>()
                .ok()
                .filter(|days| (1..=365).contains(days))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "MONITOR_EXPIRY_WARN_DAYS",
                    reason: format!("`{entry}` is not a number of days from 1 to 365"),
                })
        })
        .collect()
}

/// `DOMAIN_CHECK_TIMEOUT_MS`: a customer waits for it, so it is short;
/// zero would answer "unknown" to everything.
fn domain_check_timeout(env: &Env<'_>) -> Result<Duration, ConfigError> {
    let millis: u64 = env.parse("DOMAIN_CHECK_TIMEOUT_MS", 3000)?;
    if !(1..=60_000).contains(&millis) {
        return Err(ConfigError::Invalid {
            name: "DOMAIN_CHECK_TIMEOUT_MS",
            reason: format!("{millis} is not from 1 to 60000 milliseconds"),
        });
    }
    Ok(Duration::from_millis(millis))
}

#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Whether this process runs job workers (an API-only replica may not).
    pub enabled: bool,
    pub concurrency: usize,
    pub poll_interval: Duration,
    pub lease: Duration,
    pub shutdown_grace: Duration,
}

/// Which logged events become owner alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertLevel {
    Error,
    Warn,
    Off,
}

impl FromStr for AlertLevel {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "error" => Ok(AlertLevel::Error),
            "warn" | "warning" => Ok(AlertLevel::Warn),
            "off" | "none" => Ok(AlertLevel::Off),
            other => Err(format!("expected error, warn or off, got `{other}`")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub http_addr: SocketAddr,
    /// Where users reach the shop; used in links sent by email.
    pub public_base_url: String,
    pub database_url: Secret,
    pub database_max_connections: u32,
    pub redis_url: Secret,
    /// Prefix of every Redis key, so several deployments (or tests) can share
    /// one Redis without seeing each other's keys.
    pub redis_key_prefix: String,
    pub smtp_url: Secret,
    pub mail_from: String,
    /// Master key (32 bytes, base64) for encrypting integration secrets at
    /// rest and keying the hashes of one-time codes.
    pub secret_key: Secret,
    /// Earlier master keys, newest first: values sealed under them (stock
    /// of digital goods, integration secrets) still open after a rotation.
    pub previous_secret_keys: Vec<Secret>,
    /// ES256 signing keys (PKCS#8 PEM). The first signs; all verify.
    pub jwt_private_keys: Vec<Secret>,
    /// The Telegram bot; none disables the Telegram channel.
    pub telegram_bot_token: Option<Secret>,
    /// The Bot API's base URL (the sandbox fake in development).
    pub telegram_api_base_url: String,
    /// Sends per second for the whole bot, shared by every replica.
    /// Telegram allows 30; the default 29 leaves room for network jitter.
    pub telegram_send_rate: u32,
    /// How often `getUpdates` is polled for clients linking their chat;
    /// zero turns polling off.
    pub telegram_poll_interval: Duration,
    /// Log events at or above this level alert the owner's chats.
    pub owner_alert_level: AlertLevel,
    /// The RFC 9224 RDAP bootstrap file (IANA's; the sandbox's fake in
    /// development and tests).
    pub rdap_bootstrap_url: String,
    /// The longest one domain availability check (or one batch of them)
    /// takes, bootstrap fetch included.
    pub domain_check_timeout: Duration,
    /// Which TCP peers may tell us the client's address (`HTTP_TRUSTED_PROXIES`)
    /// and through which header; see [`crate::client_ip`].
    pub proxy_trust: ProxyTrust,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>`.
    pub metrics_token: Option<Secret>,
    /// Built SPA (`frontend/dist`); served at `/` when present.
    pub frontend_dist: PathBuf,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    pub log_format: LogFormat,
    pub jobs: JobSettings,
    pub monitor: MonitorSettings,
    /// Keep the storefront's answers in memory until the catalog changes
    /// (`STOREFRONT_CACHE_ENABLED`, default true; off, every request reads
    /// the database — for comparing, or ruling the cache out).
    pub storefront_cache_enabled: bool,
    /// `SHOP_TIMEZONE`: the zone of the shop's calendar (today, expiry
    /// dates, times in messages); an unknown zone refuses to start.
    pub shop_calendar: domain::ShopCalendar,
    pub provisioning: ProvisioningSettings,
}

/// The domain registrar (ResellerClub's API; the sandbox's fake in
/// development and tests) and how provisioning waits for Proxmox tasks.
#[derive(Debug, Clone)]
pub struct ProvisioningSettings {
    /// `REGISTRAR_URL`, the API root ending in `/api/`.
    pub registrar_url: String,
    pub registrar_auth_userid: String,
    pub registrar_api_key: Secret,
    pub registrar_customer_id: String,
    /// `DOMAIN_NAMESERVERS`: what new domains point at (comma-separated).
    pub domain_nameservers: Vec<String>,
    /// `PROVISIONING_TASK_POLL_MS`: between two looks at a running task.
    pub task_poll: Duration,
    /// `PROVISIONING_CALL_TIMEOUT_SECONDS`: one call to Proxmox or WHM;
    /// unset, 30 s for Proxmox and 150 s for WHM.
    pub call_timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "APP_ENV=production but these secrets are unset or still have their development default: {}",
        .0.join(", ")
    )]
    DefaultSecrets(Vec<&'static str>),
}

/// Development defaults of the secrets. Production refuses every one of them.
const DEV_SECRET_KEY: &str = "ZGV2LW9ubHktc2VjcmV0LWtleS0zMi1ieXRlcy1sb25nISE=";
/// A published key: fine for development and tests, worthless in production.
const DEV_JWT_PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJOXUpdnkLE6bFr8i\nUcBIO8K+7MCIZxHz6ibYkgTTaZahRANCAARv8K+Oe4z0E1Mbhs5wPmJUgHtzvXKs\nA6jo+Zks/vZulaQRpQaxm2tycSShhF45elDrOVscQ/cWLFChDOKeisd4\n-----END PRIVATE KEY-----";

/// Reads the environment through a lookup function, so tests can pass a map.
struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    defaulted_secrets: Vec<&'static str>,
}

impl Env<'_> {
    fn string(&self, name: &'static str, default: &str) -> String {
        (self.lookup)(name)
            .filter(|value| !value.is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    fn parse<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match (self.lookup)(name).filter(|value| !value.is_empty()) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|error: T::Err| ConfigError::Invalid {
                name,
                reason: error.to_string(),
            }),
        }
    }

    fn secret(&mut self, name: &'static str, dev_default: &str) -> Secret {
        let value = self.string(name, dev_default);
        if value == dev_default {
            self.defaulted_secrets.push(name);
        }
        Secret(value)
    }

    fn seconds(&self, name: &'static str, default: f64) -> Result<Duration, ConfigError> {
        let seconds: f64 = self.parse(name, default)?;
        Duration::try_from_secs_f64(seconds).map_err(|error| ConfigError::Invalid {
            name,
            reason: error.to_string(),
        })
    }
}

/// `JWT_PRIVATE_KEYS` holds PEM blocks; `JWT_PRIVATE_KEY_FILES` names files
/// (comma-separated) holding them. Keys from both are used, the variable's
/// first.
fn jwt_keys(env: &mut Env<'_>) -> Result<Vec<Secret>, ConfigError> {
    let mut pems = env.secret("JWT_PRIVATE_KEYS", DEV_JWT_PRIVATE_KEY).0;
    let files = env.string("JWT_PRIVATE_KEY_FILES", "");
    if !files.is_empty() {
        if env.defaulted_secrets.last() == Some(&"JWT_PRIVATE_KEYS") {
            // Keys come from files: the default key must not sign.
            env.defaulted_secrets.pop();
            pems.clear();
        }
        for path in files
            .split(',')
            .map(str::trim)
            .filter(|path| !path.is_empty())
        {
            let pem = std::fs::read_to_string(path).map_err(|error| ConfigError::Invalid {
                name: "JWT_PRIVATE_KEY_FILES",
                reason: format!("{path}: {error}"),
            })?;
            pems.push('\n');
            pems.push_str(&pem);
        }
    }
    let blocks = identity::tokens::split_pem_blocks(&pems.replace("\\n", "\n"));
    if blocks.is_empty() {
        return Err(ConfigError::Invalid {
            name: "JWT_PRIVATE_KEYS",
            reason: "no PEM block found".to_owned(),
        });
    }
    Ok(blocks.into_iter().map(Secret).collect())
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut env = Env {
            lookup,
            defaulted_secrets: Vec::new(),
        };
        let app_env: AppEnv = env.parse("APP_ENV", AppEnv::Development)?;
        let log_format = match env
            .string(
                "LOG_FORMAT",
                if app_env == AppEnv::Production {
                    "json"
                } else {
                    "pretty"
                },
            )
            .as_str()
        {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                return Err(ConfigError::Invalid {
                    name: "LOG_FORMAT",
                    reason: format!("expected json or pretty, got `{other}`"),
                });
            }
        };
        let settings = Settings {
            app_env,
            http_addr: env.parse("HTTP_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
            public_base_url: env.string("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
            database_url: Secret(
                env.string("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/juragan"),
            ),
            database_max_connections: env.parse("DATABASE_MAX_CONNECTIONS", 20)?,
            redis_url: Secret(env.string("REDIS_URL", "redis://127.0.0.1:6379/0")),
            redis_key_prefix: env.string("REDIS_KEY_PREFIX", "juragan:"),
            smtp_url: Secret(env.string("SMTP_URL", "smtp://127.0.0.1:2525")),
            mail_from: env.string("MAIL_FROM", "Juragan <no-reply@juragan.local>"),
            secret_key: env.secret("JURAGAN_SECRET_KEY", DEV_SECRET_KEY),
            previous_secret_keys: env
                .string("JURAGAN_PREVIOUS_SECRET_KEYS", "")
                .split(',')
                .map(str::trim)
                .filter(|key| !key.is_empty())
                .map(|key| Secret(key.to_owned()))
                .collect(),
            jwt_private_keys: jwt_keys(&mut env)?,
            proxy_trust: ProxyTrust {
                trusted: parse_cidr_list(&env.string("HTTP_TRUSTED_PROXIES", "")).map_err(
                    |reason| ConfigError::Invalid {
                        name: "HTTP_TRUSTED_PROXIES",
                        reason,
                    },
                )?,
                forwarded_header: env.parse("HTTP_TRUST_FORWARDED_HEADER", false)?,
            },
            metrics_token: Some(env.string("METRICS_TOKEN", ""))
                .filter(|token| !token.is_empty())
                .map(Secret),
            telegram_bot_token: Some(env.string("TELEGRAM_BOT_TOKEN", ""))
                .filter(|token| !token.is_empty())
                .map(Secret),
            telegram_api_base_url: env.string("TELEGRAM_API_BASE_URL", "https://api.telegram.org"),
            telegram_send_rate: env.parse("TELEGRAM_SEND_RATE_PER_SECOND", 29)?,
            telegram_poll_interval: env.seconds("TELEGRAM_POLL_INTERVAL_SECONDS", 5.0)?,
            owner_alert_level: env.parse("OWNER_ALERT_LEVEL", AlertLevel::Error)?,
            rdap_bootstrap_url: env.string(
                "RDAP_BOOTSTRAP_URL",
                billing::domain_check::IANA_BOOTSTRAP_URL,
            ),
            domain_check_timeout: domain_check_timeout(&env)?,
            frontend_dist: PathBuf::from(env.string("FRONTEND_DIST", "frontend/dist")),
            body_limit: env.parse("HTTP_BODY_LIMIT_BYTES", 1024 * 1024)?,
            log_format,
            storefront_cache_enabled: env.parse("STOREFRONT_CACHE_ENABLED", true)?,
            provisioning: ProvisioningSettings {
                registrar_url: env.string("REGISTRAR_URL", "https://test.httpapi.com/api/"),
                registrar_auth_userid: env.string("REGISTRAR_AUTH_USERID", ""),
                registrar_api_key: Secret(env.string("REGISTRAR_API_KEY", "")),
                registrar_customer_id: env.string("REGISTRAR_CUSTOMER_ID", ""),
                domain_nameservers: env
                    .string("DOMAIN_NAMESERVERS", "ns1.juragan.id,ns2.juragan.id")
                    .split(',')
                    .map(|ns| ns.trim().to_ascii_lowercase())
                    .filter(|ns| !ns.is_empty())
                    .collect(),
                task_poll: Duration::from_millis(env.parse("PROVISIONING_TASK_POLL_MS", 1000)?),
                call_timeout: Some(env.seconds("PROVISIONING_CALL_TIMEOUT_SECONDS", 0.0)?)
                    .filter(|timeout| !timeout.is_zero()),
            },
            monitor: MonitorSettings {
                enabled: env.parse("MONITOR_ENABLED", true)?,
                check_timeout: env.seconds("MONITOR_CHECK_TIMEOUT_SECONDS", 3.0)?,
                concurrency: env.parse(
                    "MONITOR_CONCURRENCY",
                    monitoring::probe::DEFAULT_CONCURRENCY,
                )?,
                batch_size: env.parse("MONITOR_BATCH_SIZE", 5_000)?,
                canaries: canaries(&env.string("MONITOR_CANARY", ""))?,
                group_threshold: env.parse("MONITOR_GROUP_THRESHOLD", 5)?,
                expiry_check_interval: env.seconds("MONITOR_EXPIRY_CHECK_SECONDS", 60.0)?,
                expiry_warn_days: day_list(&env.string("MONITOR_EXPIRY_WARN_DAYS", "7,3,1"))?,
                history_days: env.parse("MONITOR_HISTORY_DAYS", 400)?,
                addresses: monitoring::probe::AddressPolicy {
                    allow_private: env.parse("MONITOR_ALLOW_PRIVATE_ADDRESSES", false)?,
                    allow_loopback: env.parse("MONITOR_ALLOW_LOOPBACK_FOR_TESTS", false)?,
                },
                map_tile_url: Some(env.string("MAP_TILE_URL", ""))
                    .filter(|url| !url.trim().is_empty()),
                map_tile_attribution: env.string("MAP_TILE_ATTRIBUTION", ""),
            },
            shop_calendar: env.parse(
                "SHOP_TIMEZONE",
                domain::ShopCalendar::new(domain::calendar::DEFAULT_SHOP_TIMEZONE)
                    .unwrap_or_default(),
            )?,
            jobs: JobSettings {
                enabled: env.parse("JOBS_ENABLED", true)?,
                concurrency: env.parse("JOBS_CONCURRENCY", 8)?,
                poll_interval: env.seconds("JOBS_POLL_INTERVAL_SECONDS", 0.5)?,
                lease: env.seconds("JOBS_LEASE_SECONDS", 60.0)?,
                shutdown_grace: env.seconds("JOBS_SHUTDOWN_GRACE_SECONDS", 20.0)?,
            },
        };
        if settings.app_env == AppEnv::Production && settings.monitor.addresses.allow_loopback {
            // Loopback monitoring lets anyone who may add a host probe the
            // server's own ports; only tests and the demo need it.
            return Err(ConfigError::Invalid {
                name: "MONITOR_ALLOW_LOOPBACK_FOR_TESTS",
                reason: "is for tests and development only, never in production".to_owned(),
            });
        }
        if settings.app_env == AppEnv::Production && !env.defaulted_secrets.is_empty() {
            return Err(ConfigError::DefaultSecrets(env.defaulted_secrets));
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const OTHER_TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLnC5J0+Xv1LJ+diE\nxlfw3aERfWXdNOneDSlYM2uzuB2hRANCAASACHWI2Q96Ad6rEG0yJP6KIuiGBxyV\nUDPEAPfmyxGs5dyiNjj4h4ppP6S18V7706d0YVsV/Tgzv6r2QFVPxYul\n-----END PRIVATE KEY-----";

    fn settings_from(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(&move |name| map.get(name).cloned())
    }

    #[test]
    fn development_starts_with_defaults() {
        let settings = settings_from(&[]).expect("defaults are valid in development");
        assert_eq!(settings.app_env, AppEnv::Development);
        assert_eq!(settings.http_addr.port(), 8080);
    }

    #[test]
    fn production_refuses_default_secrets() {
        let error = settings_from(&[("APP_ENV", "production")]).expect_err("must refuse");
        assert!(
            matches!(&error, ConfigError::DefaultSecrets(names) if names.contains(&"JURAGAN_SECRET_KEY"))
        );
        let explicit_default = settings_from(&[
            ("APP_ENV", "production"),
            ("JURAGAN_SECRET_KEY", DEV_SECRET_KEY),
        ]);
        assert!(
            explicit_default.is_err(),
            "setting the default explicitly is still the default"
        );
        let only_one = settings_from(&[
            ("APP_ENV", "production"),
            (
                "JURAGAN_SECRET_KEY",
                "c29tZXRoaW5nIGVsc2UgZW50aXJlbHkgMzIgYnl0ZXM=",
            ),
        ]);
        assert!(
            matches!(&only_one, Err(ConfigError::DefaultSecrets(names)) if names == &["JWT_PRIVATE_KEYS"])
        );
        let key_file =
            std::env::temp_dir().join(format!("juragan-test-key-{}.pem", std::process::id()));
        std::fs::write(&key_file, OTHER_TEST_KEY).expect("temp file");
        let configured = settings_from(&[
            ("APP_ENV", "production"),
            (
                "JURAGAN_SECRET_KEY",
                "c29tZXRoaW5nIGVsc2UgZW50aXJlbHkgMzIgYnl0ZXM=",
            ),
            (
                "JWT_PRIVATE_KEY_FILES",
                key_file.to_str().unwrap_or_default(),
            ),
        ]);
        let _ = std::fs::remove_file(&key_file);
        let configured = configured.expect("every secret configured");
        assert_eq!(
            configured.jwt_private_keys.len(),
            1,
            "the development key is not kept beside the file's"
        );
        assert_eq!(
            configured.jwt_private_keys[0].expose().trim(),
            OTHER_TEST_KEY.trim()
        );
    }

    #[test]
    fn the_shop_time_zone_is_checked_at_start_up() {
        let default = settings_from(&[]).expect("valid");
        assert_eq!(default.shop_calendar.zone_name(), "Asia/Jakarta");
        let makassar = settings_from(&[("SHOP_TIMEZONE", "Asia/Makassar")]).expect("valid");
        assert_eq!(makassar.shop_calendar.zone_name(), "Asia/Makassar");
        let error = settings_from(&[("SHOP_TIMEZONE", "Asia/Atlantis")]).expect_err("unknown");
        assert!(
            matches!(
                &error,
                ConfigError::Invalid {
                    name: "SHOP_TIMEZONE",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn the_loopback_test_switch_is_refused_in_production() {
        let test = settings_from(&[("MONITOR_ALLOW_LOOPBACK_FOR_TESTS", "true")]).expect("valid");
        assert!(test.monitor.addresses.allow_loopback);
        assert!(!test.monitor.addresses.allow_private);
        let error = settings_from(&[
            ("APP_ENV", "production"),
            ("MONITOR_ALLOW_LOOPBACK_FOR_TESTS", "true"),
        ])
        .expect_err("refused");
        assert!(
            matches!(
                &error,
                ConfigError::Invalid {
                    name: "MONITOR_ALLOW_LOOPBACK_FOR_TESTS",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn secrets_are_masked_in_debug_output() {
        let settings = settings_from(&[("DATABASE_URL", "postgres://shop:hunter2@db/juragan")])
            .expect("valid");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains(DEV_SECRET_KEY));
    }

    #[test]
    fn env_example_documents_every_variable_read() {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        Settings::from_lookup(&|name| {
            asked.borrow_mut().insert(name.to_owned());
            None
        })
        .expect("defaults are valid");
        let example = include_str!("../../../.env.example");
        let documented: Vec<&str> = example
            .lines()
            .filter_map(|line| line.split_once('=').map(|(name, _)| name))
            .collect();
        let missing: Vec<String> = asked
            .into_inner()
            .into_iter()
            .filter(|name| !documented.contains(&name.as_str()))
            .collect();
        assert!(missing.is_empty(), ".env.example lacks {missing:?}");
    }

    #[test]
    fn domain_checks_ask_iana_within_three_seconds_unless_told_otherwise() {
        let default = settings_from(&[]).expect("valid");
        assert_eq!(
            default.rdap_bootstrap_url,
            "https://data.iana.org/rdap/dns.json"
        );
        assert_eq!(default.domain_check_timeout, Duration::from_secs(3));
        let sandbox = settings_from(&[
            ("RDAP_BOOTSTRAP_URL", "http://127.0.0.1:8026/rdap/dns.json"),
            ("DOMAIN_CHECK_TIMEOUT_MS", "1500"),
        ])
        .expect("valid");
        assert_eq!(
            sandbox.rdap_bootstrap_url,
            "http://127.0.0.1:8026/rdap/dns.json"
        );
        assert_eq!(sandbox.domain_check_timeout, Duration::from_millis(1500));
        for bad in ["0", "60001", "3s"] {
            let error = settings_from(&[("DOMAIN_CHECK_TIMEOUT_MS", bad)]).expect_err(bad);
            assert!(
                error.to_string().starts_with("DOMAIN_CHECK_TIMEOUT_MS:"),
                "{error}"
            );
        }
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let error = settings_from(&[("HTTP_ADDR", "not-an-address")]).expect_err("invalid");
        assert!(error.to_string().starts_with("HTTP_ADDR:"));
    }
}
