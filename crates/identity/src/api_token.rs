//! Personal API tokens for integrators: `jrg_` + 32 random bytes, shown once,
//! stored hashed, limited to a subset of the owner's roles, revocable. A
//! token never grants more than its owner holds right now: its roles are
//! intersected with the owner's current roles on every use, and it is looked
//! up on every use, so revoking it or disabling its user stops it at once.
//!
//! A token is for an integration, not a second way into the account: it
//! cannot manage tokens, credentials or sessions
//! ([`crate::Principal::require_interactive`]); making one needs a sign-in
//! from the last [`STEP_UP_WINDOW`] or the current password (or an emailed
//! code) in the request; and it always expires, never after the session that
//! made it.

use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::role::{Role, roles_from_db, roles_to_db};
use crate::session::{hash_secret, random_secret};

pub const TOKEN_PREFIX: &str = "jrg_";
const MAX_ACTIVE_TOKENS: i64 = 20;
pub const DEFAULT_EXPIRY_DAYS: i64 = 90;
pub const MAX_EXPIRY_DAYS: i64 = 365;
/// How recent a sign-in must be to make a token without re-entering the
/// password.
pub const STEP_UP_WINDOW: chrono::Duration = chrono::Duration::minutes(5);

/// The longest token name (characters); the OpenAPI schema shows it.
pub const NAME_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the secret, to recognise it in a list.
    pub prefix: String,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

pub struct NewApiToken {
    pub name: String,
    pub roles: Option<Vec<Role>>,
    pub expires_in_days: Option<i64>,
    /// Step-up when the sign-in is older than [`STEP_UP_WINDOW`].
    pub current_password: Option<String>,
    /// Or a code from `POST /account/otp/challenge`.
    pub otp_challenge_id: Option<String>,
    pub otp_code: Option<String>,
}

/// Creates a token that expires at `latest` at the latest (the session's
/// end); returns it and its secret (shown to the user once).
async fn create(
    conn: &mut PgConnection,
    user: Uuid,
    user_roles: &[Role],
    input: NewApiToken,
    latest: DateTime<Utc>,
) -> Result<(ApiToken, String), crate::IdentityError> {
    let mut errors = ValidationErrors::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
        errors.add(
            "name",
            "invalid_length",
            format!("name must be 1 to {NAME_MAX_CHARS} characters"),
        );
    }
    let roles = input.roles.unwrap_or_else(|| user_roles.to_vec());
    if roles.is_empty() || roles.iter().any(|role| !user_roles.contains(role)) {
        errors.add(
            "roles",
            "not_allowed",
            "a token can only carry roles you hold yourself",
        );
    }
    let days = input.expires_in_days.unwrap_or(DEFAULT_EXPIRY_DAYS);
    if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
        errors.add(
            "expires_in_days",
            "out_of_range",
            format!("expiry must be between 1 and {MAX_EXPIRY_DAYS} days"),
        );
    }
    errors.into_result()?;

    let active: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM api_token WHERE user_id = $1 AND revoked_at IS NULL"#,
        user
    )
    .fetch_one(&mut *conn)
    .await?;
    if active >= MAX_ACTIVE_TOKENS {
        return Err(ValidationErrors::single(
            "name",
            "too_many",
            format!("at most {MAX_ACTIVE_TOKENS} active tokens; revoke one first"),
        )
        .into());
    }

    let secret = format!("{TOKEN_PREFIX}{}", random_secret());
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let id = Uuid::now_v7();
    // A token never outlives the sign-in that made it.
    let expires_at = (Utc::now() + chrono::Duration::days(days)).min(latest);
    let row = sqlx::query!(
        r#"INSERT INTO api_token (id, user_id, name, prefix, token_hash, roles, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at"#,
        id,
        user,
        name,
        prefix,
        hash_secret(&secret),
        &roles_to_db(&roles),
        expires_at,
    )
    .fetch_one(&mut *conn)
    .await?;
    let token = ApiToken {
        id,
        name,
        prefix,
        roles,
        created_at: row.created_at,
        last_used_at: None,
        expires_at,
        revoked: false,
    };
    Ok((token, secret))
}

/// The user's tokens, newest first.
pub async fn list(pool: &PgPool, user: Uuid) -> Result<Vec<ApiToken>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, name, prefix, roles, created_at, last_used_at, expires_at, revoked_at
           FROM api_token WHERE user_id = $1 ORDER BY created_at DESC"#,
        user
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ApiToken {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            roles: roles_from_db(&row.roles),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked: row.revoked_at.is_some(),
        })
        .collect())
}

