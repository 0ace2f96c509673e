//! The address of a monitored host as an operator types it: an IPv4 or IPv6
//! literal, or a DNS hostname. Parsed once at the edge (forms, the Excel
//! import), trusted everywhere after.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest hostname in presentation form (RFC 1035 §2.3.4 / RFC 1123 §2.1:
/// 255 octets on the wire, which leaves 253 characters without the root dot).
const MAX_HOSTNAME_LEN: usize = 253;
/// Longest label between two dots (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;

/// A validated IP literal or RFC 1123 hostname, without scheme, path or port.
///
/// Hostnames are stored lowercased so that `Example.COM` and `example.com` are
/// the same host (DNS is case-insensitive, and the import upserts hosts by
/// name + address + port).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Host(HostKind);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum HostKind {
    Ip(IpAddr),
    Name(String),
}

/// Why a string is not a [`Host`]. The messages are shown to operators as-is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the host is empty")]
    Empty,
    #[error("the host must not include a scheme such as `http://`: give only the name or IP")]
    HasScheme,
    #[error("the host must not include a path: give only the name or IP")]
    HasPath,
    #[error("the host must not include a port: the port is a separate field")]
    HasPort,
    #[error("the hostname is {len} characters long; at most {MAX_HOSTNAME_LEN} are allowed")]
    TooLong { len: usize },
    #[error("the hostname has an empty label (leading, trailing or doubled dot)")]
    EmptyLabel,
    #[error("the label `{label}` is longer than {MAX_LABEL_LEN} characters")]
    LabelTooLong { label: String },
    #[error(
        "the character {character:?} is not allowed in a hostname (letters, digits, `-` and `.` only)"
    )]
    InvalidCharacter { character: char },
    #[error("the label `{label}` must not start or end with `-`")]
    HyphenAtLabelEdge { label: String },
    #[error("the last label `{label}` is all digits: neither a valid IP address nor a hostname")]
    NumericTopLevelLabel { label: String },
}

impl Host {
    /// Parses an IP literal (`192.0.2.7`, `2001:db8::1`) or a hostname
    /// (`vps1.example.com`, `localhost`).
    ///
    /// Surrounding whitespace is not trimmed: the caller decides whether the
    /// input came from a place where that is expected (a spreadsheet cell).
    pub fn parse(input: &str) -> Result<Self, HostError> {
        if input.is_empty() {
            return Err(HostError::Empty);
        }
        // Operators often paste a URL; name the part they should remove
        // rather than complaining about the first odd character.
        if input.contains("://") {
            return Err(HostError::HasScheme);
        }
        if input.contains(['/', '?', '#']) {
            return Err(HostError::HasPath);
        }
        if let Ok(ip) = input.parse::<IpAddr>() {
            return Ok(Self(HostKind::Ip(ip)));
        }
        if let Some((before, after)) = input.rsplit_once(':')
            && !before.contains(':')
            && !after.is_empty()
            && after.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(HostError::HasPort);
        }
        parse_hostname(input).map(|name| Self(HostKind::Name(name)))
    }

    /// The address when the host is an IP literal; `None` for a hostname,
    /// which must be resolved first.
    pub fn ip(&self) -> Option<IpAddr> {
        match &self.0 {
            HostKind::Ip(ip) => Some(*ip),
            HostKind::Name(_) => None,
        }
    }

    /// The lowercased hostname; `None` for an IP literal.
    pub fn hostname(&self) -> Option<&str> {
        match &self.0 {
            HostKind::Ip(_) => None,
            HostKind::Name(name) => Some(name),
        }
    }
}

/// Checks the RFC 1123 rules label by label and returns the lowercased name.
fn parse_hostname(input: &str) -> Result<String, HostError> {
    if input.len() > MAX_HOSTNAME_LEN {
        return Err(HostError::TooLong {
            len: input.chars().count(),
        });
    }
    if let Some(character) = input
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(HostError::InvalidCharacter { character });
    }
    let mut last_label = "";
    for label in input.split('.') {
        if label.is_empty() {
            return Err(HostError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(HostError::LabelTooLong {
                label: label.to_owned(),
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(HostError::HyphenAtLabelEdge {
                label: label.to_owned(),
            });
        }
        last_label = label;
    }
    // RFC 1123 §2.1: a name must be distinguishable from a dotted-decimal
    // address, which a numeric top-level label would not be (`10.0.0.256`).
    if last_label.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HostError::NumericTopLevelLabel {
            label: last_label.to_owned(),
        });
    }
    Ok(input.to_ascii_lowercase())
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Self {
        Self(HostKind::Ip(ip))
    }
}

impl FromStr for Host {
    type Err = HostError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

impl TryFrom<String> for Host {
    type Error = HostError;

