//! Prices as people type them in Indonesian spreadsheets, turned into exact
//! minor units of the row's currency. Nothing is ever rounded: an amount that
//! does not fit the currency's minor unit is a problem for the uploader.
//!
//! The hard case is a lone separator: `150.000` is a hundred and fifty
//! thousand rupiah, `12.50` is twelve dollars fifty. The rule, applied to the
//! digits left after removing a currency marker and a minus sign:
//!
//! 1. Both `.` and `,` present: the last one is the decimal separator and the
//!    other groups thousands (`1.500.000,50` and `1,500,000.50`).
//! 2. One kind of separator, more than once: it groups thousands (`1.500.000`).
//! 3. One separator, once, followed by exactly three digits: it groups
//!    thousands in a rupiah amount (`150.000`, `150,000`: nobody writes
//!    fractions of a rupiah) and in a dollar amount written with a comma
//!    (`1,500`); in a dollar amount a dot is the decimal point (`12.505` is
//!    twelve dollars and 50.5 cents, refused because cents cannot be split).
//! 4. Any other single separator is the decimal separator (`12.50`, `12,50`,
//!    `12.5`).
//!
//! Thousands groups must be well formed (`1.50.000` is refused), and decimal
//! digits beyond the currency's minor unit must be zeros.

use domain::{Currency, Money};

/// The largest accepted amount in minor units: the shop's bound for every
/// price ([`crate::bounds::MAX_PRICE_MINOR`], fewer than fifteen digits, so
/// that every accepted price survives a round trip through a spreadsheet
/// number: an f64 holds 15 significant decimal digits exactly).
pub(crate) const MAX_PRICE_MINOR: i64 = crate::bounds::MAX_PRICE_MINOR;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PriceError {
    #[error("is negative")]
    Negative,
    #[error("is not an amount of money")]
    NotAnAmount,
    #[error("has badly placed thousands separators")]
    BadGrouping,
    #[error("has a fraction smaller than the {0} minor unit (rounding is not allowed)")]
    FractionTooFine(Currency),
    #[error("is too large")]
    TooLarge,
    #[error("is written in {written} but the currency column says {column}")]
    CurrencyMismatch { written: Currency, column: Currency },
}

/// Parses a price cell written as text. `column_currency` is the row's
/// currency column when filled in; otherwise a currency marker in the text
/// (`Rp`, `$`, `USD`...) decides, and without one the price is in rupiah.
pub(crate) fn parse_price_text(
    text: &str,
    column_currency: Option<Currency>,
) -> Result<Money, PriceError> {
    let (written_currency, negative, digits) =
        split_price_text(text).ok_or(PriceError::NotAnAmount)?;
    let currency = match (written_currency, column_currency) {
        (Some(written), Some(column)) if written != column => {
            return Err(PriceError::CurrencyMismatch { written, column });
        }
        (written, column) => column.or(written).unwrap_or(Currency::Idr),
    };
    let minor = amount_to_minor(digits, currency)?;
    if negative && minor != 0 {
        return Err(PriceError::Negative);
    }
    Ok(Money::new(minor, currency))
}

/// Parses a price cell holding a number, in major units of `currency`.
pub(crate) fn price_from_number(value: f64, currency: Currency) -> Result<Money, PriceError> {
    if !value.is_finite() {
        return Err(PriceError::NotAnAmount);
    }
    if value < 0.0 {
        return Err(PriceError::Negative);
    }
    // Rust prints the shortest decimal that reads back as the same f64, so
    // 12.34 (stored as 12.339999...) prints as "12.34": parsing that text is
    // exact where multiplying by 100 would not be.
    if value > MAX_PRICE_MINOR as f64 {
        return Err(PriceError::TooLarge);
    }
    // The longest f64 printed without an exponent is about 330 characters.
    let mut buffer = [0u8; 400];
    let mut cursor = std::io::Cursor::new(&mut buffer[..]);
    std::io::Write::write_fmt(&mut cursor, format_args!("{value}"))
        .map_err(|_| PriceError::NotAnAmount)?;
    let written = usize::try_from(cursor.position()).map_err(|_| PriceError::NotAnAmount)?;
    let text = std::str::from_utf8(&buffer[..written]).map_err(|_| PriceError::NotAnAmount)?;
    let minor = decimal_to_minor(text, None, Some('.'), currency)?;
    Ok(Money::new(minor, currency))
}

/// Splits `-Rp 150.000`, `Rp. 150.000`, `$12.50`, `12.50 USD` into the
/// currency written, the sign, and the digits with their separators.
fn split_price_text(text: &str) -> Option<(Option<Currency>, bool, &str)> {
    let mut rest = text.trim();
    let mut negative = false;
    if let Some(after) = rest.strip_prefix('-') {
        negative = true;
        rest = after.trim_start();
    }
    let mut currency = None;
    if let Some((marker, after)) = strip_prefix_marker(rest) {
        currency = Some(marker);
        rest = after.trim_start();
    }
    if !negative && let Some(after) = rest.strip_prefix('-') {
        negative = true;
        rest = after.trim_start();
    }
    if currency.is_none()
        && let Some((marker, before)) = strip_suffix_marker(rest)
    {
        currency = Some(marker);
        rest = before.trim_end();
    }
    if rest.is_empty() {
        None
    } else {
        Some((currency, negative, rest))
    }
}

