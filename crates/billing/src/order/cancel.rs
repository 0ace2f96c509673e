//! Cancelling an unpaid order: by its client, or by the sweep once the
//! shop's payment timeout has passed. The reserved digital item goes back
//! on sale, the promo use is given back, the invoice is cancelled and open
//! payment attempts are closed. A payment that arrives later is credited to
//! the wallet (see `payment::settle`).

use chrono::{DateTime, Utc};
use domain::{Money, OrderStatus};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{query, status};
use crate::promo::redeem;
use crate::wallet::ledger::{self, Account, Movement, Transfer};
use crate::{BillingError, Refusal};

/// Cancels `order_id` in the caller's transaction; it must be unpaid.
pub async fn cancel(
    conn: &mut PgConnection,
    order_id: i64,
    cause: &str,
    actor: Option<Uuid>,
) -> Result<(), BillingError> {
    let current = status::lock(conn, order_id).await?;
    if current != OrderStatus::PendingPayment {
        return Err(Refusal::OrderNotCancellable.into());
    }
    status::transition(conn, order_id, OrderStatus::Cancelled, cause, actor).await?;
    sqlx::query!(
        "UPDATE digital_stock_item SET status = 'available', reserved_at = NULL
          WHERE id = (SELECT stock_item_id FROM customer_order WHERE id = $1) AND status = 'reserved'",
        order_id
    )
    .execute(&mut *conn)
    .await?;
    redeem::release(conn, order_id).await?;
    let invoice = sqlx::query!(
        "UPDATE invoice SET status = 'cancelled', cancelled_at = now()
          WHERE order_id = $1 AND status = 'unpaid'
         RETURNING id, user_id, currency, amount_paid_minor",
        order_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(invoice) = invoice {
        sqlx::query!(
            "UPDATE payment_attempt SET status = 'cancelled'
              WHERE invoice_id = $1 AND status IN ('creating', 'pending')",
            invoice.id
        )
        .execute(&mut *conn)
        .await?;
        // Part of it was paid: that part is the client's again.
        if invoice.amount_paid_minor > 0 {
            ledger::transfer(
                conn,
                &Transfer {
                    movement: Movement::RefundToWallet,
                    from: Account::Revenue,
                    to: Account::Wallet(invoice.user_id),
                    amount: Money::new(invoice.amount_paid_minor, invoice.currency.parse()?),
                    invoice_id: Some(invoice.id),
                    payment_id: None,
                    memo: "partial payment of a cancelled order",
                    actor,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// The client cancels their own unpaid order.
pub async fn cancel_by_client(
    pool: &PgPool,
    order_id: i64,
    user: Uuid,
) -> Result<query::OrderDetail, BillingError> {
    let mut tx = pool.begin().await?;
    query::find_for(&mut tx, order_id, user).await?;
    cancel(&mut tx, order_id, "cancelled by the client", Some(user)).await?;
    let detail = query::find(&mut tx, order_id).await?;
    tx.commit().await?;
    Ok(detail)
}

/// Cancels orders unpaid past their deadline, a batch at a time; safe on
/// any number of replicas (SKIP LOCKED: each order is taken by one).
/// Returns how many were cancelled.
pub async fn expire_unpaid(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, BillingError> {
    let mut cancelled = 0;
    loop {
        let mut tx = pool.begin().await?;
        let due = sqlx::query_scalar!(
            "SELECT id FROM customer_order
              WHERE status = 'pending_payment' AND pay_by <= $1
              ORDER BY pay_by LIMIT 100 FOR UPDATE SKIP LOCKED",
            now
        )
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(cancelled);
        }
        for id in &due {
            cancel(&mut tx, *id, "not paid in time", None).await?;
        }
        tx.commit().await?;
        cancelled += due.len();
    }
}
