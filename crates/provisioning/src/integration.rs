//! Integrations: the Proxmox VE clusters and WHM servers the shop delivers
//! on, managed by sysadmin. The secret (an API token secret or a password)
//! is sealed at rest with `domain::Sealer` under a key named beside it, so
//! keys can rotate; it is shown masked and never returned. "Test
//! connection" calls the server and reports its version and latency, or the
//! precise reason it could not (DNS, refused, TLS, 401, timeout).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::{Sealed, Sealer, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::ProvisioningError;
use crate::proxmox::{ProxmoxAuth, ProxmoxClient, ProxmoxConfig, ProxmoxError, TlsTrust};
use crate::whm::{WhmClient, WhmConfig, WhmError};

/// How long a call to an integration may take. WHM's `createacct` is slow
/// (tens of seconds), so WHM calls get longer.
pub const PROXMOX_TIMEOUT: Duration = Duration::from_secs(30);
pub const WHM_TIMEOUT: Duration = Duration::from_secs(150);
/// "Test connection" answers a person waiting: it gives up sooner.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum IntegrationKind {
    Proxmox,
    Whm,
}

impl IntegrationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::Proxmox => "proxmox",
            IntegrationKind::Whm => "whm",
        }
    }
}

/// How a Proxmox integration logs in: an API token (recommended), or a user
/// and password for ticket authentication. WHM always uses a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum AuthMode {
    Token,
    Password,
}

impl AuthMode {
    fn as_str(self) -> &'static str {
        match self {
            AuthMode::Token => "token",
            AuthMode::Password => "password",
        }
    }
}

/// An integration as sysadmin enters it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct IntegrationInput {
    pub kind: IntegrationKind,
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// `https://pve.example.id:8006` or `https://whm.example.id:2087`.
    #[schema(example = "https://pve1.example.id:8006")]
    pub base_url: String,
    pub auth_mode: AuthMode,
    /// Proxmox token: `user@realm!tokenid`; Proxmox password: `user@realm`;
    /// WHM: the WHM user (`root` or a reseller).
    #[schema(min_length = 1, max_length = 120, example = "juragan@pve!provisioning")]
    pub username: String,
    /// The token secret or password. Required when creating; left out on
    /// an update, the stored one is kept.
    #[schema(min_length = 1, max_length = 500)]
    pub secret: Option<String>,
    /// The SHA-256 fingerprint of a self-signed certificate to pin
    /// (`AB:CD:…`, as Proxmox shows it).
    pub tls_fingerprint: Option<String>,
    #[serde(default = "enabled")]
    pub active: bool,
}

fn enabled() -> bool {
    true
}

/// An integration as staff see it: the secret masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Integration {
    pub id: i64,
    pub kind: IntegrationKind,
    pub name: String,
    pub base_url: String,
    pub auth_mode: AuthMode,
    pub username: String,
    /// `••••` and the secret's last four characters.
    pub secret_masked: String,
    pub tls_fingerprint: Option<String>,
    pub active: bool,
    pub last_test_at: Option<DateTime<Utc>>,
    pub last_test_ok: Option<bool>,
    pub last_test_message: Option<String>,
    pub last_test_latency_ms: Option<i32>,
    pub synced_at: Option<DateTime<Utc>>,
    pub sync_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub use domain::normalise_fingerprint;

struct Checked {
    name: String,
    base_url: String,
    username: String,
    secret: Option<String>,
    tls_fingerprint: Option<String>,
}

