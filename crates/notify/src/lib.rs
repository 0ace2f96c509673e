//! Notifications: Telegram and email delivery through a durable outbox,
//! message templates per event and language, broadcasts and owner alerts.
//! Every other capability sends its messages through this crate.
//!
//! So far: the SMTP mailer, message templates with versions, the email
//! outbox, and broadcasts (email; Telegram arrives with its client).

pub mod broadcast;
pub mod email;
pub mod telegram;
pub mod throttle;
pub mod outbox;
pub mod template;

pub use email::{Mailer, NotifyError, OutgoingEmail};
