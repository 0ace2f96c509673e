//! The Telegram chats the shop sends to. Staff chats (owner, admins,
//! sellers) are configured by the owner; a chat that blocked the bot is
//! marked and skipped until it is configured again.

use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use crate::NotifyError;
use crate::outbox;
use crate::template::RenderedMessage;

/// The longest chat label (characters); the OpenAPI schema shows it.
pub const LABEL_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffChat {
    pub chat_id: i64,
    pub label: String,
    /// Owner alerts (errors, important changes) go to this chat.
    pub receives_alerts: bool,
    /// Set when the chat blocked the bot; nothing is sent to it then.
    pub blocked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewStaffChat {
    /// The numeric chat id (a user or a group, negative for groups).
    pub chat_id: i64,
    /// e.g. "Owner", "Admin group".
    pub label: String,
    /// Send owner alerts (errors, important changes) to this chat.
    #[serde(default)]
    pub receives_alerts: bool,
}

pub async fn list_staff(pool: &PgPool) -> Result<Vec<StaffChat>, NotifyError> {
    Ok(sqlx::query_as!(
        StaffChat,
        "SELECT chat_id, label, receives_alerts, blocked_at, created_at FROM telegram_chat WHERE kind = 'staff' ORDER BY created_at"
    )
    .fetch_all(pool)
    .await?)
}

/// Adds (or relabels and unblocks) a staff chat.
pub async fn upsert_staff(
    conn: &mut PgConnection,
    input: &NewStaffChat,
) -> Result<StaffChat, NotifyError> {
    let label = input.label.trim();
    if label.is_empty() || label.chars().count() > LABEL_MAX_CHARS {
        return Err(ValidationErrors::single(
            "label",
            "invalid_length",
            format!("a label of 1 to {LABEL_MAX_CHARS} characters"),
        )
        .into());
    }
    if input.chat_id == 0 {
        return Err(ValidationErrors::single(
            "chat_id",
            "invalid",
            "a Telegram chat id is a non-zero number",
        )
        .into());
    }
    let chat = sqlx::query_as!(
        StaffChat,
        r#"INSERT INTO telegram_chat (chat_id, kind, label, receives_alerts) VALUES ($1, 'staff', $2, $3)
           ON CONFLICT (chat_id) DO UPDATE
           SET label = EXCLUDED.label, kind = 'staff', user_id = NULL, receives_alerts = EXCLUDED.receives_alerts, blocked_at = NULL
           RETURNING chat_id, label, receives_alerts, blocked_at, created_at"#,
        input.chat_id,
        label,
        input.receives_alerts
    )
    .fetch_one(conn)
    .await?;
    Ok(chat)
}

pub async fn remove_staff(conn: &mut PgConnection, chat_id: i64) -> Result<bool, NotifyError> {
    let result = sqlx::query!(
        "DELETE FROM telegram_chat WHERE chat_id = $1 AND kind = 'staff'",
        chat_id
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Queues `message` to every staff chat that has not blocked the bot.
/// Returns how many were queued.
pub async fn notify_staff(
    conn: &mut PgConnection,
    event: &str,
    message: &RenderedMessage,
) -> Result<usize, NotifyError> {
    let chats = sqlx::query_scalar!(
        "SELECT chat_id FROM telegram_chat WHERE kind = 'staff' AND blocked_at IS NULL"
    )
    .fetch_all(&mut *conn)
    .await?;
    for chat in &chats {
        outbox::enqueue_telegram(conn, *chat, event, message).await?;
    }
    Ok(chats.len())
}

/// Queues a test message to a staff chat; `None` if it is not one.
pub async fn send_test_message(
    conn: &mut PgConnection,
    chat_id: i64,
) -> Result<Option<outbox::OutboxMessage>, NotifyError> {
    let known = sqlx::query_scalar!(
        "SELECT chat_id FROM telegram_chat WHERE chat_id = $1 AND kind = 'staff'",
        chat_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if known.is_none() {
        return Ok(None);
    }
    let message = RenderedMessage {
        subject: "Juragan".to_owned(),
        text: "Pesan uji: notifikasi staf Juragan sampai di chat ini. / Test message: Juragan staff notifications reach this chat.".to_owned(),
        html: String::new(),
    };
    let id = outbox::enqueue_telegram(conn, chat_id, "staff_chat.test", &message).await?;
    outbox::find(conn, id).await
}
