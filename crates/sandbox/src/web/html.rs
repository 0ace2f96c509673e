//! The shared look of the sandbox pages and the one escaping function every
//! piece of received data goes through before it reaches a page.

use actix_web::{HttpResponse, http::StatusCode};

/// Escapes text for an HTML element body or a quoted attribute value.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// A whole page around `body`, which must already be markup built with
/// [`escape`] for every piece of outside data.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<header><a href="/">Juragan sandbox</a></header>
<main>
{body}
</main>
</body>
</html>
"#,
        title = escape(title),
    )
}

/// An HTML response that lets no script run: mails are untrusted input, and
/// the sandbox pages need none.
pub(crate) fn response(status: StatusCode, page: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-store"))
        .body(page)
}

pub(crate) fn not_found(what: &str) -> HttpResponse {
    let body = format!("<h1>Not found</h1><p>{}</p>", escape(what));
    response(StatusCode::NOT_FOUND, page("Not found", &body))
}

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; padding: .6rem 1.2rem; }
header a { color: #fff; font-weight: 600; text-decoration: none; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: .2rem 1rem 1rem; margin: 1rem 0; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid #e6e9ee; }
th { color: #5a6372; font-weight: 600; white-space: nowrap; }
td.time { white-space: nowrap; color: #5a6372; }
code, pre { font: 13px/1.4 ui-monospace, monospace; }
pre { background: #f1f3f6; padding: .8rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
iframe { width: 100%; min-height: 28rem; border: 1px solid #dde1e7; background: #fff; }
.muted { color: #7a8391; }
.actions { display: flex; gap: 1rem; align-items: center; }
button { font: inherit; padding: .25rem .8rem; cursor: pointer; }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_attribute_quotes() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
