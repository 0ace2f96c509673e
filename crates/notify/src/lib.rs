//! Notifications: Telegram and email delivery through a durable outbox,
//! message templates per event and language, broadcasts and owner alerts.
//! Every other capability sends its messages through this crate.
//!
//! So far: the SMTP mailer that sends transactional email (HTML + text).

pub mod email;

pub use email::{Mailer, NotifyError, OutgoingEmail};
