//! Orders: `crate::checkout` creates the order and its invoice in one
//! transaction; every move of its status goes through the state machine in
//! `domain::order_status` and is recorded with its time and cause
//! ([`status`]); unpaid orders are cancelled after the shop's timeout and
//! give back their stock and promo use ([`cancel`]); a paid order is handed
//! to delivery through a job ([`delivery`]), whose handlers live in the
//! `provisioning` crate.

pub mod cancel;
pub mod delivery;
pub mod query;
pub mod status;

pub use query::{Order, OrderEvent};
