//! The ranges of every number and date staff type for hosts and the sales
//! book (by hand or in an imported workbook), named once: validation, the
//! spreadsheet parser and the OpenAPI schema all read them from here. They
//! are wide enough for any real sale and narrow enough that a row's amount
//! (price × quantity) fits in 64 bits, a price survives a
//! spreadsheet number exactly (at most 15 digits), and every date can be
//! written to Excel.

use std::ops::RangeInclusive;

use chrono::NaiveDate;

/// A host's name and notes, in characters.
pub const HOST_NAME_MAX_CHARS: usize = 200;
pub const HOST_NOTES_MAX_CHARS: usize = 2000;

/// A host's port.
pub const PORT: RangeInclusive<i64> = 1..=65_535;

/// Seconds between two checks of a host, and the default.
pub const CHECK_INTERVAL_SECONDS: RangeInclusive<i32> = 30..=86_400;
pub const DEFAULT_CHECK_INTERVAL_SECONDS: i32 = 300;

/// Consecutive failed checks before a host is DOWN, and the default.
pub const FAILURES_BEFORE_DOWN: RangeInclusive<i32> = 1..=10;
pub const DEFAULT_FAILURES_BEFORE_DOWN: i32 = 2;

/// Minutes between repeated DOWN messages, when repeated at all.
pub const RENOTIFY_MINUTES: RangeInclusive<i32> = 5..=10_080;

/// A sale's name, merchant and item type, in characters.
pub const SALE_NAME_MAX_CHARS: usize = 200;
pub const SALE_MERCHANT_MAX_CHARS: usize = 200;
pub const SALE_ITEM_TYPE_MAX_CHARS: usize = 100;

/// A maintenance window's reason, in characters.
pub const MAINTENANCE_REASON_MAX_CHARS: usize = 500;

/// The largest price in minor units: 1,000,000,000,000 (a trillion rupiah,
/// ten billion dollars).
pub const MAX_PRICE_MINOR: i64 = 1_000_000_000_000;

/// The largest quantity of one sale.
pub const MAX_QTY: i32 = 10_000;

/// The earliest sale or expiry date accepted.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => panic!("2000-01-01 is a date"),
};

/// The latest sale or expiry date accepted.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2099, 12, 31) {
    Some(date) => date,
    None => panic!("2099-12-31 is a date"),
};

/// Whether a date is in the accepted range.
pub fn date_in_range(date: NaiveDate) -> bool {
    (MIN_DATE..=MAX_DATE).contains(&date)
}

/// The message for a date outside the range (a test checks it against the
/// two constants).
pub const DATE_RANGE: &str = "a date from 2000-01-01 to 2099-12-31";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_amount_of_a_row_fits_in_64_bits() {
        let amount = i128::from(MAX_PRICE_MINOR) * i128::from(MAX_QTY);
        assert!(amount < i128::from(i64::MAX) / 100);
        const { assert!(MAX_PRICE_MINOR < 1_000_000_000_000_000, "15 digits at most") };
        assert_eq!(DATE_RANGE, format!("a date from {MIN_DATE} to {MAX_DATE}"));
    }
}
