//! The workbook-wide parts a sheet's cells are read against: the package
//! and workbook relationships (where the workbook and each sheet are), the
//! workbook (sheet names, the date system), the shared strings and the cell
//! formats (which cells hold dates).

use std::collections::HashMap;
use std::io::Read;

use super::xml::{Tag, Token, XmlError, XmlTokens, decode_text, utf8};

/// One `<sheet>` of the workbook, in workbook order.
#[derive(Debug, Clone)]
pub(crate) struct SheetEntry {
    pub(crate) name: String,
    /// A worksheet (cells), not a chart or dialog sheet.
    pub(crate) is_worksheet: bool,
    /// The sheet's part inside the package.
    pub(crate) path: String,
}

pub(crate) struct WorkbookPart {
    pub(crate) sheets: Vec<SheetEntry>,
    pub(crate) is_1904: bool,
}

/// The workbook part's path, from the package relationships
/// (`_rels/.rels`): usually `xl/workbook.xml`.
pub(crate) fn workbook_path<R: Read>(package_rels: R) -> Result<Option<String>, XmlError> {
    let mut tokens = XmlTokens::new(package_rels);
    while let Some(token) = tokens.next()? {
        if let Token::Start(tag) = token
            && tag.name == b"Relationship"
        {
            let kind = tag.attribute(b"Type")?.unwrap_or_default();
            if kind.ends_with(b"/relationships/officeDocument")
                && let Some(target) = tag.attribute(b"Target")?
            {
                let target = decode_text(target)?;
                return Ok(Some(target.trim_start_matches('/').to_owned()));
            }
        }
    }
    Ok(None)
}

/// The workbook relationships: id → (target, type).
pub(crate) fn relationships<R: Read>(
    workbook_rels: R,
) -> Result<HashMap<String, (String, String)>, XmlError> {
    let mut tokens = XmlTokens::new(workbook_rels);
    let mut relationships = HashMap::new();
    while let Some(token) = tokens.next()? {
        if let Token::Start(tag) = token
            && tag.name == b"Relationship"
            && let Some(id) = tag.attribute(b"Id")?
        {
            let target = decode_text(tag.attribute(b"Target")?.unwrap_or_default())?;
            let kind = decode_text(tag.attribute(b"Type")?.unwrap_or_default())?;
            relationships.insert(
                decode_text(id)?.into_owned(),
                (target.into_owned(), kind.into_owned()),
            );
        }
    }
    Ok(relationships)
}

/// The sheets (resolved against `relationships`, relative to the
/// workbook's folder `base`) and the date system.
pub(crate) fn workbook<R: Read>(
    workbook: R,
    base: &str,
    relationships: &HashMap<String, (String, String)>,
) -> Result<WorkbookPart, PartError> {
    let mut tokens = XmlTokens::new(workbook);
    let mut part = WorkbookPart {
        sheets: Vec::new(),
        is_1904: false,
    };
    while let Some(token) = tokens.next()? {
        let Token::Start(tag) = token else { continue };
        match tag.name {
            b"sheet" => part.sheets.push(sheet_entry(&tag, base, relationships)?),
            // `<x15:workbookPr>` in an extension list shares the local name
            // and never carries `date1904`, so only a present flag counts.
            b"workbookPr" => {
                if let Some(flag) = tag.attribute(b"date1904")? {
                    part.is_1904 = flag == b"1" || flag == b"true";
                }
            }
            _ => {}
        }
    }
    Ok(part)
}

fn sheet_entry(
    tag: &Tag<'_>,
    base: &str,
    relationships: &HashMap<String, (String, String)>,
) -> Result<SheetEntry, PartError> {
    let mut name = None;
    let mut relationship = None;
    for attribute in tag.attributes() {
        let (key, value) = attribute?;
        if key == b"name" {
            name = Some(decode_text(value)?.into_owned());
        } else if key.ends_with(b":id") {
            relationship = Some(decode_text(value)?.into_owned());
        }
    }
    let name = name.ok_or(PartError::Missing("a sheet's name"))?;
    let (target, kind) = relationship
        .and_then(|id| relationships.get(&id))
        .ok_or(PartError::Missing("a sheet's relationship"))?;
    let path = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_owned(),
        None => format!("{base}{target}"),
    };
    Ok(SheetEntry {
        name,
        is_worksheet: kind.rsplit('/').next() == Some("worksheet"),
        path,
    })
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum PartError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("the workbook lacks {0}")]
    Missing(&'static str),
}

/// The workbook's shared strings, kept as one text with the end of each
/// string: one allocation however many strings there are, and 4 bytes a
/// string beside its text (a part of empty `<si/>` items costs no more
/// than its own size).
#[derive(Debug, Default)]
pub(crate) struct SharedStrings {
    text: String,
    ends: Vec<u32>,
}

