//! Billing: catalog pricing, promo codes, orders, invoices, the wallet and its
//! double-entry ledger, payment gateways (Midtrans, Xendit, Pakasir, manual
//! transfer) and the billing lifecycle (renewal invoices, suspension,
//! termination). Owns every table about what was sold and what was paid.
//!
//! Only the crate boundary exists so far; features arrive with their issues.

pub mod domain_check;
