//! Clients link their Telegram account to the shop: the client area hands
//! out a one-time code inside a deep link (`t.me/<bot>?start=<code>`);
//! opening it makes Telegram send `/start <code>` to the bot, which the poll
//! job reads from `getUpdates` and turns into a linked chat. From then on
//! the client's notifications and Telegram broadcasts reach that chat.
//!
//! The poll job is a periodic job, so exactly one replica calls `getUpdates`
//! at a time (Telegram answers 409 to a second concurrent poll). The offset
//! is stored only after the updates it confirms were handled, so a crash
//! handles an update again rather than losing it; handling one twice is
//! harmless because a code is used once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jobs::{JobContext, JobError, Registry};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::NotifyError;
use crate::outbox;
use crate::telegram::{IncomingMessage, TelegramClient, TelegramError, Update};
use crate::template::{Language, RenderedMessage, catalog, render_event_in};

pub const POLL_JOB: &str = "notify.telegram_poll";
/// How long a link code can be used.
pub const CODE_TTL: Duration = Duration::from_secs(15 * 60);
const CODE_LEN: usize = 24;
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A fresh link code; shown to the client once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// The Telegram chat a client linked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkedChat {
    pub chat_id: i64,
    /// The Telegram name (`@username` when there is one).
    pub label: String,
    pub linked_at: DateTime<Utc>,
    /// Set when the client blocked the bot; nothing is sent then.
    pub blocked_at: Option<DateTime<Utc>>,
}

fn hash(code: &str) -> Vec<u8> {
    Sha256::digest(code.as_bytes()).to_vec()
}

