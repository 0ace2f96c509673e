//! Prices: one per tier (customer group), currency and billing cycle, with a
//! setup fee. A domain is priced per year: register, renew and transfer.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use domain::{Currency, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bounds::PRICE_MINOR;
use super::spec::ProductKind;
use super::text;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BillingCycle {
    OneTime,
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
}

impl BillingCycle {
    pub const ALL: [BillingCycle; 5] = [
        BillingCycle::OneTime,
        BillingCycle::Monthly,
        BillingCycle::Quarterly,
        BillingCycle::SemiAnnual,
        BillingCycle::Annual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BillingCycle::OneTime => "one_time",
            BillingCycle::Monthly => "monthly",
            BillingCycle::Quarterly => "quarterly",
            BillingCycle::SemiAnnual => "semi_annual",
            BillingCycle::Annual => "annual",
        }
    }

    /// The calendar period a recurring cycle renews by; none for one-time.
    pub fn period(self) -> Option<domain::BillingPeriod> {
        match self {
            BillingCycle::OneTime => None,
            BillingCycle::Monthly => Some(domain::BillingPeriod::Monthly),
            BillingCycle::Quarterly => Some(domain::BillingPeriod::Quarterly),
            BillingCycle::SemiAnnual => Some(domain::BillingPeriod::SemiAnnual),
            BillingCycle::Annual => Some(domain::BillingPeriod::Annual),
        }
    }
}

impl fmt::Display for BillingCycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown billing cycle `{0}` (one_time, monthly, quarterly, semi_annual, annual)")]
pub struct UnknownCycle(pub String);

impl FromStr for BillingCycle {
    type Err = UnknownCycle;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        BillingCycle::ALL
            .into_iter()
            .find(|cycle| cycle.as_str() == input.trim())
            .ok_or_else(|| UnknownCycle(input.trim().to_owned()))
    }
}

/// One price as staff send it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PriceInput {
    /// The customer group's code: `member`, `reseller` or one the owner added.
    pub group: String,
    /// `IDR` or `USD`.
    pub currency: String,
    /// `one_time`, `monthly`, `quarterly`, `semi_annual` or `annual`
    /// (a domain: `annual`).
    pub cycle: String,
    /// Minor units (whole rupiah, US cents), 0 to 10^12.
    pub price_minor: i64,
    /// Charged once with the first invoice; 0 when absent.
    pub setup_fee_minor: Option<i64>,
    /// Domain only: a year's renewal; absent is the register price.
    pub renew_minor: Option<i64>,
    /// Domain only: a transfer in (with a year); absent is the register price.
    pub transfer_minor: Option<i64>,
}

/// One stored price, the group named by its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductPrice {
    pub group: String,
    #[schema(value_type = String, example = "IDR")]
    pub currency: Currency,
    pub cycle: BillingCycle,
    pub price_minor: i64,
    pub setup_fee_minor: i64,
    pub renew_minor: Option<i64>,
    pub transfer_minor: Option<i64>,
}

fn amount(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<i64>,
    required: bool,
) -> Option<i64> {
    text::in_range(errors, field, value, &PRICE_MINOR, required)
}

