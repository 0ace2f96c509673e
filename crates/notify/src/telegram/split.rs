//! Long texts cut into messages Telegram accepts (4096 characters after the
//! markup is parsed, counted in UTF-16 code units as Telegram counts them),
//! and markup stripped for the plain-text fallback.
//!
//! A cut prefers a paragraph break, then a line break, then a space, each
//! only if it keeps the part at least half full; failing those it cuts
//! between two characters. In HTML a cut never falls inside a tag or an
//! entity, and the tags open at the cut are closed at the end of the part
//! and opened again at the start of the next, so every part is valid on its
//! own. The whitespace at a cut is dropped, as Telegram would trim it.

use super::types::ParseMode;

/// The Bot API's limit of `sendMessage` text.
pub const MAX_MESSAGE_LEN: usize = 4096;

/// The parts `send_text` sends, in order.
pub fn split_text(text: &str, parse_mode: Option<ParseMode>) -> Vec<String> {
    split_with_limit(text, parse_mode == Some(ParseMode::Html), MAX_MESSAGE_LEN)
}

/// The text of HTML markup as a user would read it: tags removed and
/// entities decoded. A `<` that starts no tag stays, so broken markup reads
/// as it was typed.
pub fn strip_html(text: &str) -> String {
    tokenize(text, true)
        .into_iter()
        .filter_map(|token| match token.kind {
            Kind::Open { .. } | Kind::Close { .. } => None,
            Kind::Entity(decoded) => Some(decoded.to_string()),
            Kind::Char(_) => Some(token.raw.to_owned()),
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    Char(char),
    Entity(char),
    Open { name: &'a str },
    Close { name: &'a str },
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    raw: &'a str,
    kind: Kind<'a>,
}

impl Token<'_> {
    /// UTF-16 units the token adds to the text Telegram measures.
    fn visible(&self) -> usize {
        match self.kind {
            Kind::Char(c) | Kind::Entity(c) => c.len_utf16(),
            Kind::Open { .. } | Kind::Close { .. } => 0,
        }
    }

    fn is_space(&self) -> bool {
        matches!(self.kind, Kind::Char(c) if c.is_whitespace())
    }

    fn is_newline(&self) -> bool {
        matches!(self.kind, Kind::Char('\n'))
    }
}

fn tokenize(text: &str, html: bool) -> Vec<Token<'_>> {
    let mut tokens = Vec::with_capacity(text.len());
    let mut position = 0;
    while let Some(c) = text[position..].chars().next() {
        let rest = &text[position..];
        let token = if html && c == '<' {
            tag(rest).unwrap_or(Token {
                raw: &rest[..1],
                kind: Kind::Char('<'),
            })
        } else if html && c == '&' {
            entity(rest).unwrap_or(Token {
                raw: &rest[..1],
                kind: Kind::Char('&'),
            })
        } else {
            Token {
                raw: &rest[..c.len_utf8()],
                kind: Kind::Char(c),
            }
        };
        position += token.raw.len();
        tokens.push(token);
    }
    tokens
}

/// `<name ...>` or `</name>` where name is letters, digits and `-`.
fn tag(text: &str) -> Option<Token<'_>> {
    let end = text.find('>')?;
    let inner = &text[1..end];
    if inner.contains('<') {
        return None;
    }
    let (closing, body) = match inner.strip_prefix('/') {
        Some(body) => (true, body),
        None => (false, inner),
    };
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(body.len());
    let name = &body[..name_len];
    let after = &body[name_len..];
    let well_formed = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && (after.is_empty()
            || after.starts_with(char::is_whitespace)
            || (!closing && after == "/"));
    if !well_formed {
        return None;
    }
    let raw = &text[..=end];
    Some(Token {
        raw,
        kind: if closing {
            Kind::Close { name }
        } else {
            Kind::Open { name }
        },
    })
}

fn entity(text: &str) -> Option<Token<'_>> {
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
    Some(Token {
        raw: &text[..=end],
        kind: Kind::Entity(decoded),
    })
}

