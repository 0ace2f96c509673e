//! Reading one cell as one field: what the cell reader hands us (text, a number, a
//! date-formatted number, an Excel error...) turned into a typed value or a
//! problem that quotes the cell.

use std::borrow::Cow;
use std::str::FromStr;

use calamine::{CellErrorType, DataRef};
use chrono::NaiveDate;
use domain::{Currency, Money};

use super::date::{DateSystem, date_from_serial, parse_date_text, parse_iso_date};
use super::preview::{Field, ProblemCode, RowProblem};
use super::price::{PriceError, parse_price_text, price_from_number};
use super::values::{Port, Quantity, ShortText, ShortTextError};
use crate::probe::Host;

/// A cell as the field parsers see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CellValue<'c> {
    /// Empty, or text that is only whitespace.
    Blank,
    /// Trimmed, not empty.
    Text(&'c str),
    Number(f64),
    /// A number with a date format: an Excel serial date.
    Date(f64),
    /// A cell of the ISO 8601 `d` type.
    IsoDate(&'c str),
    Bool(bool),
    Error(&'c CellErrorType),
    /// A number with a duration format (`[h]:mm`): never a field value.
    Duration(f64),
}

impl<'c> CellValue<'c> {
    pub(crate) fn of(value: &'c DataRef<'_>) -> Self {
        match value {
            DataRef::Empty => CellValue::Blank,
            DataRef::String(text) => Self::text(text),
            DataRef::SharedString(text) => Self::text(text),
            DataRef::Int(number) => CellValue::Number(*number as f64),
            DataRef::Float(number) => CellValue::Number(*number),
            DataRef::DateTime(datetime) if datetime.is_datetime() => {
                CellValue::Date(datetime.as_f64())
            }
            DataRef::DateTime(duration) => CellValue::Duration(duration.as_f64()),
            DataRef::DateTimeIso(text) => CellValue::IsoDate(text.trim()),
            DataRef::DurationIso(text) => Self::text(text),
            DataRef::Bool(flag) => CellValue::Bool(*flag),
            DataRef::Error(error) => CellValue::Error(error),
        }
    }

    fn text(text: &'c str) -> Self {
        // Most cells start and end with a visible ASCII character: skip the
        // Unicode-aware trim for them, it is a measurable share of the import.
        if let (Some(first), Some(last)) = (text.as_bytes().first(), text.as_bytes().last())
            && first.is_ascii_graphic()
            && last.is_ascii_graphic()
        {
            return CellValue::Text(text);
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            CellValue::Blank
        } else {
            CellValue::Text(trimmed)
        }
    }

    pub(crate) fn is_blank(self) -> bool {
        matches!(self, CellValue::Blank)
    }

    /// The cell as text, the way Excel would show it without formatting.
    pub(crate) fn to_text(self) -> Cow<'c, str> {
        match self {
            CellValue::Blank => Cow::Borrowed(""),
            CellValue::Text(text) | CellValue::IsoDate(text) => Cow::Borrowed(text),
            CellValue::Number(number) | CellValue::Date(number) | CellValue::Duration(number) => {
                Cow::Owned(number.to_string())
            }
            CellValue::Bool(true) => Cow::Borrowed("TRUE"),
            CellValue::Bool(false) => Cow::Borrowed("FALSE"),
            CellValue::Error(error) => Cow::Owned(error.to_string()),
        }
    }

    /// The cell quoted in a problem message, cut short so that a hostile
    /// cell cannot blow up the stored preview.
    fn quoted(self) -> String {
        const MAX_QUOTED_CHARS: usize = 40;
        let text = self.to_text();
        let mut quoted = storable_prefix(&text, MAX_QUOTED_CHARS);
        if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
            quoted.push('…');
        }
        format!("`{quoted}`")
    }
}

/// The first `max_chars` characters of a cell's text, for the stored
/// preview: a NUL shows as ␀, as the preview is stored as JSON, which
/// PostgreSQL refuses with a NUL in it.
pub(crate) fn storable_prefix(text: &str, max_chars: usize) -> String {
    text.chars()
        .take(max_chars)
        .map(|c| if c == '\0' { '\u{2400}' } else { c })
        .collect()
}

/// What is wrong with one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    code: ProblemCode,
    message: String,
}

impl Problem {
    /// "`cell` reason", e.g. "`abc` is not a port number between 1 and 65535".
    fn new(code: ProblemCode, cell: CellValue<'_>, reason: impl std::fmt::Display) -> Self {
        Problem {
            code,
            message: format!("{} {reason}", cell.quoted()),
        }
    }

    /// "`cell`: sentence", for errors that are whole sentences.
    fn explained(code: ProblemCode, cell: CellValue<'_>, sentence: impl std::fmt::Display) -> Self {
        Problem {
            code,
            message: format!("{}: {sentence}", cell.quoted()),
        }
    }
}

type FieldResult<T> = Result<Option<T>, Problem>;

