//! Money as integer minor units of an ISO 4217 currency. Never a float: a
//! rupiah amount is whole rupiah, a dollar amount is whole cents, and adding
//! two amounts of different currencies is an error, not a silent mistake.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The currencies the shop prices and bills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Idr,
    Usd,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Idr => "IDR",
            Currency::Usd => "USD",
        }
    }

    /// Digits after the decimal point in the currency's minor unit. Rupiah has
    /// no sen in practice, so IDR amounts are whole rupiah.
    pub fn minor_digits(self) -> u32 {
        match self {
            Currency::Idr => 0,
            Currency::Usd => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency `{0}` (supported: IDR, USD)")]
    UnknownCurrency(String),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount out of range")]
    Overflow,
}

impl FromStr for Currency {
    type Err = MoneyError;

    /// Accepts the codes case-insensitively and the common Indonesian
    /// spellings of rupiah found in spreadsheets (`Rp`, `Rupiah`).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input.trim().to_ascii_uppercase().as_str() {
            "IDR" | "RP" | "RUPIAH" => Ok(Currency::Idr),
            "USD" | "$" | "US$" => Ok(Currency::Usd),
            _ => Err(MoneyError::UnknownCurrency(input.trim().to_owned())),
        }
    }
}

/// An amount in minor units of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }
}

impl fmt::Display for Money {
    /// Indonesian formatting at the edge: `Rp 1.500.000`, `US$ 12,50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let scale = 10u64.pow(self.currency.minor_digits());
        let whole = group_thousands(abs / scale);
        let prefix = match self.currency {
            Currency::Idr => "Rp",
            Currency::Usd => "US$",
        };
        if scale == 1 {
            write!(f, "{sign}{prefix} {whole}")
        } else {
            let digits = self.currency.minor_digits() as usize;
            write!(f, "{sign}{prefix} {whole},{:0digits$}", abs % scale)
        }
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, ch) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rupiah_with_dot_grouping() {
        assert_eq!(
            Money::new(1_500_000, Currency::Idr).to_string(),
            "Rp 1.500.000"
        );
        assert_eq!(Money::new(-999, Currency::Idr).to_string(), "-Rp 999");
        assert_eq!(Money::new(1250, Currency::Usd).to_string(), "US$ 12,50");
    }

    #[test]
    fn refuses_to_add_different_currencies() {
        let rupiah = Money::new(1000, Currency::Idr);
        let dollars = Money::new(1000, Currency::Usd);
        assert_eq!(
            rupiah.checked_add(dollars),
            Err(MoneyError::CurrencyMismatch(Currency::Idr, Currency::Usd))
        );
        assert_eq!(
            rupiah.checked_add(rupiah),
            Ok(Money::new(2000, Currency::Idr))
        );
    }

    #[test]
    fn parses_currency_spellings() {
        assert_eq!("rp".parse::<Currency>(), Ok(Currency::Idr));
        assert_eq!(" usd ".parse::<Currency>(), Ok(Currency::Usd));
        assert!("EUR".parse::<Currency>().is_err());
    }

    #[test]
    fn overflow_is_an_error() {
        let max = Money::new(i64::MAX, Currency::Idr);
        assert_eq!(
            max.checked_add(Money::new(1, Currency::Idr)),
            Err(MoneyError::Overflow)
        );
    }
}