pub async fn revoke(conn: &mut PgConnection, user: Uuid, token: Uuid) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE api_token SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        token,
        user
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The token's owner and effective roles, if the secret is a live token of
/// an active account.
pub async fn authenticate(
    pool: &PgPool,
    secret: &str,
) -> Result<Option<(Uuid, Uuid, Vec<Role>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT t.id, t.user_id, t.roles, u.roles AS user_roles
           FROM api_token t JOIN app_user u ON u.id = t.user_id
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL
             AND t.expires_at > now()
             AND u.status = 'active'"#,
        hash_secret(secret)
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    // Writing last_used_at at most once a minute keeps a busy integration
    // from turning every read into a write.
    sqlx::query!(
        "UPDATE api_token SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        row.id
    )
    .execute(pool)
    .await?;
    let held = roles_from_db(&row.user_roles);
    let roles = roles_from_db(&row.roles)
        .into_iter()
        .filter(|role| held.contains(role))
        .collect();
    Ok(Some((row.id, row.user_id, roles)))
}

/// Revokes every live token of the user; returns how many.
pub async fn revoke_all(conn: &mut PgConnection, user: Uuid) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE api_token SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

impl crate::Identity {
    /// Creates a token for the caller, after the step-up check; a staff
    /// member's new token is audited and raises an owner alert.
    pub async fn create_api_token(
        &self,
        principal: &crate::Principal,
        client: &crate::ClientInfo,
        input: NewApiToken,
    ) -> Result<(ApiToken, String), crate::IdentityError> {
        principal.require_interactive()?;
        let session = principal
            .session_id
            .ok_or(crate::IdentityError::InteractiveSessionRequired)?;
        let mut conn = self.pool.acquire().await?;
        let (signed_in_at, session_ends) = crate::session::sign_in_times(&mut conn, session)
            .await?
            .ok_or_else(|| {
                crate::IdentityError::Unauthenticated("this session has ended".to_owned())
            })?;
        drop(conn);
        self.step_up(principal, signed_in_at, &input).await?;
        let mut tx = self.pool.begin().await?;
        let (token, secret) = create(
            &mut tx,
            principal.user_id,
            &principal.roles,
            input,
            session_ends,
        )
        .await?;
        if principal.is_staff() {
            let entry = crate::audit::AuditRecord {
                action: "api_token.created",
                entity_type: "api_token",
                entity_id: token.id.to_string(),
                before: None,
                after: Some(
                    serde_json::json!({ "user_id": principal.user_id, "name": token.name, "prefix": token.prefix, "roles": token.roles, "expires_at": token.expires_at }),
                ),
            };
            crate::audit::record(&mut tx, &crate::Actor::user(principal, client), entry).await?;
        }
        tx.commit().await?;
        Ok((token, secret))
    }

    /// A sign-in from the last five minutes, or proof given again now.
    async fn step_up(
        &self,
        principal: &crate::Principal,
        signed_in_at: DateTime<Utc>,
        input: &NewApiToken,
    ) -> Result<(), crate::IdentityError> {
        if let Some(password) = input.current_password.as_deref() {
            let stored = sqlx::query_scalar!(
                "SELECT password_hash FROM app_user WHERE id = $1",
                principal.user_id
            )
            .fetch_optional(&self.pool)
            .await?
            .ok_or(crate::IdentityError::NotFound("account"))?;
            if !crate::password::verify(password, stored.as_deref()).await? {
                return Err(ValidationErrors::single(
                    "current_password",
                    "wrong_password",
                    "the current password is wrong",
                )
                .into());
            }
            return Ok(());
        }
        if let (Some(challenge), Some(code)) =
            (input.otp_challenge_id.as_deref(), input.otp_code.as_deref())
        {
            let subject = principal.user_id.to_string();
            if challenge != subject {
                return Err(crate::IdentityError::OtpExpired);
            }
            self.otp
                .verify(
                    crate::otp::OtpPurpose::ConfirmSettings,
                    &subject,
                    code.trim(),
                )
                .await?;
            return Ok(());
        }
        if Utc::now() - signed_in_at <= STEP_UP_WINDOW {
            return Ok(());
        }
        Err(crate::IdentityError::StepUpRequired)
    }

    /// Revokes one of the caller's tokens; `false` if there was no such live token.
    pub async fn revoke_api_token(
        &self,
        principal: &crate::Principal,
        client: &crate::ClientInfo,
        token: Uuid,
    ) -> Result<bool, crate::IdentityError> {
        principal.require_interactive()?;
        let mut tx = self.pool.begin().await?;
        let revoked = revoke(&mut tx, principal.user_id, token).await?;
        if revoked && principal.is_staff() {
            let entry = crate::audit::AuditRecord {
                action: "api_token.revoked",
                entity_type: "api_token",
                entity_id: token.to_string(),
                before: None,
                after: Some(serde_json::json!({ "user_id": principal.user_id })),
            };
            crate::audit::record(&mut tx, &crate::Actor::user(principal, client), entry).await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }
}
