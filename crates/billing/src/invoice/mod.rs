//! Invoices: a gapless number per year ([`number`]), line items, discount
//! and PPN computed once on the discounted total (the rounding rule is in
//! `domain::tax`), a due date and a status that only moves forward
//! (unpaid → paid → refunded, or unpaid → cancelled). Issued and read in
//! [`store`]; printed as HTML and PDF by [`document`].

pub mod document;
pub mod number;
pub mod printable;
pub mod store;

pub use store::{BuyerSnapshot, Invoice, InvoiceLine, InvoiceStatus, InvoiceSummary};
