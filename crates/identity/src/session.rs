//! Sessions and their rotating refresh tokens. A refresh token is 32 random
//! bytes shown to the client once and stored as its SHA-256 hash.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ClientInfo;

pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Starts a session and returns it with its first refresh token.
pub async fn create(
    conn: &mut PgConnection,
    user: Uuid,
    client: &ClientInfo,
) -> Result<(Uuid, String), sqlx::Error> {
    let session = Uuid::now_v7();
    let ttl = REFRESH_TOKEN_TTL.as_secs_f64();
    sqlx::query!(
        r#"INSERT INTO auth_session (id, user_id, user_agent, ip, expires_at)
           VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))"#,
        session,
        user,
        client.user_agent,
        client.ip,
        ttl,
    )
    .execute(&mut *conn)
    .await?;
    let token = issue_refresh_token(conn, session).await?;
    Ok((session, token))
}

async fn issue_refresh_token(
    conn: &mut PgConnection,
    session: Uuid,
) -> Result<String, sqlx::Error> {
    let token = random_secret();
    sqlx::query!(
        "INSERT INTO refresh_token (token_hash, session_id) VALUES ($1, $2)",
        hash_secret(&token),
        session
    )
    .execute(conn)
    .await?;
    Ok(token)
}

pub enum Rotation {
    Rotated {
        session: Uuid,
        user: Uuid,
        token: String,
    },
    /// Unknown, expired or revoked: nothing happened.
    Invalid,
    /// A token that was already rotated came back: it was copied. The whole
    /// session has been revoked (the caller publishes the revocation).
    Reused { session: Uuid },
}

/// Rotates a refresh token inside the caller's transaction. The row lock
/// makes two concurrent uses of one token resolve as one rotation and one
/// reuse.
pub async fn rotate(conn: &mut PgConnection, presented: &str) -> Result<Rotation, sqlx::Error> {
    let hash = hash_secret(presented);
    let Some(row) = sqlx::query!(
        r#"SELECT rt.session_id, rt.used_at, s.user_id, s.revoked_at, s.expires_at
           FROM refresh_token rt JOIN auth_session s ON s.id = rt.session_id
           WHERE rt.token_hash = $1
           FOR UPDATE OF rt, s"#,
        hash
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(Rotation::Invalid);
    };
    if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
        return Ok(Rotation::Invalid);
    }
    if row.used_at.is_some() {
        revoke(conn, row.session_id, "refresh token reused").await?;
        return Ok(Rotation::Reused {
            session: row.session_id,
        });
    }
    sqlx::query!(
        "UPDATE refresh_token SET used_at = now() WHERE token_hash = $1",
        hash
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE auth_session SET last_used_at = now() WHERE id = $1",
        row.session_id
    )
    .execute(&mut *conn)
    .await?;
    let token = issue_refresh_token(conn, row.session_id).await?;
    Ok(Rotation::Rotated {
        session: row.session_id,
        user: row.user_id,
        token,
    })
}

pub async fn revoke(
    conn: &mut PgConnection,
    session: Uuid,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE auth_session SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
        session,
        reason
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Revokes the session a refresh token belongs to (sign-out); returns it.
pub async fn revoke_by_token(
    conn: &mut PgConnection,
    presented: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE auth_session SET revoked_at = now(), revoked_reason = 'signed out'
           WHERE revoked_at IS NULL AND id = (SELECT session_id FROM refresh_token WHERE token_hash = $1)
           RETURNING id"#,
        hash_secret(presented)
    )
    .fetch_optional(conn)
    .await
}

/// Revokes every live session of the user but `except`; returns them, so
/// their access tokens can be revoked too.
pub async fn revoke_all(
    conn: &mut PgConnection,
    user: Uuid,
    except: Option<Uuid>,
    reason: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE auth_session SET revoked_at = now(), revoked_reason = $3
           WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2)
           RETURNING id"#,
        user,
        except,
        reason
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The session of the token making this request.
    pub current: bool,
}

pub async fn list_active(
    pool: &PgPool,
    user: Uuid,
    current: Option<Uuid>,
) -> Result<Vec<Session>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, created_at, last_used_at, user_agent, ip FROM auth_session
           WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
           ORDER BY last_used_at DESC LIMIT 100"#,
        user
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Session {
            current: Some(row.id) == current,
            id: row.id,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            user_agent: row.user_agent,
            ip: row.ip,
        })
        .collect())
}

/// Revokes one of the user's own sessions; `false` if it is not theirs.
pub async fn revoke_own(
    conn: &mut PgConnection,
    user: Uuid,
    session: Uuid,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        r#"UPDATE auth_session SET revoked_at = now(), revoked_reason = 'revoked by user'
           WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"#,
        session,
        user
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// When the session was opened and when it ends: step-up and API-token
/// expiry are measured against them.
pub async fn sign_in_times(
    conn: &mut PgConnection,
    session: Uuid,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT created_at, expires_at FROM auth_session WHERE id = $1 AND revoked_at IS NULL",
        session
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| (row.created_at, row.expires_at)))
}

impl crate::Identity {
    /// Signs one of the caller's sessions out, its access tokens included.
    pub async fn end_own_session(
        &self,
        principal: &crate::Principal,
        session: Uuid,
    ) -> Result<bool, crate::IdentityError> {
        principal.require_interactive()?;
        let mut tx = self.pool.begin().await?;
        if !revoke_own(&mut tx, principal.user_id, session).await? {
            return Ok(false);
        }
        // Published before the commit: if Redis cannot take it, the
        // session stays as it was instead of half-ending.
        self.revocations.revoke_sessions(&[session]).await?;
        tx.commit().await?;
        Ok(true)
    }
}