pub(crate) fn short_text(cell: CellValue<'_>) -> FieldResult<ShortText> {
    match cell {
        CellValue::Blank => Ok(None),
        CellValue::Error(_) => Err(Problem::new(
            ProblemCode::InvalidText,
            cell,
            "is an Excel error, not text",
        )),
        _ => ShortText::parse(&cell.to_text())
            .map(Some)
            .map_err(|error| match error {
                ShortTextError::Empty => Problem::new(ProblemCode::Missing, cell, error),
                ShortTextError::TooLong(_) => Problem::new(ProblemCode::TooLong, cell, error),
                ShortTextError::Nul => Problem::new(ProblemCode::InvalidText, cell, error),
            }),
    }
}

/// The `ip` column: an IP literal or a host name, as [`Host`] defines them.
pub(crate) fn host(cell: CellValue<'_>) -> FieldResult<Host> {
    match cell {
        CellValue::Blank => Ok(None),
        CellValue::Text(text) => Host::parse(text)
            .map(Some)
            .map_err(|error| Problem::explained(ProblemCode::InvalidIp, cell, error)),
        _ => Err(Problem::new(
            ProblemCode::InvalidIp,
            cell,
            "is not an IPv4/IPv6 address or a host name",
        )),
    }
}

pub(crate) fn port(cell: CellValue<'_>) -> FieldResult<Port> {
    let number = match cell {
        CellValue::Blank => return Ok(None),
        CellValue::Number(number) => whole_number(number, u16::MAX.into()),
        CellValue::Text(text) => digits(text, u16::MAX.into()),
        _ => None,
    };
    number
        .and_then(|n| u16::try_from(n).ok())
        .and_then(|n| Port::new(n).ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::new(
                ProblemCode::InvalidPort,
                cell,
                "is not a port number between 1 and 65535",
            )
        })
}

pub(crate) fn quantity(cell: CellValue<'_>) -> FieldResult<Quantity> {
    let number = match cell {
        CellValue::Blank => return Ok(Some(Quantity::ONE)),
        CellValue::Number(number) => whole_number(number, u32::MAX.into()),
        CellValue::Text(text) => digits(text, u32::MAX.into()),
        _ => None,
    };
    number
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| i64::from(*n) <= i64::from(crate::bounds::MAX_QTY))
        .and_then(|n| Quantity::new(n).ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::new(
                ProblemCode::InvalidQty,
                cell,
                format_args!("is not a whole number from 1 to {}", crate::bounds::MAX_QTY),
            )
        })
}

pub(crate) fn date(cell: CellValue<'_>, system: DateSystem) -> FieldResult<NaiveDate> {
    let parsed = match cell {
        CellValue::Blank => return Ok(None),
        CellValue::Date(serial) | CellValue::Number(serial) => date_from_serial(serial, system),
        CellValue::Text(text) => parse_date_text(text, system),
        CellValue::IsoDate(text) => parse_iso_date(text),
        CellValue::Bool(_) | CellValue::Error(_) | CellValue::Duration(_) => {
            return Err(Problem::new(
                ProblemCode::InvalidDate,
                cell,
                "is not a date",
            ));
        }
    };
    match parsed {
        Ok(date) if crate::bounds::date_in_range(date) => Ok(Some(date)),
        Ok(_) => Err(Problem::new(
            ProblemCode::InvalidDate,
            cell,
            format_args!(
                "is outside the dates accepted ({} to {})",
                crate::bounds::MIN_DATE,
                crate::bounds::MAX_DATE
            ),
        )),
        Err(error) => Err(Problem::new(ProblemCode::InvalidDate, cell, error)),
    }
}

pub(crate) fn currency(cell: CellValue<'_>) -> FieldResult<Currency> {
    match cell {
        CellValue::Blank => Ok(None),
        CellValue::Text(text) => Currency::from_str(text).map(Some).map_err(|_| {
            Problem::new(
                ProblemCode::UnknownCurrency,
                cell,
                "is not a supported currency (IDR or USD)",
            )
        }),
        _ => Err(Problem::new(
            ProblemCode::UnknownCurrency,
            cell,
            "is not a supported currency (IDR or USD)",
        )),
    }
}

/// `column_currency` is the row's currency cell, when filled in.
pub(crate) fn price(cell: CellValue<'_>, column_currency: Option<Currency>) -> FieldResult<Money> {
    let parsed = match cell {
        CellValue::Blank => return Ok(None),
        CellValue::Number(number) => {
            price_from_number(number, column_currency.unwrap_or(Currency::Idr))
        }
        CellValue::Text(text) => parse_price_text(text, column_currency),
        _ => Err(PriceError::NotAnAmount),
    };
    parsed.map(Some).map_err(|error| {
        let code = match error {
            PriceError::Negative => ProblemCode::NegativePrice,
            PriceError::CurrencyMismatch { .. } => ProblemCode::CurrencyMismatch,
            _ => ProblemCode::InvalidPrice,
        };
        Problem::new(code, cell, error)
    })
}

/// An integral number cell within `1..=max` (`22.0` is port 22).
fn whole_number(number: f64, max: u64) -> Option<u64> {
    (number.fract() == 0.0 && (1.0..=max as f64).contains(&number)).then_some(number as u64)
}

/// Text of ASCII digits only, within `1..=max`.
fn digits(text: &str, max: u64) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().filter(|n| (1..=max).contains(n))
}

