//! What the fake records and accepts: the messages bots sent through it, and
//! the incoming messages a test makes a user send to the bot.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A message the bot sent through the fake and Telegram accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveredMessage {
    /// Per chat, counting from 1, shared with the chat's incoming messages.
    pub message_id: i64,
    pub chat_id: i64,
    pub kind: MessageKind,
    /// The `text` parameter exactly as sent (markup included).
    pub text: Option<String>,
    /// The `caption` parameter exactly as sent.
    pub caption: Option<String>,
    /// `HTML`, `MarkdownV2`, `Markdown`, or none.
    pub parse_mode: Option<String>,
    /// The photo or document, for those kinds.
    pub file: Option<SentFile>,
    pub sent_at: DateTime<Utc>,
}

impl DeliveredMessage {
    /// The text or the caption, whichever the message has.
    pub fn content(&self) -> &str {
        self.text
            .as_deref()
            .or(self.caption.as_deref())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Text,
    Photo,
    Document,
}

/// A photo or document attached to a sent message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentFile {
    pub source: FileSource,
    /// The `file_id` the fake issued (or was given).
    pub file_id: String,
    /// The URL when Telegram was asked to fetch the file.
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    /// Bytes of an upload.
    pub size: Option<usize>,
}

/// How the bot handed over a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileSource {
    /// An HTTP URL for Telegram to download (the fake does not download it).
    Url,
    /// A `multipart/form-data` upload.
    Upload,
    /// A `file_id` of a file sent before.
    FileId,
}

/// A user writing to the bot, as a test makes one do: becomes an `Update`
/// with a `message` for `getUpdates` or the webhook.
#[derive(Debug, Clone, Deserialize)]
pub struct IncomingMessage {
    /// The private chat, which is also the user's id.
    pub chat_id: i64,
    pub text: String,
    #[serde(default = "default_first_name")]
    pub first_name: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default = "default_language")]
    pub language_code: String,
}

fn default_first_name() -> String {
    "Budi".to_owned()
}

fn default_language() -> String {
    "id".to_owned()
}

impl IncomingMessage {
    /// A user sending `text` in their private chat with the bot.
    pub fn new(chat_id: i64, text: impl Into<String>) -> Self {
        IncomingMessage {
            chat_id,
            text: text.into(),
            first_name: default_first_name(),
            username: None,
            language_code: default_language(),
        }
    }

    /// `/start CODE`, what the deep link `t.me/<bot>?start=CODE` makes a
    /// user's client send.
    pub fn start(chat_id: i64, code: &str) -> Self {
        Self::new(chat_id, format!("/start {code}"))
    }
}

/// The simulated flood limit: more than `per_second` sends within one second
/// answer 429 `retry after {retry_after}`, and every send keeps being refused
/// until those seconds have passed, as Telegram blocks the whole bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub per_second: u32,
    pub retry_after: u32,
}

impl RateLimit {
    pub fn new(per_second: u32, retry_after: u32) -> Self {
        RateLimit {
            per_second,
            retry_after,
        }
    }
}

/// The webhook `setWebhook` stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub url: String,
    /// Sent back in `X-Telegram-Bot-Api-Secret-Token` with every delivery.
    pub secret_token: Option<String>,
    pub max_connections: u32,
    pub allowed_updates: Vec<String>,
    pub last_error_date: Option<i64>,
    pub last_error_message: Option<String>,
}