/// Issues a new code for `user_id`; earlier unused codes stop working.
pub async fn create_code(conn: &mut PgConnection, user_id: Uuid) -> Result<LinkCode, NotifyError> {
    let code: String = {
        let mut rng = rand::rng();
        (0..CODE_LEN)
            .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
            .collect()
    };
    sqlx::query!(
        "DELETE FROM telegram_link_code WHERE user_id = $1 AND used_at IS NULL",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    let ttl =
        chrono::Duration::from_std(CODE_TTL).unwrap_or_else(|_| chrono::Duration::minutes(15));
    let expires_at = sqlx::query_scalar!(
        "INSERT INTO telegram_link_code (code_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval) RETURNING expires_at",
        hash(&code),
        user_id,
        sqlx::postgres::types::PgInterval::try_from(ttl).map_err(|error| NotifyError::Message(error.to_string()))?
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(LinkCode { code, expires_at })
}

pub async fn linked_chat(pool: &PgPool, user_id: Uuid) -> Result<Option<LinkedChat>, NotifyError> {
    Ok(sqlx::query_as!(
        LinkedChat,
        r#"SELECT chat_id, label, created_at AS linked_at, blocked_at FROM telegram_chat WHERE kind = 'client' AND user_id = $1"#,
        user_id
    )
    .fetch_optional(pool)
    .await?)
}

/// Forgets the client's chat; returns whether there was one.
pub async fn unlink(conn: &mut PgConnection, user_id: Uuid) -> Result<bool, NotifyError> {
    let result = sqlx::query!(
        "DELETE FROM telegram_chat WHERE kind = 'client' AND user_id = $1",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The client's chat if linked and not blocked: where their notifications go.
pub async fn chat_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<i64>, NotifyError> {
    Ok(sqlx::query_scalar!("SELECT chat_id FROM telegram_chat WHERE kind = 'client' AND user_id = $1 AND blocked_at IS NULL", user_id)
        .fetch_optional(conn)
        .await?)
}

/// What handling one message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Linked {
        user_id: Uuid,
        chat_id: i64,
    },
    /// A `/start` with a code that is unknown, used or expired.
    BadCode,
    /// Anything else: answered with a short help text.
    Other,
    /// Not from a private chat: ignored.
    Ignored,
}

/// Handles one incoming message in the caller's transaction; replies go
/// through the outbox.
pub async fn handle_message(
    conn: &mut PgConnection,
    message: &IncomingMessage,
) -> Result<Handled, NotifyError> {
    if message.chat.kind != "private" {
        return Ok(Handled::Ignored);
    }
    let chat_id = message.chat.id;
    let language = match message
        .from
        .as_ref()
        .and_then(|from| from.language_code.as_deref())
    {
        Some(code) if code.starts_with("en") => Language::En,
        _ => Language::Id,
    };
    let text = message.text.as_deref().unwrap_or_default().trim();
    let mut words = text.split_whitespace();
    // `/start` may arrive as `/start@BotName` in clients that add the name.
    let is_start = words
        .next()
        .is_some_and(|command| command == "/start" || command.starts_with("/start@"));
    let Some(code) = words.next().filter(|_| is_start) else {
        let help = match language {
            Language::Id => {
                "Untuk menghubungkan akun, buka menu Telegram di area klien Juragan lalu tekan tombol hubungkan."
            }
            Language::En => {
                "To link your account, open the Telegram section of the Juragan client area and press the link button."
            }
        };
        reply(conn, chat_id, "telegram.help", help).await?;
        return Ok(Handled::Other);
    };
    let user_id = sqlx::query_scalar!(
        "UPDATE telegram_link_code SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
        hash(code)
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(user_id) = user_id else {
        let refused = match language {
            Language::Id => {
                "Kode tautan tidak dikenal atau sudah kedaluwarsa. Buat tautan baru dari area klien Juragan."
            }
            Language::En => {
                "This link code is unknown or has expired. Create a new link in the Juragan client area."
            }
        };
        reply(conn, chat_id, "telegram.bad_code", refused).await?;
        return Ok(Handled::BadCode);
    };
    let label = message
        .from
        .as_ref()
        .map(|from| {
            from.username.as_ref().map_or_else(
                || from.first_name.clone(),
                |username| format!("@{username}"),
            )
        })
        .unwrap_or_else(|| chat_id.to_string());
    let label: String = label.chars().take(100).collect();
    // A chat belongs to one account: linking it again moves it, and the
    // account's earlier chat is replaced. A staff chat stays a staff chat.
    sqlx::query!(
        "DELETE FROM telegram_chat WHERE kind = 'client' AND (user_id = $1 OR chat_id = $2)",
        user_id,
        chat_id
    )
    .execute(&mut *conn)
    .await?;
    let inserted = sqlx::query!(
        "INSERT INTO telegram_chat (chat_id, kind, label, user_id) VALUES ($1, 'client', $2, $3) ON CONFLICT (chat_id) DO NOTHING",
        chat_id,
        label,
        user_id
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        reply(
            conn,
            chat_id,
            "telegram.bad_code",
            "Chat ini dipakai sebagai chat staf. / This chat is a staff chat.",
        )
        .await?;
        return Ok(Handled::BadCode);
    }
    let name = sqlx::query_scalar!("SELECT coalesce(p.full_name, u.email) AS \"name!\" FROM app_user u LEFT JOIN user_profile p ON p.user_id = u.id WHERE u.id = $1", user_id)
        .fetch_one(&mut *conn)
        .await?;
    let message =
        render_event_in(conn, catalog::TELEGRAM_LINKED, language, &[("name", name)]).await?;
    outbox::enqueue_telegram(conn, chat_id, catalog::TELEGRAM_LINKED, &message).await?;
    Ok(Handled::Linked { user_id, chat_id })
}

async fn reply(
    conn: &mut PgConnection,
    chat_id: i64,
    event: &str,
    text: &str,
) -> Result<(), NotifyError> {
    let message = RenderedMessage {
        subject: String::new(),
        text: text.to_owned(),
        html: String::new(),
    };
    outbox::enqueue_telegram(conn, chat_id, event, &message).await?;
    Ok(())
}

/// Reads the pending updates once and handles them; returns how many.
/// `wait` is getUpdates' long-poll timeout.
pub async fn poll_once(
    pool: &PgPool,
    client: &TelegramClient,
    wait: Duration,
) -> Result<usize, PollError> {
    let offset = sqlx::query_scalar!("SELECT next_update_id FROM telegram_poll_state")
        .fetch_one(pool)
        .await?;
    let wait_secs = u32::try_from(wait.as_secs()).unwrap_or(0);
    let updates = client.get_updates(offset, wait_secs).await?;
    let count = updates.len();
    for update in updates {
        handle_update(pool, &update).await?;
    }
    sqlx::query!("UPDATE telegram_poll_state SET polled_at = now()")
        .execute(pool)
        .await?;
    Ok(count)
}

/// One update and the offset that confirms it, in one transaction.
async fn handle_update(pool: &PgPool, update: &Update) -> Result<(), PollError> {
    let mut tx = pool.begin().await?;
    if let Some(message) = &update.message {
        let handled = handle_message(&mut tx, message).await?;
        tracing::info!(
            update_id = update.update_id,
            chat_id = message.chat.id,
            ?handled,
            "Telegram update handled"
        );
    }
    sqlx::query!(
        "UPDATE telegram_poll_state SET next_update_id = greatest(next_update_id, $1::bigint + 1)",
        update.update_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Telegram(#[from] TelegramError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Polls every `interval`, with a long poll that ends before the next
/// period's poll is due.
pub fn register_jobs(registry: &mut Registry, client: Arc<TelegramClient>, interval: Duration) {
    registry.handle(POLL_JOB, move |context| {
        let wait = long_poll_wait(interval, Utc::now());
        poll_job(context, client.clone(), wait)
    });
    registry.every(POLL_JOB, POLL_JOB, interval);
}

/// How long this period's `getUpdates` may wait: until 2 s before the next
/// period starts (periods are aligned to the Unix epoch, as every periodic
/// job's), at most 20 s. A poll that started late (a busy runner, a replica
/// starting up) waits less instead of running into the next period's poll,
/// which Telegram would answer by ending this one with a 409.
fn long_poll_wait(interval: Duration, now: DateTime<Utc>) -> Duration {
    let period_ms = i64::try_from(interval.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let now_ms = now.timestamp_millis();
    let next_period_ms = (now_ms.div_euclid(period_ms) + 1).saturating_mul(period_ms);
    let left = Duration::from_millis(u64::try_from(next_period_ms - now_ms).unwrap_or(0));
    left.saturating_sub(Duration::from_secs(2))
        .min(Duration::from_secs(20))
}

async fn poll_job(
    context: JobContext,
    client: Arc<TelegramClient>,
    wait: Duration,
) -> Result<(), JobError> {
    // Never retried: a retry would run beside the next period's poll, and
    // Telegram refuses two concurrent polls. The next period tries again.
    poll_once(&context.pool, &client, wait)
        .await
        .map(|_| ())
        .map_err(|error| JobError::Permanent(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_poll_ends_two_seconds_before_the_next_period() {
        let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).expect("instant");
        let five = Duration::from_secs(5);
        // On time (the period just began): 3 s.
        assert_eq!(long_poll_wait(five, at(1_000_000)), Duration::from_secs(3));
        // Started 2.5 s late: half a second left to wait.
        assert_eq!(
            long_poll_wait(five, at(1_002_500)),
            Duration::from_millis(500)
        );
        // Later still: a short poll, not one that meets the next period's.
        assert_eq!(long_poll_wait(five, at(1_004_000)), Duration::ZERO);
        // Long intervals are capped at 20 s.
        assert_eq!(
            long_poll_wait(Duration::from_secs(60), at(1_020_000)),
            Duration::from_secs(20)
        );
    }
}