/// Open tags after `tokens`, given those open before them.
fn replay<'a>(mut open: Vec<Token<'a>>, tokens: &[Token<'a>]) -> Vec<Token<'a>> {
    for token in tokens {
        match token.kind {
            Kind::Open { .. } => open.push(*token),
            Kind::Close { name } => {
                if let Some(index) = open
                    .iter()
                    .rposition(|tag| matches!(tag.kind, Kind::Open { name: open } if open.eq_ignore_ascii_case(name)))
                {
                    open.truncate(index);
                }
            }
            _ => {}
        }
    }
    open
}

pub(crate) fn split_with_limit(text: &str, html: bool, limit: usize) -> Vec<String> {
    let tokens = tokenize(text, html);
    let limit = limit.max(1);
    let mut parts = Vec::new();
    let mut open: Vec<Token<'_>> = Vec::new();
    let mut start = 0;
    loop {
        while tokens.get(start).is_some_and(Token::is_space) {
            start += 1;
        }
        // The furthest end that fits.
        let mut end = start;
        let mut used = 0;
        while let Some(token) = tokens.get(end) {
            if used + token.visible() > limit {
                break;
            }
            used += token.visible();
            end += 1;
        }
        if end >= tokens.len() {
            let part = render(&open, &tokens[start..], &[]);
            if !part.trim().is_empty() || parts.is_empty() {
                parts.push(part);
            }
            return parts;
        }
        let (cut, next) = choose_cut(&tokens, start, end, limit);
        let still_open = replay(open.clone(), &tokens[start..cut]);
        parts.push(render(&open, &tokens[start..cut], &still_open));
        open = still_open;
        start = next;
    }
}

/// Where the part ends and where the next starts: a whitespace run (which
/// belongs to neither) or, failing that, a hard cut at `end`.
fn choose_cut(tokens: &[Token<'_>], start: usize, end: usize, limit: usize) -> (usize, usize) {
    let half = limit / 2;
    // Visible length before each candidate, to keep parts at least half full.
    let mut offsets = Vec::with_capacity(end - start + 1);
    let mut used = 0;
    for token in &tokens[start..=end.min(tokens.len() - 1)] {
        offsets.push(used);
        used += token.visible();
    }
    let is_paragraph = |i: usize| tokens[i].is_newline() && i > start && tokens[i - 1].is_newline();
    let preferences: [&dyn Fn(usize) -> bool; 3] = [
        &is_paragraph,
        &|i: usize| tokens[i].is_newline(),
        &|i: usize| tokens[i].is_space(),
    ];
    for (rank, matches) in preferences.iter().enumerate() {
        let found = (start + 1..=end)
            .rev()
            .filter(|&i| i < tokens.len())
            .find(|&i| matches(i) && (offsets[i - start] >= half || rank == 2));
        if let Some(i) = found {
            let mut cut = i;
            while cut > start && tokens[cut - 1].is_space() {
                cut -= 1;
            }
            let mut next = i;
            while tokens.get(next).is_some_and(Token::is_space) {
                next += 1;
            }
            if cut > start {
                return (cut, next);
            }
        }
    }
    // A tag opened just before the cut belongs with the text after it.
    let mut end = end;
    while end > start + 1 && matches!(tokens[end - 1].kind, Kind::Open { .. }) {
        end -= 1;
    }
    (end.max(start + 1), end.max(start + 1))
}

fn render(open_before: &[Token<'_>], tokens: &[Token<'_>], open_after: &[Token<'_>]) -> String {
    let mut part = String::new();
    for tag in open_before {
        part.push_str(tag.raw);
    }
    for token in tokens {
        part.push_str(token.raw);
    }
    for tag in open_after.iter().rev() {
        if let Kind::Open { name } = tag.kind {
            part.push_str("</");
            part.push_str(name);
            part.push('>');
        }
    }
    part
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible_len(part: &str, html: bool) -> usize {
        let text = if html {
            strip_html(part)
        } else {
            part.to_owned()
        };
        text.encode_utf16().count()
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_text("Halo Budi", None), vec!["Halo Budi".to_owned()]);
        assert_eq!(split_text("", None), vec![String::new()]);
    }

    #[test]
    fn lines_are_kept_whole_and_in_order() {
        let lines: Vec<String> = (0..40)
            .map(|i| format!("Baris {i:02} berisi teks"))
            .collect();
        let text = lines.join("\n");
        let parts = split_with_limit(&text, false, 100);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|part| visible_len(part, false) <= 100));
        assert_eq!(parts.join("\n"), text);
    }

    #[test]
    fn paragraphs_are_preferred_when_the_part_stays_half_full() {
        let text = format!(
            "{}\n\n{}\n{}",
            "a".repeat(60),
            "b".repeat(20),
            "c".repeat(30)
        );
        let parts = split_with_limit(&text, false, 100);
        assert_eq!(parts[0], "a".repeat(60));
        assert_eq!(parts[1], format!("{}\n{}", "b".repeat(20), "c".repeat(30)));
    }

    #[test]
    fn a_word_longer_than_the_limit_is_cut_on_a_character_boundary() {
        let text = "é".repeat(250);
        let parts = split_with_limit(&text, false, 100);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), text);
        // Astral characters count 2 and are never halved.
        let emoji = "😀".repeat(120);
        let parts = split_with_limit(&emoji, false, 100);
        assert!(parts.iter().all(|part| visible_len(part, false) <= 100));
        assert_eq!(parts.concat(), emoji);
    }

    #[test]
    fn html_tags_open_at_a_cut_are_closed_and_reopened() {
        let text = format!(
            "<b>{}\n{}</b> &amp; <i>x</i>",
            "a".repeat(70),
            "b".repeat(70)
        );
        let parts = split_with_limit(&text, true, 100);
        assert_eq!(parts[0], format!("<b>{}</b>", "a".repeat(70)));
        assert_eq!(
            parts[1],
            format!("<b>{}</b> &amp; <i>x</i>", "b".repeat(70))
        );
    }

    #[test]
    fn entities_and_tags_are_never_split_and_do_not_count_as_text() {
        let text = "<i>&amp;</i>".repeat(150);
        let parts = split_with_limit(&text, true, 100);
        assert_eq!(parts.len(), 2);
        assert!(
            parts
                .iter()
                .all(|part| part.starts_with("<i>&amp;") && part.ends_with("</i>"))
        );
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn stripping_html_keeps_stray_brackets() {
        assert_eq!(
            strip_html("<b>Total</b> &lt; Rp 5 & <blink>promo</blink> a < b"),
            "Total < Rp 5 & promo a < b"
        );
    }
}
