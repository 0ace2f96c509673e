//! Moving an order: locked, checked against the state machine, recorded.

use domain::OrderStatus;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::BillingError;

/// The order's status, locked for the rest of the caller's transaction.
pub async fn lock(conn: &mut PgConnection, order_id: i64) -> Result<OrderStatus, BillingError> {
    let status = sqlx::query_scalar!(
        "SELECT status FROM customer_order WHERE id = $1 FOR UPDATE",
        order_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(BillingError::NotFound("no such order"))?;
    status
        .parse()
        .map_err(|e: domain::order_status::UnknownOrderStatus| BillingError::Corrupt(e.to_string()))
}

/// Moves the order to `to` if the state machine allows it from where it
/// is, and records the move; an illegal move is an error and writes nothing.
pub async fn transition(
    conn: &mut PgConnection,
    order_id: i64,
    to: OrderStatus,
    cause: &str,
    actor: Option<Uuid>,
) -> Result<OrderStatus, BillingError> {
    let from = lock(conn, order_id).await?;
    from.transition(to)?;
    sqlx::query!(
        "UPDATE customer_order SET status = $2 WHERE id = $1",
        order_id,
        to.as_str()
    )
    .execute(&mut *conn)
    .await?;
    record(conn, order_id, Some(from), to, cause, actor).await?;
    Ok(from)
}

pub(crate) async fn record(
    conn: &mut PgConnection,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    cause: &str,
    actor: Option<Uuid>,
) -> Result<(), BillingError> {
    sqlx::query!(
        "INSERT INTO order_event (order_id, from_status, to_status, cause, actor_id)
         VALUES ($1, $2, $3, $4, $5)",
        order_id,
        from.map(OrderStatus::as_str),
        to.as_str(),
        cause,
        actor
    )
    .execute(conn)
    .await?;
    Ok(())
}
