//! What finance reads: money received, and the payments that need a look.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::BillingError;

/// Money received for an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReceivedPayment {
    pub id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub buyer_name: String,
    /// `midtrans`, `xendit`, `pakasir`, `manual` or `wallet`.
    pub method: String,
    pub gateway_transaction_id: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `applied`, `partial`, `to_wallet` or `held`.
    pub outcome: String,
    pub payment_method_detail: Option<String>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub invoice_id: Option<i64>,
    pub method: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
    pub limit: i64,
}

pub async fn payments(
    conn: &mut PgConnection,
    filter: &PaymentFilter,
) -> Result<Vec<ReceivedPayment>, BillingError> {
    Ok(sqlx::query_as!(
        ReceivedPayment,
        r#"SELECT p.id, p.invoice_id, i.number AS invoice_number, i.buyer ->> 'name' AS "buyer_name!",
                  p.method, p.gateway_transaction_id, p.amount_minor, p.currency, p.outcome,
                  p.payment_method_detail, p.received_at
             FROM payment p JOIN invoice i ON i.id = p.invoice_id
            WHERE ($1::BIGINT IS NULL OR p.invoice_id = $1) AND ($2::TEXT IS NULL OR p.method = $2)
              AND ($3::TIMESTAMPTZ IS NULL OR p.received_at >= $3) AND ($4::TIMESTAMPTZ IS NULL OR p.received_at < $4)
            ORDER BY p.id DESC LIMIT $5"#,
        filter.invoice_id,
        filter.method,
        filter.from,
        filter.before,
        filter.limit
    )
    .fetch_all(conn)
    .await?)
}

/// A payment that did not match its invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentFlag {
    pub id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub payment_id: Option<i64>,
    /// `partial_payment`, `overpayment`, `currency_mismatch`, `late_payment`,
    /// `duplicate_payment` or `gateway_reversal`.
    pub kind: String,
    pub detail: String,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub async fn flags(
    conn: &mut PgConnection,
    open_only: bool,
) -> Result<Vec<PaymentFlag>, BillingError> {
    Ok(sqlx::query_as!(
        PaymentFlag,
        "SELECT f.id, f.invoice_id, i.number AS invoice_number, f.payment_id, f.kind, f.detail,
                f.resolved_at, f.created_at
           FROM payment_flag f JOIN invoice i ON i.id = f.invoice_id
          WHERE NOT $1 OR f.resolved_at IS NULL
          ORDER BY f.resolved_at IS NULL DESC, f.id DESC LIMIT 500",
        open_only
    )
    .fetch_all(conn)
    .await?)
}

pub async fn resolve_flag(
    conn: &mut PgConnection,
    id: i64,
    actor: Uuid,
) -> Result<(), BillingError> {
    let resolved = sqlx::query!(
        "UPDATE payment_flag SET resolved_at = now(), resolved_by = $2 WHERE id = $1 AND resolved_at IS NULL",
        id,
        actor
    )
    .execute(&mut *conn)
    .await?;
    if resolved.rows_affected() == 0 {
        return Err(BillingError::NotFound("no open flag with this id"));
    }
    Ok(())
}
