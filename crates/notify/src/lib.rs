//! Notifications: Telegram and email delivery through a durable outbox,
//! message templates per event and language, broadcasts and owner alerts.
//! Every other capability sends its messages through this crate.

pub mod alert;
pub mod broadcast;
pub mod client_notice;
pub mod delivery;
pub mod email;
pub mod outbox;
pub mod telegram;
pub mod telegram_chat;
pub mod telegram_link;
pub mod template;
pub mod throttle;

pub use email::{Mailer, NotifyError, OutgoingEmail};
