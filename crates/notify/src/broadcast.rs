//! Broadcasts: one message to every recipient of a channel. Recipients are
//! fixed when the broadcast is created, each with its own delivery row; a
//! job works through them in batches. A row is marked `sending` just before
//! its send and `sent` just after, so a crash in between leaves `sending`,
//! which the next run turns into `unknown` instead of sending again: nobody
//! gets the message twice, at the price of not knowing whether the few
//! messages in flight when the process died arrived.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{Email, ValidationErrors};
use futures::{StreamExt, TryStreamExt};
use jobs::{JobContext, JobError, NewJob, Registry};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::NotifyError;
use crate::email::{Mailer, OutgoingEmail};
use crate::outbox::TelegramDelivery;
use crate::telegram::{InputFile, TelegramError};
use crate::telegram_chat;
use crate::template::text_to_html;

pub const BROADCAST_JOB: &str = "notify.broadcast";
const BATCH: i64 = 50;
/// Sends in flight at once within one broadcast. A crash leaves at most
/// this many recipients `unknown`; nobody is ever sent the message twice.
pub const SENDS_IN_FLIGHT: usize = 4;
/// Attempts per recipient for transient failures before it is marked failed.
const SEND_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Telegram,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Telegram => "telegram",
        }
    }
}

/// What went wrong sending to one recipient.
#[derive(Debug)]
pub enum SendFailure {
    /// The recipient refuses our messages (Telegram 403): never retried.
    Blocked(String),
    /// The service asks us to wait exactly this long, then retry.
    RetryAfter(Duration),
    /// Worth another try (network, 5xx).
    Transient(String),
    /// Will never work for this recipient.
    Permanent(String),
}

pub struct BroadcastContent {
    pub subject: String,
    pub body: String,
    pub photo_url: Option<String>,
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendFailure>> + Send + 'a>>;

/// Delivers a broadcast to one recipient of a channel.
pub trait BroadcastSender: Send + Sync {
    fn send<'a>(&'a self, recipient: &'a str, content: &'a BroadcastContent) -> SendFuture<'a>;

    /// A flood limit holds for the whole sender (every replica), not one
    /// recipient: told before the run waits it out.
    fn pause_all<'a>(&'a self, _delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async {})
    }

    /// The recipient refused the message for good: remember it beyond
    /// this broadcast (Telegram marks the chat blocked).
    fn recipient_blocked<'a>(
        &'a self,
        _pool: &'a PgPool,
        _recipient: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'a>> {
        Box::pin(async { Ok(()) })
    }
}

/// Email broadcasts go through the SMTP mailer.
pub struct EmailSender(pub Mailer);

impl BroadcastSender for EmailSender {
    fn send<'a>(&'a self, recipient: &'a str, content: &'a BroadcastContent) -> SendFuture<'a> {
        Box::pin(async move {
            let to = Email::parse(recipient)
                .map_err(|error| SendFailure::Permanent(error.to_string()))?;
            let mut html = text_to_html(&content.body);
            if let Some(photo) = &content.photo_url {
                let photo = photo.replace('"', "%22");
                html =
                    format!("<p><img src=\"{photo}\" alt=\"\" style=\"max-width:100%\"></p>{html}");
            }
            let email = OutgoingEmail {
                to,
                subject: content.subject.clone(),
                text: content.body.clone(),
                html,
            };
            self.0
                .send(&email)
                .await
                .map_err(|error| SendFailure::Transient(error.to_string()))
        })
    }
}

/// Telegram broadcasts: a photo with the text as its caption, or the text,
/// each send waiting for its slot in the bot's shared send rate.
pub struct TelegramSender(pub TelegramDelivery);

