//! Markdown to HTML that is safe to put into the storefront as it is:
//! pulldown-cmark renders (raw HTML in the markdown passes through it),
//! then ammonia keeps only an allow-list of tags, attributes and URL
//! schemes. Scripts, event handlers, `style`, iframes, forms and
//! `javascript:`/`data:` URLs never survive, and every link gets
//! `rel="noopener noreferrer nofollow"` (staff write the pages, but a link
//! to a customer's site must not borrow the shop's reputation).

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Options, Parser, html};

use domain::ValidationErrors;

use super::{ContentError, Lang, bounds, pick};

/// The version of the rendering rules. HTML stored by an older version is
/// rendered again when read (see `storefront_page.rendered_with`), so a
/// stricter sanitiser takes effect without anyone re-saving a page: raise
/// it whenever [`sanitiser`] or the markdown options change.
pub const RENDERER_VERSION: i16 = 1;

fn sanitiser() -> &'static ammonia::Builder<'static> {
    static SANITISER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITISER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .url_schemes(HashSet::from(["https", "http", "mailto"]))
            .link_rel(Some("noopener noreferrer nofollow"))
            // Relative links stay relative: pages link to each other.
            .url_relative(ammonia::UrlRelative::PassThrough);
        builder
    })
}

/// `markdown` as sanitised HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    sanitiser().clean(&raw).to_string()
}

/// The HTML `markdown` becomes, for an editor's preview: the same
/// rendering a save stores.
pub fn preview(markdown: &str) -> Result<String, ContentError> {
    if markdown.chars().count() > bounds::BODY_MAX_CHARS {
        return Err(ValidationErrors::single(
            "markdown",
            "too_long",
            format!("at most {} characters", bounds::BODY_MAX_CHARS),
        )
        .into());
    }
    Ok(to_safe_html(markdown))
}

/// A stored page's or announcement's HTML in `lang`: as stored when the
/// current renderer wrote it, else rendered again from the markdown.
pub(super) fn stored_or_rendered(
    lang: Lang,
    rendered_with: i16,
    (html_id, html_en): (String, Option<String>),
    (body_id, body_en): (String, Option<String>),
) -> String {
    if rendered_with == RENDERER_VERSION {
        pick(lang, html_id, html_en)
    } else {
        to_safe_html(&pick(lang, body_id, body_en))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html() {
        let html = to_safe_html(
            "# Syarat\n\n**Penting**: baca [ini](/p/faq).\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        );
        assert!(html.contains("<h1>Syarat</h1>"), "{html}");
        assert!(html.contains("<strong>Penting</strong>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(
            html.contains(r#"<a href="/p/faq" rel="noopener noreferrer nofollow">ini</a>"#),
            "{html}"
        );
    }

    #[test]
    fn hostile_markdown_is_defused() {
        let hostile = r#"Halo <script>alert('x')</script>

<img src="x" onerror="alert(1)">

[klik](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)

<iframe src="https://evil.example"></iframe>

<a href="https://example.com" onclick="steal()" target="_top">link</a>

<p style="position:fixed">x</p><form action="/x"><input name="a"></form>

<svg onload="alert(1)"><circle/></svg> <object data="x"></object>

[ref]: javascript:alert(2)
[ref]"#;
        let html = to_safe_html(hostile);
        let lower = html.to_lowercase();
        for forbidden in [
            "<script",
            "alert('x')",
            "onerror",
            "onclick",
            "onload",
            "javascript:",
            "data:text",
            "<iframe",
            "style=",
            "<form",
            "<input",
            "<svg",
            "<object",
            "target=",
        ] {
            assert!(!lower.contains(forbidden), "{forbidden} survived: {html}");
        }
        assert!(html.contains("<img src=\"x\">"), "{html}");
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
        assert!(html.contains("Halo"), "{html}");
    }

    #[test]
    fn every_link_is_marked_nofollow() {
        let html = to_safe_html("[a](https://example.com) <https://example.org>");
        assert_eq!(
            html.matches(r#"rel="noopener noreferrer nofollow""#)
                .count(),
            2,
            "{html}"
        );
    }
}
