//! One delivery path: the outbox and broadcasts both hand a message to a
//! [`Sender`] of its channel and act on the same [`SendFailure`]s, so a
//! Telegram answer (403 blocked, 429 flood limit, 5xx) means the same thing
//! whichever of them sent it. The Telegram sender owns what follows from an
//! answer beyond the one message: it skips and marks chats that blocked the
//! bot and pauses every replica on a flood limit.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use domain::Email;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::email::{Mailer, OutgoingEmail};
use crate::telegram::{InputFile, TelegramClient, TelegramError};
use crate::template::text_to_html;
use crate::throttle::SendThrottle;

/// How a message reaches its recipient; the `channel` column of the outbox
/// and of broadcasts (checked text in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Channel {
    Email,
    Telegram,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Telegram];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Telegram => "telegram",
        }
    }
}

/// What is sent: the email subject (Telegram shows it only if the caller
/// put it into the body), the plain-text body and an optional photo.
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub subject: String,
    pub body: String,
    /// An https image: a photo with the body as caption (Telegram), or
    /// shown above the text (email).
    pub photo_url: Option<String>,
}

/// What went wrong sending to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The recipient refuses our messages (Telegram 403): never retried.
    Blocked(String),
    /// The service asks us to wait exactly this long, then retry.
    RetryAfter(Duration),
    /// Worth another try (network, 5xx, the channel not configured yet).
    Transient(String),
    /// Will never work for this recipient.
    Permanent(String),
}

/// The one mapping of a Telegram answer to a delivery outcome.
impl From<TelegramError> for SendFailure {
    fn from(error: TelegramError) -> Self {
        match error {
            TelegramError::Blocked(reason) => SendFailure::Blocked(reason),
            TelegramError::RetryAfter(delay) => SendFailure::RetryAfter(delay),
            error if error.is_retryable() => SendFailure::Transient(error.to_string()),
            error => SendFailure::Permanent(error.to_string()),
        }
    }
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendFailure>> + Send + 'a>>;

/// Delivers one message to one recipient of a channel.
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, recipient: &'a str, message: &'a Message) -> SendFuture<'a>;
}

/// Email through the SMTP mailer.
pub struct EmailSender(pub Mailer);

impl Sender for EmailSender {
    fn send<'a>(&'a self, recipient: &'a str, message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            let to = Email::parse(recipient)
                .map_err(|error| SendFailure::Permanent(error.to_string()))?;
            let mut html = text_to_html(&message.body);
            if let Some(photo) = &message.photo_url {
                let photo = photo.replace('"', "%22");
                html =
                    format!("<p><img src=\"{photo}\" alt=\"\" style=\"max-width:100%\"></p>{html}");
            }
            let email = OutgoingEmail {
                to,
                subject: message.subject.clone(),
                text: message.body.clone(),
                html,
            };
            self.0
                .send(&email)
                .await
                .map_err(|error| SendFailure::Transient(error.to_string()))
        })
    }
}

/// The bot client and the send throttle shared by every replica.
#[derive(Clone)]
pub struct TelegramDelivery {
    pub client: Arc<TelegramClient>,
    pub throttle: Arc<SendThrottle>,
}

/// Telegram: a photo with the text as its caption, or the text (split into
/// parts when longer than one message), each send waiting for its slot in
/// the bot's shared send rate.
pub struct TelegramSender {
    delivery: TelegramDelivery,
    pool: PgPool,
}

impl TelegramSender {
    pub fn new(delivery: TelegramDelivery, pool: PgPool) -> Self {
        TelegramSender { delivery, pool }
    }

    async fn send_to_chat(&self, chat_id: i64, message: &Message) -> Result<(), SendFailure> {
        if is_blocked(&self.pool, chat_id)
            .await
            .map_err(|error| SendFailure::Transient(error.to_string()))?
        {
            return Err(SendFailure::Blocked(
                "the chat blocked the bot earlier".to_owned(),
            ));
        }
        let TelegramDelivery { client, throttle } = &self.delivery;
        throttle
            .acquire(chat_id)
            .await
            .map_err(|error| SendFailure::Transient(error.to_string()))?;
        let sent = match &message.photo_url {
            Some(url) => client
                .send_photo(
                    chat_id,
                    InputFile::Url(url.clone()),
                    Some(&message.body),
                    None,
                )
                .await
                .map(|_| ()),
            None => client
                .send_text(chat_id, &message.body, None)
                .await
                .map(|_| ()),
        };
        match sent.map_err(SendFailure::from) {
            Err(SendFailure::Blocked(reason)) => {
                // Remembered beyond this message: the outbox and later
                // broadcasts skip the chat until it is configured again.
                if let Err(error) = mark_blocked(&self.pool, chat_id).await {
                    tracing::warn!(%error, chat_id, "could not mark the chat blocked");
                }
                Err(SendFailure::Blocked(reason))
            }
            Err(SendFailure::RetryAfter(delay)) => {
                // Telegram limits the whole bot: every replica waits it out.
                if let Err(error) = throttle.pause_all(delay).await {
                    tracing::warn!(%error, "could not pause the shared Telegram throttle");
                }
                Err(SendFailure::RetryAfter(delay))
            }
            other => other,
        }
    }
}

impl Sender for TelegramSender {
    fn send<'a>(&'a self, recipient: &'a str, message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            let chat_id: i64 = recipient.parse().map_err(|_| {
                SendFailure::Permanent(format!("`{recipient}` is not a Telegram chat id"))
            })?;
            self.send_to_chat(chat_id, message).await
        })
    }
}

/// The senders of each channel this process can deliver to. Telegram is
/// optional: without a bot token its messages wait (and retry) until one is
/// configured.
#[derive(Clone, Default)]
pub struct Senders {
    pub email: Option<Arc<dyn Sender>>,
    pub telegram: Option<Arc<dyn Sender>>,
}

impl Senders {
    /// The production senders: SMTP, and Telegram when a bot is configured.
    pub fn new(mailer: Mailer, telegram: Option<TelegramDelivery>, pool: &PgPool) -> Self {
        Senders {
            email: Some(Arc::new(EmailSender(mailer))),
            telegram: telegram.map(|delivery| {
                Arc::new(TelegramSender::new(delivery, pool.clone())) as Arc<dyn Sender>
            }),
        }
    }

    pub fn for_channel(&self, channel: Channel) -> Option<&Arc<dyn Sender>> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Telegram => self.telegram.as_ref(),
        }
    }
}

/// Whether the chat blocked the bot (a `telegram_chat` row marked blocked).
async fn is_blocked(pool: &PgPool, chat_id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT blocked_at IS NOT NULL AS \"blocked!\" FROM telegram_chat WHERE chat_id = $1",
        chat_id
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or(false))
}

async fn mark_blocked(pool: &PgPool, chat_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE telegram_chat SET blocked_at = now() WHERE chat_id = $1 AND blocked_at IS NULL",
        chat_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_answers_map_to_one_outcome_each() {
        assert_eq!(
            SendFailure::from(TelegramError::Blocked("Forbidden".into())),
            SendFailure::Blocked("Forbidden".into())
        );
        assert_eq!(
            SendFailure::from(TelegramError::RetryAfter(Duration::from_secs(3))),
            SendFailure::RetryAfter(Duration::from_secs(3))
        );
        assert!(matches!(
            SendFailure::from(TelegramError::Transient("502".into())),
            SendFailure::Transient(_)
        ));
        assert!(matches!(
            SendFailure::from(TelegramError::BadRequest("chat not found".into())),
            SendFailure::Permanent(_)
        ));
    }
}
