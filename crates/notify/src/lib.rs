//! Notifications: Telegram and email delivery through a durable outbox,
//! message templates per event and language, broadcasts and owner alerts.
//! Every other capability sends its messages through this crate.
//!
//! Only the crate boundary exists so far; features arrive with their issues.
