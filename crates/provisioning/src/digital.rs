//! Digital goods: the item reserved at checkout is marked sold, opened and
//! sent to the client (email and linked Telegram), and the order becomes
//! ACTIVE — in one transaction, so a crash leaves either nothing done or
//! everything, and a rerun of the job finds the order ACTIVE and stops.
//! The client area shows the item once more (`billing::order::item`).

use billing::BillingError;
use billing::catalog::stock;
use billing::order::status;
use domain::{OrderStatus, Sealer};
use notify::client_notice::notify_client;
use notify::template::{Language, catalog, render_event_in};
use sqlx::PgPool;

pub async fn deliver(pool: &PgPool, sealer: &Sealer, order_id: i64) -> Result<(), BillingError> {
    let mut tx = pool.begin().await?;
    let current = status::lock(&mut tx, order_id).await?;
    match current {
        OrderStatus::Paid | OrderStatus::Failed => {}
        // Delivered already, or not to be delivered: a rerun does nothing.
        _ => return Ok(()),
    }
    status::transition(
        &mut tx,
        order_id,
        OrderStatus::Provisioning,
        "delivering the digital item",
        None,
    )
    .await?;
    let order = sqlx::query!(
        "SELECT o.user_id, o.stock_item_id, o.product_name, p.spec ->> 'terms_id' AS terms,
                COALESCE(pr.full_name, u.email) AS name
           FROM customer_order o
           JOIN product p ON p.id = o.product_id
           JOIN app_user u ON u.id = o.user_id
           LEFT JOIN user_profile pr ON pr.user_id = o.user_id
          WHERE o.id = $1",
        order_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let Some(item_id) = order.stock_item_id else {
        status::transition(
            &mut tx,
            order_id,
            OrderStatus::Failed,
            "no stock item was reserved",
            None,
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    };
    sqlx::query!(
        "UPDATE digital_stock_item SET status = 'sold', sold_at = now() WHERE id = $1 AND status = 'reserved'",
        item_id
    )
    .execute(&mut *tx)
    .await?;
    let item = stock::open_item(&mut tx, sealer, item_id).await?;
    let message = render_event_in(
        &mut tx,
        catalog::ITEM_DELIVERED,
        Language::Id,
        &[
            ("name", order.name.unwrap_or_default()),
            ("product", order.product_name.clone()),
            ("item", item),
            ("terms", order.terms.unwrap_or_default()),
        ],
    )
    .await?;
    notify_client(&mut tx, order.user_id, catalog::ITEM_DELIVERED, &message).await?;
    status::transition(
        &mut tx,
        order_id,
        OrderStatus::Active,
        "item delivered",
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