/// Longest markers first, so `US$` wins over `$` and `Rp.` over `Rp`.
const PREFIX_MARKERS: &[(&str, Currency)] = &[
    ("US$", Currency::Usd),
    ("USD", Currency::Usd),
    ("IDR", Currency::Idr),
    ("Rp.", Currency::Idr),
    ("Rp", Currency::Idr),
    ("$", Currency::Usd),
];
const SUFFIX_MARKERS: &[(&str, Currency)] = &[
    ("USD", Currency::Usd),
    ("IDR", Currency::Idr),
    ("Rp", Currency::Idr),
];

fn strip_prefix_marker(text: &str) -> Option<(Currency, &str)> {
    PREFIX_MARKERS.iter().find_map(|(marker, currency)| {
        let head = text.get(..marker.len())?;
        let rest = text.get(marker.len()..)?;
        head.eq_ignore_ascii_case(marker)
            .then_some((*currency, rest))
    })
}

fn strip_suffix_marker(text: &str) -> Option<(Currency, &str)> {
    SUFFIX_MARKERS.iter().find_map(|(marker, currency)| {
        let at = text.len().checked_sub(marker.len())?;
        let (rest, tail) = (text.get(..at)?, text.get(at..)?);
        tail.eq_ignore_ascii_case(marker)
            .then_some((*currency, rest))
    })
}

/// Applies the separator rule of the module documentation.
fn amount_to_minor(digits: &str, currency: Currency) -> Result<i64, PriceError> {
    let dots = digits.matches('.').count();
    let commas = digits.matches(',').count();
    let (grouping, decimal) = match (dots, commas) {
        (0, 0) => (None, None),
        (_, 0) | (0, _) => {
            let separator = if dots > 0 { '.' } else { ',' };
            let digits_after = digits.rsplit(separator).next().map_or(0, str::len);
            let groups_thousands = dots + commas > 1
                || (digits_after == 3 && (currency == Currency::Idr || separator == ','));
            if groups_thousands {
                (Some(separator), None)
            } else {
                (None, Some(separator))
            }
        }
        _ => {
            let last_dot = digits.rfind('.');
            let last_comma = digits.rfind(',');
            if last_dot > last_comma {
                (Some(','), Some('.'))
            } else {
                (Some('.'), Some(','))
            }
        }
    };
    decimal_to_minor(digits, grouping, decimal, currency)
}

