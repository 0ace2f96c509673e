//! Typed values of imported cells. Each type can only be built through a
//! checking constructor, and deserialising checks the same rules, so a
//! preview read back from storage can be trusted as much as one just parsed.

use std::fmt;
use std::num::{NonZeroU16, NonZeroU32};

use serde::{Deserialize, Serialize};

/// Text of a name, merchant or account type column: trimmed, not empty, at
/// most [`ShortText::MAX_CHARS`] characters, without NUL (which PostgreSQL
/// text cannot hold; a cell can, written `_x0000_`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShortText(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShortTextError {
    #[error("is empty")]
    Empty,
    #[error("has {0} characters; at most 200 are allowed")]
    TooLong(usize),
    #[error("contains a NUL character, which cannot be stored")]
    Nul,
}

impl ShortText {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<Self, ShortTextError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ShortTextError::Empty);
        }
        if trimmed.contains('\0') {
            return Err(ShortTextError::Nul);
        }
        // Byte length bounds the character count, so only long inputs pay
        // for counting characters.
        if trimmed.len() > Self::MAX_CHARS {
            let chars = trimmed.chars().count();
            if chars > Self::MAX_CHARS {
                return Err(ShortTextError::TooLong(chars));
            }
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ShortText {
    type Error = ShortTextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ShortText> for String {
    fn from(value: ShortText) -> Self {
        value.0
    }
}

/// A TCP port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct Port(NonZeroU16);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("is not a port number between 1 and 65535")]
pub struct InvalidPort;

impl Port {
    pub fn new(value: u16) -> Result<Self, InvalidPort> {
        NonZeroU16::new(value).map(Port).ok_or(InvalidPort)
    }

    pub fn get(self) -> u16 {
        self.0.get()
    }
}

impl TryFrom<u16> for Port {
    type Error = InvalidPort;
    fn try_from(value: u16) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Port> for u16 {
    fn from(value: Port) -> Self {
        value.get()
    }
}

/// How many accounts one sale line sold: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(NonZeroU32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("is not a whole number of at least 1")]
pub struct InvalidQuantity;

impl Quantity {
    pub const ONE: Quantity = Quantity(NonZeroU32::MIN);

    pub fn new(value: u32) -> Result<Self, InvalidQuantity> {
        NonZeroU32::new(value).map(Quantity).ok_or(InvalidQuantity)
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl TryFrom<u32> for Quantity {
    type Error = InvalidQuantity;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Quantity> for u32 {
    fn from(value: Quantity) -> Self {
        value.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_trimmed_and_bounded() {
        assert_eq!(
            ShortText::parse("  Netflix 1 bulan ").map(|t| t.0),
            Ok("Netflix 1 bulan".to_owned())
        );
        assert_eq!(ShortText::parse("   "), Err(ShortTextError::Empty));
        assert!(
            ShortText::parse(&"é".repeat(200)).is_ok(),
            "200 two-byte characters fit"
        );
        assert_eq!(
            ShortText::parse(&"a".repeat(201)),
            Err(ShortTextError::TooLong(201))
        );
        assert_eq!(ShortText::parse("a\0b"), Err(ShortTextError::Nul));
    }

    #[test]
    fn port_and_quantity_refuse_zero() {
        assert_eq!(Port::new(0), Err(InvalidPort));
        assert_eq!(Port::new(65535).map(Port::get), Ok(65535));
        assert_eq!(Quantity::new(0), Err(InvalidQuantity));
        assert_eq!(Quantity::ONE.get(), 1);
    }

    #[test]
    fn deserialising_checks_the_same_rules() {
        assert!(serde_json::from_str::<Port>("0").is_err());
        assert!(serde_json::from_str::<ShortText>("\"  \"").is_err());
    }
}
