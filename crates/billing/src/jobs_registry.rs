//! Billing's jobs: a new invoice's messages, and periodically cancelling
//! orders unpaid past their deadline and asking gateways about payments
//! that went quiet. Every replica
//! registers them; the job queue runs each period's job once.

use std::time::Duration;

use jobs::{JobError, Registry};

use crate::order::cancel;
use crate::payment::messages::{self, INVOICE_MESSAGES_JOB, InvoiceMessages};
use crate::payment::{PaymentContext, reconcile};

pub const CANCEL_UNPAID_JOB: &str = "billing.cancel_unpaid_orders";

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
        .handle(CANCEL_UNPAID_JOB, move |job| {
            let now = clock.now();
            async move {
                let cancelled = cancel::expire_unpaid(&job.pool, now)
                    .await
                    .map_err(|e| JobError::Retry(anyhow::Error::new(e)))?;
                if cancelled > 0 {
                    tracing::info!(cancelled, "cancelled orders not paid in time");
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
