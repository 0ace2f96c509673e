//! Broadcasts: one message to every recipient of a channel. Recipients are
//! fixed when the broadcast is created, each with its own delivery row; a
//! job works through them in batches. A row is marked `sending` just before
//! its send and `sent` just after, so a crash in between leaves `sending`,
//! which the next run turns into `unknown` instead of sending again: nobody
//! gets the message twice, at the price of not knowing whether the few
//! messages in flight when the process died arrived.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use futures::{StreamExt, TryStreamExt};
use jobs::{JobContext, JobError, NewJob, Registry};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::NotifyError;
pub use crate::delivery::Channel;
use crate::delivery::{Message, SendFailure, Sender, Senders};

pub const BROADCAST_JOB: &str = "notify.broadcast";
const BATCH: i64 = 50;
/// Sends in flight at once within one broadcast. A crash leaves at most
/// this many recipients `unknown`; nobody is ever sent the message twice.
pub const SENDS_IN_FLIGHT: usize = 4;
/// The longest message (one Telegram message), email subject (characters)
/// and photo address (bytes); the OpenAPI schema shows them.
pub const BODY_MAX_CHARS: usize = 4096;
pub const SUBJECT_MAX_CHARS: usize = 200;
pub const PHOTO_URL_MAX_LEN: usize = 2000;
/// Attempts per recipient for transient failures before it is marked failed.
const SEND_ATTEMPTS: u32 = 3;

/// A broadcast runs until every recipient has an outcome, or staff cancel it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum BroadcastStatus {
    Running,
    Done,
    Cancelled,
}

