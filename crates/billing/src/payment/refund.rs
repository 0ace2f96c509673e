//! Refunds are credit notes against a paid invoice — never edits of it: to
//! the client's wallet, or recorded as paid out by finance (a bank transfer
//! made outside the shop). The invoice becomes `refunded` once all that was
//! paid is refunded; an order that will not be delivered is cancelled.

use chrono::{DateTime, Utc};
use domain::{Money, OrderStatus, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::order::status;
use crate::wallet::ledger::{self, Account, Movement, Transfer};
use crate::{BillingError, Refusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundDestination {
    Wallet,
    PaidOut,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RefundInput {
    /// In minor units of the invoice's currency; at most what is paid and not yet refunded.
    pub amount_minor: i64,
    pub destination: RefundDestination,
    /// 1 to 500 characters.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CreditNote {
    pub id: i64,
    pub invoice_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub destination: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

pub async fn refund(
    conn: &mut PgConnection,
    invoice_id: i64,
    input: &RefundInput,
    actor: Uuid,
) -> Result<CreditNote, BillingError> {
    let reason = input.reason.trim();
    let mut errors = ValidationErrors::new();
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.add("reason", "length", "1 to 500 characters");
    }
    if input.amount_minor <= 0 {
        errors.add("amount_minor", "out_of_range", "more than zero");
    }
    errors.into_result()?;
    let invoice = sqlx::query!(
        "SELECT user_id, order_id, purpose, currency, amount_paid_minor, status,
                COALESCE((SELECT sum(amount_minor) FROM credit_note WHERE invoice_id = $1), 0)::BIGINT AS refunded
           FROM invoice WHERE id = $1 FOR UPDATE",
        invoice_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such invoice"))?;
    // A top-up's money is in the wallet already: nothing to give back here.
    if invoice.status != "paid" || invoice.purpose != "order" {
        return Err(Refusal::InvoiceNotPayable.into());
    }
    let refundable = invoice.amount_paid_minor - invoice.refunded.unwrap_or(0);
    if input.amount_minor > refundable {
        return Err(Refusal::RefundTooLarge.into());
    }
    let currency = invoice.currency.parse()?;
    let (to, movement) = match input.destination {
        RefundDestination::Wallet => (Account::Wallet(invoice.user_id), Movement::RefundToWallet),
        RefundDestination::PaidOut => (Account::Payout, Movement::RefundPaidOut),
    };
    let transaction = ledger::transfer(
        conn,
        &Transfer {
            movement,
            from: Account::Revenue,
            to,
            amount: Money::new(input.amount_minor, currency),
            invoice_id: Some(invoice_id),
            payment_id: None,
            memo: reason,
            actor: Some(actor),
        },
    )
    .await?;
    let note = sqlx::query_as!(
        CreditNote,
        "INSERT INTO credit_note (invoice_id, amount_minor, currency, destination, reason, transaction_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, invoice_id, amount_minor, currency, destination, reason, created_at",
        invoice_id,
        input.amount_minor,
        invoice.currency,
        match input.destination {
            RefundDestination::Wallet => "wallet",
            RefundDestination::PaidOut => "paid_out",
        },
        reason,
        transaction,
        actor
    )
    .fetch_one(&mut *conn)
    .await?;
    if input.amount_minor == refundable {
        sqlx::query!(
            "UPDATE invoice SET status = 'refunded' WHERE id = $1",
            invoice_id
        )
        .execute(&mut *conn)
        .await?;
        if let Some(order_id) = invoice.order_id {
            let current = status::lock(conn, order_id).await?;
            if current.can_become(OrderStatus::Cancelled) {
                status::transition(
                    conn,
                    order_id,
                    OrderStatus::Cancelled,
                    "refunded",
                    Some(actor),
                )
                .await?;
            }
        }
    }
    Ok(note)
}

pub async fn credit_notes(
    conn: &mut PgConnection,
    invoice_id: i64,
) -> Result<Vec<CreditNote>, BillingError> {
    Ok(sqlx::query_as!(
        CreditNote,
        "SELECT id, invoice_id, amount_minor, currency, destination, reason, created_at
           FROM credit_note WHERE invoice_id = $1 ORDER BY id",
        invoice_id
    )
    .fetch_all(conn)
    .await?)
}
