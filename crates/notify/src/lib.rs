//! Notifications: Telegram and email delivery through a durable outbox,
//! message templates per event and language, broadcasts and owner alerts.
//! Every other capability sends its messages through this crate.
//!
//! So far: the SMTP mailer, message templates with versions, and the outbox.

pub mod email;
pub mod outbox;
pub mod template;

pub use email::{Mailer, NotifyError, OutgoingEmail};
