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

use std::sync::Arc;
use std::time::Duration;

use crate::NotifyError;
use crate::email::{Mailer, OutgoingEmail};
use crate::telegram::{TelegramClient, TelegramError};
use crate::telegram_chat;
use crate::template::{RenderedMessage, text_to_html};
use crate::throttle::SendThrottle;

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

/// How this process delivers each channel. Telegram is optional: without a
/// bot token its messages wait (and retry) until one is configured.
#[derive(Clone)]
pub struct Delivery {
    pub mailer: Mailer,
    pub telegram: Option<TelegramDelivery>,
}

/// The bot client and the send throttle shared by every replica.
#[derive(Clone)]
pub struct TelegramDelivery {
    pub client: Arc<TelegramClient>,
    pub throttle: Arc<SendThrottle>,
}

/// Registers the delivery jobs this process can run: email always,
/// Telegram only with a bot.
pub fn register_jobs(registry: &mut Registry, delivery: Delivery) {
    if delivery.telegram.is_some() {
        let telegram = delivery.clone();
        registry.handle(DELIVER_TELEGRAM_JOB, move |context| {
            deliver(context, telegram.clone())
        });
    }
    registry.handle(DELIVER_JOB, move |context| {
        deliver(context, delivery.clone())
    });
}

enum Outcome {
    Sent,
    Blocked(String),
    Failed(String),
    Retry { delay: Duration, reason: String },
    Dead(String),
}

async fn send_telegram(
    pool: &PgPool,
    telegram: Option<&TelegramDelivery>,
    recipient: &str,
    body: &str,
) -> Result<Outcome, JobError> {
    let Ok(chat_id) = recipient.parse::<i64>() else {
        return Ok(Outcome::Dead(format!(
            "`{recipient}` is not a Telegram chat id"
        )));
    };
    let Some(telegram) = telegram else {
        return Ok(Outcome::Failed(
            "Telegram is not configured (TELEGRAM_BOT_TOKEN)".to_owned(),
        ));
    };
    if telegram_chat::is_blocked(pool, chat_id).await? {
        return Ok(Outcome::Blocked(
            "the chat blocked the bot earlier".to_owned(),
        ));
    }
    if let Err(error) = telegram.throttle.acquire(chat_id).await {
        return Ok(Outcome::Failed(error.to_string()));
    }
    Ok(match telegram.client.send_text(chat_id, body, None).await {
        Ok(_) => Outcome::Sent,
        Err(TelegramError::Blocked(reason)) => {
            telegram_chat::mark_blocked(pool, chat_id).await?;
            Outcome::Blocked(reason)
        }
        Err(TelegramError::RetryAfter(delay)) => {
            // Telegram limits the whole bot: every replica waits it out.
            if let Err(error) = telegram.throttle.pause_all(delay).await {
                tracing::warn!(%error, "could not pause the shared Telegram throttle");
            }
            Outcome::Retry {
                delay,
                reason: format!("Telegram asked to retry after {} s", delay.as_secs()),
            }
        }
        Err(error) if error.is_retryable() => Outcome::Failed(error.to_string()),
        Err(error) => Outcome::Dead(error.to_string()),
    })
}

async fn deliver(context: JobContext, delivery: Delivery) -> Result<(), JobError> {
    let mailer = &delivery.mailer;
    let payload: DeliverPayload = context.payload()?;
    let Some(row) = sqlx::query!(
        "SELECT channel, recipient, subject, body, status FROM outbox_message WHERE id = $1",
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
    if row.status == "sent" || row.status == "blocked" {
        // A retried or duplicated job: the message already reached its end.
        return Ok(());
    }
    let outcome = match row.channel.as_str() {
        "email" => match Email::parse(&row.recipient) {
            Ok(to) => {
                let email = OutgoingEmail {
                    to,
                    subject: row.subject.clone(),
                    text: row.body.clone(),
                    html: text_to_html(&row.body),
                };
                match mailer.send(&email).await {
                    Ok(()) => Outcome::Sent,
                    Err(error) => Outcome::Failed(error.to_string()),
                }
            }
            Err(error) => Outcome::Dead(error.to_string()),
        },
        "telegram" => {
            send_telegram(
                &context.pool,
                delivery.telegram.as_ref(),
                &row.recipient,
                &row.body,
            )
            .await?
        }
        other => Outcome::Dead(format!("unknown channel `{other}`")),
    };
    let last_attempt = context.attempt >= context.max_attempts;
    match outcome {
        Outcome::Sent => {
            sqlx::query!(
                "UPDATE outbox_message SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1",
                payload.outbox_id
            )
            .execute(&context.pool)
            .await?;
            Ok(())
        }
        Outcome::Blocked(reason) => {
            mark(&context.pool, payload.outbox_id, "blocked", Some(&reason)).await?;
            Ok(())
        }
        Outcome::Dead(reason) => {
            mark(&context.pool, payload.outbox_id, "dead", Some(&reason)).await?;
            Err(JobError::Permanent(reason))
        }
        Outcome::Failed(reason) => {
            mark(
                &context.pool,
                payload.outbox_id,
                if last_attempt { "dead" } else { "failed" },
                Some(&reason),
            )
            .await?;
            Err(JobError::Retry(anyhow::anyhow!(reason)))
        }
        Outcome::Retry { delay, reason } => {
            // A flood limit never makes a message dead: the job runner gives
            // the attempt back.
            mark(&context.pool, payload.outbox_id, "failed", Some(&reason)).await?;
            Err(JobError::RetryAfter { delay, reason })
        }
    }
}

async fn mark(
    pool: &PgPool,
    id: i64,
    status: &str,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
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
pub async fn list(
    pool: &PgPool,
    filter: &OutboxFilter,
) -> Result<(Vec<OutboxMessage>, Option<i64>), NotifyError> {
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
        r#"SELECT id, channel, recipient, event, subject, body, status, attempts, last_error, created_at, sent_at
           FROM outbox_message WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?)
}
