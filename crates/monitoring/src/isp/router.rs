//! The MikroTik routers the shop's PPPoE customers dial into, managed by
//! sysadmin. The password is sealed at rest (`domain::Sealer`) and shown
//! masked; "Test connection" logs in and reports the router's identity,
//! version and active sessions, or the precise reason it could not.
//!
//! The least privilege the router's user needs is written down beside it:
//! a read-only group is enough for the status sync; write rights (`write`
//! policy) only when isolation is on, because isolating disables a PPP
//! secret and ends a live session.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::{Sealed, Sealer, ValidationErrors};
use routeros::{PppRouter, Router, RouterConfig, Transport};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;

use crate::MonitoringError;

/// How long a connect may take before the router counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one command may take: a print of 10,000 sessions is well under
/// a second on a real router.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// How the router is reached: the binary API (8728), the API over TLS
/// (8729) or the RouterOS v7 REST API (`www-ssl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum RouterTransport {
    Api,
    ApiTls,
    Rest,
}

impl RouterTransport {
    fn as_str(self) -> &'static str {
        match self {
            RouterTransport::Api => "api",
            RouterTransport::ApiTls => "api_tls",
            RouterTransport::Rest => "rest",
        }
    }

    fn client_transport(self) -> Transport {
        match self {
            RouterTransport::Api => Transport::Api,
            RouterTransport::ApiTls => Transport::ApiTls,
            RouterTransport::Rest => Transport::Rest,
        }
    }
}

/// What isolation (isolir) does to a suspended customer's PPP secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum IsolationMode {
    /// Isolation is off: a suspended internet service keeps its line.
    Off,
    /// The PPP secret is disabled: the customer cannot dial in.
    Disable,
    /// The secret moves to the isolation profile (a captive page, a slow
    /// queue); the previous profile is restored on payment.
    Profile,
}

impl IsolationMode {
    fn as_str(self) -> &'static str {
        match self {
            IsolationMode::Off => "off",
            IsolationMode::Disable => "disable",
            IsolationMode::Profile => "profile",
        }
    }
}

/// A router as sysadmin enters it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RouterInput {
    #[schema(min_length = 1, max_length = 80, example = "Core Sempu")]
    pub name: String,
    /// Host name or IP address of the router.
    #[schema(min_length = 1, max_length = 253, example = "10.0.0.1")]
    pub host: String,
    /// 8728 for `api`, 8729 for `api_tls`, 443 for `rest` when left out.
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    pub transport: RouterTransport,
    /// SHA-256 fingerprint of the router's self-signed certificate
    /// (`AB:CD:…`), for `api_tls` and `rest`.
    pub tls_fingerprint: Option<String>,
    #[schema(min_length = 1, max_length = 120, example = "juragan")]
    pub username: String,
    /// Required when creating; left out on an update, the stored one is kept.
    #[schema(min_length = 1, max_length = 200)]
    pub password: Option<String>,
    #[serde(default = "enabled")]
    pub sync_enabled: bool,
    /// Seconds between syncs (30 to 86,400; 120 when left out).
    #[schema(minimum = 30, maximum = 86400)]
    pub sync_interval_seconds: Option<i32>,
    #[serde(default = "isolation_off")]
    pub isolation_mode: IsolationMode,
    /// The PPP profile isolated customers move to (`profile` mode).
    #[schema(max_length = 64, example = "isolir")]
    pub isolation_profile: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

fn enabled() -> bool {
    true
}

fn isolation_off() -> IsolationMode {
    IsolationMode::Off
}

