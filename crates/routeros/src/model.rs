//! The router's records as Juragan uses them, mapped from attribute lists
//! that both transports produce (API rows and REST JSON objects, where
//! every value is a string). Missing fields become empty strings rather
//! than errors: RouterOS omits empty properties, and a monitoring page is
//! better with a blank cell than with no page at all.

use std::time::Duration;

use crate::reply::Attributes;

/// One live PPP session (`/ppp/active`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    /// `.id`, e.g. `*80000001`: what `remove_active` takes.
    pub id: String,
    pub name: String,
    pub service: String,
    pub caller_id: String,
    pub address: String,
    /// `uptime` parsed, `None` when the router's text is not understood.
    pub uptime: Option<Duration>,
    /// `uptime` as the router wrote it.
    pub uptime_text: String,
    pub session_id: String,
}

/// One PPP account (`/ppp/secret`). The password is deliberately not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PppSecret {
    /// `.id`, e.g. `*5`: what `set_secret` takes.
    pub id: String,
    pub name: String,
    pub profile: String,
    pub service: String,
    pub disabled: bool,
}

/// `/system/resource`: enough to show what the router is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemResource {
    pub version: String,
    pub board_name: String,
    pub architecture: String,
    pub uptime: String,
    /// `cpu-load` in percent.
    pub cpu_load: Option<u8>,
}

/// A change to a PPP secret; `None` leaves the property as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretChange {
    pub disabled: Option<bool>,
    pub profile: Option<String>,
}

impl SecretChange {
    /// `(property, value)` pairs in RouterOS spelling (`yes`/`no`).
    pub(crate) fn properties(&self) -> Vec<(&'static str, String)> {
        let mut properties = Vec::new();
        if let Some(disabled) = self.disabled {
            properties.push(("disabled", if disabled { "yes" } else { "no" }.to_owned()));
        }
        if let Some(profile) = &self.profile {
            properties.push(("profile", profile.clone()));
        }
        properties
    }
}

fn field(attributes: &Attributes, key: &str) -> String {
    attributes.get(key).unwrap_or_default().to_owned()
}

/// RouterOS booleans: `true`/`false` from print, `yes`/`no` from the console.
fn flag(attributes: &Attributes, key: &str) -> bool {
    matches!(attributes.get(key), Some("true" | "yes"))
}

impl ActiveSession {
    pub(crate) fn from_attributes(row: &Attributes) -> ActiveSession {
        let uptime_text = field(row, "uptime");
        ActiveSession {
            id: field(row, ".id"),
            name: field(row, "name"),
            service: field(row, "service"),
            caller_id: field(row, "caller-id"),
            address: field(row, "address"),
            uptime: parse_uptime(&uptime_text),
            uptime_text,
            session_id: field(row, "session-id"),
        }
    }
}

impl PppSecret {
    pub(crate) fn from_attributes(row: &Attributes) -> PppSecret {
        PppSecret {
            id: field(row, ".id"),
            name: field(row, "name"),
            profile: field(row, "profile"),
            service: field(row, "service"),
            disabled: flag(row, "disabled"),
        }
    }
}

impl SystemResource {
    pub(crate) fn from_attributes(row: &Attributes) -> SystemResource {
        SystemResource {
            version: field(row, "version"),
            board_name: field(row, "board-name"),
            architecture: field(row, "architecture-name"),
            uptime: field(row, "uptime"),
            cpu_load: row
                .get("cpu-load")
                .and_then(|load| load.trim_end_matches('%').parse().ok()),
        }
    }
}

