//! Email addresses, lower-cased and checked once at the edge.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid email address")]
pub struct InvalidEmail(pub String);

impl Email {
    /// Trims and lower-cases: `Budi@Example.ID ` and `budi@example.id` are one
    /// account. Checks the shape an address must have to be deliverable
    /// (local part, `@`, a dotted domain, no spaces), not RFC 5322 in full.
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let email = input.trim().to_lowercase();
        let invalid = || InvalidEmail(input.trim().to_owned());
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `bu***@example.id`: enough to recognise, not enough to harvest.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let visible: String = local.chars().take(2).collect();
        format!("{visible}***@{domain}")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Budi@Example.ID ").map(|e| e.to_string()),
            Ok("budi@example.id".to_owned())
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "budi",
            "budi@",
            "@example.id",
            "budi@example",
            "bu di@example.id",
            "budi@exa..mple.id",
            "a@b@c.id",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masks_the_local_part() {
        assert_eq!(
            Email::parse("budi.santoso@example.id").map(|e| e.masked()),
            Ok("bu***@example.id".to_owned())
        );
    }
}
