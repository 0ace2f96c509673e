//! Reading orders: a client's own, and staff's list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::BillingError;

/// An order as its client and staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Order {
    pub id: i64,
    pub user_id: Uuid,
    pub product_id: i64,
    /// `vps`, `hosting`, `domain`, `digital`, `data_package` or `internet`.
    pub product_kind: String,
    pub product_name: String,
    /// `one_time`, `monthly`, `quarterly`, `semi_annual` or `annual`.
    pub cycle: String,
    pub currency: String,
    pub region: Option<String>,
    pub os_template: Option<String>,
    pub domain_name: Option<String>,
    pub phone: Option<String>,
    pub unit_price_minor: i64,
    pub setup_fee_minor: i64,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub promo_code: Option<String>,
    /// `pending_payment`, `paid`, `provisioning`, `active`, `cancelled` or `failed`.
    pub status: String,
    /// Unpaid by then, the order is cancelled.
    pub pay_by: DateTime<Utc>,
    pub invoice_id: Option<i64>,
    pub invoice_number: Option<String>,
    /// A digital item is delivered and can be shown (once).
    pub item_ready: bool,
    pub item_revealed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One recorded move of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderEvent {
    pub from_status: Option<String>,
    pub to_status: String,
    pub cause: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub order: Order,
    pub events: Vec<OrderEvent>,
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub user: Option<Uuid>,
    pub status: Option<String>,
    pub page: i64,
    pub limit: i64,
}

const SELECT: &str = "SELECT o.id, o.user_id, o.product_id, o.product_kind, o.product_name, o.cycle,
        o.currency, r.code AS region, t.code AS os_template, o.domain_name, o.phone,
        o.unit_price_minor, o.setup_fee_minor, o.discount_minor, o.total_minor,
        pc.code AS promo_code, o.status, o.pay_by, i.id AS invoice_id, i.number AS invoice_number,
        (o.stock_item_id IS NOT NULL AND s.status = 'sold') AS item_ready, o.item_revealed_at, o.created_at
   FROM customer_order o
   LEFT JOIN region r ON r.id = o.region_id
   LEFT JOIN os_template t ON t.id = o.os_template_id
   LEFT JOIN promo_code pc ON pc.id = o.promo_id
   LEFT JOIN invoice i ON i.order_id = o.id
   LEFT JOIN digital_stock_item s ON s.id = o.stock_item_id";

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    user_id: Uuid,
    product_id: i64,
    product_kind: String,
    product_name: String,
    cycle: String,
    currency: String,
    region: Option<String>,
    os_template: Option<String>,
    domain_name: Option<String>,
    phone: Option<String>,
    unit_price_minor: i64,
    setup_fee_minor: i64,
    discount_minor: i64,
    total_minor: i64,
    promo_code: Option<String>,
    status: String,
    pay_by: DateTime<Utc>,
    invoice_id: Option<i64>,
    invoice_number: Option<String>,
    item_ready: Option<bool>,
    item_revealed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<OrderRow> for Order {
    fn from(row: OrderRow) -> Self {
        Order {
            id: row.id,
            user_id: row.user_id,
            product_id: row.product_id,
            product_kind: row.product_kind,
            product_name: row.product_name,
            cycle: row.cycle,
            currency: row.currency,
            region: row.region,
            os_template: row.os_template,
            domain_name: row.domain_name,
            phone: row.phone,
            unit_price_minor: row.unit_price_minor,
            setup_fee_minor: row.setup_fee_minor,
            discount_minor: row.discount_minor,
            total_minor: row.total_minor,
            promo_code: row.promo_code,
            status: row.status,
            pay_by: row.pay_by,
            invoice_id: row.invoice_id,
            invoice_number: row.invoice_number,
            item_ready: row.item_ready.unwrap_or(false),
            item_revealed_at: row.item_revealed_at,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct OrderDetailRow {
    #[sqlx(flatten)]
    order: OrderRow,
    events: sqlx::types::Json<Vec<OrderEvent>>,
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<OrderDetail, BillingError> {
    // The events in the same round trip: an order is read after every
    // checkout.
    let row: OrderDetailRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT q.*,
                (SELECT coalesce(jsonb_agg(jsonb_build_object(
                            'from_status', e.from_status, 'to_status', e.to_status,
                            'cause', e.cause, 'at', e.at) ORDER BY e.id), '[]')
                   FROM order_event e WHERE e.order_id = q.id) AS events
           FROM ({SELECT} WHERE o.id = $1) q"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such order"))?;
    Ok(OrderDetail {
        order: row.order.into(),
        events: row.events.0,
    })
}

/// The order, if it is `user`'s (another client's is "not found").
pub async fn find_for(
    conn: &mut PgConnection,
    id: i64,
    user: Uuid,
) -> Result<OrderDetail, BillingError> {
    let detail = find(conn, id).await?;
    if detail.order.user_id != user {
        return Err(BillingError::NotFound("no such order"));
    }
    Ok(detail)
}

pub async fn list(
    conn: &mut PgConnection,
    filter: &OrderFilter,
) -> Result<(Vec<Order>, i64), BillingError> {
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM customer_order o WHERE ($1::UUID IS NULL OR o.user_id = $1) AND ($2::TEXT IS NULL OR o.status = $2)",
    )
    .bind(filter.user)
    .bind(&filter.status)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1::UUID IS NULL OR o.user_id = $1) AND ($2::TEXT IS NULL OR o.status = $2)
          ORDER BY o.id DESC LIMIT $3 OFFSET $4"
    )))
    .bind(filter.user)
    .bind(&filter.status)
    .bind(filter.limit)
    .bind((filter.page.max(1) - 1).saturating_mul(filter.limit))
    .fetch_all(conn)
    .await?;
    Ok((rows.into_iter().map(Order::from).collect(), total))
}

/// Shows a delivered digital item to its client, once: the first call
/// answers it, later calls are refused (it is in the email sent at
/// delivery).
pub async fn reveal_item(
    conn: &mut PgConnection,
    sealer: &domain::Sealer,
    order_id: i64,
    user: Uuid,
) -> Result<String, BillingError> {
    let order = find_for(conn, order_id, user).await?.order;
    if !order.item_ready {
        return Err(BillingError::NotFound("no delivered item on this order"));
    }
    let item_id = sqlx::query_scalar!(
        "UPDATE customer_order SET item_revealed_at = now()
          WHERE id = $1 AND item_revealed_at IS NULL RETURNING stock_item_id",
        order_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .flatten()
    .ok_or(crate::Refusal::ItemAlreadyShown)?;
    Ok(crate::catalog::stock::open_item(conn, sealer, item_id).await?)
}
