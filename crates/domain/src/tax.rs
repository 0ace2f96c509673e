//! Discounts and PPN on an invoice, in integer minor units.
//!
//! The rounding rule, stated once: every division rounds half away from
//! zero to the currency's minor unit (whole rupiah, whole cents), and it
//! happens once per invoice, on the discounted total — never per line, so
//! the lines of an invoice cannot drift from its total. A percent discount
//! rounds the same way; a fixed discount is capped at the subtotal.

use serde::{Deserialize, Serialize};

/// A tax rate in basis points (1100 = 11 %), and whether prices contain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRule {
    rate_bp: u32,
    pub prices_include_tax: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a tax rate must be between 0 and 10000 basis points")]
pub struct InvalidTaxRate;

impl TaxRule {
    pub fn new(rate_bp: u32, prices_include_tax: bool) -> Result<Self, InvalidTaxRate> {
        if rate_bp > 10_000 {
            return Err(InvalidTaxRate);
        }
        Ok(Self {
            rate_bp,
            prices_include_tax,
        })
    }

    /// A rate read from storage, whose own constraint bounds it: clamped
    /// into 0–100 % rather than refused.
    pub fn clamped(rate_bp: i32, prices_include_tax: bool) -> Self {
        Self {
            rate_bp: rate_bp.clamp(0, 10_000) as u32,
            prices_include_tax,
        }
    }

    pub fn rate_bp(self) -> u32 {
        self.rate_bp
    }

    /// The tax in, and the total of, a discounted amount. With inclusive
    /// prices the amount is the total and the tax is the part of it that
    /// is PPN (amount × rate / (1 + rate)); otherwise PPN is added on top.
    pub fn apply(self, taxable_minor: i64) -> Taxed {
        let rate = i128::from(self.rate_bp);
        let amount = i128::from(taxable_minor);
        if self.prices_include_tax {
            let tax = divide_rounding(amount * rate, 10_000 + rate);
            Taxed {
                tax_minor: narrow(tax),
                total_minor: taxable_minor,
            }
        } else {
            let tax = divide_rounding(amount * rate, 10_000);
            Taxed {
                tax_minor: narrow(tax),
                total_minor: narrow(amount + tax),
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taxed {
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// `percent` % of `amount`, rounded by the module's rule.
pub fn percent_of(amount_minor: i64, percent: u32) -> i64 {
    narrow(divide_rounding(
        i128::from(amount_minor) * i128::from(percent),
        100,
    ))
}

/// `amount` for `days_left` of a period of `period_days` days:
/// amount × days_left / period_days, rounded by the module's rule. A
/// plan change prorates the old plan and the new one each this way, so
/// the two parts of one change are rounded once each.
pub fn prorate(amount_minor: i64, days_left: u32, period_days: u32) -> i64 {
    if period_days == 0 {
        return 0;
    }
    narrow(divide_rounding(
        i128::from(amount_minor) * i128::from(days_left),
        i128::from(period_days),
    ))
}

/// Rounds half away from zero; `denominator` is positive.
fn divide_rounding(numerator: i128, denominator: i128) -> i128 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    }
}

/// Amounts are bounded far below i64 (prices ≤ 10^12 minor units), so a
/// result of rates ≤ 100 % applied to them always fits.
fn narrow(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ppn(inclusive: bool) -> TaxRule {
        TaxRule::new(1100, inclusive).expect("11 % is a valid rate")
    }

    #[test]
    fn prorating_rounds_half_away_from_zero_once() {
        // 100,000 for 10 of 31 days = 32,258.06… → 32,258.
        assert_eq!(prorate(100_000, 10, 31), 32_258);
        // 100,000 for 15 of 28 days = 53,571.43 → 53,571.
        assert_eq!(prorate(100_000, 15, 28), 53_571);
        // 3 for 1 of 2 days = 1.5 → 2; 1 of 4 days of 2 = 0.5 → 1.
        assert_eq!(prorate(3, 1, 2), 2);
        assert_eq!(prorate(2, 1, 4), 1);
        assert_eq!(
            prorate(100_000, 31, 31),
            100_000,
            "a whole period is the price"
        );
        assert_eq!(prorate(100_000, 0, 31), 0);
        assert_eq!(prorate(100_000, 5, 0), 0, "no period, nothing");
        // The largest price over a year's days does not overflow.
        assert_eq!(prorate(1_000_000_000_000, 366, 366), 1_000_000_000_000);
    }

    #[test]
    fn exclusive_ppn_is_added_on_top_and_rounded_half_up() {
        assert_eq!(
            ppn(false).apply(100_000),
            Taxed {
                tax_minor: 11_000,
                total_minor: 111_000
            }
        );
        // 150 × 11 % = 16.5 → 17 (half away from zero).
        assert_eq!(ppn(false).apply(150).tax_minor, 17);
        // 149 × 11 % = 16.39 → 16.
        assert_eq!(ppn(false).apply(149).tax_minor, 16);
    }

    #[test]
    fn inclusive_ppn_is_the_part_of_the_price_that_is_tax() {
        // 111,000 contains 11,000 of PPN exactly.
        assert_eq!(
            ppn(true).apply(111_000),
            Taxed {
                tax_minor: 11_000,
                total_minor: 111_000
            }
        );
        // 100,000 × 11 / 111 = 9,909.9… → 9,910; the total stays the price.
        assert_eq!(
            ppn(true).apply(100_000),
            Taxed {
                tax_minor: 9_910,
                total_minor: 100_000
            }
        );
    }

    #[test]
    fn zero_rate_and_zero_amount_add_nothing() {
        let none = TaxRule::new(0, false).expect("0 is valid");
        assert_eq!(none.apply(12_345).total_minor, 12_345);
        assert_eq!(ppn(false).apply(0).total_minor, 0);
    }

    #[test]
    fn the_largest_price_does_not_overflow() {
        let taxed = ppn(false).apply(1_000_000_000_000);
        assert_eq!(taxed.total_minor, 1_110_000_000_000);
    }

    #[test]
    fn percent_discounts_round_half_up() {
        assert_eq!(percent_of(99_999, 10), 10_000); // 9,999.9 → 10,000
        assert_eq!(percent_of(15, 10), 2); // 1.5 → 2
        assert_eq!(percent_of(14, 10), 1); // 1.4 → 1
        assert_eq!(percent_of(50_000, 100), 50_000);
    }

    #[test]
    fn a_rate_over_100_percent_is_refused() {
        assert_eq!(TaxRule::new(10_001, true), Err(InvalidTaxRate));
    }
}