impl IntegrationInput {
    fn validate(&self, creating: bool) -> Result<Checked, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            errors.add("name", "out_of_range", "between 1 and 80 characters");
        }
        let base_url = self.base_url.trim().trim_end_matches('/').to_owned();
        match reqwest::Url::parse(&base_url) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some()
                    && url.path() == "/"
                    && url.query().is_none()
                    && url.username().is_empty() => {}
            _ => errors.add(
                "base_url",
                "invalid_format",
                "the server's address: https://host:port, without a path",
            ),
        }
        let username = self.username.trim().to_owned();
        if username.is_empty() || username.chars().count() > 120 {
            errors.add("username", "out_of_range", "between 1 and 120 characters");
        } else {
            match (self.kind, self.auth_mode) {
                (IntegrationKind::Proxmox, AuthMode::Token)
                    if !(username.contains('@') && username.contains('!')) =>
                {
                    errors.add(
                        "username",
                        "invalid_format",
                        "a token id: user@realm!tokenid",
                    );
                }
                (IntegrationKind::Proxmox, AuthMode::Password) if !username.contains('@') => {
                    errors.add(
                        "username",
                        "invalid_format",
                        "a user with its realm: root@pam",
                    );
                }
                (IntegrationKind::Whm, AuthMode::Password) => {
                    errors.add("auth_mode", "invalid", "WHM takes an API token only");
                }
                _ => {}
            }
        }
        let secret = self
            .secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        match secret {
            None if creating => errors.add("secret", "required", "the token secret or password"),
            Some(secret) if secret.chars().count() > 500 => {
                errors.add("secret", "out_of_range", "at most 500 characters");
            }
            _ => {}
        }
        let tls_fingerprint = match self.tls_fingerprint.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(input) => {
                let normalised = normalise_fingerprint(input);
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
        errors.into_result().map(|()| Checked {
            name: name.to_owned(),
            base_url,
            username,
            secret: secret.map(str::to_owned),
            tls_fingerprint,
        })
    }
}

fn conflict(error: sqlx::Error) -> ProvisioningError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            ValidationErrors::single("name", "taken", "another integration has this name").into()
        }
        _ => error.into(),
    }
}

pub async fn create(
    conn: &mut PgConnection,
    sealer: &Sealer,
    input: &IntegrationInput,
) -> Result<Integration, ProvisioningError> {
    let checked = input.validate(true)?;
    let secret = checked.secret.as_deref().unwrap_or_default();
    let sealed = sealer.seal(secret.as_bytes());
    let id = sqlx::query_scalar!(
        "INSERT INTO integration (kind, name, base_url, auth_mode, username, secret_key_id,
                                  secret_sealed, secret_hint, tls_fingerprint, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING id",
        input.kind.as_str(),
        checked.name,
        checked.base_url,
        input.auth_mode.as_str(),
        checked.username,
        sealed.key_id,
        sealed.bytes,
        domain::mask_secret(secret),
        checked.tls_fingerprint,
        input.active,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(conflict)?;
    find(&mut *conn, id)
        .await?
        .ok_or(ProvisioningError::NotFound("no such integration"))
}

/// Saves new settings; a secret left out keeps the stored one. The kind
/// never changes: nodes, templates and services hang off it.
pub async fn update(
    conn: &mut PgConnection,
    sealer: &Sealer,
    id: i64,
    input: &IntegrationInput,
) -> Result<Integration, ProvisioningError> {
    let current = find(&mut *conn, id)
        .await?
        .ok_or(ProvisioningError::NotFound("no such integration"))?;
    if current.kind != input.kind {
        return Err(ValidationErrors::single("kind", "immutable", "the kind cannot change").into());
    }
    let checked = input.validate(false)?;
    let sealed = checked
        .secret
        .as_deref()
        .map(|secret| (sealer.seal(secret.as_bytes()), domain::mask_secret(secret)));
    sqlx::query!(
        "UPDATE integration
            SET name = $2, base_url = $3, auth_mode = $4, username = $5,
                secret_key_id = COALESCE($6, secret_key_id),
                secret_sealed = COALESCE($7, secret_sealed),
                secret_hint = COALESCE($8, secret_hint),
                tls_fingerprint = $9, active = $10
          WHERE id = $1",
        id,
        checked.name,
        checked.base_url,
        input.auth_mode.as_str(),
        checked.username,
        sealed.as_ref().map(|(s, _)| s.key_id.clone()),
        sealed.as_ref().map(|(s, _)| s.bytes.clone()),
        sealed.as_ref().map(|(_, hint)| hint.clone()),
        checked.tls_fingerprint,
        input.active,
    )
    .execute(&mut *conn)
    .await
    .map_err(conflict)?;
    find(&mut *conn, id)
        .await?
        .ok_or(ProvisioningError::NotFound("no such integration"))
}

/// Deletes an integration nothing was delivered on.
pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), ProvisioningError> {
    let in_use = sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM vps_instance WHERE integration_id = $1)
                + (SELECT count(*) FROM hosting_account WHERE integration_id = $1) AS "count!""#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if in_use > 0 {
        return Err(ProvisioningError::refused(
            "integration_in_use",
            format!("{in_use} services were delivered on it; deactivate it instead"),
        ));
    }
    let deleted = sqlx::query!("DELETE FROM integration WHERE id = $1", id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(ProvisioningError::NotFound("no such integration"));
    }
    Ok(())
}

