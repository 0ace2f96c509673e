//! Telegram delivery through the Bot API: the HTTP client for `sendMessage`,
//! `sendPhoto`, `sendDocument`, `getMe` and `getUpdates`, long texts split into messages
//! Telegram accepts with a plain-text fallback for markup it refuses, the
//! error sorting that tells a sender to wait (429), retry (5xx, timeouts) or
//! give up on a chat (403), and the retry policy built on it. The send rate
//! that keeps every replica under Telegram's limits is [`crate::throttle`].

mod client;
mod error;
mod retry;
mod split;
mod types;

pub use client::{TELEGRAM_API_URL, TelegramClient};
pub use error::TelegramError;
pub use retry::{RetryDecision, RetryPolicy};
pub use split::{MAX_MESSAGE_LEN, split_text, strip_html};
pub use types::{
    BotUser, DocumentSource, IncomingChat, IncomingMessage, InputFile, ParseMode, PhotoSource,
    SentMessage, TelegramUser, Update,
};
