//! The Bot API values the client sends and gets back.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// How Telegram reads the text: `parse_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseMode {
    Html,
    MarkdownV2,
    /// Legacy Markdown, kept by Telegram for old bots.
    Markdown,
}

impl ParseMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ParseMode::Html => "HTML",
            ParseMode::MarkdownV2 => "MarkdownV2",
            ParseMode::Markdown => "Markdown",
        }
    }
}

/// A photo or document to send.
#[derive(Clone, PartialEq, Eq)]
pub enum InputFile {
    /// An HTTP(S) URL Telegram downloads itself.
    Url(String),
    /// The `file_id` of a file Telegram already has.
    FileId(String),
    /// Bytes uploaded with the request (`multipart/form-data`).
    Bytes { name: String, bytes: Vec<u8> },
}

/// What `sendPhoto` takes.
pub type PhotoSource = InputFile;
/// What `sendDocument` takes.
pub type DocumentSource = InputFile;

impl std::fmt::Debug for InputFile {
    /// Sizes, not bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputFile::Url(url) => f.debug_tuple("Url").field(url).finish(),
            InputFile::FileId(id) => f.debug_tuple("FileId").field(id).finish(),
            InputFile::Bytes { name, bytes } => f
                .debug_struct("Bytes")
                .field("name", name)
                .field("len", &bytes.len())
                .finish(),
        }
    }
}

/// A message Telegram accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// Unique within the chat; what edits and replies refer to.
    pub message_id: i64,
    pub chat_id: i64,
    pub date: DateTime<Utc>,
    /// The text as users see it (markup removed).
    pub text: Option<String>,
    pub caption: Option<String>,
    /// The `file_id` of the photo's largest size or of the document, to send
    /// the same file again without uploading it.
    pub file_id: Option<String>,
}

/// The bot itself, from `getMe`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BotUser {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    pub username: Option<String>,
    /// The user's interface language (IETF tag), when Telegram shares it.
    pub language_code: Option<String>,
}

/// The wire form of a Bot API `Message`, as much as the client reads.
#[derive(Debug, Deserialize)]
pub(crate) struct WireMessage {
    message_id: i64,
    date: i64,
    chat: WireChat,
    text: Option<String>,
    caption: Option<String>,
    #[serde(default)]
    photo: Vec<WireFile>,
    document: Option<WireFile>,
}

#[derive(Debug, Deserialize)]
struct WireChat {
    id: i64,
}

#[derive(Debug, Deserialize)]
struct WireFile {
    file_id: String,
}

impl From<WireMessage> for SentMessage {
    fn from(message: WireMessage) -> Self {
        let file_id = message
            .document
            .map(|document| document.file_id)
            .or_else(|| message.photo.into_iter().last().map(|photo| photo.file_id));
        SentMessage {
            message_id: message.message_id,
            chat_id: message.chat.id,
            date: DateTime::from_timestamp(message.date, 0).unwrap_or_default(),
            text: message.text,
            caption: message.caption,
            file_id,
        }
    }
}

/// An incoming update from `getUpdates`. Only messages are asked for; any
/// other kind arrives with `message: None` and is just confirmed.
#[derive(Debug, Clone, Deserialize)]
pub struct Update {
    pub update_id: i64,
    pub message: Option<IncomingMessage>,
}

/// A message a user wrote to the bot.
#[derive(Debug, Clone, Deserialize)]
pub struct IncomingMessage {
    pub message_id: i64,
    pub chat: IncomingChat,
    pub from: Option<TelegramUser>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IncomingChat {
    pub id: i64,
    /// `private`, `group`, `supergroup` or `channel`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TelegramUser {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    /// The user's interface language (IETF tag), when Telegram shares it.
    pub language_code: Option<String>,
}
