//! Per-field validation errors: what a form or JSON body got wrong, field by
//! field, so the API can answer 422 with every problem at once instead of the
//! first one it happened to meet.

use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field in the request body, e.g. `billing_address.city`.
    pub field: String,
    /// Stable machine code, e.g. `required`, `invalid_format`, `out_of_range`.
    pub code: String,
    /// Human explanation in English; the SPA translates by `code`.
    pub message: String,
}

/// All field problems of one input. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .errors.len())]
pub struct ValidationErrors {
    errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// A single-field error, for rules that fail on their own.
    pub fn single(field: &str, code: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, code, message);
        errors
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// Collects the error of a parse step under `field` and returns its value,
    /// so a whole input can be checked in one pass.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        code: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, code, error.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// `Ok(())` when nothing was collected, so callers can `?` after checking.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_collects_every_failure_and_keeps_successes() {
        let mut errors = ValidationErrors::new();
        let good: Option<u16> = errors.check("port", "invalid", "22".parse::<u16>());
        let bad: Option<u16> = errors.check("other_port", "invalid", "70000".parse::<u16>());
        assert_eq!(good, Some(22));
        assert_eq!(bad, None);
        assert_eq!(errors.errors().len(), 1);
        assert_eq!(errors.errors()[0].field, "other_port");
        assert!(errors.into_result().is_err());
    }

    #[test]
    fn empty_errors_are_ok() {
        assert_eq!(ValidationErrors::new().into_result(), Ok(()));
    }
}