/// A router as staff see it: the password masked, the last sync and test.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IspRouter {
    pub id: i64,
    pub name: String,
    pub host: String,
    pub port: i32,
    pub transport: RouterTransport,
    pub tls_fingerprint: Option<String>,
    pub username: String,
    /// `••••` and the password's last four characters.
    pub password_masked: String,
    pub sync_enabled: bool,
    pub sync_interval_seconds: i32,
    pub isolation_mode: IsolationMode,
    pub isolation_profile: Option<String>,
    pub note: String,
    /// What the router's user needs: read for the sync, write for isolation.
    pub required_rights: String,
    pub next_sync_at: DateTime<Utc>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_sync_ok: Option<bool>,
    pub last_sync_duration_ms: Option<i32>,
    /// `Status updated: N active connections, M customers online`, or the
    /// error of the last sync.
    pub last_sync_message: Option<String>,
    pub last_active_connections: Option<i32>,
    pub last_customers_online: Option<i32>,
    pub identity: Option<String>,
    pub version: Option<String>,
    pub last_test_at: Option<DateTime<Utc>>,
    pub last_test_ok: Option<bool>,
    pub last_test_message: Option<String>,
    /// Customers on this router.
    pub customers: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The answer of "Test connection".
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouterTest {
    pub ok: bool,
    /// `/system/identity` name.
    pub identity: Option<String>,
    /// RouterOS version, e.g. `7.18.2 (stable)`.
    pub version: Option<String>,
    pub board_name: Option<String>,
    /// Sessions in `/ppp/active` now.
    pub active_sessions: Option<i64>,
    pub latency_ms: i64,
    /// What was found, or the precise reason it failed (refused, timeout,
    /// bad credentials, API disabled).
    pub message: String,
}

struct Checked {
    name: String,
    host: String,
    port: u16,
    username: String,
    password: Option<String>,
    tls_fingerprint: Option<String>,
    sync_interval_seconds: i32,
    isolation_profile: Option<String>,
    note: String,
}

/// A RouterOS profile or user name: printable, no spaces at the ends.
fn routeros_name(value: &str, max: usize) -> bool {
    !value.is_empty()
        && value.chars().count() <= max
        && value.trim() == value
        && !value.chars().any(char::is_control)
}

/// A host name or IP literal: letters, digits, dots, dashes and the
/// colons of IPv6. Anything else (a URL, a path, spaces) is refused.
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && (host.parse::<std::net::IpAddr>().is_ok()
            || host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            }))
}

impl RouterInput {
    fn validate(&self, creating: bool) -> Result<Checked, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            errors.add("name", "out_of_range", "between 1 and 80 characters");
        }
        let host = self.host.trim().to_ascii_lowercase();
        if !valid_host(&host) {
            errors.add(
                "host",
                "invalid_format",
                "the router's IP address or host name, without a scheme or port",
            );
        }
        let port = match self.port {
            Some(0) => {
                errors.add("port", "out_of_range", "between 1 and 65535");
                0
            }
            Some(port) => port,
            None => match self.transport {
                RouterTransport::Api => 8728,
                RouterTransport::ApiTls => 8729,
                RouterTransport::Rest => 443,
            },
        };
        let username = self.username.trim();
        if !routeros_name(username, 120) {
            errors.add("username", "out_of_range", "between 1 and 120 characters");
        }
        let password = self.password.as_deref().filter(|p| !p.is_empty());
        match password {
            None if creating => errors.add("password", "required", "the router user's password"),
            Some(password) if password.chars().count() > 200 => {
                errors.add("password", "out_of_range", "at most 200 characters");
            }
            _ => {}
        }
        let tls_fingerprint = match self.tls_fingerprint.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(_) if self.transport == RouterTransport::Api => {
                errors.add(
                    "tls_fingerprint",
                    "not_applicable",
                    "the plain API (8728) has no certificate; choose api_tls to pin one",
                );
                None
            }
            Some(input) => {
                let normalised = domain::normalise_fingerprint(input);
                if normalised.is_none() {
                    errors.add(
                        "tls_fingerprint",
                        "invalid_format",
                        "a SHA-256 fingerprint: 32 hex bytes, colons optional",
                    );
                }
                normalised
            }
        };
        let sync_interval_seconds = self.sync_interval_seconds.unwrap_or(120);
        if !(30..=86_400).contains(&sync_interval_seconds) {
            errors.add(
                "sync_interval_seconds",
                "out_of_range",
                "between 30 seconds and one day",
            );
        }
        let isolation_profile = self
            .isolation_profile
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        match (self.isolation_mode, isolation_profile) {
            (IsolationMode::Profile, None) => errors.add(
                "isolation_profile",
                "required",
                "the PPP profile isolated customers move to",
            ),
            (_, Some(profile)) if !routeros_name(profile, 64) => {
                errors.add("isolation_profile", "out_of_range", "1 to 64 characters");
            }
            _ => {}
        }
        if self.note.chars().count() > 2000 {
            errors.add("note", "out_of_range", "at most 2000 characters");
        }
        errors.into_result().map(|()| Checked {
            name: name.to_owned(),
            host,
            port,
            username: username.to_owned(),
            password: password.map(str::to_owned),
            tls_fingerprint,
            sync_interval_seconds,
            isolation_profile: isolation_profile.map(str::to_owned),
            note: self.note.trim().to_owned(),
        })
    }
}

