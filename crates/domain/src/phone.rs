//! Indonesian phone numbers, normalised to `+62…` whichever way they were
//! typed: `0812-3456-789`, `62812 3456 789`, `+62 812 3456 789`.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an Indonesian phone number (expected 08…, 62… or +62…)")]
pub struct InvalidPhone(pub String);

impl PhoneId {
    pub fn parse(input: &str) -> Result<Self, InvalidPhone> {
        let invalid = || InvalidPhone(input.trim().to_owned());
        let trimmed = input.trim();
        let has_plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(trimmed.len());
        for (index, ch) in trimmed.chars().enumerate() {
            match ch {
                '0'..='9' => digits.push(ch),
                '+' if index == 0 => {}
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(invalid()),
            }
        }
        let national = if let Some(rest) = digits.strip_prefix("62") {
            rest
        } else if !has_plus && let Some(rest) = digits.strip_prefix('0') {
            rest
        } else {
            return Err(invalid());
        };
        // Subscriber numbers (without the leading 0) have 8 to 13 digits and
        // never start with 0 themselves.
        if !(8..=13).contains(&national.len()) || national.starts_with('0') {
            return Err(invalid());
        }
        Ok(Self(format!("+62{national}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_every_common_spelling() {
        for input in [
            "081234567890",
            "0812-3456-7890",
            "6281234567890",
            "+62 812 3456 7890",
            "(0812) 3456.7890",
        ] {
            assert_eq!(
                PhoneId::parse(input).map(|p| p.to_string()),
                Ok("+6281234567890".to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_foreign_and_malformed_numbers() {
        for bad in [
            "",
            "12345",
            "+1 415 555 0100",
            "0812abc4567",
            "00812345678",
            "+0812345678",
            "08123",
        ] {
            assert!(PhoneId::parse(bad).is_err(), "{bad}");
        }
    }
}
