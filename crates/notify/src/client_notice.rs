//! A client hears about what concerns them on every channel they have: by
//! email, and on Telegram once linked (and not blocked).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::template::RenderedMessage;
use crate::{NotifyError, outbox, telegram_link};

/// Queues `message` to an active client's email and linked Telegram chat;
/// returns how many messages were queued.
pub async fn notify_client(
    conn: &mut PgConnection,
    user_id: Uuid,
    event: &str,
    message: &RenderedMessage,
) -> Result<usize, NotifyError> {
    let email = sqlx::query_scalar!(
        "SELECT email FROM app_user WHERE id = $1 AND status = 'active'",
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(email) = email.and_then(|email| domain::Email::parse(&email).ok()) else {
        return Ok(0);
    };
    outbox::enqueue_email(conn, &email, event, message).await?;
    let mut queued = 1;
    if let Some(chat) = telegram_link::chat_of(conn, user_id).await? {
        outbox::enqueue_telegram(conn, chat, event, message).await?;
        queued += 1;
    }
    Ok(queued)
}
