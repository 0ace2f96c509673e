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

use crate::NotifyError;
use crate::delivery::{Channel, Message, SendFailure, Senders};
use crate::template::RenderedMessage;

/// Delivers an email (and, for jobs queued before the Telegram kind
/// existed, any channel).
pub const DELIVER_JOB: &str = "notify.deliver";
/// Delivers a Telegram message. Only replicas with a bot register it, so
/// only they claim it (see `jobs::queue::claim`): a replica without
/// `TELEGRAM_BOT_TOKEN` taking the job could only fail it into the retry
/// backoff and delay a staff DOWN alert by many seconds.
pub const DELIVER_TELEGRAM_JOB: &str = "notify.deliver.telegram";
const MAX_ATTEMPTS: u16 = 8;

#[derive(Debug, Serialize, Deserialize)]
struct DeliverPayload {
    outbox_id: i64,
}

/// Queues an email; commits or rolls back with the caller's transaction.
pub async fn enqueue_email(
    conn: &mut PgConnection,
    to: &Email,
    event: &str,
    message: &RenderedMessage,
) -> Result<i64, NotifyError> {
    let id = sqlx::query_scalar!(
        "INSERT INTO outbox_message (channel, recipient, event, subject, body) VALUES ('email', $1, $2, $3, $4) RETURNING id",
        to.as_str(),
        event,
        message.subject,
        message.text
    )
    .fetch_one(&mut *conn)
    .await?;
    enqueue_delivery(conn, DELIVER_JOB, id).await?;
    Ok(id)
}

/// Queues a Telegram message to a chat (plain text).
pub async fn enqueue_telegram(
    conn: &mut PgConnection,
    chat_id: i64,
    event: &str,
    message: &RenderedMessage,
) -> Result<i64, NotifyError> {
    let text = if message.subject.is_empty() {
        message.text.clone()
    } else {
        format!("{}\n\n{}", message.subject, message.text)
    };
    let id = sqlx::query_scalar!(
        "INSERT INTO outbox_message (channel, recipient, event, subject, body) VALUES ('telegram', $1, $2, $3, $4) RETURNING id",
        chat_id.to_string(),
        event,
        message.subject,
        text
    )
    .fetch_one(&mut *conn)
    .await?;
    enqueue_delivery(conn, DELIVER_TELEGRAM_JOB, id).await?;
    Ok(id)
}

fn job_kind(channel: &str) -> &'static str {
    if channel == "telegram" {
        DELIVER_TELEGRAM_JOB
    } else {
        DELIVER_JOB
    }
}

async fn enqueue_delivery(
    conn: &mut PgConnection,
    kind: &str,
    outbox_id: i64,
) -> Result<(), NotifyError> {
    jobs::enqueue(
        conn,
        NewJob::new(kind, &DeliverPayload { outbox_id })?.max_attempts(MAX_ATTEMPTS),
    )
    .await?;
    Ok(())
}

/// Registers the delivery jobs this process can run: email always,
/// Telegram only with a bot, so a replica without one never claims (and
/// fails into the retry backoff) a Telegram message.
pub fn register_jobs(registry: &mut Registry, senders: Senders) {
    if senders.telegram.is_some() {
        let telegram = senders.clone();
        registry.handle(DELIVER_TELEGRAM_JOB, move |context| {
            deliver(context, telegram.clone())
        });
    }
    registry.handle(DELIVER_JOB, move |context| {
        deliver(context, senders.clone())
    });
}