fn taken(error: sqlx::Error) -> MonitoringError {
    match &error {
        sqlx::Error::Database(db) if db.constraint() == Some("isp_router_name_key") => {
            ValidationErrors::single("name", "taken", "another router has this name").into()
        }
        _ => error.into(),
    }
}

pub async fn create(
    conn: &mut PgConnection,
    sealer: &Sealer,
    input: &RouterInput,
) -> Result<IspRouter, MonitoringError> {
    let checked = input.validate(true)?;
    let password = checked.password.as_deref().unwrap_or_default();
    let sealed = sealer.seal(password.as_bytes());
    let id = sqlx::query_scalar!(
        "INSERT INTO isp_router (name, host, port, transport, tls_fingerprint, username,
                                 password_key_id, password_sealed, password_hint,
                                 sync_enabled, sync_interval_seconds, isolation_mode,
                                 isolation_profile, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING id",
        checked.name,
        checked.host,
        i32::from(checked.port),
        input.transport.as_str(),
        checked.tls_fingerprint,
        checked.username,
        sealed.key_id,
        sealed.bytes,
        domain::mask_secret(password),
        input.sync_enabled,
        checked.sync_interval_seconds,
        input.isolation_mode.as_str(),
        checked.isolation_profile,
        checked.note,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(taken)?;
    require(&mut *conn, id).await
}

/// Saves new settings; a password left out keeps the stored one. A changed
/// interval moves the next sync to one interval after the last.
pub async fn update(
    conn: &mut PgConnection,
    sealer: &Sealer,
    id: i64,
    input: &RouterInput,
) -> Result<IspRouter, MonitoringError> {
    let checked = input.validate(false)?;
    let sealed = checked.password.as_deref().map(|password| {
        (
            sealer.seal(password.as_bytes()),
            domain::mask_secret(password),
        )
    });
    let updated = sqlx::query!(
        "UPDATE isp_router
            SET name = $2, host = $3, port = $4, transport = $5, tls_fingerprint = $6,
                username = $7,
                password_key_id = COALESCE($8, password_key_id),
                password_sealed = COALESCE($9, password_sealed),
                password_hint = COALESCE($10, password_hint),
                sync_enabled = $11, sync_interval_seconds = $12::integer,
                next_sync_at = LEAST(next_sync_at,
                                     COALESCE(last_sync_at, now()) + make_interval(secs => $12::integer)),
                isolation_mode = $13, isolation_profile = $14, note = $15
          WHERE id = $1",
        id,
        checked.name,
        checked.host,
        i32::from(checked.port),
        input.transport.as_str(),
        checked.tls_fingerprint,
        checked.username,
        sealed.as_ref().map(|(s, _)| s.key_id.clone()),
        sealed.as_ref().map(|(s, _)| s.bytes.clone()),
        sealed.as_ref().map(|(_, hint)| hint.clone()),
        input.sync_enabled,
        checked.sync_interval_seconds,
        input.isolation_mode.as_str(),
        checked.isolation_profile,
        checked.note,
    )
    .execute(&mut *conn)
    .await
    .map_err(taken)?;
    if updated.rows_affected() == 0 {
        return Err(MonitoringError::NotFound("no such router"));
    }
    require(&mut *conn, id).await
}

/// Deletes a router no customer is on.
pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), MonitoringError> {
    let customers = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM isp_customer WHERE router_id = $1"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if customers > 0 {
        return Err(MonitoringError::Refused {
            code: "router_in_use",
            message: format!("{customers} customers are on this router; move them first"),
        });
    }
    let deleted = sqlx::query!("DELETE FROM isp_router WHERE id = $1", id)
        .execute(&mut *conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(MonitoringError::NotFound("no such router"));
    }
    Ok(())
}

pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<IspRouter>, MonitoringError> {
    find_where(db, None).await
}

pub async fn find(db: impl PgExecutor<'_>, id: i64) -> Result<Option<IspRouter>, MonitoringError> {
    Ok(find_where(db, Some(id)).await?.into_iter().next())
}

pub async fn require(db: impl PgExecutor<'_>, id: i64) -> Result<IspRouter, MonitoringError> {
    find(db, id)
        .await?
        .ok_or(MonitoringError::NotFound("no such router"))
}

async fn find_where(
    db: impl PgExecutor<'_>,
    id: Option<i64>,
) -> Result<Vec<IspRouter>, MonitoringError> {
    let rows = sqlx::query!(
        r#"SELECT r.id, r.name, r.host, r.port, r.transport AS "transport: RouterTransport",
                  r.tls_fingerprint, r.username, r.password_hint, r.sync_enabled,
                  r.sync_interval_seconds, r.isolation_mode AS "isolation_mode: IsolationMode",
                  r.isolation_profile, r.note, r.next_sync_at, r.last_sync_at, r.last_sync_ok,
                  r.last_sync_duration_ms, r.last_sync_message, r.last_active_connections,
                  r.last_customers_online, r.identity, r.version, r.last_test_at,
                  r.last_test_ok, r.last_test_message, r.created_at, r.updated_at,
                  (SELECT count(*) FROM isp_customer c WHERE c.router_id = r.id) AS "customers!"
             FROM isp_router r
            WHERE $1::bigint IS NULL OR r.id = $1
            ORDER BY lower(r.name)"#,
        id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| IspRouter {
            required_rights: required_rights(row.isolation_mode).to_owned(),
            id: row.id,
            name: row.name,
            host: row.host,
            port: row.port,
            transport: row.transport,
            tls_fingerprint: row.tls_fingerprint,
            username: row.username,
            password_masked: row.password_hint,
            sync_enabled: row.sync_enabled,
            sync_interval_seconds: row.sync_interval_seconds,
            isolation_mode: row.isolation_mode,
            isolation_profile: row.isolation_profile,
            note: row.note,
            next_sync_at: row.next_sync_at,
            last_sync_at: row.last_sync_at,
            last_sync_ok: row.last_sync_ok,
            last_sync_duration_ms: row.last_sync_duration_ms,
            last_sync_message: row.last_sync_message,
            last_active_connections: row.last_active_connections,
            last_customers_online: row.last_customers_online,
            identity: row.identity,
            version: row.version,
            last_test_at: row.last_test_at,
            last_test_ok: row.last_test_ok,
            last_test_message: row.last_test_message,
            customers: row.customers,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
        .collect())
}

/// The least privilege the router user needs, shown beside the form.
fn required_rights(mode: IsolationMode) -> &'static str {
    match mode {
        IsolationMode::Off => {
            "A read-only user is enough (group with the read and api policies): the sync only prints /ppp/active."
        }
        IsolationMode::Disable | IsolationMode::Profile => {
            "Isolation is on: the user needs the read, write and api policies (it sets /ppp/secret and removes /ppp/active sessions)."
        }
    }
}

