//! A streaming tokenizer for the XML parts of an `.xlsx` package.
//!
//! It knows only what those parts use: start, end and empty-element tags with
//! attributes, text, CDATA, comments and processing instructions. A document
//! type declaration is refused (a package part never has one, and an internal
//! subset is how entity bombs are made). Names are reported without their
//! namespace prefix, as every part of the package is read by local name.
//!
//! Why not a general XML reader: the cell sheets are most of an import's
//! bytes, and a general reader's event machinery cost more than everything
//! else in the upload. This one finds markup with `memchr` in a refilled
//! window of the inflating part, so a sheet is never whole in memory.

use std::borrow::Cow;
use std::io::Read;

use memchr::{memchr, memchr3, memmem};

use crate::spreadsheet::cell::storable_prefix;

/// Bytes asked of the source per read.
const READ_CHUNK: usize = 64 * 1024;

/// The largest single token (one tag, or one run of text) accepted. A cell
/// holds at most 32,767 characters; even written as character references
/// that is well under this.
const MAX_TOKEN_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub(crate) enum XmlError {
    #[error("reading a part failed: {0}")]
    Read(#[from] std::io::Error),
    #[error("a part is not well-formed XML: {0}")]
    Malformed(&'static str),
    #[error("a part holds a tag or text longer than {} MiB", MAX_TOKEN_BYTES / (1024 * 1024))]
    TokenTooLong,
    #[error("a part holds text that is not UTF-8")]
    NotUtf8,
    #[error("a part uses the unknown entity `&{0};`")]
    UnknownEntity(String),
}

/// One piece of a part, borrowed from the tokenizer's window: valid until
/// the next call to [`XmlTokens::next`].
#[derive(Debug)]
pub(crate) enum Token<'b> {
    /// A start tag, or an empty-element tag (`<c r="A1"/>`, then `empty`).
    Start(Tag<'b>),
    /// An end tag's local name.
    End(&'b [u8]),
    /// Character data as written, entity references not yet replaced.
    Text(&'b [u8]),
    /// The inside of a `<![CDATA[…]]>` section, taken literally.
    CData(&'b [u8]),
}

#[derive(Debug)]
pub(crate) struct Tag<'b> {
    /// The local name: `c` for both `<c>` and `<x:c>`.
    pub(crate) name: &'b [u8],
    attributes: &'b [u8],
    /// Written as `<name …/>`: no content and no end tag follow.
    pub(crate) empty: bool,
}

impl<'b> Tag<'b> {
    /// The raw value of the attribute with this qualified name (`r`,
    /// `xml:space`), entity references not yet replaced.
    pub(crate) fn attribute(&self, name: &[u8]) -> Result<Option<&'b [u8]>, XmlError> {
        for attribute in self.attributes() {
            let (key, value) = attribute?;
            if key == name {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// Every attribute as (qualified name, raw value).
    pub(crate) fn attributes(&self) -> Attributes<'b> {
        Attributes {
            rest: self.attributes,
        }
    }
}

pub(crate) struct Attributes<'b> {
    rest: &'b [u8],
}

impl<'b> Iterator for Attributes<'b> {
    type Item = Result<(&'b [u8], &'b [u8]), XmlError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = trim_start(self.rest);
        if rest.is_empty() {
            return None;
        }
        let Some(equals) = memchr(b'=', rest) else {
            self.rest = &[];
            return Some(Err(XmlError::Malformed("an attribute without a value")));
        };
        let name = trim_end(&rest[..equals]);
        let after = trim_start(&rest[equals + 1..]);
        let Some((&quote, value_and_rest)) = after.split_first() else {
            self.rest = &[];
            return Some(Err(XmlError::Malformed("an attribute without a value")));
        };
        if quote != b'"' && quote != b'\'' {
            self.rest = &[];
            return Some(Err(XmlError::Malformed(
                "an attribute value without quotes",
            )));
        }
        let Some(close) = memchr(quote, value_and_rest) else {
            self.rest = &[];
            return Some(Err(XmlError::Malformed("an unterminated attribute value")));
        };
        self.rest = &value_and_rest[close + 1..];
        Some(Ok((name, &value_and_rest[..close])))
    }
}

/// Where the token just scanned lies in the window.
enum Span {
    Start {
        name: (usize, usize),
        attributes: (usize, usize),
        empty: bool,
    },
    End(usize, usize),
    Text(usize, usize),
    CData(usize, usize),
}

enum Scan {
    Token(Span),
    /// A comment, a processing instruction or the XML declaration.
    Skipped,
    /// The window ends inside a token.
    NeedMore,
    End,
}

pub(crate) struct XmlTokens<R> {
    source: R,
    window: Vec<u8>,
    /// The first byte not yet tokenized.
    start: usize,
    /// The end of the bytes read so far.
    end: usize,
    source_done: bool,
}

impl<R: Read> XmlTokens<R> {
    pub(crate) fn new(source: R) -> Self {
        XmlTokens {
            source,
            window: vec![0; 2 * READ_CHUNK],
            start: 0,
            end: 0,
            source_done: false,
        }
    }

    /// The next token, or `None` at the end of the part.
    pub(crate) fn next(&mut self) -> Result<Option<Token<'_>>, XmlError> {
        let span = loop {
            match self.scan()? {
                Scan::Token(span) => break span,
                Scan::Skipped => {}
                Scan::NeedMore => self.fill()?,
                Scan::End => return Ok(None),
            }
        };
        let bytes = &self.window[..];
        Ok(Some(match span {
            Span::Start {
                name,
                attributes,
                empty,
            } => Token::Start(Tag {
                name: &bytes[name.0..name.1],
                attributes: &bytes[attributes.0..attributes.1],
                empty,
            }),
            Span::End(from, to) => Token::End(&bytes[from..to]),
            Span::Text(from, to) => Token::Text(&bytes[from..to]),
            Span::CData(from, to) => Token::CData(&bytes[from..to]),
        }))
    }

    /// Skips to the end tag that closes the element whose start tag was
    /// just read.
    pub(crate) fn skip_element(&mut self) -> Result<(), XmlError> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                Some(Token::Start(tag)) if !tag.empty => depth += 1,
                Some(Token::End(_)) => depth -= 1,
                Some(_) => {}
                None => return Err(XmlError::Malformed("the part ends inside an element")),
            }
        }
        Ok(())
    }

    /// Appends the element's character data (entity references replaced)
    /// to `out`, up to the end tag that closes it. Nested elements' text is
    /// included.
    pub(crate) fn read_text_into(&mut self, out: &mut String) -> Result<(), XmlError> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                Some(Token::Text(raw)) => out.push_str(&decode_text(raw)?),
                Some(Token::CData(raw)) => out.push_str(utf8(raw)?),
                Some(Token::Start(tag)) if !tag.empty => depth += 1,
                Some(Token::End(_)) => depth -= 1,
                Some(Token::Start(_)) => {}
                None => return Err(XmlError::Malformed("the part ends inside an element")),
            }
        }
        Ok(())
    }

    fn scan(&mut self) -> Result<Scan, XmlError> {
        let start = self.start;
        let data = &self.window[start..self.end];
        if data.is_empty() {
            return Ok(if self.source_done {
                Scan::End
            } else {
                Scan::NeedMore
            });
        }
        if data[0] != b'<' {
            let to = match memchr(b'<', data) {
                Some(offset) => offset,
                None if self.source_done => data.len(),
                None => return Ok(Scan::NeedMore),
            };
            self.start += to;
            return Ok(Scan::Token(Span::Text(start, start + to)));
        }
        // Enough bytes to tell `<![CDATA[` and `<!--` from a tag.
        if data.len() < 9 && !self.source_done {
            return Ok(Scan::NeedMore);
        }
        let unterminated = |done: bool, what| {
            if done {
                Err(XmlError::Malformed(what))
            } else {
                Ok(Scan::NeedMore)
            }
        };
        match data.get(1) {
            Some(b'?') => match memmem::find(&data[2..], b"?>") {
                Some(offset) => {
                    self.start += 2 + offset + 2;
                    Ok(Scan::Skipped)
                }
                None => unterminated(self.source_done, "an unterminated processing instruction"),
            },
            Some(b'!') if data.starts_with(b"<!--") => match memmem::find(&data[4..], b"-->") {
                Some(offset) => {
                    self.start += 4 + offset + 3;
                    Ok(Scan::Skipped)
                }
                None => unterminated(self.source_done, "an unterminated comment"),
            },
            Some(b'!') if data.starts_with(b"<![CDATA[") => {
                match memmem::find(&data[9..], b"]]>") {
                    Some(offset) => {
                        self.start += 9 + offset + 3;
                        Ok(Scan::Token(Span::CData(start + 9, start + 9 + offset)))
                    }
                    None => unterminated(self.source_done, "an unterminated CDATA section"),
                }
            }
            Some(b'!') => Err(XmlError::Malformed(
                "a document type declaration (not allowed in a workbook)",
            )),
            Some(b'/') => match memchr(b'>', data) {
                Some(close) => {
                    let name = trim_end(&data[2..close]);
                    let local = local_name_start(name);
                    self.start += close + 1;
                    Ok(Scan::Token(Span::End(
                        start + 2 + local,
                        start + 2 + name.len(),
                    )))
                }
                None => unterminated(self.source_done, "an unterminated end tag"),
            },
            Some(_) => {
                let Some(close) = tag_end(data) else {
                    return unterminated(self.source_done, "an unterminated tag");
                };
                let empty = data[close - 1] == b'/';
                let inside_end = if empty { close - 1 } else { close };
                let name_len = data[1..inside_end]
                    .iter()
                    .position(|byte| byte.is_ascii_whitespace() || *byte == b'/')
                    .unwrap_or(inside_end - 1);
                if name_len == 0 {
                    return Err(XmlError::Malformed("a tag without a name"));
                }
                let name = &data[1..1 + name_len];
                let local = local_name_start(name);
                self.start += close + 1;
                Ok(Scan::Token(Span::Start {
                    name: (start + 1 + local, start + 1 + name_len),
                    attributes: (start + 1 + name_len, start + inside_end),
                    empty,
                }))
            }
            None => unterminated(self.source_done, "the part ends with `<`"),
        }
    }

    /// Moves the unread bytes to the front of the window and reads more
    /// after them, growing the window when one token fills it.
    fn fill(&mut self) -> Result<(), XmlError> {
        if self.source_done {
            return Err(XmlError::Malformed("the part ends inside a tag"));
        }
        if self.start > 0 {
            self.window.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        // What is left after the move is one unfinished token.
        if self.end >= MAX_TOKEN_BYTES {
            return Err(XmlError::TokenTooLong);
        }
        if self.window.len() - self.end < READ_CHUNK {
            let grown = (self.window.len() * 2).min(MAX_TOKEN_BYTES + READ_CHUNK);
            self.window.resize(grown, 0);
        }
        loop {
            match self.source.read(&mut self.window[self.end..]) {
                Ok(0) => {
                    self.source_done = true;
                    return Ok(());
                }
                Ok(read) => {
                    self.end += read;
                    return Ok(());
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
}

/// The offset of the `>` that ends the tag starting at `data[0]`, skipping
/// any `>` inside a quoted attribute value.
fn tag_end(data: &[u8]) -> Option<usize> {
    let mut at = 1;
    loop {
        let offset = memchr3(b'>', b'"', b'\'', &data[at..])?;
        let found = at + offset;
        match data[found] {
            b'>' => return Some(found),
            quote => {
                let close = memchr(quote, &data[found + 1..])?;
                at = found + 1 + close + 1;
            }
        }
    }
}

fn local_name_start(name: &[u8]) -> usize {
    memchr::memrchr(b':', name).map_or(0, |colon| colon + 1)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[skip..]
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let keep = bytes
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(0, |last| last + 1);
    &bytes[..keep]
}

/// The start of a value an error quotes: enough to find it in the file,
/// never a hostile value's whole length.
pub(crate) fn excerpt(raw: &[u8]) -> String {
    storable_prefix(&String::from_utf8_lossy(raw), 20)
}

pub(crate) fn utf8(raw: &[u8]) -> Result<&str, XmlError> {
    std::str::from_utf8(raw).map_err(|_| XmlError::NotUtf8)
}

/// Character data or an attribute value with its entity references replaced
/// and its line ends normalised to `\n`, as an XML processor must.
/// XML has no NUL character, written or referenced (`&#0;`); Excel writes
/// one in a cell as `_x0000_`, which the cell reader decodes.
pub(crate) fn decode_text(raw: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    if memchr(0, raw).is_some() {
        return Err(XmlError::Malformed("a NUL character"));
    }
    let text = utf8(raw)?;
    if memchr::memchr2(b'&', b'\r', raw).is_none() {
        return Ok(Cow::Borrowed(text));
    }
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['&', '\r']) {
        decoded.push_str(&rest[..at]);
        if rest.as_bytes()[at] == b'\r' {
            decoded.push('\n');
            rest = &rest[at + 1..];
            rest = rest.strip_prefix('\n').unwrap_or(rest);
            continue;
        }
        let after = &rest[at + 1..];
        let Some(semicolon) = after.find(';') else {
            return Err(XmlError::Malformed(
                "an `&` that starts no entity reference",
            ));
        };
        let entity = &after[..semicolon];
        decoded.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => character_reference(entity)
                .ok_or_else(|| XmlError::UnknownEntity(excerpt(entity.as_bytes())))?,
        });
        rest = &after[semicolon + 1..];
    }
    decoded.push_str(rest);
    Ok(Cow::Owned(decoded))
}

/// `#65` or `#x41`.
fn character_reference(entity: &str) -> Option<char> {
    let number = entity.strip_prefix('#')?;
    let code = match number.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    char::from_u32(code).filter(|character| *character != '\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `xml`, read through a source that hands out one byte
    /// per read, so every token straddles a refill.
    fn tokens(xml: &str) -> Result<Vec<String>, XmlError> {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let Some((&first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = first;
                self.0 = rest;
                Ok(1)
            }
        }
        let mut reader = XmlTokens::new(OneByte(xml.as_bytes()));
        let mut out = Vec::new();
        while let Some(token) = reader.next()? {
            out.push(match token {
                Token::Start(tag) => {
                    let attributes: Vec<String> = tag
                        .attributes()
                        .map(|attribute| {
                            attribute.map(|(key, value)| {
                                format!(
                                    "{}={}",
                                    String::from_utf8_lossy(key),
                                    decode_text(value).expect("decodable")
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    format!(
                        "<{} {}{}>",
                        String::from_utf8_lossy(tag.name),
                        attributes.join(" "),
                        if tag.empty { "/" } else { "" }
                    )
                }
                Token::End(name) => format!("</{}>", String::from_utf8_lossy(name)),
                Token::Text(raw) => format!("text {}", decode_text(raw)?),
                Token::CData(raw) => format!("cdata {}", utf8(raw)?),
            });
        }
        Ok(out)
    }

    #[test]
    fn reads_tags_attributes_text_and_cdata_across_refills() {
        let xml = "<?xml version=\"1.0\"?>\r\n<x:row r='2' a=\"1 > 0\"><!-- note --><c r=\"A2\" t=\"s\"/>\
                   <t xml:space=\"preserve\"> a &amp; b &#x41;&#66;\r\nc </t><![CDATA[<raw>]]></x:row>";
        let tokens = tokens(xml).expect("well-formed");
        assert_eq!(
            tokens,
            [
                "text \n",
                "<row r=2 a=1 > 0>",
                "<c r=A2 t=s/>",
                "<t xml:space=preserve>",
                "text  a & b AB\nc ",
                "</t>",
                "cdata <raw>",
                "</row>",
            ]
        );
    }

    #[test]
    fn refuses_what_a_workbook_part_never_holds() {
        for (xml, expected) in [
            ("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", "document type"),
            ("<x>&bomb;</x>", "unknown entity"),
            ("<x>a&#0;b</x>", "unknown entity"),
            ("<x>a\0b</x>", "NUL"),
            ("<x a=1/>", "without quotes"),
            ("<x", "unterminated tag"),
            ("<x><!-- open", "unterminated comment"),
        ] {
            let error = tokens(xml).expect_err(xml).to_string();
            assert!(error.contains(expected), "{xml}: {error}");
        }
    }

    #[test]
    fn refuses_a_token_larger_than_the_limit() {
        let xml = format!("<t>{}</t>", "a".repeat(MAX_TOKEN_BYTES + 1));
        let mut reader = XmlTokens::new(xml.as_bytes());
        assert!(matches!(reader.next(), Ok(Some(Token::Start(_)))));
        assert!(matches!(reader.next(), Err(XmlError::TokenTooLong)));
    }
}
