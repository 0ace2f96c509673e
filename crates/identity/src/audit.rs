//! The audit log: who changed what, when, with the state before and after.
//! Written in the same transaction as the change it records.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use notify::NotifyError;
use notify::alert::{self, AlertKind, NewAlert};

use crate::Actor;

#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    entry: AuditRecord<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO audit_log (actor_id, actor_email, action, entity_type, entity_id, before, after, ip, request_id)
           VALUES ($1, (SELECT email FROM app_user WHERE id = $1), $2, $3, $4, $5, $6, $7, $8)"#,
        actor.user_id,
        entry.action,
        entry.entity_type,
        entry.entity_id,
        entry.before,
        entry.after,
        actor.client.ip,
        actor.client.request_id,
    )
    .execute(&mut *conn)
    .await?;
    if is_alerted(entry.action) {
        let who = sqlx::query_scalar!("SELECT email FROM app_user WHERE id = $1", actor.user_id)
            .fetch_optional(&mut *conn)
            .await?;
        let alert = NewAlert {
            kind: AlertKind::Change,
            source: entry.action.to_owned(),
            title: format!(
                "{}: {} {}",
                entry.action, entry.entity_type, entry.entity_id
            ),
            detail: format!("by {}", who.unwrap_or_else(|| "the system".to_owned())),
        };
        alert::raise(conn, &alert)
            .await
            .map_err(|error| match error {
                NotifyError::Database(error) => error,
                // Queueing the alert failed; the change must not commit without it.
                other => sqlx::Error::Protocol(other.to_string()),
            })?;
    }
    Ok(())
}

/// Changes the owner hears about as they happen (an action matches an
/// entry exactly or, for entries ending in `.`, by prefix): message
/// templates, staff roles and access, and integrations.
const ALERTED_ACTIONS: &[&str] = &[
    "template.",
    "staff.roles_changed",
    "staff.disabled",
    "staff.enabled",
    "staff.owner_created",
    "staff_chat.",
    "integration.",
    "api_token.",
];

fn is_alerted(action: &str) -> bool {
    ALERTED_ACTIONS.iter().any(|alerted| {
        if alerted.ends_with('.') {
            action.starts_with(alerted)
        } else {
            action == *alerted
        }
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<Uuid>,
    pub entity_type: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Entries older than this id (the previous page's last id).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Newest first. Returns the page and the cursor of the next one.
pub async fn list(
    pool: &PgPool,
    filter: &AuditFilter,
) -> Result<(Vec<AuditEntry>, Option<i64>), sqlx::Error> {
    let limit = filter.limit.clamp(1, domain::PAGE_SIZE_MAX);
    let mut entries = sqlx::query_as!(
        AuditEntry,
        r#"SELECT id, at, actor_id, actor_email, action, entity_type, entity_id, before, after
           FROM audit_log
           WHERE ($1::uuid IS NULL OR actor_id = $1)
             AND ($2::text IS NULL OR entity_type = $2)
             AND ($3::text IS NULL OR action = $3)
             AND ($4::timestamptz IS NULL OR at >= $4)
             AND ($5::timestamptz IS NULL OR at < $5)
             AND ($6::bigint IS NULL OR id < $6)
           ORDER BY id DESC
           LIMIT $7"#,
        filter.actor,
        filter.entity_type,
        filter.action,
        filter.from,
        filter.to,
        filter.before_id,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let next = if entries.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
        entries.pop();
        entries.last().map(|entry| entry.id)
    } else {
        None
    };
    Ok((entries, next))
}
