//! Billing's jobs: a new invoice's messages, the lifecycle's sweep, notices
//! and watchdog, and periodically cancelling orders (and plan changes)
//! unpaid past their deadline and asking gateways about payments that went quiet. Every replica
//! registers them; the job queue runs each period's job once.

use std::time::Duration;

use jobs::{JobError, Registry};

use crate::invoice::messages::{self, INVOICE_MESSAGES_JOB, InvoiceMessages};
use crate::lifecycle::{notices, sweep, watchdog};
use crate::order::cancel;
use crate::payment::{PaymentContext, reconcile};
use crate::service::plan_change;

pub const CANCEL_UNPAID_JOB: &str = "billing.cancel_unpaid_orders";
/// The lifecycle's sweep. Hourly: it is idempotent, so the runs after the
/// day's first find nothing to do, and a shop that was down catches up
/// within the hour.
pub const LIFECYCLE_SWEEP_JOB: &str = "billing.lifecycle_sweep";

fn retry(error: crate::BillingError) -> JobError {
    JobError::Retry(anyhow::Error::new(error))
}

pub fn register_jobs(registry: &mut Registry, ctx: PaymentContext) {
    let calendar = ctx.calendar();
    registry.handle(INVOICE_MESSAGES_JOB, move |job| async move {
        let payload: InvoiceMessages = job.payload()?;
        messages::send(&job.pool, payload, &calendar)
            .await
            .map_err(|e| JobError::Retry(anyhow::Error::new(e)))
    });
    let clock = ctx.clock.clone();
    registry
        .handle(LIFECYCLE_SWEEP_JOB, move |job| {
            let clock = clock.clone();
            async move {
                let report = sweep::run(&job.pool, &clock, false).await.map_err(retry)?;
                tracing::info!(
                    day = %report.shop_day,
                    counts = ?report.counts,
                    duration_ms = report.duration_ms,
                    "lifecycle sweep"
                );
                Ok(())
            }
        })
        .every(
            LIFECYCLE_SWEEP_JOB,
            LIFECYCLE_SWEEP_JOB,
            Duration::from_secs(3600),
        );
    registry.handle(notices::NOTICE_JOB, |job| async move {
        let notice: notices::NoticeJob = job.payload()?;
        notices::send(&job.pool, notice).await.map_err(retry)
    });
    let clock = ctx.clock.clone();
    registry
        .handle(watchdog::WATCHDOG_JOB, move |job| {
            let now = clock.now();
            async move {
                watchdog::check(&job.pool, now).await.map_err(retry)?;
                Ok(())
            }
        })
        .every(
            watchdog::WATCHDOG_JOB,
            watchdog::WATCHDOG_JOB,
            Duration::from_secs(3600),
        );
    registry.handle(watchdog::STALE_ALERT_JOB, |job| async move {
        let stale: watchdog::StaleAlert = job.payload()?;
        watchdog::raise(&job.pool, stale).await.map_err(retry)
    });
    let clock = ctx.clock.clone();
    registry
        .handle(CANCEL_UNPAID_JOB, move |job| {
            let now = clock.now();
            async move {
                let cancelled = cancel::expire_unpaid(&job.pool, now)
                    .await
                    .map_err(|e| JobError::Retry(anyhow::Error::new(e)))?;
                if cancelled > 0 {
                    tracing::info!(cancelled, "cancelled orders not paid in time");
                }
                let withdrawn = plan_change::expire_unpaid(&job.pool, now)
                    .await
                    .map_err(|e| JobError::Retry(anyhow::Error::new(e)))?;
                if withdrawn > 0 {
                    tracing::info!(withdrawn, "withdrew plan changes not paid in time");
                }
                Ok(())
            }
        })
        .every(
            CANCEL_UNPAID_JOB,
            CANCEL_UNPAID_JOB,
            Duration::from_secs(60),
        );
    registry
        .handle(reconcile::RECONCILE_JOB, move |_job| {
            let ctx = ctx.clone();
            async move {
                let report = reconcile::run(&ctx)
                    .await
                    .map_err(|e| JobError::Retry(anyhow::Error::new(e)))?;
                if report.asked > 0 {
                    tracing::info!(
                        asked = report.asked,
                        settled = report.settled,
                        failed = report.failed_to_ask,
                        "reconciled payments"
                    );
                }
                Ok(())
            }
        })
        .every(
            reconcile::RECONCILE_JOB,
            reconcile::RECONCILE_JOB,
            Duration::from_secs(300),
        );
}
