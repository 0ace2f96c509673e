//! The storefront's words and pictures: banners, testimonials, static pages
//! and announcements. Every item is written in Indonesian and optionally in
//! English; a reader asking for English gets the Indonesian text of an item
//! that has none, and is told which language it got. Markdown (pages and
//! announcements) is rendered to sanitised HTML here, never in the browser.

pub mod announcement;
pub mod banner;
pub mod markdown;
pub mod page;
pub mod testimonial;

use std::ops::RangeInclusive;

use domain::ValidationErrors;

/// The limits of every content field, named once: validation, the database
/// checks (migration `storefront_content`) and the OpenAPI schema agree.
pub mod bounds {
    use std::ops::RangeInclusive;

    pub const TITLE_MAX_CHARS: usize = 200;
    pub const URL_MAX_CHARS: usize = 2000;
    pub const AUTHOR_NAME_MAX_CHARS: usize = 100;
    pub const AUTHOR_ROLE_MAX_CHARS: usize = 100;
    pub const QUOTE_MAX_CHARS: usize = 2000;
    pub const SLUG_MAX_CHARS: usize = 80;
    /// Markdown of one language of a page or announcement: 100 KB of text.
    pub const BODY_MAX_CHARS: usize = 100_000;
    pub const SORT_ORDER: RangeInclusive<i32> = 0..=9999;
    pub const RATING: RangeInclusive<i16> = 1..=5;
    /// Items on one page of a staff list.
    pub const STAFF_PAGE_MAX: u32 = 100;
    /// Items on one page of a public list.
    pub const PUBLIC_PAGE_MAX: u32 = 50;
}

/// What the content features can fail with; the API maps each to HTTP in
/// one place.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error("{0}")]
    NotFound(&'static str),
    /// Another page has this slug.
    #[error("a page with this slug exists already")]
    SlugTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub use crate::Lang;

/// The language an item is read in: English only when asked for and the
/// item has it.
fn resolve(wanted: Lang, has_english: bool) -> Lang {
    if wanted == Lang::En && has_english {
        Lang::En
    } else {
        Lang::Id
    }
}

/// `en` when the language is English, else `id`: picks a field's text.
fn pick(lang: Lang, id: String, en: Option<String>) -> String {
    match (lang, en) {
        (Lang::En, Some(en)) => en,
        _ => id,
    }
}

/// A page of a list, with its bounds checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub limit: u32,
}

impl Paging {
    /// `limit` defaults to `default` and is clamped to `max`, like every
    /// list of the API; a page below 1 is the first.
    pub fn new(page: Option<u32>, limit: Option<u32>, default: u32, max: u32) -> Self {
        Self {
            page: page.unwrap_or(1).max(1),
            limit: limit.unwrap_or(default).clamp(1, max),
        }
    }

    /// A page of a staff list: 50 items unless asked, at most 100.
    pub fn staff(page: Option<u32>, limit: Option<u32>) -> Self {
        Self::new(page, limit, 50, bounds::STAFF_PAGE_MAX)
    }

    /// A page of a public list: 10 items unless asked, at most 50.
    pub fn public(page: Option<u32>, limit: Option<u32>) -> Self {
        Self::new(page, limit, 10, bounds::PUBLIC_PAGE_MAX)
    }

    fn limit(self) -> i64 {
        i64::from(self.limit)
    }

    fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.limit)
    }
}

/// Collects the problems of one input, field by field.
struct Fields {
    errors: ValidationErrors,
}

impl Fields {
    fn new() -> Self {
        Self {
            errors: ValidationErrors::new(),
        }
    }

    /// Trimmed, 1 to `max` characters.
    fn required(&mut self, field: &str, value: &str, max: usize) -> String {
        let value = value.trim();
        if value.is_empty() {
            self.errors.add(field, "required", "this field is required");
        } else if value.chars().count() > max {
            self.errors
                .add(field, "too_long", format!("at most {max} characters"));
        }
        value.to_owned()
    }