    fn try_from(input: String) -> Result<Self, Self::Error> {
        Self::parse(&input)
    }
}

impl From<Host> for String {
    fn from(host: Host) -> Self {
        host.to_string()
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            HostKind::Ip(ip) => ip.fmt(f),
            HostKind::Name(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(input: &str) -> Host {
        Host::parse(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
    }

    fn rejected(input: &str) -> HostError {
        match Host::parse(input) {
            Ok(host) => panic!("{input:?} should be rejected, got {host:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn accepts_ip_literals() {
        for input in [
            "192.0.2.7",
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "2001:db8::42",
            "::ffff:192.0.2.1",
            "fe80::1",
        ] {
            let host = parsed(input);
            assert_eq!(
                host.ip(),
                Some(input.parse().expect("test literal is an IP")),
                "{input}"
            );
            assert_eq!(host.hostname(), None);
        }
    }

    #[test]
    fn accepts_rfc_1123_hostnames() {
        for input in [
            "localhost",
            "example.com",
            "vps-01.jakarta.example.co.id",
            "a.b",
            "1.example",
            "123abc.com",
            "xn--bcher-kva.example",
            "host.a1",
            &"a".repeat(63),
            &format!(
                "{}.com",
                ["a".repeat(63), "b".repeat(63), "c".repeat(63)].join(".")
            ),
        ] {
            let host = parsed(input);
            assert_eq!(host.hostname(), Some(input), "{input}");
            assert_eq!(host.ip(), None);
        }
    }

    #[test]
    fn lowercases_hostnames() {
        assert_eq!(
            parsed("VPS1.Example.COM").hostname(),
            Some("vps1.example.com")
        );
        assert_eq!(parsed("VPS1.Example.COM"), parsed("vps1.example.com"));
    }

    #[test]
    fn length_limits_are_inclusive() {
        let at_limit = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        assert_eq!(at_limit.len(), 253);
        parsed(&at_limit);
        let over = format!("{at_limit}e");
        assert_eq!(rejected(&over), HostError::TooLong { len: 254 });
        assert_eq!(
            rejected(&"a".repeat(64)),
            HostError::LabelTooLong {
                label: "a".repeat(64)
            }
        );
    }

    #[test]
    fn rejects_urls_ports_and_paths() {
        assert_eq!(rejected("http://example.com"), HostError::HasScheme);
        assert_eq!(rejected("ssh://10.0.0.1:22"), HostError::HasScheme);
        assert_eq!(rejected("example.com/status"), HostError::HasPath);
        assert_eq!(rejected("example.com?x=1"), HostError::HasPath);
        assert_eq!(rejected("example.com:3389"), HostError::HasPort);
        assert_eq!(rejected("10.0.0.1:22"), HostError::HasPort);
        assert_eq!(
            rejected("[::1]:22"),
            HostError::InvalidCharacter { character: '[' }
        );
        assert_eq!(
            rejected("[::1]"),
            HostError::InvalidCharacter { character: '[' }
        );
    }

    #[test]
    fn rejects_malformed_labels() {
        assert_eq!(rejected(""), HostError::Empty);
        assert_eq!(rejected(".example.com"), HostError::EmptyLabel);
        assert_eq!(rejected("example..com"), HostError::EmptyLabel);
        assert_eq!(rejected("example.com."), HostError::EmptyLabel);
        assert_eq!(
            rejected("-vps.example.com"),
            HostError::HyphenAtLabelEdge {
                label: "-vps".to_owned()
            }
        );
        assert_eq!(
            rejected("vps-.example.com"),
            HostError::HyphenAtLabelEdge {
                label: "vps-".to_owned()
            }
        );
        assert_eq!(
            rejected("example.-com"),
            HostError::HyphenAtLabelEdge {
                label: "-com".to_owned()
            }
        );
    }

    #[test]
    fn rejects_invalid_characters() {
        for (input, character) in [
            ("under_score.com", '_'),
            ("white space.com", ' '),
            (" example.com", ' '),
            ("example.com ", ' '),
            ("user@example.com", '@'),
            ("bücher.example", 'ü'),
            ("fe80::1%eth0", ':'),
            ("a*.example.com", '*'),
        ] {
            assert_eq!(
                rejected(input),
                HostError::InvalidCharacter { character },
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_numeric_top_level_labels_and_bad_ipv4() {
        for (input, label) in [
            ("256.1.1.1", "1"),
            ("10.0.0.256", "256"),
            ("1.2.3", "3"),
            ("123", "123"),
            ("example.123", "123"),
        ] {
            assert_eq!(
                rejected(input),
                HostError::NumericTopLevelLabel {
                    label: label.to_owned()
                },
                "{input}"
            );
        }
    }

    #[test]
    fn round_trips_through_display_and_serde() {
        for input in ["192.0.2.7", "2001:db8::42", "vps1.example.com"] {
            let host = parsed(input);
            assert_eq!(host.to_string(), input);
            let json = serde_json::to_string(&host).expect("serialize");
            assert_eq!(json, format!("\"{input}\""));
            assert_eq!(
                serde_json::from_str::<Host>(&json).expect("deserialize"),
                host
            );
        }
        assert!(serde_json::from_str::<Host>("\"http://x\"").is_err());
    }
}
