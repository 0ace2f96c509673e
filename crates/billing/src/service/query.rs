//! Reading services: a client's own, and any for staff.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ServiceStatus;
use crate::BillingError;
use crate::catalog::spec::ProductKind;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Service {
    pub id: i64,
    pub order_id: i64,
    pub user_id: Uuid,
    pub product_id: i64,
    pub kind: ProductKind,
    /// The product's name, with the domain where there is one.
    pub label: String,
    pub status: ServiceStatus,
    pub created_at: DateTime<Utc>,
}

struct Row {
    id: i64,
    order_id: i64,
    user_id: Uuid,
    product_id: i64,
    kind: String,
    label: String,
    status: ServiceStatus,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for Service {
    type Error = BillingError;

    fn try_from(row: Row) -> Result<Self, Self::Error> {
        Ok(Service {
            id: row.id,
            order_id: row.order_id,
            user_id: row.user_id,
            product_id: row.product_id,
            kind: row
                .kind
                .parse()
                .map_err(|e: crate::catalog::spec::UnknownKind| {
                    BillingError::Corrupt(e.to_string())
                })?,
            label: row.label,
            status: row.status,
            created_at: row.created_at,
        })
    }
}

/// The service `id`, if it exists; `owner` limits it to that client's.
pub async fn find(
    db: impl PgExecutor<'_>,
    id: i64,
    owner: Option<Uuid>,
) -> Result<Option<Service>, BillingError> {
    sqlx::query_as!(
        Row,
        r#"SELECT id, order_id, user_id, product_id, kind, label,
                  status AS "status: ServiceStatus", created_at
             FROM service WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)"#,
        id,
        owner
    )
    .fetch_optional(db)
    .await?
    .map(Service::try_from)
    .transpose()
}

/// The service a paid order became.
pub async fn find_by_order(
    db: impl PgExecutor<'_>,
    order_id: i64,
) -> Result<Option<Service>, BillingError> {
    sqlx::query_as!(
        Row,
        r#"SELECT id, order_id, user_id, product_id, kind, label,
                  status AS "status: ServiceStatus", created_at
             FROM service WHERE order_id = $1"#,
        order_id
    )
    .fetch_optional(db)
    .await?
    .map(Service::try_from)
    .transpose()
}

/// Services newest first: a client's own when `owner` is set, else all
/// (staff), optionally of one kind and status.
pub async fn list(
    db: impl PgExecutor<'_>,
    owner: Option<Uuid>,
    kind: Option<ProductKind>,
    status: Option<ServiceStatus>,
    limit: i64,
) -> Result<Vec<Service>, BillingError> {
    sqlx::query_as!(
        Row,
        r#"SELECT id, order_id, user_id, product_id, kind, label,
                  status AS "status: ServiceStatus", created_at
             FROM service
            WHERE ($1::uuid IS NULL OR user_id = $1)
              AND ($2::text IS NULL OR kind = $2)
              AND ($3::text IS NULL OR status = $3)
            ORDER BY id DESC
            LIMIT $4"#,
        owner,
        kind.map(ProductKind::as_str),
        status.map(ServiceStatus::as_str),
        limit
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(Service::try_from)
    .collect()
}