/// Turns `1.500.000,50` (with the roles of the separators already decided)
/// into minor units, refusing anything that would need rounding.
fn decimal_to_minor(
    text: &str,
    grouping: Option<char>,
    decimal: Option<char>,
    currency: Currency,
) -> Result<i64, PriceError> {
    let (whole, fraction) = match decimal.and_then(|separator| text.rsplit_once(separator)) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let mut minor: i64 = 0;
    let mut push_digit = |digit: u8| -> Result<(), PriceError> {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(digit - b'0')))
            .filter(|m| *m <= MAX_PRICE_MINOR)
            .ok_or(PriceError::TooLarge)?;
        Ok(())
    };

    let groups: Vec<&str> = match grouping {
        Some(separator) => whole.split(separator).collect(),
        None => vec![whole],
    };
    for (index, group) in groups.iter().enumerate() {
        if group.is_empty() || !group.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PriceError::NotAnAmount);
        }
        let well_grouped = groups.len() == 1
            || if index == 0 {
                group.len() <= 3
            } else {
                group.len() == 3
            };
        if !well_grouped {
            return Err(PriceError::BadGrouping);
        }
        for digit in group.bytes() {
            push_digit(digit)?;
        }
    }

    if let Some(fraction) = fraction
        && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(PriceError::NotAnAmount);
    }
    let fraction = fraction.unwrap_or("");
    let minor_digits = currency.minor_digits() as usize;
    let (kept, beyond) = fraction.split_at(fraction.len().min(minor_digits));
    if beyond.bytes().any(|b| b != b'0') {
        return Err(PriceError::FractionTooFine(currency));
    }
    for digit in kept.bytes() {
        push_digit(digit)?;
    }
    for _ in kept.len()..minor_digits {
        push_digit(b'0')?;
    }
    Ok(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idr(minor: i64) -> Result<Money, PriceError> {
        Ok(Money::new(minor, Currency::Idr))
    }

    fn usd(minor: i64) -> Result<Money, PriceError> {
        Ok(Money::new(minor, Currency::Usd))
    }

    #[test]
    fn rupiah_spellings() {
        for text in [
            "150000",
            "150.000",
            "150,000",
            "Rp 150.000",
            "Rp. 150.000",
            "rp150.000",
            "IDR 150,000",
            "150.000 IDR",
            "150000,00",
            "150.000,00",
        ] {
            assert_eq!(parse_price_text(text, None), idr(150_000), "{text}");
        }
        assert_eq!(
            parse_price_text("1.500.000", Some(Currency::Idr)),
            idr(1_500_000)
        );
        assert_eq!(parse_price_text("Rp 1,500,000", None), idr(1_500_000));
        assert_eq!(parse_price_text("0", None), idr(0));
    }

    #[test]
    fn a_dot_before_three_digits_groups_thousands_in_rupiah_only() {
        assert_eq!(
            parse_price_text("150.000", Some(Currency::Idr)),
            idr(150_000)
        );
        assert_eq!(
            parse_price_text("1.500", Some(Currency::Usd)),
            usd(150),
            "a dot is the decimal point in dollars"
        );
        assert_eq!(
            parse_price_text("12.505", Some(Currency::Usd)),
            Err(PriceError::FractionTooFine(Currency::Usd))
        );
        assert_eq!(
            parse_price_text("1,500", Some(Currency::Usd)),
            usd(150_000),
            "a comma groups thousands in dollars"
        );
    }

    #[test]
    fn dollar_spellings() {
        for text in [
            "12.50",
            "12,50",
            "12.5",
            "$12.50",
            "US$ 12.50",
            "USD 12,50",
            "12.50 USD",
        ] {
            assert_eq!(
                parse_price_text(text, Some(Currency::Usd)),
                usd(1250),
                "{text}"
            );
        }
        assert_eq!(
            parse_price_text("$12.50", None),
            usd(1250),
            "the marker decides without a currency column"
        );
        assert_eq!(parse_price_text("US$ 1,250.00", None), usd(125_000));
        assert_eq!(
            parse_price_text("1.250,75", Some(Currency::Usd)),
            usd(125_075)
        );
        assert_eq!(parse_price_text("12", Some(Currency::Usd)), usd(1200));
    }

    #[test]
    fn rupiah_has_no_fractions() {
        assert_eq!(
            parse_price_text("12.50", Some(Currency::Idr)),
            Err(PriceError::FractionTooFine(Currency::Idr))
        );
        assert_eq!(
            parse_price_text("150000,5", None),
            Err(PriceError::FractionTooFine(Currency::Idr))
        );
        assert_eq!(
            price_from_number(150_000.5, Currency::Idr),
            Err(PriceError::FractionTooFine(Currency::Idr))
        );
    }

    #[test]
    fn negative_and_malformed_amounts() {
        for text in ["-150000", "-Rp 150.000", "Rp -150.000", "-$12.50"] {
            assert_eq!(
                parse_price_text(text, None),
                Err(PriceError::Negative),
                "{text}"
            );
        }
        for text in [
            "",
            "Rp",
            "gratis",
            "12.50.3,1",
            "1,000.000,5",
            "12.",
            ".50",
            "1 500",
            "12..5",
            "--5",
            "150.000 USD Rp",
        ] {
            assert!(
                matches!(
                    parse_price_text(text, None),
                    Err(PriceError::NotAnAmount | PriceError::BadGrouping)
                ),
                "{text:?}: {:?}",
                parse_price_text(text, None)
            );
        }
        assert_eq!(
            parse_price_text("1.50.000", None),
            Err(PriceError::BadGrouping)
        );
        assert_eq!(
            parse_price_text("1000.000.000", None),
            Err(PriceError::BadGrouping)
        );
        assert_eq!(
            parse_price_text("9999999999999999", None),
            Err(PriceError::TooLarge)
        );
    }

    #[test]
    fn a_written_currency_must_match_the_column() {
        assert_eq!(
            parse_price_text("Rp 150.000", Some(Currency::Usd)),
            Err(PriceError::CurrencyMismatch {
                written: Currency::Idr,
                column: Currency::Usd
            })
        );
    }

    #[test]
    fn numbers_are_exact_in_minor_units() {
        assert_eq!(price_from_number(150_000.0, Currency::Idr), idr(150_000));
        assert_eq!(price_from_number(12.34, Currency::Usd), usd(1234));
        assert_eq!(price_from_number(0.07, Currency::Usd), usd(7));
        assert_eq!(
            price_from_number(1_234_567_890.12, Currency::Usd),
            usd(123_456_789_012)
        );
        assert_eq!(
            price_from_number(12.505, Currency::Usd),
            Err(PriceError::FractionTooFine(Currency::Usd))
        );
        assert_eq!(
            price_from_number(-1.0, Currency::Idr),
            Err(PriceError::Negative)
        );
        assert_eq!(
            price_from_number(f64::NAN, Currency::Idr),
            Err(PriceError::NotAnAmount)
        );
        assert_eq!(
            price_from_number(1e300, Currency::Idr),
            Err(PriceError::TooLarge)
        );
        assert_eq!(
            price_from_number(1e-300, Currency::Usd),
            Err(PriceError::FractionTooFine(Currency::Usd))
        );
    }
}
