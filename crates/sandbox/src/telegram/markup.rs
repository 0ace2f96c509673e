//! How the fake reads `parse_mode`: it checks HTML markup as strictly as the
//! Bot API does (only the tags Telegram supports, properly nested and closed)
//! and measures a text's length after the markup is removed, in UTF-16 code
//! units as Telegram counts it.

/// The tags the Bot API accepts in `parse_mode=HTML`.
const SUPPORTED_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

/// Characters MarkdownV2 reserves that the fake insists are escaped (the
/// rest of the MarkdownV2 grammar is not checked).
const MARKDOWN_V2_RESERVED: &[char] = &['#', '+', '-', '=', '{', '}', '.', '!'];

/// The text a user would see, or the part after `can't parse entities: ` of
/// the Bot API's 400 description.
pub(crate) fn visible_text(text: &str, parse_mode: Option<&str>) -> Result<String, String> {
    match parse_mode {
        Some(mode) if mode.eq_ignore_ascii_case("html") => parse_html(text),
        Some("MarkdownV2") => check_markdown_v2(text).map(|()| text.to_owned()),
        _ => Ok(text.to_owned()),
    }
}

/// Length as the Bot API limits count it.
pub(crate) fn telegram_len(text: &str) -> usize {
    text.encode_utf16().count()
}

fn parse_html(text: &str) -> Result<String, String> {
    let mut visible = String::with_capacity(text.len());
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let Some(end) = rest.find('>') else {
                    return Err(format!("Unclosed start tag at byte offset {offset}"));
                };
                let inner = &rest[1..end];
                if let Some(closing) = inner.strip_prefix('/') {
                    let name = closing.trim().to_ascii_lowercase();
                    match open.pop() {
                        None => {
                            return Err(format!("Unexpected end tag at byte offset {offset}"));
                        }
                        Some((expected, _)) if expected != name => {
                            return Err(format!(
                                "Unmatched end tag at byte offset {offset}, expected \"</{expected}>\", found \"</{name}>\""
                            ));
                        }
                        Some(_) => {}
                    }
                } else {
                    let name: String = inner
                        .split(|c: char| c.is_whitespace() || c == '/')
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if name.is_empty() {
                        return Err(format!("Empty tag name at byte offset {offset}"));
                    }
                    if !SUPPORTED_TAGS.contains(&name.as_str()) {
                        return Err(format!(
                            "Unsupported start tag \"{name}\" at byte offset {offset}"
                        ));
                    }
                    open.push((name, offset));
                }
                offset += end + 1;
                rest = &rest[end + 1..];
            }
            '&' => {
                let (decoded, consumed) = decode_entity(rest).unwrap_or(('&', 1));
                visible.push(decoded);
                offset += consumed;
                rest = &rest[consumed..];
            }
            _ => {
                visible.push(c);
                offset += c.len_utf8();
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some((name, _)) = open.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{name}\""
        ));
    }
    Ok(visible)
}

/// `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric entities, as the Bot API
/// supports them; anything else is a literal `&`.
fn decode_entity(text: &str) -> Option<(char, usize)> {
    let end = text.get(..12.min(text.len()))?.find(';')?;
    let name = &text[1..end];
    let decoded = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((decoded, end + 1))
}

fn check_markdown_v2(text: &str) -> Result<(), String> {
    let mut escaped = false;
    let mut in_code = false;
    for c in text.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '`' => in_code = !in_code,
            c if !in_code && MARKDOWN_V2_RESERVED.contains(&c) => {
                return Err(format!(
                    "Character '{c}' is reserved and must be escaped with the preceding '\\'"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_html_is_measured_without_its_tags() {
        let text = "<b>Tagihan</b> <a href=\"https://x.test\">INV-1</a> &lt;3 &#x1F600;";
        assert_eq!(
            visible_text(text, Some("HTML")),
            Ok("Tagihan INV-1 <3 \u{1F600}".to_owned())
        );
        assert_eq!(telegram_len("\u{1F600}"), 2);
    }

    #[test]
    fn malformed_html_is_refused_with_the_bot_api_wording() {
        assert_eq!(
            visible_text("<b>bold", Some("HTML")),
            Err("Can't find end tag corresponding to start tag \"b\"".to_owned())
        );
        assert_eq!(
            visible_text("x <blink>y</blink>", Some("HTML")),
            Err("Unsupported start tag \"blink\" at byte offset 2".to_owned())
        );
        assert!(visible_text("<b><i>x</b></i>", Some("HTML")).is_err());
        assert!(visible_text("a </b>", Some("HTML")).is_err());
        assert!(visible_text("a < b", Some("HTML")).is_err());
        assert_eq!(visible_text("a < b", None), Ok("a < b".to_owned()));
    }

    #[test]
    fn markdown_v2_wants_reserved_characters_escaped() {
        assert!(visible_text("Total: Rp 1.500", Some("MarkdownV2")).is_err());
        assert!(visible_text("Total: Rp 1\\.500", Some("MarkdownV2")).is_ok());
    }
}