impl BroadcastSender for TelegramSender {
    fn send<'a>(&'a self, recipient: &'a str, content: &'a BroadcastContent) -> SendFuture<'a> {
        Box::pin(async move {
            let chat_id: i64 = recipient
                .parse()
                .map_err(|_| SendFailure::Permanent(format!("`{recipient}` is not a chat id")))?;
            let TelegramDelivery { client, throttle } = &self.0;
            throttle
                .acquire(chat_id)
                .await
                .map_err(|error| SendFailure::Transient(error.to_string()))?;
            let sent = match &content.photo_url {
                Some(url) => client
                    .send_photo(
                        chat_id,
                        InputFile::Url(url.clone()),
                        Some(&content.body),
                        None,
                    )
                    .await
                    .map(|_| ()),
                None => client
                    .send_message(chat_id, &content.body, None)
                    .await
                    .map(|_| ()),
            };
            sent.map_err(|error| match error {
                TelegramError::Blocked(reason) => SendFailure::Blocked(reason),
                TelegramError::RetryAfter(delay) => SendFailure::RetryAfter(delay),
                error if error.is_retryable() => SendFailure::Transient(error.to_string()),
                error => SendFailure::Permanent(error.to_string()),
            })
        })
    }

    fn pause_all<'a>(&'a self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            if let Err(error) = self.0.throttle.pause_all(delay).await {
                tracing::warn!(%error, "could not pause the shared Telegram throttle");
            }
        })
    }

    fn recipient_blocked<'a>(
        &'a self,
        pool: &'a PgPool,
        recipient: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'a>> {
        Box::pin(async move {
            match recipient.parse() {
                Ok(chat_id) => telegram_chat::mark_blocked(pool, chat_id).await,
                Err(_) => Ok(()),
            }
        })
    }
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
    /// `running`, `done` or `cancelled`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: BroadcastProgress,
}

fn validate(input: &NewBroadcast) -> Result<(String, String, Option<String>), NotifyError> {
    let mut errors = ValidationErrors::new();
    let body = input.body.trim().to_owned();
    if body.is_empty() || body.chars().count() > 4096 {
        errors.add(
            "body",
            "invalid_length",
            "the message has 1 to 4096 characters",
        );
    }
    let subject = input
        .subject
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if input.channel == Channel::Email && (subject.is_empty() || subject.chars().count() > 200) {
        errors.add(
            "subject",
            "required",
            "an email broadcast needs a subject (at most 200 characters)",
        );
    }
    let photo_url = input
        .photo_url
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned);
    if let Some(url) = &photo_url
        && (!url.starts_with("https://") || url.len() > 2000 || url.contains(char::is_whitespace))
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
        input.channel.as_str(),
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
        r#"SELECT b.id, b.channel, b.subject, b.body, b.photo_url, b.status, b.created_at, b.finished_at,
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
            channel: if row.channel == "telegram" {
                Channel::Telegram
            } else {
                Channel::Email
            },
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

/// The senders of each channel this process can deliver to.
#[derive(Clone, Default)]
pub struct Senders {
    pub email: Option<Arc<dyn BroadcastSender>>,
    pub telegram: Option<Arc<dyn BroadcastSender>>,
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
        "SELECT channel, subject, body, photo_url FROM broadcast WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Err(JobError::Permanent(format!(
            "broadcast {id} does not exist"
        )));
    };
    let channel = if broadcast.channel == "telegram" {
        Channel::Telegram
    } else {
        Channel::Email
    };
    let sender = match channel {
        Channel::Email => senders.email.clone(),
        Channel::Telegram => senders.telegram.clone(),
    }
    .ok_or_else(|| JobError::Permanent(format!("no sender for channel {}", broadcast.channel)))?;
    let content = BroadcastContent {
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
        let status = sqlx::query_scalar!("SELECT status FROM broadcast WHERE id = $1", id)
            .fetch_one(pool)
            .await?;
        if status != "running" {
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
    sender: &dyn BroadcastSender,
    content: &BroadcastContent,
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
    if status == "blocked" {
        sender.recipient_blocked(pool, &recipient).await?;
    }
    sqlx::query!(
        r#"UPDATE broadcast_recipient SET status = $3, error = $4, sent_at = CASE WHEN $3 = 'sent' THEN now() END
           WHERE broadcast_id = $1 AND recipient = $2"#,
        id,
        recipient,
        status,
        error
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Sends to one recipient, waiting out `retry_after` exactly and retrying
/// transient failures a few times with backoff.
async fn deliver_one(
    sender: &dyn BroadcastSender,
    recipient: &str,
    content: &BroadcastContent,
) -> (&'static str, Option<String>) {
    let mut transient_failures = 0;
    loop {
        match sender.send(recipient, content).await {
            Ok(()) => return ("sent", None),
            Err(SendFailure::Blocked(reason)) => return ("blocked", Some(reason)),
            Err(SendFailure::Permanent(reason)) => return ("failed", Some(reason)),
            Err(SendFailure::RetryAfter(delay)) => {
                sender.pause_all(delay).await;
                tokio::time::sleep(delay).await;
            }
            Err(SendFailure::Transient(reason)) => {
                transient_failures += 1;
                if transient_failures >= SEND_ATTEMPTS {
                    return ("failed", Some(reason));
                }
                tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(transient_failures))).await;
            }
        }
    }
}