/// How to reach one router, its password opened.
pub async fn connection_config(
    db: impl PgExecutor<'_>,
    sealer: &Sealer,
    id: i64,
) -> Result<RouterConfig, MonitoringError> {
    let row = sqlx::query!(
        r#"SELECT host, port, transport AS "transport: RouterTransport", tls_fingerprint,
                  username, password_key_id, password_sealed
             FROM isp_router WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?
    .ok_or(MonitoringError::NotFound("no such router"))?;
    let password = sealer
        .open(&Sealed {
            key_id: row.password_key_id,
            bytes: row.password_sealed,
        })
        .map_err(|error| MonitoringError::Internal(format!("router password: {error}")))?;
    let password = String::from_utf8(password)
        .map_err(|_| MonitoringError::Internal("router password is not UTF-8".to_owned()))?;
    Ok(RouterConfig {
        host: row.host,
        port: u16::try_from(row.port).unwrap_or(8728),
        transport: row.transport.client_transport(),
        pinned_sha256: row
            .tls_fingerprint
            .as_deref()
            .and_then(|text| routeros::Fingerprint::parse(text).ok()),
        username: row.username,
        password,
        connect_timeout: CONNECT_TIMEOUT,
        reply_timeout: REPLY_TIMEOUT,
    })
}

/// Logs in and reads identity, version and the active session count; keeps
/// the answer on the router for its page.
pub async fn test_connection(
    pool: &sqlx::PgPool,
    sealer: &Sealer,
    id: i64,
) -> Result<RouterTest, MonitoringError> {
    let config = connection_config(pool, sealer, id).await?;
    let started = Instant::now();
    let outcome = async {
        let router = Router::connect(&config).await?;
        let identity = router.identity().await?;
        let resource = router.resource().await?;
        let sessions = router.active_sessions().await?;
        Ok::<_, routeros::RouterOsError>((identity, resource, sessions.len()))
    }
    .await;
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let test = match outcome {
        Ok((identity, resource, sessions)) => RouterTest {
            ok: true,
            message: format!(
                "Connected to {identity} (RouterOS {}, {}): {sessions} active sessions",
                resource.version, resource.board_name
            ),
            identity: Some(identity),
            version: Some(resource.version),
            board_name: Some(resource.board_name),
            active_sessions: Some(i64::try_from(sessions).unwrap_or(i64::MAX)),
            latency_ms,
        },
        Err(error) => RouterTest {
            ok: false,
            identity: None,
            version: None,
            board_name: None,
            active_sessions: None,
            latency_ms,
            message: error.to_string(),
        },
    };
    sqlx::query!(
        "UPDATE isp_router
            SET last_test_at = now(), last_test_ok = $2, last_test_message = $3,
                identity = COALESCE($4, identity), version = COALESCE($5, version)
          WHERE id = $1",
        id,
        test.ok,
        test.message,
        test.identity,
        test.version,
    )
    .execute(pool)
    .await?;
    Ok(test)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RouterInput {
        RouterInput {
            name: "Core Sempu".into(),
            host: "10.0.0.1".into(),
            port: None,
            transport: RouterTransport::Api,
            tls_fingerprint: None,
            username: "juragan".into(),
            password: Some("rahasia".into()),
            sync_enabled: true,
            sync_interval_seconds: None,
            isolation_mode: IsolationMode::Off,
            isolation_profile: None,
            note: String::new(),
        }
    }

    fn fields(error: ValidationErrors) -> Vec<String> {
        error.errors().iter().map(|e| e.field.clone()).collect()
    }

    #[test]
    fn the_port_follows_the_transport_and_the_interval_defaults_to_two_minutes() {
        let checked = input().validate(true).expect("valid");
        assert_eq!((checked.port, checked.sync_interval_seconds), (8728, 120));
        let mut tls = input();
        tls.transport = RouterTransport::ApiTls;
        tls.tls_fingerprint = Some("ab".repeat(32));
        let checked = tls.validate(true).expect("valid");
        assert_eq!(checked.port, 8729);
        assert_eq!(checked.tls_fingerprint, Some(vec!["AB"; 32].join(":")));
    }

    #[test]
    fn bad_routers_are_refused_field_by_field() {
        let mut bad = input();
        bad.host = "http://10.0.0.1:8728/".into();
        bad.password = None;
        bad.sync_interval_seconds = Some(5);
        bad.isolation_mode = IsolationMode::Profile;
        bad.tls_fingerprint = Some("ab".repeat(32));
        let error = bad.validate(true).err().expect("invalid");
        assert_eq!(
            fields(error),
            [
                "host",
                "password",
                "tls_fingerprint",
                "sync_interval_seconds",
                "isolation_profile"
            ]
        );
        let mut update = input();
        update.password = None;
        assert!(
            update.validate(false).is_ok(),
            "an update keeps the password"
        );
    }

    #[test]
    fn hosts_are_names_or_addresses_only() {
        for good in [
            "10.0.0.1",
            "fe80::1",
            "router-1.isp.example.id",
            "localhost",
        ] {
            assert!(valid_host(good), "{good}");
        }
        for bad in ["", "a b", "-x.id", "10.0.0.1:8728", "x/y", "ä.id"] {
            assert!(!valid_host(bad), "{bad}");
        }
    }
}
