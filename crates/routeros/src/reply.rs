//! Reply sentences as types: `!re` rows, `!done`, `!trap`, `!fatal` and
//! `!empty` (RouterOS 7.18+ sends it before `!done` when a print has no
//! rows; clients that rejected unknown reply words broke on it, so it is a
//! first-class kind here). Attribute words are `=key=value` where only the
//! first `=` after the key ends it: values may contain `=` themselves.
//! Words that are neither attributes nor the tag (e.g. `.section=`) are
//! ignored so that a newer router does not break an older client.

use std::ops::Range;

use bytes::Bytes;

use crate::{RouterOsError, codec::Sentence};

/// A reply's `=key=value` words, in the order received. They stay inside
/// the sentence's shared buffer (one allocation per row, not two per
/// attribute: a 10,000-row print is the common case), and a row has a
/// handful of entries, so a scan beats a map. Lookups take the last
/// occurrence of a key. Text that is not UTF-8 (RouterOS writes comments in
/// the console's code page) is converted lossily once, at parse time.
#[derive(Clone, Default)]
pub struct Attributes {
    data: Bytes,
    /// Key and value ranges in `data`, each valid UTF-8.
    entries: Vec<(Range<usize>, Range<usize>)>,
}

impl Attributes {
    pub fn new() -> Attributes {
        Attributes::default()
    }

    fn text(&self, range: &Range<usize>) -> &str {
        self.data
            .get(range.clone())
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// The value of `key` (the last one, should the router repeat a key).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(name, _)| self.data.get(name.clone()) == Some(key.as_bytes()))
            .map(|(_, value)| self.text(value))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(key, value)| (self.text(key), self.text(value)))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl PartialEq for Attributes {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Attributes {}

impl std::fmt::Debug for Attributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Attributes {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut data = Vec::new();
        let mut entries = Vec::new();
        for (key, value) in iter {
            let key_start = data.len();
            data.extend_from_slice(key.as_ref().as_bytes());
            let value_start = data.len();
            data.extend_from_slice(value.as_ref().as_bytes());
            entries.push((key_start..value_start, value_start..data.len()));
        }
        Attributes {
            data: Bytes::from(data),
            entries,
        }
    }
}

/// What a reply sentence says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyKind {
    /// One data row.
    Re(Attributes),
    /// The command finished; `=ret=` and the like are in the attributes.
    Done(Attributes),
    /// The command failed; a `!done` follows.
    Trap {
        message: String,
        category: Option<u8>,
    },
    /// The router is closing the connection.
    Fatal(String),
    /// A print found nothing (RouterOS 7.18+); a `!done` follows.
    Empty,
}

/// One parsed reply sentence with the `.tag` it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub tag: Option<String>,
    pub kind: ReplyKind,
}

fn text(word: &[u8]) -> String {
    match std::str::from_utf8(word) {
        Ok(text) => text.to_owned(),
        // RouterOS sends comments in the console's code page; keep what we can.
        Err(_) => String::from_utf8_lossy(word).into_owned(),
    }
}