pub async fn find(
    db: impl PgExecutor<'_>,
    id: i64,
) -> Result<Option<Integration>, ProvisioningError> {
    Ok(sqlx::query_as!(
        Integration,
        r#"SELECT id, kind AS "kind: IntegrationKind", name, base_url,
                  auth_mode AS "auth_mode: AuthMode", username, secret_hint AS secret_masked,
                  tls_fingerprint, active, last_test_at, last_test_ok, last_test_message,
                  last_test_latency_ms, synced_at, sync_error, created_at, updated_at
             FROM integration WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?)
}

pub async fn list(
    db: impl PgExecutor<'_>,
    kind: Option<IntegrationKind>,
) -> Result<Vec<Integration>, ProvisioningError> {
    Ok(sqlx::query_as!(
        Integration,
        r#"SELECT id, kind AS "kind: IntegrationKind", name, base_url,
                  auth_mode AS "auth_mode: AuthMode", username, secret_hint AS secret_masked,
                  tls_fingerprint, active, last_test_at, last_test_ok, last_test_message,
                  last_test_latency_ms, synced_at, sync_error, created_at, updated_at
             FROM integration
            WHERE ($1::text IS NULL OR kind = $1)
            ORDER BY kind, name"#,
        kind.map(IntegrationKind::as_str)
    )
    .fetch_all(db)
    .await?)
}

struct Credentials {
    kind: IntegrationKind,
    base_url: String,
    auth_mode: AuthMode,
    username: String,
    secret: String,
    tls_fingerprint: Option<String>,
}

async fn credentials(
    db: impl PgExecutor<'_>,
    sealer: &Sealer,
    id: i64,
) -> Result<Credentials, ProvisioningError> {
    let row = sqlx::query!(
        r#"SELECT kind AS "kind: IntegrationKind", base_url, auth_mode AS "auth_mode: AuthMode",
                  username, secret_key_id, secret_sealed, tls_fingerprint
             FROM integration WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?
    .ok_or(ProvisioningError::NotFound("no such integration"))?;
    let secret = sealer.open(&Sealed {
        key_id: row.secret_key_id,
        bytes: row.secret_sealed,
    })?;
    Ok(Credentials {
        kind: row.kind,
        base_url: row.base_url,
        auth_mode: row.auth_mode,
        username: row.username,
        secret: String::from_utf8(secret)
            .map_err(|_| ProvisioningError::Corrupt("integration secret is not UTF-8".into()))?,
        tls_fingerprint: row.tls_fingerprint,
    })
}

fn proxmox_config(credentials: Credentials, timeout: Duration) -> ProxmoxConfig {
    ProxmoxConfig {
        base_url: credentials.base_url,
        auth: match credentials.auth_mode {
            AuthMode::Token => ProxmoxAuth::Token {
                token_id: credentials.username,
                secret: credentials.secret,
            },
            AuthMode::Password => ProxmoxAuth::Password {
                username: credentials.username,
                password: credentials.secret,
            },
        },
        tls: match credentials.tls_fingerprint {
            Some(pin) => TlsTrust::Fingerprint(pin),
            None => TlsTrust::PublicRoots,
        },
        timeout,
    }
}

pub(crate) fn remote_proxmox(error: ProxmoxError) -> ProvisioningError {
    ProvisioningError::Remote {
        system: "Proxmox",
        kind: error.kind(),
        transient: error.is_transient(),
        message: error.to_string(),
    }
}

pub(crate) fn remote_whm(error: WhmError) -> ProvisioningError {
    ProvisioningError::Remote {
        system: "WHM",
        kind: error.kind(),
        transient: error.is_transient(),
        message: error.to_string(),
    }
}

fn wrong_kind() -> ProvisioningError {
    ProvisioningError::refused("integration_kind", "the integration is of another kind")
}

/// A client for the Proxmox integration `id`, with its stored credentials.
pub async fn proxmox(
    db: impl PgExecutor<'_>,
    sealer: &Sealer,
    id: i64,
    timeout: Duration,
) -> Result<ProxmoxClient, ProvisioningError> {
    let credentials = credentials(db, sealer, id).await?;
    if credentials.kind != IntegrationKind::Proxmox {
        return Err(wrong_kind());
    }
    ProxmoxClient::new(proxmox_config(credentials, timeout)).map_err(remote_proxmox)
}

/// A client for the WHM integration `id`, with its stored credentials.
pub async fn whm(
    db: impl PgExecutor<'_>,
    sealer: &Sealer,
    id: i64,
    timeout: Duration,
) -> Result<WhmClient, ProvisioningError> {
    let credentials = credentials(db, sealer, id).await?;
    if credentials.kind != IntegrationKind::Whm {
        return Err(wrong_kind());
    }
    WhmClient::new(whm_config(credentials, timeout)).map_err(remote_whm)
}

fn whm_config(credentials: Credentials, timeout: Duration) -> WhmConfig {
    WhmConfig {
        base_url: credentials.base_url,
        username: credentials.username,
        api_token: credentials.secret,
        timeout,
    }
}

/// What "test connection" found.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = IntegrationTest)]
pub struct ConnectionTest {
    pub ok: bool,
    /// The server's version when it answered.
    pub version: Option<String>,
    pub latency_ms: i32,
    /// `dns`, `refused`, `tls`, `unauthorized`, `timeout`, … when it failed.
    pub error_kind: Option<String>,
    pub message: String,
}

/// Calls the integration's version endpoint with its stored credentials,
/// records the outcome on the integration and returns it.
pub async fn test_connection(
    pool: &PgPool,
    sealer: &Sealer,
    id: i64,
) -> Result<ConnectionTest, ProvisioningError> {
    let credentials = credentials(pool, sealer, id).await?;
    let started = Instant::now();
    let outcome: Result<String, (&'static str, String)> = match credentials.kind {
        IntegrationKind::Proxmox => {
            match ProxmoxClient::new(proxmox_config(credentials, TEST_TIMEOUT)) {
                Ok(client) => client
                    .version()
                    .await
                    .map(|v| format!("Proxmox VE {}", v.version))
                    .map_err(|e| (e.kind(), e.to_string())),
                Err(e) => Err((e.kind(), e.to_string())),
            }
        }
        IntegrationKind::Whm => match WhmClient::new(whm_config(credentials, TEST_TIMEOUT)) {
            Ok(client) => client
                .version()
                .await
                .map(|v| format!("WHM {v}"))
                .map_err(|e| (e.kind(), e.to_string())),
            Err(e) => Err((e.kind(), e.to_string())),
        },
    };
    let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let test = match outcome {
        Ok(version) => ConnectionTest {
            ok: true,
            message: format!("connected: {version}"),
            version: Some(version),
            latency_ms,
            error_kind: None,
        },
        Err((kind, message)) => ConnectionTest {
            ok: false,
            version: None,
            latency_ms,
            error_kind: Some(kind.to_owned()),
            message,
        },
    };
    sqlx::query!(
        "UPDATE integration SET last_test_at = now(), last_test_ok = $2,
                last_test_message = $3, last_test_latency_ms = $4
          WHERE id = $1",
        id,
        test.ok,
        test.message,
        test.latency_ms
    )
    .execute(pool)
    .await?;
    Ok(test)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxmox_input() -> IntegrationInput {
        IntegrationInput {
            kind: IntegrationKind::Proxmox,
            name: "Jakarta cluster".into(),
            base_url: "https://pve1.example.id:8006/".into(),
            auth_mode: AuthMode::Token,
            username: "juragan@pve!provisioning".into(),
            secret: Some("0f8c2b3e".into()),
            tls_fingerprint: None,
            active: true,
        }
    }

    #[test]
    fn a_token_integration_needs_a_token_id_and_a_secret() {
        let checked = proxmox_input().validate(true).expect("valid");
        assert_eq!(checked.base_url, "https://pve1.example.id:8006");
        let mut input = proxmox_input();
        input.username = "root".into();
        input.secret = None;
        input.base_url = "pve1:8006/api2/json".into();
        let error = input.validate(true).err().expect("invalid");
        let fields: Vec<&str> = error.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["base_url", "username", "secret"]);
        input = proxmox_input();
        input.secret = None;
        assert!(input.validate(false).is_ok(), "an update keeps the secret");
    }
}