async fn deliver(context: JobContext, senders: Senders) -> Result<(), JobError> {
    let payload: DeliverPayload = context.payload()?;
    let Some(row) = sqlx::query!(
        r#"SELECT channel AS "channel: Channel", recipient, subject, body, status AS "status: OutboxStatus"
           FROM outbox_message WHERE id = $1"#,
        payload.outbox_id
    )
    .fetch_optional(&context.pool)
    .await?
    else {
        return Err(JobError::Permanent(format!(
            "outbox message {} does not exist",
            payload.outbox_id
        )));
    };
    if matches!(row.status, OutboxStatus::Sent | OutboxStatus::Blocked) {
        // A retried or duplicated job: the message already reached its end.
        return Ok(());
    }
    let sent = match senders.for_channel(row.channel) {
        Some(sender) => {
            let message = Message {
                subject: row.subject,
                body: row.body,
                photo_url: None,
            };
            sender.send(&row.recipient, &message).await
        }
        None => Err(SendFailure::Transient(match row.channel {
            Channel::Telegram => "Telegram is not configured (TELEGRAM_BOT_TOKEN)".to_owned(),
            Channel::Email => "email is not configured (SMTP_URL)".to_owned(),
        })),
    };
    let last_attempt = context.attempt >= context.max_attempts;
    let id = payload.outbox_id;
    match sent {
        Ok(()) => {
            sqlx::query!(
                "UPDATE outbox_message SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1",
                id
            )
            .execute(&context.pool)
            .await?;
            Ok(())
        }
        Err(SendFailure::Blocked(reason)) => {
            mark(&context.pool, id, OutboxStatus::Blocked, &reason).await?;
            Ok(())
        }
        Err(SendFailure::Permanent(reason)) => {
            mark(&context.pool, id, OutboxStatus::Dead, &reason).await?;
            Err(JobError::Permanent(reason))
        }
        Err(SendFailure::Transient(reason)) => {
            let status = if last_attempt {
                OutboxStatus::Dead
            } else {
                OutboxStatus::Failed
            };
            mark(&context.pool, id, status, &reason).await?;
            Err(JobError::Retry(anyhow::anyhow!(reason)))
        }
        Err(SendFailure::RetryAfter(delay)) => {
            // A flood limit never makes a message dead: the job runner gives
            // the attempt back.
            let reason = format!("Telegram asked to retry after {} s", delay.as_secs());
            mark(&context.pool, id, OutboxStatus::Failed, &reason).await?;
            Err(JobError::RetryAfter { delay, reason })
        }
    }
}

async fn mark(
    pool: &PgPool,
    id: i64,
    status: OutboxStatus,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE outbox_message SET status = $2, attempts = attempts + 1, last_error = $3 WHERE id = $1",
        id,
        status as _,
        error
    )
        .execute(pool)
        .await?;
    Ok(())
}

/// Where a message stands: `pending`, `sent`, `failed` (will retry),
/// `dead` (gave up) or `blocked` (the recipient refuses our messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum OutboxStatus {
    Pending,
    Sent,
    Failed,
    Dead,
    Blocked,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: i64,
    pub channel: Channel,
    pub recipient: String,
    pub event: String,
    pub subject: String,
    pub body: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub status: Option<OutboxStatus>,
    pub channel: Option<Channel>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Newest first, with the cursor of the next page.
pub async fn list(
    pool: &PgPool,
    filter: &OutboxFilter,
) -> Result<(Vec<OutboxMessage>, Option<i64>), NotifyError> {
    let limit = filter.limit.clamp(1, domain::PAGE_SIZE_MAX);
    let mut items = sqlx::query_as!(
        OutboxMessage,
        r#"SELECT id, channel AS "channel: Channel", recipient, event, subject, body, status AS "status: OutboxStatus", attempts, last_error, created_at, sent_at
           FROM outbox_message
           WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR channel = $2) AND ($3::bigint IS NULL OR id < $3)
           ORDER BY id DESC LIMIT $4"#,
        filter.status as _,
        filter.channel as _,
        filter.before_id,
        limit + 1
    )
    .fetch_all(pool)
    .await?;
    let next = if items.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
        items.pop();
        items.last().map(|item| item.id)
    } else {
        None
    };
    Ok((items, next))
}

/// Queues a failed or dead message again. `None` if there is no such
/// message or it was already sent.
pub async fn resend(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<OutboxMessage>, NotifyError> {
    let updated = sqlx::query_scalar!(
        "UPDATE outbox_message SET status = 'pending', last_error = NULL WHERE id = $1 AND status IN ('failed', 'dead') RETURNING channel",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(channel) = updated else {
        return Ok(None);
    };
    enqueue_delivery(conn, job_kind(&channel), id).await?;
    find(conn, id).await
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<Option<OutboxMessage>, NotifyError> {
    Ok(sqlx::query_as!(
        OutboxMessage,
        r#"SELECT id, channel AS "channel: Channel", recipient, event, subject, body, status AS "status: OutboxStatus", attempts, last_error, created_at, sent_at
           FROM outbox_message WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}
