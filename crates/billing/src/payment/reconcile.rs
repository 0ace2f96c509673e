//! Reconciliation: a gateway's notification can be lost (Pakasir documents
//! no retries at all), so a periodic job asks the gateway about every
//! attempt that has been open for more than 15 minutes, at most every 10
//! minutes each, for a week. Replicas share the work through SKIP LOCKED
//! and the `last_checked_at` they stamp before asking.
//!
//! An attempt still `creating` lost the gateway's answer to its creation
//! (a timeout): the charge may exist anyway. The gateway is asked to find
//! it by our reference (Xendit lists invoices by `external_id`, which it
//! does not keep unique: a paid one wins), and what is found is adopted.

use super::attempt::{self, AttemptRow};
use super::gateway::PaymentState;
use super::{PaymentContext, methods};
use crate::BillingError;

pub const RECONCILE_JOB: &str = "billing.reconcile_payments";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub asked: usize,
    pub settled: usize,
    pub failed_to_ask: usize,
}

pub async fn run(ctx: &PaymentContext) -> Result<ReconcileReport, BillingError> {
    let now = ctx.clock.now();
    let mut tx = ctx.pool.begin().await?;
    let due = sqlx::query_scalar!(
        "SELECT id FROM payment_attempt
          WHERE status IN ('pending', 'creating') AND gateway <> 'manual'
            AND (gateway_reference IS NOT NULL OR status = 'creating')
            AND created_at < $1::TIMESTAMPTZ - interval '15 minutes' AND created_at > $1::TIMESTAMPTZ - interval '7 days'
            AND (last_checked_at IS NULL OR last_checked_at < $1::TIMESTAMPTZ - interval '10 minutes')
          ORDER BY last_checked_at NULLS FIRST LIMIT 50
          FOR UPDATE SKIP LOCKED",
        now
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE payment_attempt SET last_checked_at = $2 WHERE id = ANY($1)",
        &due,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    let mut report = ReconcileReport::default();
    for id in due {
        let mut conn = ctx.pool.acquire().await?;
        let attempt: AttemptRow = attempt::row(&mut conn, id).await?;
        let Some(kind) = attempt::gateway_kind(&attempt) else {
            continue;
        };
        let gateway = methods::client(&mut conn, &ctx.sealer, &ctx.http, kind, false).await?;
        report.asked += 1;
        let answer = match attempt.gateway_reference.clone() {
            Some(reference) => {
                drop(conn);
                gateway.status(&reference, attempt.amount).await
            }
            None => {
                let found = gateway
                    .find_charges(&attempt.reference, attempt.amount)
                    .await;
                match found {
                    Ok(charges) => {
                        let Some(charge) = charges
                            .iter()
                            .find(|c| c.status.state == PaymentState::Paid)
                            .or_else(|| charges.first())
                        else {
                            continue;
                        };
                        sqlx::query!(
                            "UPDATE payment_attempt SET gateway_reference = $2,
                                    status = CASE WHEN status = 'creating' THEN 'pending' ELSE status END
                              WHERE id = $1 AND gateway_reference IS NULL",
                            id,
                            charge.gateway_reference
                        )
                        .execute(&mut *conn)
                        .await?;
                        // Back to the pool before applying takes one.
                        drop(conn);
                        Ok(charge.status.clone())
                    }
                    Err(error) => Err(error),
                }
            }
        };
        match answer {
            Ok(status) => {
                if let attempt::Applied::Settled(_) =
                    attempt::apply_report(ctx, &attempt, &status).await?
                {
                    report.settled += 1;
                }
            }
            Err(error) => {
                report.failed_to_ask += 1;
                tracing::warn!(attempt = id, gateway = kind.as_str(), %error, "reconciliation could not ask the gateway");
            }
        }
    }
    Ok(report)
}