impl SharedStrings {
    pub(crate) fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)? as usize;
        let start = match index {
            0 => 0,
            _ => self.ends[index - 1] as usize,
        };
        self.text.get(start..end)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// The strings in order of their `<si>` items. The declared count only
/// guides the first allocation, capped: it is the uploader's claim.
pub(crate) fn shared_strings<R: Read>(part: R) -> Result<SharedStrings, XmlError> {
    const MAX_RESERVED_STRINGS: usize = 1 << 20;
    let mut tokens = XmlTokens::new(part);
    let mut strings = SharedStrings::default();
    while let Some(token) = tokens.next()? {
        let Token::Start(tag) = token else { continue };
        match tag.name {
            b"sst" => {
                if let Some(count) = tag.attribute(b"uniqueCount")?
                    && let Ok(count) = utf8(count)?.parse::<usize>()
                {
                    strings.ends.reserve(count.min(MAX_RESERVED_STRINGS));
                }
            }
            b"si" => {
                if !tag.empty {
                    read_rich_text(&mut tokens, &mut strings.text)?;
                }
                // The archive's limits keep every part far below 4 GiB.
                let end = u32::try_from(strings.text.len())
                    .map_err(|_| XmlError::Malformed("shared strings over 4 GiB"))?;
                strings.ends.push(end);
            }
            _ => {}
        }
    }
    Ok(strings)
}

/// The text of a string item (`<si>`, or a cell's `<is>`) whose start tag
/// was just read, appended to `out`: its `<t>` runs, plain or rich, without
/// the phonetic guide (`<rPh>`). A run's surrounding ASCII blanks are
/// dropped unless it says `xml:space="preserve"`, and `_xHHHH_` escapes are
/// decoded, as Excel does.
pub(crate) fn read_rich_text<R: Read>(
    tokens: &mut XmlTokens<R>,
    out: &mut String,
) -> Result<(), XmlError> {
    let mut depth = 1usize;
    let mut run = String::new();
    while depth > 0 {
        match tokens.next()? {
            Some(Token::Start(tag)) if tag.empty => {}
            Some(Token::Start(tag)) if tag.name == b"t" => {
                let preserve = tag.attribute(b"xml:space")? == Some(b"preserve");
                run.clear();
                tokens.read_text_into(&mut run)?;
                let text = if preserve {
                    run.as_str()
                } else {
                    run.trim_matches([' ', '\t', '\r', '\n'])
                };
                push_unescaped(out, text);
            }
            Some(Token::Start(tag)) if tag.name == b"rPh" => tokens.skip_element()?,
            Some(Token::Start(_)) => depth += 1,
            Some(Token::End(_)) => depth -= 1,
            Some(Token::Text(_) | Token::CData(_)) => {}
            None => return Err(XmlError::Malformed("the part ends inside a string")),
        }
    }
    Ok(())
}

/// Appends `text` with its `_xHHHH_` escapes (how Excel writes characters
/// XML cannot hold, and a literal `_x`, as `_x005F_`) decoded.
pub(crate) fn push_unescaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find("_x") {
        let Some(unit) = escape_at(rest, at) else {
            out.push_str(&rest[..at + 2]);
            rest = &rest[at + 2..];
            continue;
        };
        out.push_str(&rest[..at]);
        rest = &rest[at + ESCAPE_LENGTH..];
        let decoded = match unit {
            // A high surrogate makes a character only with the low one
            // that must follow it.
            0xD800..=0xDBFF => match escape_at(rest, 0) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    rest = &rest[ESCAPE_LENGTH..];
                    let high = u32::from(unit) - 0xD800;
                    char::from_u32(0x10000 + (high << 10) + (u32::from(low) - 0xDC00))
                }
                _ => None,
            },
            unit => char::from_u32(u32::from(unit)),
        };
        out.push(decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    out.push_str(rest);
}

/// `_xHHHH_` is seven characters.
const ESCAPE_LENGTH: usize = 7;

fn escape_at(text: &str, at: usize) -> Option<u16> {
    let escape = text.get(at..at + ESCAPE_LENGTH)?;
    let hex = escape.strip_prefix("_x")?.strip_suffix('_')?;
    if hex.len() != 4 || !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

/// What a cell's number means, by its cell format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberKind {
    Plain,
    /// A date or a time of day: an Excel serial date.
    DateTime,
    /// An elapsed time (`[h]:mm`).
    Duration,
}