/// Checks a whole price table for a product of `kind`: every field of
/// every row, known groups (`groups`: the codes that exist), and no two
/// rows for the same group, currency and cycle.
pub fn validate_prices(
    kind: ProductKind,
    inputs: &[PriceInput],
    groups: &[String],
    errors: &mut ValidationErrors,
) -> Vec<ProductPrice> {
    let mut seen = HashSet::new();
    let mut prices = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let field = |name: &str| format!("prices[{index}].{name}");
        let group = input.group.trim().to_owned();
        let group_known = groups.contains(&group);
        if !group_known {
            errors.add(
                &field("group"),
                "unknown",
                format!("no customer group `{group}`"),
            );
        }
        let currency: Option<Currency> =
            errors.check(&field("currency"), "unknown", input.currency.parse());
        let cycle: Option<BillingCycle> =
            errors.check(&field("cycle"), "unknown", input.cycle.parse());
        let price = amount(errors, &field("price_minor"), Some(input.price_minor), true);
        let setup = amount(
            errors,
            &field("setup_fee_minor"),
            input.setup_fee_minor,
            false,
        );
        let renew = amount(errors, &field("renew_minor"), input.renew_minor, false);
        let transfer = amount(
            errors,
            &field("transfer_minor"),
            input.transfer_minor,
            false,
        );
        if kind == ProductKind::Domain {
            if cycle.is_some_and(|cycle| cycle != BillingCycle::Annual) {
                errors.add(
                    &field("cycle"),
                    "not_for_kind",
                    "a domain is priced per year: annual",
                );
            }
            if setup.is_some_and(|setup| setup != 0) {
                errors.add(
                    &field("setup_fee_minor"),
                    "not_for_kind",
                    "a domain has no setup fee",
                );
            }
        } else {
            for (name, value) in [("renew_minor", renew), ("transfer_minor", transfer)] {
                if value.is_some() {
                    errors.add(&field(name), "not_for_kind", "only a domain has this price");
                }
            }
        }
        let (Some(currency), Some(cycle), Some(price_minor), true) =
            (currency, cycle, price, group_known)
        else {
            continue;
        };
        if !seen.insert((group.clone(), currency, cycle)) {
            errors.add(
                &field("cycle"),
                "duplicate",
                format!("{group} already has a {cycle} price in {currency}"),
            );
            continue;
        }
        prices.push(ProductPrice {
            group,
            currency,
            cycle,
            price_minor,
            setup_fee_minor: setup.unwrap_or(0),
            renew_minor: renew,
            transfer_minor: transfer,
        });
    }
    prices
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(group: &str, currency: &str, cycle: &str, price: i64) -> PriceInput {
        PriceInput {
            group: group.into(),
            currency: currency.into(),
            cycle: cycle.into(),
            price_minor: price,
            setup_fee_minor: None,
            renew_minor: None,
            transfer_minor: None,
        }
    }

    fn codes(errors: &ValidationErrors) -> Vec<String> {
        errors
            .errors()
            .iter()
            .map(|error| format!("{}:{}", error.field, error.code))
            .collect()
    }

    #[test]
    fn unknown_currency_cycle_group_and_absurd_amounts_are_field_errors() {
        let groups = vec!["member".to_owned(), "reseller".to_owned()];
        let mut errors = ValidationErrors::new();
        let prices = validate_prices(
            ProductKind::Vps,
            &[
                input("member", "EUR", "monthly", 100),
                input("member", "IDR", "weekly", 100),
                input("gold", "IDR", "monthly", 100),
                input("member", "IDR", "monthly", -1),
                input(
                    "member",
                    "IDR",
                    "annual",
                    crate::catalog::bounds::PRICE_MAX_MINOR + 1,
                ),
            ],
            &groups,
            &mut errors,
        );
        assert!(prices.is_empty());
        assert_eq!(
            codes(&errors),
            [
                "prices[0].currency:unknown",
                "prices[1].cycle:unknown",
                "prices[2].group:unknown",
                "prices[3].price_minor:out_of_range",
                "prices[4].price_minor:out_of_range",
            ]
        );
    }

    #[test]
    fn the_same_tier_currency_and_cycle_twice_is_refused() {
        let groups = vec!["member".to_owned()];
        let mut errors = ValidationErrors::new();
        let prices = validate_prices(
            ProductKind::Hosting,
            &[
                input("member", "IDR", "monthly", 25_000),
                input("member", "idr", "monthly", 20_000),
                input("member", "USD", "monthly", 199),
            ],
            &groups,
            &mut errors,
        );
        assert_eq!(codes(&errors), ["prices[1].cycle:duplicate"]);
        assert_eq!(prices.len(), 2);
    }

    #[test]
    fn a_domain_is_priced_per_year_without_setup_fee() {
        let groups = vec!["member".to_owned()];
        let mut errors = ValidationErrors::new();
        let mut with_setup = input("member", "IDR", "annual", 150_000);
        with_setup.setup_fee_minor = Some(10_000);
        with_setup.renew_minor = Some(175_000);
        validate_prices(
            ProductKind::Domain,
            &[input("member", "IDR", "monthly", 15_000), with_setup],
            &groups,
            &mut errors,
        );
        assert_eq!(
            codes(&errors),
            [
                "prices[0].cycle:not_for_kind",
                "prices[1].setup_fee_minor:not_for_kind"
            ]
        );

        let mut errors = ValidationErrors::new();
        let mut renewal = input("member", "IDR", "monthly", 50_000);
        renewal.renew_minor = Some(1);
        validate_prices(ProductKind::Vps, &[renewal], &groups, &mut errors);
        assert_eq!(codes(&errors), ["prices[0].renew_minor:not_for_kind"]);
    }
}
