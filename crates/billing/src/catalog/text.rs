//! Field checks shared by the catalog's inputs, each adding its problem to
//! the input's [`ValidationErrors`] so a form hears everything at once.

use domain::ValidationErrors;

/// Trimmed text of at most `max` characters; blank is `None`.
pub(crate) fn optional(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = value.map(str::trim).filter(|value| !value.is_empty())?;
    if value.chars().count() > max {
        errors.add(field, "too_long", format!("at most {max} characters"));
        return None;
    }
    Some(value.to_owned())
}

/// Like [`optional`], and blank is an error.
pub(crate) fn required(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    if value.map(str::trim).is_none_or(str::is_empty) {
        errors.add(field, "required", "required");
        return None;
    }
    optional(errors, field, value, max)
}

/// Lowercase letters, digits and hyphens, starting with a letter or digit:
/// what goes into a URL.
pub(crate) fn slug(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    max: usize,
) -> Option<String> {
    let value = value.trim();
    let valid = !value.is_empty()
        && value.chars().count() <= max
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        errors.add(
            field,
            "invalid_format",
            format!("1 to {max} of a-z, 0-9 and -, starting with a letter or digit"),
        );
        return None;
    }
    Some(value.to_owned())
}

/// An integer in `min..=max`; `None` when absent or out of range.
pub(crate) fn in_range(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<i64>,
    range: &std::ops::RangeInclusive<i64>,
    required: bool,
) -> Option<i64> {
    let (min, max) = (*range.start(), *range.end());
    match value {
        None => {
            if required {
                errors.add(field, "required", "required");
            }
            None
        }
        Some(value) if value < min || value > max => {
            errors.add(field, "out_of_range", format!("from {min} to {max}"));
            None
        }
        Some(value) => Some(value),
    }
}

/// The sort order, 0 when absent.
pub(crate) fn sort_order(errors: &mut ValidationErrors, value: Option<i64>) -> i32 {
    in_range(
        errors,
        "sort_order",
        value,
        &super::bounds::SORT_ORDER,
        false,
    )
    .and_then(|value| i32::try_from(value).ok())
    .unwrap_or(0)
}
