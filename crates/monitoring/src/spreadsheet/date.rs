//! Dates as they appear in the shop's spreadsheets: text in the Indonesian
//! day-first formats or ISO, Excel serial numbers typed as numbers or text,
//! and real date cells (which are serial numbers with a date format).

use chrono::{Datelike, Days, NaiveDate};

/// The two epochs an Excel workbook can count its serial dates from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateSystem {
    /// Windows Excel: serial 1 is 1900-01-01, and serial 60 is the
    /// 1900-02-29 that never existed (kept from Lotus 1-2-3 for
    /// compatibility), so from serial 61 on the epoch is 1899-12-30.
    Excel1900,
    /// Old Mac Excel: serial 0 is 1904-01-01.
    Excel1904,
}

/// The range Excel can store; also the range a rental or sale date can
/// sensibly have.
pub(crate) const EARLIEST: NaiveDate =
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("a calendar date");
pub(crate) const LATEST: NaiveDate =
    NaiveDate::from_ymd_opt(9999, 12, 31).expect("a calendar date");

const EPOCH_1900_BEFORE_LEAP_BUG: NaiveDate =
    NaiveDate::from_ymd_opt(1899, 12, 31).expect("a calendar date");
const EPOCH_1900: NaiveDate = NaiveDate::from_ymd_opt(1899, 12, 30).expect("a calendar date");
const EPOCH_1904: NaiveDate = NaiveDate::from_ymd_opt(1904, 1, 1).expect("a calendar date");
/// 9999-12-31 in each system.
const LAST_SERIAL_1900: f64 = 2_958_465.0;
const LAST_SERIAL_1904: f64 = 2_957_003.0;
/// Serial 60 in the 1900 system: the Lotus leap-year bug's 1900-02-29.
const LOTUS_LEAP_DAY: f64 = 60.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DateError {
    #[error(
        "is not a date; expected DD/MM/YYYY, DD-MM-YYYY, YYYY-MM-DD, DD/MM/YY, DD-MM-YY or an Excel date number"
    )]
    Unrecognised,
    #[error("is not a day of the calendar")]
    NotACalendarDate,
    #[error("is outside the supported range 1900-01-01 to 9999-12-31")]
    OutOfRange,
}

/// The calendar day of an Excel serial date; a time of day (the fraction) is
/// dropped, since every date we import is a whole day.
pub(crate) fn date_from_serial(serial: f64, system: DateSystem) -> Result<NaiveDate, DateError> {
    let day = serial.floor();
    let (first, last) = match system {
        DateSystem::Excel1900 => (1.0, LAST_SERIAL_1900),
        DateSystem::Excel1904 => (0.0, LAST_SERIAL_1904),
    };
    // Also refuses NaN, which fails every comparison.
    if !(first..=last).contains(&day) {
        return Err(DateError::OutOfRange);
    }
    let (epoch, offset) = match system {
        DateSystem::Excel1900 if day == LOTUS_LEAP_DAY => return Err(DateError::NotACalendarDate),
        DateSystem::Excel1900 if day < LOTUS_LEAP_DAY => (EPOCH_1900_BEFORE_LEAP_BUG, day),
        DateSystem::Excel1900 => (EPOCH_1900, day),
        DateSystem::Excel1904 => (EPOCH_1904, day),
    };
    // The range check above makes `offset` a small whole non-negative number.
    epoch
        .checked_add_days(Days::new(offset as u64))
        .ok_or(DateError::OutOfRange)
}

/// Parses `DD/MM/YYYY`, `DD-MM-YYYY`, `YYYY-MM-DD`, `DD/MM/YY`, `DD-MM-YY`
/// (day and month may have one digit; a two-digit year is 20yy) or a serial
/// number written as text.
pub(crate) fn parse_date_text(text: &str, system: DateSystem) -> Result<NaiveDate, DateError> {
    let text = text.trim();
    if looks_like_serial(text) {
        let serial: f64 = text.parse().map_err(|_| DateError::Unrecognised)?;
        return date_from_serial(serial, system);
    }
    let separator = if text.contains('/') { '/' } else { '-' };
    let mut parts = text.split(separator);
    let (Some(first), Some(second), Some(third), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DateError::Unrecognised);
    };
    if ![first, second, third]
        .iter()
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DateError::Unrecognised);
    }
    let short = |part: &str| (1..=2).contains(&part.len());
    let (year, month, day) = match (first.len(), third.len()) {
        (4, _) if separator == '-' && short(second) && short(third) => {
            (number(first), number(second), number(third))
        }
        (1 | 2, 4) if short(second) => (number(third), number(second), number(first)),
        (1 | 2, 2) if short(second) => (2000 + number(third), number(second), number(first)),
        _ => return Err(DateError::Unrecognised),
    };
    let date =
        NaiveDate::from_ymd_opt(year as i32, month, day).ok_or(DateError::NotACalendarDate)?;
    check_range(date)
}

/// Parses the date part of an ISO 8601 date or date-time, the form calamine
/// gives for cells stored with the `d` (date) type.
pub(crate) fn parse_iso_date(text: &str) -> Result<NaiveDate, DateError> {
    let date_part = text.trim().get(..10).ok_or(DateError::Unrecognised)?;
    let date =
        NaiveDate::parse_from_str(date_part, "%Y-%m-%d").map_err(|_| DateError::Unrecognised)?;
    check_range(date)
}

