//! The outbox: every message that does not carry a secret is written here in
//! the same transaction as the change that causes it, with a delivery job.
//! The job sends it and records the outcome; staff see every message with
//! its attempts and errors, and can send a failed one again.

use chrono::{DateTime, Utc};
use domain::Email;
use jobs::{JobContext, JobError, NewJob, Registry};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use crate::email::{Mailer, OutgoingEmail};
use crate::template::{RenderedMessage, text_to_html};
use crate::NotifyError;

pub const DELIVER_JOB: &str = "notify.deliver";
const MAX_ATTEMPTS: u16 = 8;

#[derive(Debug, Serialize, Deserialize)]
struct DeliverPayload {
    outbox_id: i64,
}

/// Queues an email; commits or rolls back with the caller's transaction.
pub async fn enqueue_email(conn: &mut PgConnection, to: &Email, event: &str, message: &RenderedMessage) -> Result<i64, NotifyError> {
    let id = sqlx::query_scalar!(
        "INSERT INTO outbox_message (channel, recipient, event, subject, body) VALUES ('email', $1, $2, $3, $4) RETURNING id",
        to.as_str(),
        event,
        message.subject,
        message.text
    )
    .fetch_one(&mut *conn)
    .await?;
    enqueue_delivery(conn, id).await?;
    Ok(id)
}

async fn enqueue_delivery(conn: &mut PgConnection, outbox_id: i64) -> Result<(), NotifyError> {
    jobs::enqueue(conn, NewJob::new(DELIVER_JOB, &DeliverPayload { outbox_id })?.max_attempts(MAX_ATTEMPTS)).await?;
    Ok(())
}

/// Registers the delivery job of this process.
pub fn register_jobs(registry: &mut Registry, mailer: Mailer) {
    registry.handle(DELIVER_JOB, move |context| deliver(context, mailer.clone()));
}

async fn deliver(context: JobContext, mailer: Mailer) -> Result<(), JobError> {
    let payload: DeliverPayload = context.payload()?;
    let Some(row) = sqlx::query!("SELECT channel, recipient, subject, body, status FROM outbox_message WHERE id = $1", payload.outbox_id)
        .fetch_optional(&context.pool)
        .await?
    else {
        return Err(JobError::Permanent(format!("outbox message {} does not exist", payload.outbox_id)));
    };
    if row.status == "sent" || row.status == "blocked" {
        // A retried or duplicated job: the message already reached its end.
        return Ok(());
    }
    let outcome = match row.channel.as_str() {
        "email" => match Email::parse(&row.recipient) {
            Ok(to) => {
                let email = OutgoingEmail { to, subject: row.subject.clone(), text: row.body.clone(), html: text_to_html(&row.body) };
                mailer.send(&email).await.map_err(|error| error.to_string())
            }
            Err(error) => {
                mark(&context.pool, payload.outbox_id, "dead", Some(&error.to_string())).await?;
                return Err(JobError::Permanent(error.to_string()));
            }
        },
        other => Err(format!("channel `{other}` has no sender in this build")),
    };
    match outcome {
        Ok(()) => {
            sqlx::query!(
                "UPDATE outbox_message SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1",
                payload.outbox_id
            )
            .execute(&context.pool)
            .await?;
            Ok(())
        }
        Err(error) => {
            let status = if context.attempt >= context.max_attempts { "dead" } else { "failed" };
            mark(&context.pool, payload.outbox_id, status, Some(&error)).await?;
            Err(JobError::Retry(anyhow::anyhow!(error)))
        }
    }
}

async fn mark(pool: &PgPool, id: i64, status: &str, error: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE outbox_message SET status = $2, attempts = attempts + 1, last_error = $3 WHERE id = $1", id, status, error)
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: i64,
    /// `email` or `telegram`.
    pub channel: String,
    pub recipient: String,
    pub event: String,
    pub subject: String,
    pub body: String,
    /// `pending`, `sent`, `failed` (will retry), `dead` (gave up) or `blocked`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Newest first, with the cursor of the next page.
pub async fn list(pool: &PgPool, filter: &OutboxFilter) -> Result<(Vec<OutboxMessage>, Option<i64>), NotifyError> {
    let limit = filter.limit.clamp(1, 100);
    let mut items = sqlx::query_as!(
        OutboxMessage,
        r#"SELECT id, channel, recipient, event, subject, body, status, attempts, last_error, created_at, sent_at
           FROM outbox_message
           WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR channel = $2) AND ($3::bigint IS NULL OR id < $3)
           ORDER BY id DESC LIMIT $4"#,
        filter.status,
        filter.channel,
        filter.before_id,
        limit + 1
    )
    .fetch_all(pool)
    .await?;
    let next = if items.len() > usize::try_from(limit).unwrap_or(100) {
        items.pop();
        items.last().map(|item| item.id)
    } else {
        None
    };
    Ok((items, next))
}

/// Queues a failed or dead message again. `None` if there is no such
/// message or it was already sent.
pub async fn resend(conn: &mut PgConnection, id: i64) -> Result<Option<OutboxMessage>, NotifyError> {
    let updated = sqlx::query_scalar!(
        "UPDATE outbox_message SET status = 'pending', last_error = NULL WHERE id = $1 AND status IN ('failed', 'dead') RETURNING id",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if updated.is_none() {
        return Ok(None);
    }
    enqueue_delivery(conn, id).await?;
    let message = sqlx::query_as!(
        OutboxMessage,
        r#"SELECT id, channel, recipient, event, subject, body, status, attempts, last_error, created_at, sent_at
           FROM outbox_message WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(Some(message))
}
