//! Invoices: a gapless number per year ([`number`]), line items, discount
//! and PPN computed once on the discounted total (the rounding rule is in
//! `domain::tax`), a due date and a status that only moves forward
//! (unpaid → paid → refunded, or unpaid → cancelled). Issued and read in
//! [`store`]; printed as HTML and PDF by [`document`]; what an invoice's
//! issue, payment or failure tells the client and staff in [`messages`].

pub mod document;
pub mod messages;
pub mod number;
pub mod printable;
pub mod store;

pub use store::{BuyerSnapshot, Invoice, InvoiceLine, InvoiceStatus, InvoiceSummary};