fn check_range(date: NaiveDate) -> Result<NaiveDate, DateError> {
    if (EARLIEST..=LATEST).contains(&date) {
        Ok(date)
    } else {
        Err(DateError::OutOfRange)
    }
}

/// Digits with at most one decimal point: `45678` or `45678.5`.
fn looks_like_serial(text: &str) -> bool {
    let mut parts = text.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next().unwrap_or("0");
    !whole.is_empty()
        && whole.len() <= 7
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A run of at most four ASCII digits, already checked by the caller.
fn number(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0, |value, digit| value * 10 + u32::from(digit - b'0'))
}

/// Year, month and day of a date in the Excel range, for writing cells.
pub(crate) fn ymd(date: NaiveDate) -> Option<(u16, u8, u8)> {
    if !(EARLIEST..=LATEST).contains(&date) {
        return None;
    }
    Some((
        u16::try_from(date.year()).ok()?,
        u8::try_from(date.month()).ok()?,
        u8::try_from(date.day()).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("test dates are calendar dates")
    }

    #[test]
    fn parses_each_text_format() {
        let expected = Ok(date(2025, 3, 7));
        for text in [
            "07/03/2025",
            "7/3/2025",
            "07-03-2025",
            "2025-03-07",
            "2025-3-7",
            "07/03/25",
            "07-03-25",
            " 07/03/2025 ",
        ] {
            assert_eq!(
                parse_date_text(text, DateSystem::Excel1900),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn two_digit_years_are_this_century() {
        assert_eq!(
            parse_date_text("31/12/99", DateSystem::Excel1900),
            Ok(date(2099, 12, 31))
        );
        assert_eq!(
            parse_date_text("01-01-00", DateSystem::Excel1900),
            Ok(date(2000, 1, 1))
        );
    }

    #[test]
    fn invalid_calendar_dates_are_errors_not_panics() {
        assert_eq!(
            parse_date_text("31/02/2025", DateSystem::Excel1900),
            Err(DateError::NotACalendarDate)
        );
        assert_eq!(
            parse_date_text("29-02-2023", DateSystem::Excel1900),
            Err(DateError::NotACalendarDate)
        );
        assert_eq!(
            parse_date_text("2025-13-01", DateSystem::Excel1900),
            Err(DateError::NotACalendarDate)
        );
        assert_eq!(
            parse_date_text("00/01/2025", DateSystem::Excel1900),
            Err(DateError::NotACalendarDate)
        );
        assert_eq!(
            parse_date_text("29/02/2024", DateSystem::Excel1900),
            Ok(date(2024, 2, 29))
        );
    }

    #[test]
    fn refuses_other_shapes() {
        for text in [
            "",
            "besok",
            "2025/03/07",
            "07/03-2025",
            "07.03.2025",
            "7/3",
            "1/2/3/4",
            "007/03/2025",
            "07/03/202",
            "-1",
            "1e5",
        ] {
            assert_eq!(
                parse_date_text(text, DateSystem::Excel1900),
                Err(DateError::Unrecognised),
                "{text:?}"
            );
        }
        assert_eq!(
            parse_date_text("01/01/1899", DateSystem::Excel1900),
            Err(DateError::OutOfRange)
        );
    }

    #[test]
    fn serials_follow_the_1900_system_with_the_lotus_leap_day() {
        let system = DateSystem::Excel1900;
        assert_eq!(date_from_serial(1.0, system), Ok(date(1900, 1, 1)));
        assert_eq!(date_from_serial(59.0, system), Ok(date(1900, 2, 28)));
        assert_eq!(
            date_from_serial(60.0, system),
            Err(DateError::NotACalendarDate)
        );
        assert_eq!(date_from_serial(61.0, system), Ok(date(1900, 3, 1)));
        assert_eq!(date_from_serial(45_658.0, system), Ok(date(2025, 1, 1)));
        assert_eq!(
            date_from_serial(45_658.99, system),
            Ok(date(2025, 1, 1)),
            "the time of day is dropped"
        );
        assert_eq!(
            date_from_serial(2_958_465.0, system),
            Ok(date(9999, 12, 31))
        );
        for out in [0.0, -1.0, 2_958_466.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                date_from_serial(out, system),
                Err(DateError::OutOfRange),
                "{out}"
            );
        }
    }

    #[test]
    fn serials_in_the_1904_system() {
        assert_eq!(
            date_from_serial(0.0, DateSystem::Excel1904),
            Ok(date(1904, 1, 1))
        );
        assert_eq!(
            date_from_serial(44_196.0, DateSystem::Excel1904),
            Ok(date(2025, 1, 1))
        );
    }

    #[test]
    fn serials_written_as_text() {
        assert_eq!(
            parse_date_text("45658", DateSystem::Excel1900),
            Ok(date(2025, 1, 1))
        );
        assert_eq!(
            parse_date_text("45658.25", DateSystem::Excel1900),
            Ok(date(2025, 1, 1))
        );
        assert_eq!(
            parse_date_text("99999999", DateSystem::Excel1900),
            Err(DateError::Unrecognised)
        );
        assert_eq!(
            parse_date_text("0", DateSystem::Excel1900),
            Err(DateError::OutOfRange)
        );
    }

    #[test]
    fn iso_date_times_keep_the_day() {
        assert_eq!(parse_iso_date("2025-01-31T10:20:00"), Ok(date(2025, 1, 31)));
        assert_eq!(parse_iso_date("2025-01"), Err(DateError::Unrecognised));
    }
}