/// The problems of one row, in column order of the canonical fields.
pub(crate) struct RowProblems {
    problems: Vec<RowProblem>,
}

impl RowProblems {
    /// Starts with a `missing_column` problem for each required column the
    /// sheet lacks, so such a row can never pass as valid.
    pub(crate) fn new(missing_columns: &[Field]) -> Self {
        let problems = missing_columns
            .iter()
            .map(|&field| RowProblem {
                field,
                code: ProblemCode::MissingColumn,
                message: format!("the sheet has no `{field}` column"),
            })
            .collect();
        RowProblems { problems }
    }

    /// Keeps the value of a field, or records its problem.
    pub(crate) fn optional<T>(&mut self, field: Field, result: FieldResult<T>) -> Option<T> {
        match result {
            Ok(value) => value,
            Err(problem) => {
                self.problems.push(RowProblem {
                    field,
                    code: problem.code,
                    message: problem.message,
                });
                None
            }
        }
    }

    /// Like [`RowProblems::optional`], and a blank cell is a `missing`
    /// problem, unless the whole column is missing (already recorded).
    pub(crate) fn required<T>(&mut self, field: Field, result: FieldResult<T>) -> Option<T> {
        let value = self.optional(field, result);
        let already_recorded = self.problems.iter().any(|problem| problem.field == field);
        if value.is_none() && !already_recorded {
            self.problems.push(RowProblem {
                field,
                code: ProblemCode::Missing,
                message: format!("`{field}` is required"),
            });
        }
        value
    }

    /// Whether the field already has a problem (to avoid reporting one
    /// mistake twice, e.g. a price in an unknown currency).
    pub(crate) fn has(&self, field: Field) -> bool {
        self.problems.iter().any(|problem| problem.field == field)
    }

    pub(crate) fn into_vec(self) -> Vec<RowProblem> {
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: std::fmt::Debug>(result: FieldResult<T>) -> ProblemCode {
        result.expect_err("the cell should be refused").code
    }

    #[test]
    fn ports_from_numbers_and_text() {
        assert_eq!(port(CellValue::Number(22.0)), Ok(Port::new(22).ok()));
        assert_eq!(port(CellValue::Text("3389")), Ok(Port::new(3389).ok()));
        assert_eq!(port(CellValue::Blank), Ok(None));
        for bad in [
            CellValue::Number(0.0),
            CellValue::Number(65536.0),
            CellValue::Number(22.5),
            CellValue::Number(-22.0),
        ] {
            assert_eq!(code(port(bad)), ProblemCode::InvalidPort, "{bad:?}");
        }
        for bad in [
            "abc",
            "22a",
            "-1",
            "+22",
            "70000",
            "99999999999999999999999",
        ] {
            assert_eq!(
                code(port(CellValue::Text(bad))),
                ProblemCode::InvalidPort,
                "{bad}"
            );
        }
    }

    #[test]
    fn quantity_defaults_to_one() {
        assert_eq!(quantity(CellValue::Blank), Ok(Some(Quantity::ONE)));
        assert_eq!(quantity(CellValue::Number(3.0)), Ok(Quantity::new(3).ok()));
        assert_eq!(
            code(quantity(CellValue::Number(0.0))),
            ProblemCode::InvalidQty
        );
        assert_eq!(
            code(quantity(CellValue::Text("dua"))),
            ProblemCode::InvalidQty
        );
    }

    #[test]
    fn problems_quote_the_cell_and_cut_it_short() {
        let long = "x".repeat(500);
        let problem = host(CellValue::Text(&long)).expect_err("too long for a host name");
        assert!(
            problem
                .message
                .starts_with(&format!("`{}…`", "x".repeat(40))),
            "{}",
            problem.message
        );
        let problem = port(CellValue::Text("abc")).expect_err("not a number");
        assert_eq!(
            problem.message,
            "`abc` is not a port number between 1 and 65535"
        );
    }

    #[test]
    fn a_price_in_a_number_cell_uses_the_currency_column() {
        assert_eq!(
            price(CellValue::Number(12.5), Some(Currency::Usd)),
            Ok(Some(Money::new(1250, Currency::Usd)))
        );
        assert_eq!(
            price(CellValue::Number(150_000.0), None),
            Ok(Some(Money::new(150_000, Currency::Idr)))
        );
        assert_eq!(
            code(price(CellValue::Number(-5.0), None)),
            ProblemCode::NegativePrice
        );
        assert_eq!(
            code(price(CellValue::Text("Rp 5.000"), Some(Currency::Usd))),
            ProblemCode::CurrencyMismatch
        );
        assert_eq!(
            code(price(CellValue::Text("lima ribu"), None)),
            ProblemCode::InvalidPrice
        );
    }

    #[test]
    fn currencies() {
        assert_eq!(currency(CellValue::Text("Rp")), Ok(Some(Currency::Idr)));
        assert_eq!(currency(CellValue::Text("usd")), Ok(Some(Currency::Usd)));
        assert_eq!(
            code(currency(CellValue::Text("EUR"))),
            ProblemCode::UnknownCurrency
        );
    }
}