/// One recipient's delivery: `sending` just before the send, `unknown`
/// when a process stopped in between (possibly delivered), `skipped` when
/// the broadcast was cancelled first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Sending,
    Sent,
    Failed,
    Blocked,
    Unknown,
    Skipped,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewBroadcast {
    pub channel: Channel,
    /// Email subject (required for email, ignored for Telegram).
    pub subject: Option<String>,
    /// The message, at most 4096 characters.
    pub body: String,
    /// An https image URL sent as a photo (Telegram) or shown above the text (email).
    pub photo_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct BroadcastProgress {
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub blocked: i64,
    /// Possibly delivered: the send was in flight when a process stopped.
    pub unknown: i64,
    pub skipped: i64,
    pub remaining: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Broadcast {
    pub id: i64,
    pub channel: Channel,
    pub subject: String,
    pub body: String,
    pub photo_url: Option<String>,
    pub status: BroadcastStatus,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: BroadcastProgress,
}

fn validate(input: &NewBroadcast) -> Result<(String, String, Option<String>), NotifyError> {
    let mut errors = ValidationErrors::new();
    let body = input.body.trim().to_owned();
    if body.is_empty() || body.chars().count() > BODY_MAX_CHARS {
        errors.add(
            "body",
            "invalid_length",
            format!("the message has 1 to {BODY_MAX_CHARS} characters"),
        );
    }
    let subject = input
        .subject
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if input.channel == Channel::Email
        && (subject.is_empty() || subject.chars().count() > SUBJECT_MAX_CHARS)
    {
        errors.add(
            "subject",
            "required",
            format!("an email broadcast needs a subject (at most {SUBJECT_MAX_CHARS} characters)"),
        );
    }
    let photo_url = input
        .photo_url
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned);
    if let Some(url) = &photo_url
        && (!url.starts_with("https://")
            || url.len() > PHOTO_URL_MAX_LEN
            || url.contains(char::is_whitespace))
    {
        errors.add("photo_url", "invalid_url", "an https:// image address");
    }
    if input.channel == Channel::Telegram && photo_url.is_some() && body.chars().count() > 1024 {
        errors.add(
            "body",
            "too_long_for_caption",
            "a photo caption has at most 1024 characters",
        );
    }
    errors.into_result()?;
    Ok((subject, body, photo_url))
}

/// Creates a broadcast to every current recipient of the channel and queues
/// its job, all in the caller's transaction.
pub async fn create(
    conn: &mut PgConnection,
    created_by: Option<Uuid>,
    input: &NewBroadcast,
) -> Result<i64, NotifyError> {
    let (subject, body, photo_url) = validate(input)?;
    let id = sqlx::query_scalar!(
        "INSERT INTO broadcast (channel, subject, body, photo_url, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        input.channel as _,
        subject,
        body,
        photo_url,
        created_by
    )
    .fetch_one(&mut *conn)
    .await?;
    match input.channel {
        // Every active client with a verified address.
        Channel::Email => {
            sqlx::query!(
                r#"INSERT INTO broadcast_recipient (broadcast_id, recipient)
                   SELECT $1, email FROM app_user
                   WHERE status = 'active' AND email_verified_at IS NOT NULL AND 'client' = ANY(roles)"#,
                id
            )
            .execute(&mut *conn)
            .await?;
        }
        // Every linked client chat that has not blocked the bot.
        Channel::Telegram => {
            sqlx::query!(
                r#"INSERT INTO broadcast_recipient (broadcast_id, recipient)
                   SELECT $1, c.chat_id::text FROM telegram_chat c JOIN app_user u ON u.id = c.user_id
                   WHERE c.kind = 'client' AND c.blocked_at IS NULL AND u.status = 'active'"#,
                id
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    jobs::enqueue(
        conn,
        NewJob::new(BROADCAST_JOB, &serde_json::json!({ "broadcast_id": id }))?
            .dedupe_key(format!("broadcast:{id}")),
    )
    .await?;
    Ok(id)
}

pub async fn cancel(conn: &mut PgConnection, id: i64) -> Result<bool, NotifyError> {
    let result = sqlx::query!("UPDATE broadcast SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status = 'running'", id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Broadcasts with their progress counted in the same query: `only` one, or
/// the newest 50. The SPA polls this every few seconds while one runs.
async fn fetch(pool: &PgPool, only: Option<i64>) -> Result<Vec<Broadcast>, NotifyError> {
    let rows = sqlx::query!(
        r#"SELECT b.id, b.channel AS "channel: Channel", b.subject, b.body, b.photo_url, b.status AS "status: BroadcastStatus", b.created_at, b.finished_at,
                  count(r.recipient) AS "total!",
                  count(r.recipient) FILTER (WHERE r.status = 'sent') AS "sent!",
                  count(r.recipient) FILTER (WHERE r.status = 'failed') AS "failed!",
                  count(r.recipient) FILTER (WHERE r.status = 'blocked') AS "blocked!",
                  count(r.recipient) FILTER (WHERE r.status = 'unknown') AS "unknown!",
                  count(r.recipient) FILTER (WHERE r.status = 'skipped') AS "skipped!",
                  count(r.recipient) FILTER (WHERE r.status IN ('pending', 'sending')) AS "remaining!"
           FROM broadcast b LEFT JOIN broadcast_recipient r ON r.broadcast_id = b.id
           WHERE $1::bigint IS NULL OR b.id = $1
           GROUP BY b.id
           ORDER BY b.id DESC
           LIMIT 50"#,
        only
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Broadcast {
            id: row.id,
            channel: row.channel,
            subject: row.subject,
            body: row.body,
            photo_url: row.photo_url,
            status: row.status,
            created_at: row.created_at,
            finished_at: row.finished_at,
            progress: BroadcastProgress {
                total: row.total,
                sent: row.sent,
                failed: row.failed,
                blocked: row.blocked,
                unknown: row.unknown,
                skipped: row.skipped,
                remaining: row.remaining,
            },
        })
        .collect())
}

pub async fn find(pool: &PgPool, id: i64) -> Result<Option<Broadcast>, NotifyError> {
    Ok(fetch(pool, Some(id)).await?.pop())
}

/// The newest broadcasts (at most 50) with their progress.
pub async fn list(pool: &PgPool) -> Result<Vec<Broadcast>, NotifyError> {
    fetch(pool, None).await
}

pub fn register_jobs(registry: &mut Registry, senders: Senders) {
    registry.handle(BROADCAST_JOB, move |context| run(context, senders.clone()));
}

#[derive(Deserialize)]
struct Payload {
    broadcast_id: i64,
}

async fn run(context: JobContext, senders: Senders) -> Result<(), JobError> {
    let id = context.payload::<Payload>()?.broadcast_id;
    let pool = &context.pool;
    let Some(broadcast) = sqlx::query!(
        r#"SELECT channel AS "channel: Channel", subject, body, photo_url FROM broadcast WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Err(JobError::Permanent(format!(
            "broadcast {id} does not exist"
        )));
    };
    let sender = senders
        .for_channel(broadcast.channel)
        .cloned()
        .ok_or_else(|| {
            JobError::Permanent(format!(
                "no sender for channel {}",
                broadcast.channel.as_str()
            ))
        })?;
    let content = Message {
        subject: broadcast.subject,
        body: broadcast.body,
        photo_url: broadcast.photo_url,
    };

    // Whatever an earlier, interrupted run was sending may have arrived.
    sqlx::query!(
        "UPDATE broadcast_recipient SET status = 'unknown', error = 'interrupted while sending' WHERE broadcast_id = $1 AND status = 'sending'",
        id
    )
    .execute(pool)
    .await?;

    loop {
        let status = sqlx::query_scalar!(
            r#"SELECT status AS "status: BroadcastStatus" FROM broadcast WHERE id = $1"#,
            id
        )
        .fetch_one(pool)
        .await?;
        if status != BroadcastStatus::Running {
            return Ok(());
        }
        // Only one run of a broadcast's job holds its lease at a time, so the
        // batch needs no claim; each row is marked just before its own send.
        let batch = sqlx::query_scalar!(
            "SELECT recipient FROM broadcast_recipient WHERE broadcast_id = $1 AND status = 'pending' ORDER BY recipient LIMIT $2",
            id,
            BATCH
        )
        .fetch_all(pool)
        .await?;
        if batch.is_empty() {
            sqlx::query!("UPDATE broadcast SET status = 'done', finished_at = now() WHERE id = $1 AND status = 'running'", id).execute(pool).await?;
            return Ok(());
        }
        // A few sends in flight, so that one slow answer or database write
        // does not cost its successors their send slots; the throttle still
        // spaces the sends themselves.
        futures::stream::iter(batch)
            .map(|recipient| deliver_row(pool, id, sender.as_ref(), &content, recipient))
            .buffer_unordered(SENDS_IN_FLIGHT)
            .try_collect::<()>()
            .await?;
    }
}

/// Claims one recipient's row, sends, and records the outcome.
async fn deliver_row(
    pool: &PgPool,
    id: i64,
    sender: &dyn Sender,
    content: &Message,
    recipient: String,
) -> Result<(), JobError> {
    let claimed = sqlx::query!(
        "UPDATE broadcast_recipient SET status = 'sending' WHERE broadcast_id = $1 AND recipient = $2 AND status = 'pending'",
        id,
        recipient
    )
    .execute(pool)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(());
    }
    let (status, error) = deliver_one(sender, &recipient, content).await;
    sqlx::query!(
        r#"UPDATE broadcast_recipient SET status = $3, error = $4, sent_at = CASE WHEN $3 = 'sent' THEN now() END
           WHERE broadcast_id = $1 AND recipient = $2"#,
        id,
        recipient,
        status as _,
        error
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Sends to one recipient, waiting out `retry_after` exactly (the sender
/// already paused every replica) and retrying transient failures a few
/// times with backoff.
async fn deliver_one(
    sender: &dyn Sender,
    recipient: &str,
    content: &Message,
) -> (DeliveryStatus, Option<String>) {
    let mut transient_failures = 0;
    loop {
        match sender.send(recipient, content).await {
            Ok(()) => return (DeliveryStatus::Sent, None),
            Err(SendFailure::Blocked(reason)) => return (DeliveryStatus::Blocked, Some(reason)),
            Err(SendFailure::Permanent(reason)) => return (DeliveryStatus::Failed, Some(reason)),
            Err(SendFailure::RetryAfter(delay)) => {
                tokio::time::sleep(delay).await;
            }
            Err(SendFailure::Transient(reason)) => {
                transient_failures += 1;
                if transient_failures >= SEND_ATTEMPTS {
                    return (DeliveryStatus::Failed, Some(reason));
                }
                tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(transient_failures))).await;
            }
        }
    }
}
