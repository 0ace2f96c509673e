//! An invoice as the printable document shows it: the stored invoice, the
//! seller from the billing settings, and the payments applied to it.

use domain::{Money, ShopCalendar};
use sqlx::PgConnection;

use super::document::{DocumentLine, DocumentPayment, DocumentStatus, InvoiceDocument, Party};
use super::store::{self, InvoiceStatus};
use crate::{BillingError, settings};

pub async fn document(
    conn: &mut PgConnection,
    invoice_id: i64,
    calendar: &ShopCalendar,
) -> Result<InvoiceDocument, BillingError> {
    let invoice = store::find(conn, invoice_id).await?;
    let seller = settings::load(conn).await?;
    let payments = sqlx::query!(
        "SELECT received_at, method, gateway_transaction_id, amount_minor FROM payment
          WHERE invoice_id = $1 AND outcome IN ('applied', 'partial') ORDER BY id",
        invoice_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let currency = invoice.currency;
    let money = |minor: i64| Money::new(minor, currency);
    let time_zone = calendar
        .zone_name()
        .parse::<chrono_tz::Tz>()
        .map_err(|e| BillingError::Corrupt(e.to_string()))?;
    let mut buyer_lines = invoice.buyer.address.clone();
    buyer_lines.push(invoice.buyer.email.clone());
    buyer_lines.extend(invoice.buyer.phone.clone());
    Ok(InvoiceDocument {
        number: invoice.number.clone(),
        status: match invoice.status {
            InvoiceStatus::Unpaid => DocumentStatus::Unpaid,
            InvoiceStatus::Paid => DocumentStatus::Paid,
            InvoiceStatus::Cancelled => DocumentStatus::Cancelled,
            InvoiceStatus::Refunded => DocumentStatus::Refunded,
        },
        issued_at: invoice.issued_at,
        due_at: invoice.due_at,
        paid_at: invoice.paid_at,
        time_zone,
        seller: Party {
            name: seller.seller_name,
            lines: seller
                .seller_address
                .lines()
                .map(str::to_owned)
                .filter(|line| !line.trim().is_empty())
                .collect(),
            tax_id: seller.seller_tax_id,
        },
        buyer: Party {
            name: invoice.buyer.name.clone(),
            lines: buyer_lines,
            tax_id: None,
        },
        lines: invoice
            .lines
            .iter()
            .map(|line| DocumentLine {
                description: line.description.clone(),
                quantity: line.quantity.max(1) as u32,
                unit: money(line.unit_minor),
                amount: money(line.amount_minor),
            })
            .collect(),
        subtotal: money(invoice.subtotal_minor),
        discount: money(invoice.discount_minor),
        tax: money(invoice.tax_minor),
        tax_rate_bp: invoice.tax_rate_bp.max(0) as u32,
        prices_include_tax: invoice.prices_include_tax,
        total: money(invoice.total_minor),
        amount_paid: money(invoice.amount_paid_minor.min(invoice.total_minor)),
        balance_due: invoice.balance_due(),
        payments: payments
            .into_iter()
            .map(|payment| DocumentPayment {
                at: payment.received_at,
                method: payment.method,
                reference: payment.gateway_transaction_id,
                amount: money(payment.amount_minor),
            })
            .collect(),
        notes: None,
    })
}
