//! Amounts between [`Money`] and the gateways' spellings of them: Midtrans'
//! decimal text (`"150000.00"`), Xendit's JSON numbers (`150000`, `12.5`),
//! plain integers. Parsed digit by digit, never through a float, and refused
//! when they do not fit the currency exactly (`"150000.50"` rupiah).

use domain::money::{Currency, Money};

/// `"150000"`, `"150000.00"`, `"12.5"` as exact minor units; `None` for
/// anything else: signs, exponents, separators, a fraction finer than the
/// currency's minor unit.
pub(super) fn parse_decimal(text: &str, currency: Currency) -> Option<Money> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|byte| byte.is_ascii_digit()) || text.ends_with('.') {
        return None;
    }
    let digits = currency.minor_digits() as usize;
    let (kept, dropped) = fraction.split_at(fraction.len().min(digits));
    if dropped.bytes().any(|byte| byte != b'0') {
        return None;
    }
    let scale = 10i64.checked_pow(currency.minor_digits())?;
    let mut minor = whole.parse::<i64>().ok()?.checked_mul(scale)?;
    if !kept.is_empty() {
        let padded = format!("{kept:0<digits$}");
        minor = minor.checked_add(padded.parse::<i64>().ok()?)?;
    }
    Some(Money::new(minor, currency))
}

/// A JSON number as exact minor units (`serde_json` prints floats in their
/// shortest round-tripping form, so `12.34` reads back as `"12.34"`).
pub(super) fn parse_json_number(number: &serde_json::Number, currency: Currency) -> Option<Money> {
    parse_decimal(&number.to_string(), currency)
}

/// Minor units as the gateway's decimal text: `150000` rupiah, `"12.50"`
/// dollars.
pub(super) fn format_decimal(money: Money) -> String {
    let digits = money.currency().minor_digits();
    if digits == 0 {
        return money.minor().to_string();
    }
    let scale = 10i64.pow(digits);
    let sign = if money.minor() < 0 { "-" } else { "" };
    let magnitude = money.minor().unsigned_abs();
    let scale = scale.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        magnitude / scale,
        magnitude % scale,
        width = digits as usize
    )
}

/// Minor units as a JSON number: an integer for rupiah, a decimal for
/// dollars.
pub(super) fn json_number(money: Money) -> serde_json::Value {
    let text = format_decimal(money);
    text.parse::<serde_json::Number>()
        .map(serde_json::Value::Number)
        // Every text `format_decimal` produces is a valid JSON number.
        .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idr(minor: i64) -> Money {
        Money::new(minor, Currency::Idr)
    }

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::Usd)
    }

    #[test]
    fn parses_midtrans_gross_amounts_exactly() {
        assert_eq!(
            parse_decimal("150000.00", Currency::Idr),
            Some(idr(150_000))
        );
        assert_eq!(parse_decimal("150000", Currency::Idr), Some(idr(150_000)));
        assert_eq!(parse_decimal("12.5", Currency::Usd), Some(usd(1250)));
        assert_eq!(parse_decimal("12.34", Currency::Usd), Some(usd(1234)));
        assert_eq!(parse_decimal("0.07", Currency::Usd), Some(usd(7)));
        assert_eq!(parse_decimal("12.340", Currency::Usd), Some(usd(1234)));
    }

    #[test]
    fn refuses_amounts_that_are_not_exact_in_the_currency() {
        for text in [
            "150000.50",
            "12.345",
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e5",
            "1,000",
            "1 000",
            "abc",
            "99999999999999999999",
        ] {
            let currency = if text == "12.345" {
                Currency::Usd
            } else {
                Currency::Idr
            };
            assert_eq!(parse_decimal(text, currency), None, "{text:?}");
        }
    }

    #[test]
    fn reads_json_numbers_without_float_drift() {
        let number = |text: &str| text.parse::<serde_json::Number>().expect("a JSON number");
        assert_eq!(
            parse_json_number(&number("150000"), Currency::Idr),
            Some(idr(150_000))
        );
        assert_eq!(
            parse_json_number(&number("150000.0"), Currency::Idr),
            Some(idr(150_000))
        );
        assert_eq!(
            parse_json_number(&number("19.99"), Currency::Usd),
            Some(usd(1999))
        );
        assert_eq!(
            parse_json_number(&number("0.1"), Currency::Usd),
            Some(usd(10))
        );
        assert_eq!(parse_json_number(&number("1e21"), Currency::Idr), None);
    }

    #[test]
    fn formats_amounts_as_the_gateways_write_them() {
        assert_eq!(format_decimal(idr(150_000)), "150000");
        assert_eq!(format_decimal(usd(1250)), "12.50");
        assert_eq!(format_decimal(usd(7)), "0.07");
        assert_eq!(json_number(idr(150_000)).to_string(), "150000");
        assert_eq!(json_number(usd(1999)).to_string(), "19.99");
        for minor in [1, 10, 99, 101, 1234, 99_999, 123_456_789] {
            let text = json_number(usd(minor)).to_string();
            assert_eq!(
                parse_decimal(&text, Currency::Usd),
                Some(usd(minor)),
                "{text}"
            );
        }
    }
}
