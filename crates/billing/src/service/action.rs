//! The handoff from billing's lifecycle to the service's remote side — a
//! documented contract, like an order's delivery, so that `billing` never
//! depends on `provisioning`: the sweep, a cancellation and a paid renewal
//! enqueue [`SERVICE_ACTION_JOB`]; `provisioning` registers its handler.

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use crate::BillingError;

/// The job kind that carries out a lifecycle decision on the service's
/// remote resources. Payload: [`ServiceActionJob`]. The handler (in
/// `provisioning`) suspends, unsuspends or terminates the service and sets
/// its status (`suspended`, `active`, `terminated` — or `cancelled` when the
/// cause is a cancellation). It must be idempotent: a service already in
/// the wanted state is done.
pub const SERVICE_ACTION_JOB: &str = "service.lifecycle_action";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleAction {
    Suspend,
    Unsuspend,
    Terminate,
}

impl LifecycleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleAction::Suspend => "suspend",
            LifecycleAction::Unsuspend => "unsuspend",
            LifecycleAction::Terminate => "terminate",
        }
    }
}

/// Why the lifecycle acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The renewal invoice was not paid in time.
    Overdue,
    /// The overdue invoice was paid.
    Paid,
    /// The client or staff cancelled the service.
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceActionJob {
    pub service_id: i64,
    pub action: LifecycleAction,
    pub cause: Cause,
    /// The due date the decision is about. An overdue suspension or
    /// termination whose period was paid meanwhile is not carried out
    /// ([`still_warranted`]).
    pub period: chrono::NaiveDate,
}

/// Whether `job` should still be carried out: an overdue suspension or
/// termination only while its period is unpaid (the due date has not moved
/// on). The handler asks this in its own transaction, with the service
/// locked, so a payment racing the job either comes first and is seen, or
/// comes after and unsuspends.
pub async fn still_warranted(
    conn: &mut PgConnection,
    job: &ServiceActionJob,
) -> Result<bool, BillingError> {
    if job.cause != Cause::Overdue {
        return Ok(true);
    }
    let due = sqlx::query_scalar!(
        "SELECT next_due_on FROM service WHERE id = $1 FOR UPDATE",
        job.service_id
    )
    .fetch_optional(conn)
    .await?
    .flatten();
    Ok(due == Some(job.period))
}

/// Enqueues `action` on `service_id` in the caller's transaction, once per
/// service, action and `period` (the due date it is about).
pub(crate) async fn enqueue(
    conn: &mut PgConnection,
    service_id: i64,
    action: LifecycleAction,
    cause: Cause,
    period: chrono::NaiveDate,
) -> Result<(), BillingError> {
    let job = jobs::NewJob::new(
        SERVICE_ACTION_JOB,
        &ServiceActionJob {
            service_id,
            action,
            cause,
            period,
        },
    )?
    .max_attempts(12)
    .dedupe_key(format!(
        "{SERVICE_ACTION_JOB}:{service_id}:{}:{period}",
        action.as_str()
    ));
    jobs::enqueue(conn, job).await?;
    Ok(())
}
