//! Billing: what the shop sells and for how much (`catalog`), the
//! storefront's words and pictures beside it (`content`), whether a domain
//! name is still free (`domain_check`), promo codes, orders, invoices, the
//! wallet and its ledger, payment gateways, the services orders become and
//! their billing lifecycle (`lifecycle`: renewals, reminders, suspension,
//! termination, cancellation). Owns every table about what is sold and what
//! was paid.

pub mod catalog;
pub mod checkout;
pub mod content;
pub mod domain_check;
mod error;
pub mod invoice;
pub mod jobs_registry;
mod lang;
pub mod lifecycle;
pub mod order;
pub mod payment;
pub mod promo;
pub mod service;
pub mod settings;
pub mod wallet;

pub use error::{BillingError, Refusal};
pub use lang::Lang;
