//! Checkout's side of a promo code: claim a use inside the order's
//! transaction, record which order holds it, give it back when the order is
//! cancelled.
//!
//! The total limit is one conditional UPDATE: concurrent checkouts queue on
//! the code's row, and each sees the count the previous one committed, so a
//! code with 10 uses left gives exactly 10. The per-client limit is counted
//! while that row lock is held, so it is exact too.

use chrono::{DateTime, Utc};
use domain::{Money, ValidationErrors};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Discount;
use super::store::normalise_code;
use crate::{BillingError, Refusal};

/// A use of a code, claimed and not yet tied to its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub promo_id: i64,
    pub discount_minor: i64,
}

/// What is being bought, for the code's restrictions.
#[derive(Debug, Clone, Copy)]
pub struct Purchase {
    pub user: Uuid,
    pub product_id: i64,
    pub category_id: Option<i64>,
    pub subtotal: Money,
    pub now: DateTime<Utc>,
}

fn refuse(code: &str, message: &str) -> BillingError {
    let mut errors = ValidationErrors::new();
    errors.add("promo_code", code, message);
    BillingError::Validation(errors)
}

/// Checks `code` against `purchase` and claims one use, in the caller's
/// transaction. An unknown, inactive, out-of-window, restricted or
/// other-currency code is a field error on `promo_code`; a used-up code is
/// `PromoExhausted`, a client's own limit `PromoLimitReached`.
pub async fn claim(
    conn: &mut PgConnection,
    code: &str,
    purchase: &Purchase,
) -> Result<Claim, BillingError> {
    let code = normalise_code(code);
    let promo = sqlx::query!(
        r#"SELECT id, percent, amount_minor, currency, starts_at, ends_at, active,
                  EXISTS (SELECT 1 FROM promo_code_product WHERE promo_id = p.id)
                  OR EXISTS (SELECT 1 FROM promo_code_category WHERE promo_id = p.id) AS "restricted!",
                  EXISTS (SELECT 1 FROM promo_code_product WHERE promo_id = p.id AND product_id = $2)
                  OR EXISTS (SELECT 1 FROM promo_code_category WHERE promo_id = p.id AND category_id = $3) AS "applies!"
             FROM promo_code p WHERE code = $1"#,
        code,
        purchase.product_id,
        purchase.category_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| refuse("unknown", "no such promo code"))?;
    if !promo.active {
        return Err(refuse("inactive", "this promo code is not active"));
    }
    if promo.starts_at.is_some_and(|start| purchase.now < start) {
        return Err(refuse("not_started", "this promo code is not valid yet"));
    }
    if promo.ends_at.is_some_and(|end| purchase.now >= end) {
        return Err(refuse("expired", "this promo code has expired"));
    }
    if promo.restricted && !promo.applies {
        return Err(refuse(
            "not_applicable",
            "this promo code does not apply to this product",
        ));
    }
    let discount = match (promo.percent, promo.amount_minor, promo.currency.as_deref()) {
        (Some(percent), _, _) => Discount::Percent(percent.clamp(1, 100) as u32),
        (None, Some(amount), Some(currency)) => {
            Discount::Fixed(Money::new(amount, currency.parse()?))
        }
        _ => {
            return Err(BillingError::Corrupt(format!(
                "promo code {} has no discount",
                promo.id
            )));
        }
    };
    let discount_minor = discount.on(purchase.subtotal).ok_or_else(|| {
        refuse(
            "currency_mismatch",
            "this promo code is for another currency",
        )
    })?;

    let per_user = sqlx::query_scalar!(
        "UPDATE promo_code SET uses = uses + 1
          WHERE id = $1 AND (max_uses IS NULL OR uses < max_uses)
         RETURNING max_uses_per_user",
        promo.id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Refusal::PromoExhausted)?;
    if let Some(limit) = per_user {
        let held = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM promo_redemption
                WHERE promo_id = $1 AND user_id = $2 AND released_at IS NULL"#,
            promo.id,
            purchase.user
        )
        .fetch_one(&mut *conn)
        .await?;
        if held >= i64::from(limit) {
            return Err(Refusal::PromoLimitReached.into());
        }
    }
    Ok(Claim {
        promo_id: promo.id,
        discount_minor,
    })
}

/// Ties a claimed use to the order that holds it.
pub async fn record(
    conn: &mut PgConnection,
    claim: Claim,
    user: Uuid,
    order_id: i64,
) -> Result<(), BillingError> {
    sqlx::query!(
        "INSERT INTO promo_redemption (promo_id, user_id, order_id) VALUES ($1, $2, $3)",
        claim.promo_id,
        user,
        order_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives back the use an order held; nothing when it held none or gave it
/// back already.
pub async fn release(conn: &mut PgConnection, order_id: i64) -> Result<(), BillingError> {
    sqlx::query!(
        "WITH released AS (
             UPDATE promo_redemption SET released_at = now()
              WHERE order_id = $1 AND released_at IS NULL
             RETURNING promo_id)
         UPDATE promo_code SET uses = uses - 1 WHERE id IN (SELECT promo_id FROM released)",
        order_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
