//! Billing: what the shop sells and for how much (`catalog`), and — as their
//! issues land — promo codes, orders, invoices, the wallet and its ledger,
//! payment gateways and the billing lifecycle. Owns every table about what
//! is sold and what was paid.

pub mod catalog;