/// Parses a RouterOS duration leniently. v6 and v7 write uptimes
/// differently (`1w2d03:04:05` vs `1w2d3h4m5s`), so this accepts unit
/// groups (`w d h m s ms`) in any combination, optionally ending in a
/// clock `[h]h:mm:ss`; anything else is `None` rather than a guess.
pub fn parse_uptime(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut total = Duration::ZERO;
    let mut at = 0;
    while at < bytes.len() {
        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        if bytes.get(at + digits) == Some(&b':') {
            return total.checked_add(parse_clock(&text[at..])?);
        }
        let number: u64 = text[at..at + digits].parse().ok()?;
        at += digits;
        let unit_len = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let unit = match &text[at..at + unit_len] {
            "w" => Duration::from_secs(number.checked_mul(7 * 86_400)?),
            "d" => Duration::from_secs(number.checked_mul(86_400)?),
            "h" => Duration::from_secs(number.checked_mul(3_600)?),
            "m" => Duration::from_secs(number.checked_mul(60)?),
            "s" => Duration::from_secs(number),
            "ms" => Duration::from_millis(number),
            "us" => Duration::from_micros(number),
            _ => return None,
        };
        at += unit_len;
        total = total.checked_add(unit)?;
    }
    Some(total)
}

/// `hh:mm:ss` or `mm:ss`, seconds optionally with a fraction.
fn parse_clock(text: &str) -> Option<Duration> {
    let parts: Vec<&str> = text.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [hours, minutes, seconds] => (*hours, *minutes, *seconds),
        [minutes, seconds] => ("0", *minutes, *seconds),
        _ => return None,
    };
    let number = |part: &str| -> Option<u64> {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (whole, fraction) = match seconds.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (seconds, None),
    };
    let (minutes, whole) = (number(minutes)?, number(whole)?);
    if minutes >= 60 || whole >= 60 {
        return None;
    }
    let mut clock = Duration::from_secs(
        number(hours)?
            .checked_mul(3_600)?
            .checked_add(minutes * 60 + whole)?,
    );
    if let Some(fraction) = fraction {
        let digits = number(fraction)?;
        let scale = 10u64.checked_pow(u32::try_from(fraction.len()).ok()?)?;
        clock += Duration::from_nanos(digits.checked_mul(1_000_000_000)? / scale);
    }
    Some(clock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Option<Duration> {
        Some(Duration::from_secs(n))
    }

    #[test]
    fn uptimes_parse_in_every_format_routeros_writes() {
        assert_eq!(
            parse_uptime("1w2d3h4m5s"),
            secs(7 * 86_400 + 2 * 86_400 + 3 * 3_600 + 4 * 60 + 5)
        );
        assert_eq!(parse_uptime("45m"), secs(45 * 60));
        assert_eq!(parse_uptime("1h30m"), secs(5_400));
        assert_eq!(parse_uptime("00:05:10"), secs(310));
        assert_eq!(
            parse_uptime("2d03:04:05"),
            secs(2 * 86_400 + 3 * 3_600 + 245)
        );
        assert_eq!(parse_uptime("1w2d03:04:05"), secs(9 * 86_400 + 11_045));
        assert_eq!(parse_uptime("1d2h3m4s"), secs(86_400 + 7_384));
        assert_eq!(parse_uptime("1s500ms"), Some(Duration::from_millis(1_500)));
        assert_eq!(parse_uptime("750ms"), Some(Duration::from_millis(750)));
        assert_eq!(
            parse_uptime("00:00:01.25"),
            Some(Duration::from_millis(1_250))
        );
        assert_eq!(parse_uptime(" 5s "), secs(5));
    }

    #[test]
    fn garbage_uptimes_are_none() {
        for garbage in [
            "",
            "abc",
            "5",
            "5x",
            "h",
            "1h-2m",
            "1:2:3:4",
            "00:61:00",
            "1d:02",
            "::",
            "99999999999999999999w",
            "18446744073709551615w",
        ] {
            assert_eq!(parse_uptime(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn secret_changes_use_routeros_spelling() {
        let change = SecretChange {
            disabled: Some(true),
            profile: Some("isolir".into()),
        };
        assert_eq!(
            change.properties(),
            [
                ("disabled", "yes".to_owned()),
                ("profile", "isolir".to_owned())
            ]
        );
        assert!(SecretChange::default().properties().is_empty());
    }
}
