//! Promo codes and vouchers: a percent or fixed discount, a validity
//! window, total and per-client limits, a product or category restriction,
//! first invoice only or renewals too. Staff manage them ([`store`]);
//! checkout claims a use ([`redeem`]) under the code's row lock, which is
//! what keeps the limits exact under concurrent checkouts.

pub mod redeem;
pub mod store;

use chrono::{DateTime, Utc};
use domain::{Currency, Money, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    Percent,
    Fixed,
}

/// The discount a code gives, valid by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    /// 1 to 100 percent of the subtotal.
    Percent(u32),
    /// A fixed amount, in one currency; capped at the subtotal.
    Fixed(Money),
}

impl Discount {
    /// The discount on `subtotal`; `None` when the code is in another
    /// currency than the order.
    pub fn on(self, subtotal: Money) -> Option<i64> {
        match self {
            Discount::Percent(percent) => Some(domain::tax::percent_of(subtotal.minor(), percent)),
            Discount::Fixed(amount) if amount.currency() == subtotal.currency() => {
                Some(amount.minor().min(subtotal.minor()))
            }
            Discount::Fixed(_) => None,
        }
    }
}

/// A promo code as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PromoCode {
    pub id: i64,
    pub code: String,
    pub description: String,
    pub discount_kind: DiscountKind,
    /// Percent codes: 1–100.
    pub percent: Option<i32>,
    /// Fixed codes: the amount in minor units of `currency`.
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Total uses allowed; none: unlimited.
    pub max_uses: Option<i32>,
    pub max_uses_per_user: Option<i32>,
    /// Uses held by orders that are not cancelled.
    pub uses: i32,
    /// Applies to renewal invoices too, not only the first.
    pub recurring: bool,
    pub active: bool,
    /// Vouchers generated together share a batch name.
    pub batch: Option<String>,
    /// Restricted to these products (and/or categories); both empty: any.
    pub product_ids: Vec<i64>,
    pub category_ids: Vec<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What staff send to create or change a code.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PromoInput {
    /// 3 to 40 of A–Z, 0–9, `_` and `-`; stored upper-case.
    pub code: String,
    #[serde(default)]
    pub description: String,
    pub discount_kind: DiscountKind,
    pub percent: Option<i32>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i32>,
    pub max_uses_per_user: Option<i32>,
    #[serde(default)]
    pub recurring: bool,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub product_ids: Vec<i64>,
    #[serde(default)]
    pub category_ids: Vec<i64>,
}

fn yes() -> bool {
    true
}

/// Bulk generation of single-use vouchers.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct VoucherBatchInput {
    /// 2 to 12 of A–Z and 0–9; each voucher is the prefix, `-` and 8 random characters.
    pub prefix: String,
    /// 1 to 1000 vouchers.
    pub count: i32,
    /// 1 to 80 characters naming the batch.
    pub batch: String,
    #[serde(default)]
    pub description: String,
    pub discount_kind: DiscountKind,
    pub percent: Option<i32>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub product_ids: Vec<i64>,
    #[serde(default)]
    pub category_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VoucherBatch {
    pub batch: String,
    pub codes: Vec<String>,
}

/// A code's terms once checked: what `store` writes.
#[derive(Debug, Clone)]
pub(crate) struct ValidTerms {
    pub discount: Discount,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

impl ValidTerms {
    pub fn percent(&self) -> Option<i32> {
        match self.discount {
            Discount::Percent(p) => Some(p as i32),
            Discount::Fixed(_) => None,
        }
    }

    pub fn fixed(&self) -> (Option<i64>, Option<&'static str>) {
        match self.discount {
            Discount::Fixed(money) => (Some(money.minor()), Some(money.currency().code())),
            Discount::Percent(_) => (None, None),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self.discount {
            Discount::Percent(_) => "percent",
            Discount::Fixed(_) => "fixed",
        }
    }
}

pub(crate) fn validate_terms(
    errors: &mut ValidationErrors,
    kind: DiscountKind,
    percent: Option<i32>,
    amount_minor: Option<i64>,
    currency: Option<&str>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
) -> Option<ValidTerms> {
    let discount = match kind {
        DiscountKind::Percent => {
            if amount_minor.is_some() {
                errors.add(
                    "amount_minor",
                    "not_for_kind",
                    "percent codes take `percent` only",
                );
            }
            if currency.is_some() {
                errors.add(
                    "currency",
                    "not_for_kind",
                    "percent codes take `percent` only",
                );
            }
            match percent {
                Some(p) if (1..=100).contains(&p) => Some(Discount::Percent(p as u32)),
                Some(_) => {
                    errors.add("percent", "out_of_range", "between 1 and 100");
                    None
                }
                None => {
                    errors.add("percent", "required", "a percent code needs `percent`");
                    None
                }
            }
        }
        DiscountKind::Fixed => {
            if percent.is_some() {
                errors.add(
                    "percent",
                    "not_for_kind",
                    "fixed codes take an amount and currency",
                );
            }
            let currency = match currency {
                Some(code) => {
                    errors.check("currency", "unknown_currency", code.parse::<Currency>())
                }
                None => {
                    errors.add("currency", "required", "a fixed code needs a currency");
                    None
                }
            };
            let amount = match amount_minor {
                Some(a) if (1..=crate::catalog::bounds::PRICE_MAX_MINOR).contains(&a) => Some(a),
                Some(_) => {
                    errors.add(
                        "amount_minor",
                        "out_of_range",
                        "between 1 and 10^12 minor units",
                    );
                    None
                }
                None => {
                    errors.add("amount_minor", "required", "a fixed code needs an amount");
                    None
                }
            };
            match (amount, currency) {
                (Some(a), Some(c)) => Some(Discount::Fixed(Money::new(a, c))),
                _ => None,
            }
        }
    };
    if let (Some(start), Some(end)) = (starts_at, ends_at)
        && start >= end
    {
        errors.add("ends_at", "before_start", "the end must be after the start");
    }
    discount.map(|discount| ValidTerms {
        discount,
        starts_at,
        ends_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_discount_is_capped_at_the_subtotal_and_bound_to_its_currency() {
        let fixed = Discount::Fixed(Money::new(50_000, Currency::Idr));
        assert_eq!(fixed.on(Money::new(30_000, Currency::Idr)), Some(30_000));
        assert_eq!(fixed.on(Money::new(80_000, Currency::Idr)), Some(50_000));
        assert_eq!(fixed.on(Money::new(80_000, Currency::Usd)), None);
    }

    #[test]
    fn a_percent_discount_rounds_half_up() {
        assert_eq!(
            Discount::Percent(15).on(Money::new(99_999, Currency::Idr)),
            Some(15_000)
        );
    }

    #[test]
    fn terms_name_every_wrong_field() {
        let mut errors = ValidationErrors::new();
        let terms = validate_terms(
            &mut errors,
            DiscountKind::Fixed,
            Some(10),
            None,
            Some("EUR"),
            Some(Utc::now()),
            Some(Utc::now() - chrono::Duration::hours(1)),
        );
        assert!(terms.is_none());
        let fields: Vec<_> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["percent", "currency", "amount_minor", "ends_at"]);
    }
}
