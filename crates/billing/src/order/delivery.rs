//! The handoff from billing to delivery — a documented contract, so that
//! `billing` never depends on `provisioning`.
//!
//! When an order's invoice is paid, the transaction that marks it paid also
//! enqueues one job of kind [`DELIVERY_JOB`] with the payload
//! [`DeliveryJob`] (`{"order_id": 123}`), deduplicated per order. The
//! `provisioning` crate registers the handler. The handler finds the order
//! PAID (or FAILED, when sysadmin retries), moves it to PROVISIONING, does
//! the work for the order's kind and moves it to ACTIVE — or to FAILED with
//! the cause. It must be idempotent: the job runner may run it again after a
//! crash.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use crate::BillingError;

/// The job kind a paid order is delivered by.
pub const DELIVERY_JOB: &str = "order.deliver";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub order_id: i64,
}

/// Enqueues the delivery of `order_id` in the caller's transaction, and
/// creates the service a VPS, hosting, domain or internet order becomes, so
/// the handler always finds it (`crate::service::find_by_order`), with its
/// billing terms: a recurring one is next due a period after `paid_on`.
pub async fn enqueue(
    conn: &mut PgConnection,
    order_id: i64,
    paid_on: NaiveDate,
) -> Result<(), BillingError> {
    if let Some(service_id) = crate::service::create_for_order(conn, order_id).await? {
        crate::service::terms::start(conn, service_id, paid_on).await?;
    }
    let job = jobs::NewJob::new(DELIVERY_JOB, &DeliveryJob { order_id })?
        .dedupe_key(format!("{DELIVERY_JOB}:{order_id}"));
    jobs::enqueue(conn, job).await?;
    Ok(())
}
