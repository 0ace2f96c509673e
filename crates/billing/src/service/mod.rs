//! Services: what a paid VPS, hosting, domain or internet order becomes — a
//! subscription the client holds until it is terminated or cancelled.
//!
//! Billing creates the service in the transaction that hands the paid order
//! to delivery ([`crate::order::delivery::enqueue`]), so delivery always
//! finds it; `provisioning` moves it to active, suspended or terminated
//! through [`set_status`], and keeps the technical details (the VM, the
//! hosting account, the registration) in its own tables keyed by the
//! service's id. One-off goods (digital items, data packages) are not
//! services.

pub mod action;
pub mod plan_change;
pub mod query;
pub mod terms;

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use crate::BillingError;
use crate::catalog::spec::ProductKind;

pub use query::Service;

/// Where a service is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Paid, being delivered.
    Pending,
    Active,
    Suspended,
    Terminated,
    Cancelled,
    /// Delivery failed for good; sysadmin may retry it.
    Failed,
}

impl ServiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Pending => "pending",
            ServiceStatus::Active => "active",
            ServiceStatus::Suspended => "suspended",
            ServiceStatus::Terminated => "terminated",
            ServiceStatus::Cancelled => "cancelled",
            ServiceStatus::Failed => "failed",
        }
    }
}

/// Whether orders of `kind` become a service.
pub fn is_service_kind(kind: ProductKind) -> bool {
    matches!(
        kind,
        ProductKind::Vps | ProductKind::Hosting | ProductKind::Domain | ProductKind::Internet
    )
}

/// Creates the service of a paid order, in the caller's transaction; an
/// order of a one-off kind gets none. Returns the service's id. A second
/// call for the same order returns the first service.
pub async fn create_for_order(
    conn: &mut PgConnection,
    order_id: i64,
) -> Result<Option<i64>, BillingError> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO service (order_id, user_id, product_id, kind, label)
           SELECT o.id, o.user_id, o.product_id, o.product_kind,
                  left(CASE WHEN o.domain_name IS NULL THEN o.product_name
                            WHEN o.product_kind = 'domain' THEN o.domain_name
                            ELSE o.product_name || ' — ' || o.domain_name END, 200)
             FROM customer_order o
            WHERE o.id = $1 AND o.product_kind IN ('vps', 'hosting', 'domain', 'internet')
           ON CONFLICT (order_id) DO UPDATE SET order_id = EXCLUDED.order_id
           RETURNING id"#,
        order_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id)
}

/// Moves a service to `status`; provisioning calls this as the remote work
/// completes. Returns the status it had.
pub async fn set_status(
    conn: &mut PgConnection,
    service_id: i64,
    status: ServiceStatus,
) -> Result<ServiceStatus, BillingError> {
    let before = sqlx::query_scalar!(
        r#"UPDATE service s SET status = $2
             FROM (SELECT id, status FROM service WHERE id = $1 FOR UPDATE) before
            WHERE s.id = before.id
           RETURNING before.status AS "status: ServiceStatus""#,
        service_id,
        status.as_str()
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such service"))?;
    Ok(before)
}

/// How a service whose resources are removed ends: `cancelled` when a
/// cancellation was asked for, `terminated` otherwise (not paid).
pub async fn ended_status(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<ServiceStatus, BillingError> {
    let cancelled = sqlx::query_scalar!(
        "SELECT cancel_on IS NOT NULL FROM service WHERE id = $1",
        service_id
    )
    .fetch_optional(conn)
    .await?
    .flatten()
    .ok_or(BillingError::NotFound("no such service"))?;
    Ok(if cancelled {
        ServiceStatus::Cancelled
    } else {
        ServiceStatus::Terminated
    })
}