    /// Trimmed; empty is absent.
    fn optional(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let value = value.map(str::trim).filter(|value| !value.is_empty())?;
        if value.chars().count() > max {
            self.errors
                .add(field, "too_long", format!("at most {max} characters"));
        }
        Some(value.to_owned())
    }

    /// A text that must be given because `because` was: English is all or
    /// nothing.
    fn required_with(&mut self, field: &str, value: &Option<String>, because: &str) {
        if value.is_none() {
            self.errors.add(
                field,
                "required",
                format!("required when {because} is given"),
            );
        }
    }

    fn url(&mut self, field: &str, value: &str) {
        if let Err(reason) = check_url(value) {
            self.errors.add(field, "invalid_url", reason);
        }
    }

    fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        field: &str,
        value: T,
        range: &RangeInclusive<T>,
    ) {
        if !range.contains(&value) {
            self.errors.add(
                field,
                "out_of_range",
                format!("from {} to {}", range.start(), range.end()),
            );
        }
    }

    fn add(&mut self, field: &str, code: &str, message: &str) {
        self.errors.add(field, code, message);
    }

    fn finish(self) -> Result<(), ValidationErrors> {
        self.errors.into_result()
    }
}

/// A link or picture the storefront may show: `https://host/…` or a path
/// on this site (`/…`). Anything else (`javascript:`, `data:`, plain
/// `http:`, protocol-relative `//host`) is refused, as are spaces, control
/// characters, quotes and angle brackets, which no sane URL needs and which
/// an attacker does.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.chars().count() > bounds::URL_MAX_CHARS {
        return Err(format!("at most {} characters", bounds::URL_MAX_CHARS));
    }
    if url.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '\\' | '"' | '\'' | '<' | '>' | '`')
    }) {
        return Err("a URL has no spaces, quotes, backslashes or angle brackets".to_owned());
    }
    let bad = || Err("an https:// address or a path on this site starting with /".to_owned());
    if let Some(rest) = url.strip_prefix("https://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || host.starts_with('@') || host.starts_with(':') {
            return bad();
        }
        return Ok(());
    }
    match url.strip_prefix('/') {
        Some(rest) if !rest.starts_with('/') => Ok(()),
        _ => bad(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_or_on_this_site() {
        for good in [
            "https://cdn.example.com/banner.webp",
            "https://example.com",
            "/img/promo.png",
            "/",
            "/p/syarat?x=1#top",
        ] {
            assert_eq!(check_url(good), Ok(()), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:image/png;base64,AAAA",
            "http://example.com/a.png",
            "//evil.example/a.png",
            "/\\evil.example",
            "https://",
            "https:///path",
            "https://@evil",
            "",
            "img/promo.png",
            " /promo.png",
            "/a b.png",
            "/a\"onerror=\"x",
            "https://example.com/\u{0}",
        ] {
            assert!(check_url(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(check_url(&format!("/{}", "a".repeat(bounds::URL_MAX_CHARS))).is_err());
    }

    #[test]
    fn english_is_read_only_when_asked_and_present() {
        assert_eq!(resolve(Lang::En, true), Lang::En);
        assert_eq!(resolve(Lang::En, false), Lang::Id);
        assert_eq!(resolve(Lang::Id, true), Lang::Id);
        assert_eq!(
            pick(Lang::En, "Halo".to_owned(), Some("Hello".to_owned())),
            "Hello"
        );
        assert_eq!(
            pick(Lang::Id, "Halo".to_owned(), Some("Hello".to_owned())),
            "Halo"
        );
        assert_eq!(pick(Lang::En, "Halo".to_owned(), None), "Halo");
    }

    #[test]
    fn paging_clamps_to_its_maximum() {
        let paging = Paging::public(Some(0), Some(500));
        assert_eq!(paging, Paging { page: 1, limit: 50 });
        assert_eq!(paging.offset(), 0);
        let third = Paging::new(Some(3), Some(0), 10, 50);
        assert_eq!(third, Paging { page: 3, limit: 1 });
        assert_eq!(third.offset(), 2);
        assert_eq!(Paging::public(None, None).limit(), 10);
    }
}