/// The number kind of each cell format (`<cellXfs>`), by index.
pub(crate) fn cell_formats<R: Read>(styles: R) -> Result<Vec<NumberKind>, XmlError> {
    let mut tokens = XmlTokens::new(styles);
    let mut custom: HashMap<u32, NumberKind> = HashMap::new();
    let mut formats = Vec::new();
    let mut in_cell_formats = false;
    while let Some(token) = tokens.next()? {
        match token {
            Token::Start(tag) if tag.name == b"numFmt" => {
                if let (Some(id), Some(code)) =
                    (tag.attribute(b"numFmtId")?, tag.attribute(b"formatCode")?)
                    && let Ok(id) = utf8(id)?.parse()
                {
                    custom.insert(id, custom_number_kind(&decode_text(code)?));
                }
            }
            Token::Start(tag) if tag.name == b"cellXfs" => in_cell_formats = !tag.empty,
            Token::End(b"cellXfs") => in_cell_formats = false,
            Token::Start(tag) if in_cell_formats && tag.name == b"xf" => {
                let kind = match tag.attribute(b"numFmtId")? {
                    Some(id) => match utf8(id)?.parse::<u32>() {
                        Ok(id) => custom
                            .get(&id)
                            .copied()
                            .unwrap_or_else(|| builtin_number_kind(id)),
                        Err(_) => NumberKind::Plain,
                    },
                    None => NumberKind::Plain,
                };
                formats.push(kind);
            }
            _ => {}
        }
    }
    Ok(formats)
}

/// The built-in number formats of ECMA-376 §18.8.30 that show dates and
/// times; 27–36 and 50–58 are East Asian date formats.
fn builtin_number_kind(id: u32) -> NumberKind {
    match id {
        14..=22 | 27..=36 | 45 | 47 | 50..=58 => NumberKind::DateTime,
        46 => NumberKind::Duration,
        _ => NumberKind::Plain,
    }
}

/// Whether a custom format code shows a date or time: a date or time token
/// (`d`, `m`, `y`, `h`, `s`, `AM/PM`) outside quotes, escapes and brackets
/// in its first section; `[h]`, `[m]`, `[s]` mean elapsed time. The rule
/// is calamine's (MIT), itself from openpyxl, so a file reads as before.
fn custom_number_kind(format: &str) -> NumberKind {
    let mut escaped = false;
    let mut is_quote = false;
    let mut brackets = 0u8;
    let mut prev = ' ';
    let mut hms = false;
    let mut ap = false;
    for s in format.chars() {
        match (s, escaped, is_quote, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => is_quote = false,
            (_, _, true, _, _) => (),
            ('"', _, _, _, _) => is_quote = true,
            (';', ..) => return NumberKind::Plain,
            ('[', ..) => brackets = brackets.saturating_add(1),
            (']', .., 1) if hms => return NumberKind::Duration,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return NumberKind::DateTime,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return NumberKind::DateTime;
            }
            _ => {
                if !(hms && s.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(s, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = s;
    }
    NumberKind::Plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_strings_join_rich_runs_and_leave_out_phonetic_guides() {
        let xml = r#"<sst uniqueCount="4"><si><t>plain</t></si><si/>
            <si><r><rPr><b/></rPr><t xml:space="preserve">rich </t></r><r><t>text</t></r><rPh><t>ふり</t></rPh></si>
            <si><t>a_x000D_b_x005F_x0041_ &amp; _xD83D__xDE00_</t></si></sst>"#;
        let strings = shared_strings(xml.as_bytes()).expect("well-formed");
        assert_eq!(strings.len(), 4);
        assert_eq!(strings.get(0), Some("plain"));
        assert_eq!(strings.get(1), Some(""));
        assert_eq!(strings.get(2), Some("rich text"));
        assert_eq!(strings.get(3), Some("a\rb_x0041_ & 😀"));
        assert_eq!(strings.get(4), None);
    }

    #[test]
    fn cell_formats_tell_dates_and_durations_by_format() {
        let xml = r#"<styleSheet><numFmts count="3">
              <numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>
              <numFmt numFmtId="165" formatCode="&quot;Rp&quot;\ #,##0"/>
              <numFmt numFmtId="166" formatCode="[h]:mm"/></numFmts>
            <cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
            <cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="164"><alignment/></xf><xf numFmtId="165"/>
              <xf numFmtId="166"/><xf numFmtId="14"/><xf/></cellXfs></styleSheet>"#;
        let formats = cell_formats(xml.as_bytes()).expect("well-formed");
        use NumberKind::*;
        assert_eq!(
            formats,
            [Plain, DateTime, Plain, Duration, DateTime, Plain],
            "only <cellXfs> counts, in order"
        );
    }
}