impl Reply {
    /// Parses a reply sentence; an unknown first word is a protocol error.
    pub fn parse(sentence: &Sentence) -> Result<Reply, RouterOsError> {
        let (data, ranges) = sentence.parts();
        let Some(first) = ranges.first().and_then(|range| data.get(range.clone())) else {
            return Err(RouterOsError::Protocol("an empty reply sentence".into()));
        };
        let mut tag = None;
        let mut entries = Vec::with_capacity(ranges.len());
        let mut all_utf8 = true;
        let mut loose_word = None;
        for range in ranges.iter().skip(1) {
            let word = data.get(range.clone()).unwrap_or_default();
            if word.first() == Some(&b'=') {
                let key_start = range.start + 1;
                let (key, value) = match word[1..].iter().position(|&byte| byte == b'=') {
                    Some(at) => (key_start..key_start + at, key_start + at + 1..range.end),
                    None => (key_start..range.end, range.end..range.end),
                };
                all_utf8 &= std::str::from_utf8(&word[1..]).is_ok();
                entries.push((key, value));
            } else if let Some(value) = word.strip_prefix(b".tag=") {
                tag = Some(text(value));
            } else if loose_word.is_none() && !word.starts_with(b".") {
                loose_word = Some(word);
            }
        }
        let attributes = if all_utf8 {
            Attributes {
                data: data.clone(),
                entries,
            }
        } else {
            entries
                .iter()
                .map(|(key, value)| {
                    let lossy = |range: &Range<usize>| {
                        String::from_utf8_lossy(data.get(range.clone()).unwrap_or_default())
                            .into_owned()
                    };
                    (lossy(key), lossy(value))
                })
                .collect()
        };
        let kind = match first {
            b"!re" => ReplyKind::Re(attributes),
            b"!done" => ReplyKind::Done(attributes),
            b"!empty" => ReplyKind::Empty,
            b"!trap" => ReplyKind::Trap {
                message: attributes
                    .get("message")
                    .unwrap_or("the router gave no reason")
                    .to_owned(),
                category: attributes
                    .get("category")
                    .and_then(|category| category.parse().ok()),
            },
            b"!fatal" => ReplyKind::Fatal(
                loose_word
                    .map(text)
                    .or_else(|| attributes.get("message").map(str::to_owned))
                    .unwrap_or_else(|| "no reason given".to_owned()),
            ),
            other => {
                let mut shown = text(other);
                shown.truncate(shown.floor_char_boundary(40));
                return Err(RouterOsError::Protocol(format!(
                    "an unknown reply word {shown:?}"
                )));
            }
        };
        Ok(Reply { tag, kind })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(words: &[&str]) -> Reply {
        Reply::parse(&Sentence::from_words(words)).unwrap()
    }

    #[test]
    fn rows_keep_values_that_contain_equals_signs() {
        let reply = parse(&["!re", "=comment=a=b==c", "=name=x", ".tag=3", "=flag"]);
        assert_eq!(reply.tag.as_deref(), Some("3"));
        let ReplyKind::Re(attributes) = reply.kind else {
            panic!("not a row")
        };
        assert_eq!(attributes.get("comment"), Some("a=b==c"));
        assert_eq!(attributes.get("name"), Some("x"));
        assert_eq!(attributes.get("flag"), Some(""));
    }

    #[test]
    fn every_reply_kind_parses() {
        assert_eq!(
            parse(&["!done", "=ret=abc"]).kind,
            ReplyKind::Done([("ret", "abc")].into_iter().collect())
        );
        assert_eq!(
            parse(&["!trap", "=category=2", "=message=interrupted", ".tag=9"]),
            Reply {
                tag: Some("9".into()),
                kind: ReplyKind::Trap {
                    message: "interrupted".into(),
                    category: Some(2)
                }
            }
        );
        assert_eq!(
            parse(&["!fatal", "session terminated on request"]).kind,
            ReplyKind::Fatal("session terminated on request".into())
        );
        assert_eq!(parse(&["!empty", ".tag=1"]).kind, ReplyKind::Empty);
    }

    #[test]
    fn text_that_is_not_utf8_is_kept_lossily() {
        let reply = Reply::parse(&Sentence::from_words([
            &b"!re"[..],
            b"=comment=caf\xe9",
            b"=name=x",
        ]))
        .unwrap();
        let ReplyKind::Re(attributes) = reply.kind else {
            panic!("not a row")
        };
        assert_eq!(attributes.get("comment"), Some("caf\u{FFFD}"));
        assert_eq!(attributes.get("name"), Some("x"));
    }

    #[test]
    fn unknown_reply_words_are_protocol_errors() {
        assert!(Reply::parse(&Sentence::from_words(["!bogus"])).is_err());
        assert!(Reply::parse(&Sentence::from_words(Vec::<&str>::new())).is_err());
    }
}
