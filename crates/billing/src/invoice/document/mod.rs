//! The printable invoice: an [`InvoiceDocument`] — everything a customer
//! sees on an invoice, already computed and formatted-ready — rendered as a
//! standalone HTML page ([`render_html`]) or an A4 PDF ([`render_pdf`]), in
//! Indonesian or English. Pure rendering: no database, no clock, no files;
//! the same document always gives the same bytes.

mod helvetica;
mod html;
mod labels;
mod pdf;

use chrono::{DateTime, Utc};
use domain::money::{Currency, Money};

pub use html::render_html;
pub use pdf::render_pdf;

/// Where an invoice stands, as printed on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentStatus {
    Unpaid,
    Paid,
    Cancelled,
    Refunded,
}

/// The seller or the buyer as printed in the invoice's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    /// Address lines, email, phone: printed one under another, in order.
    pub lines: Vec<String>,
    /// NPWP, printed when the party has one.
    pub tax_id: Option<String>,
}

/// One row of the invoice's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    pub description: String,
    pub quantity: u32,
    pub unit: Money,
    pub amount: Money,
}

/// A payment received against the invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPayment {
    pub at: DateTime<Utc>,
    /// How it was paid, as the customer knows it: "Transfer BCA", "QRIS".
    pub method: String,
    /// The gateway's or bank's reference.
    pub reference: String,
    pub amount: Money,
}

/// An invoice as printed. Every amount is given, not computed here: the
/// document shows what billing decided, so a rounding rule lives in one
/// place only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// "INV-2026-000123".
    pub number: String,
    pub status: DocumentStatus,
    pub issued_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The shop's zone: every date is printed as the shop's calendar shows it.
    pub time_zone: chrono_tz::Tz,
    pub seller: Party,
    pub buyer: Party,
    pub lines: Vec<DocumentLine>,
    pub subtotal: Money,
    /// Zero or more; printed as a deduction.
    pub discount: Money,
    pub tax: Money,
    /// Basis points: 1100 is the 11% PPN.
    pub tax_rate_bp: u32,
    /// Whether the line prices already contain the tax (the tax row then
    /// says "termasuk"/"included" and is not added to the total).
    pub prices_include_tax: bool,
    pub total: Money,
    pub amount_paid: Money,
    pub balance_due: Money,
    pub payments: Vec<DocumentPayment>,
    pub notes: Option<String>,
}

/// Why an invoice was not rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// A legal document mixing currencies would print sums that do not add
    /// up; that is a bug in whoever built the document, not something to
    /// show a customer.
    #[error("{field} is in {found} but the invoice total is in {expected}")]
    MixedCurrencies {
        field: String,
        expected: Currency,
        found: Currency,
    },
    /// The discount is printed with a minus sign; a negative one would print
    /// as a surcharge labelled "discount".
    #[error("the discount must not be negative, got {0}")]
    NegativeDiscount(Money),
}

impl InvoiceDocument {
    /// Whether the document can be printed as it is: every amount in the
    /// total's currency and the discount not negative. [`render_pdf`] checks
    /// this; callers of [`render_html`] (which cannot fail) may check first.
    pub fn check(&self) -> Result<(), DocumentError> {
        let expected = self.total.currency();
        let same_currency = |field: &dyn Fn() -> String, amount: Money| {
            if amount.currency() == expected {
                Ok(())
            } else {
                Err(DocumentError::MixedCurrencies {
                    field: field(),
                    expected,
                    found: amount.currency(),
                })
            }
        };
        for (name, amount) in [
            ("subtotal", self.subtotal),
            ("discount", self.discount),
            ("tax", self.tax),
            ("amount paid", self.amount_paid),
            ("balance due", self.balance_due),
        ] {
            same_currency(&|| name.to_owned(), amount)?;
        }
        for (index, line) in self.lines.iter().enumerate() {
            let row = index + 1;
            same_currency(&|| format!("line {row} unit price"), line.unit)?;
            same_currency(&|| format!("line {row} amount"), line.amount)?;
        }
        for (index, payment) in self.payments.iter().enumerate() {
            let row = index + 1;
            same_currency(&|| format!("payment {row}"), payment.amount)?;
        }
        if self.discount.minor() < 0 {
            return Err(DocumentError::NegativeDiscount(self.discount));
        }
        Ok(())
    }
}

/// One row under the table: label and amount, the total and the balance in
/// bold, the total under a rule. Both renderers print the same rows in the
/// same order.
struct SummaryRow {
    label: String,
    amount: String,
    strong: bool,
    rule_above: bool,
}

fn summary_rows(doc: &InvoiceDocument, labels: &labels::Labels) -> Vec<SummaryRow> {
    let row = |label: &str, amount: Money, strong: bool| SummaryRow {
        label: label.to_owned(),
        amount: amount.to_string(),
        strong,
        rule_above: false,
    };
    let mut rows = vec![row(labels.subtotal, doc.subtotal, false)];
    if doc.discount.minor() != 0 {
        let deduction = Money::new(
            doc.discount.minor().saturating_neg(),
            doc.discount.currency(),
        );
        rows.push(row(labels.discount, deduction, false));
    }
    if doc.tax_rate_bp != 0 || doc.tax.minor() != 0 {
        rows.push(SummaryRow {
            label: labels.tax(doc.tax_rate_bp, doc.prices_include_tax),
            amount: doc.tax.to_string(),
            strong: false,
            rule_above: false,
        });
    }
    rows.push(SummaryRow {
        rule_above: true,
        ..row(labels.total, doc.total, true)
    });
    rows.push(row(labels.amount_paid, doc.amount_paid, false));
    rows.push(row(labels.balance_due, doc.balance_due, true));
    rows
}

/// The header's label/value pairs beside the title.
fn meta_rows(doc: &InvoiceDocument, labels: &labels::Labels) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        (labels.number, doc.number.clone()),
        (labels.issued, labels.date(doc.issued_at, doc.time_zone)),
        (labels.due, labels.date(doc.due_at, doc.time_zone)),
        (labels.status, labels.status_name(doc.status).to_owned()),
    ];
    if let Some(paid_at) = doc.paid_at {
        rows.push((labels.paid_on, labels.date_time(paid_at, doc.time_zone)));
    }
    rows
}

/// A party's printed lines under its name: the given lines, then the NPWP.
fn party_lines(party: &Party, labels: &labels::Labels) -> Vec<String> {
    let mut lines = party.lines.clone();
    if let Some(tax_id) = party.tax_id.as_deref().filter(|id| !id.trim().is_empty()) {
        lines.push(format!("{}: {tax_id}", labels.tax_id));
    }
    lines
}

/// Notes worth a section: absent and blank notes print nothing.
fn notes(doc: &InvoiceDocument) -> Option<&str> {
    doc.notes
        .as_deref()
        .filter(|notes| !notes.trim().is_empty())
}
