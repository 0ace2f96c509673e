//! A service's billing terms: set when its order is paid, moved on by one
//! period each time a renewal invoice is paid.

use chrono::{Datelike, NaiveDate};
use sqlx::PgConnection;

use super::action::{self, Cause, LifecycleAction};
use crate::BillingError;
use crate::catalog::price::BillingCycle;

/// Gives the service of a paid order its terms: cycle, price, currency,
/// the promo when it is recurring, the anchor day (the day of month of
/// `paid_on`) and the first due date, one period after `paid_on`. A
/// one-time order's service never renews; a service that has terms keeps
/// them (this runs again when a payment is replayed).
pub(crate) async fn start(
    conn: &mut PgConnection,
    service_id: i64,
    paid_on: NaiveDate,
) -> Result<(), BillingError> {
    let order = sqlx::query!(
        "SELECT o.cycle FROM service s JOIN customer_order o ON o.id = s.order_id
          WHERE s.id = $1 AND s.next_due_on IS NULL",
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(order) = order else { return Ok(()) };
    let cycle: BillingCycle = order
        .cycle
        .parse()
        .map_err(|e: crate::catalog::price::UnknownCycle| BillingError::Corrupt(e.to_string()))?;
    let Some(period) = cycle.period() else {
        return Ok(());
    };
    let anchor = paid_on.day();
    let due = period
        .next_due(paid_on, anchor)
        .ok_or_else(|| BillingError::Corrupt(format!("no date a period after {paid_on}")))?;
    sqlx::query!(
        "UPDATE service s
            SET cycle = o.cycle, currency = o.currency, recurring_minor = o.unit_price_minor,
                promo_id = CASE WHEN p.recurring THEN o.promo_id END,
                anchor_day = $2, next_due_on = $3
           FROM customer_order o LEFT JOIN promo_code p ON p.id = o.promo_id
          WHERE s.id = $1 AND o.id = s.order_id AND s.next_due_on IS NULL",
        service_id,
        anchor as i16,
        due
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What paying a renewal invoice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewed {
    /// The due date moved on to the invoice's period end.
    Advanced { unsuspend: bool },
    /// The due date had moved on already (paid twice, or the service ended).
    Unchanged,
}

/// A renewal invoice was paid, in the payment's transaction: the service
/// is locked, and its due date moves from the invoice's period start to
/// its end only if it is still at the start — so a period is added
/// exactly once however often or whenever the money arrives. A service
/// suspended for not paying is unsuspended through the lifecycle job.
pub async fn renewal_paid(
    conn: &mut PgConnection,
    invoice_id: i64,
) -> Result<Renewed, BillingError> {
    let invoice = sqlx::query!(
        r#"SELECT service_id AS "service_id!", period_start AS "period_start!",
                  period_end AS "period_end!"
             FROM invoice WHERE id = $1 AND purpose = 'renewal'"#,
        invoice_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such renewal invoice"))?;
    let service = sqlx::query!(
        "SELECT status, next_due_on FROM service WHERE id = $1 FOR UPDATE",
        invoice.service_id
    )
    .fetch_one(&mut *conn)
    .await?;
    if service.next_due_on != Some(invoice.period_start)
        || !matches!(service.status.as_str(), "active" | "suspended")
    {
        return Ok(Renewed::Unchanged);
    }
    sqlx::query!(
        "UPDATE service SET next_due_on = $2 WHERE id = $1",
        invoice.service_id,
        invoice.period_end
    )
    .execute(&mut *conn)
    .await?;
    // Only a suspension the lifecycle made is lifted by paying; one staff
    // made by hand stays.
    let suspended_for_this = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM lifecycle_event
                           WHERE service_id = $1 AND period_start = $2 AND kind = 'suspend') AS "x!""#,
        invoice.service_id,
        invoice.period_start
    )
    .fetch_one(&mut *conn)
    .await?;
    let unsuspend = service.status == "suspended" && suspended_for_this;
    if unsuspend {
        action::enqueue(
            conn,
            invoice.service_id,
            LifecycleAction::Unsuspend,
            Cause::Paid,
            invoice.period_start,
        )
        .await?;
    }
    Ok(Renewed::Advanced { unsuspend })
}
