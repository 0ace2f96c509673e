//! A worksheet's cells in document order, each with its value typed by the
//! cell's type attribute and number format.

use std::io::Read;

use calamine::{CellErrorType, DataRef, ExcelDateTime, ExcelDateTimeType};

use super::WorkbookError;
use super::parts::{NumberKind, SharedStrings, push_unescaped, read_rich_text};
use super::xml::{Tag, Token, XmlError, XmlTokens, excerpt, utf8};

/// What a sheet's cells are read against.
pub(crate) struct CellContext {
    pub(crate) strings: SharedStrings,
    pub(crate) formats: Vec<NumberKind>,
    pub(crate) is_1904: bool,
}

/// One cell: zero-based row and column, and its value.
pub(crate) struct Cell<'a> {
    pub(crate) row: u32,
    pub(crate) column: u32,
    pub(crate) value: DataRef<'a>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum CellError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("the sheet has no cell data")]
    NoSheetData,
    #[error("the cell reference `{0}` is not a cell address")]
    BadReference(String),
    #[error("a cell refers to shared string {0}, which the workbook lacks")]
    MissingSharedString(usize),
    #[error("a cell of type `{kind}` holds `{value}`")]
    BadValue { kind: &'static str, value: String },
    #[error("a cell has the unknown type `{0}`")]
    UnknownType(String),
}

/// The `t` attribute of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellType {
    /// `n`, or no `t`: a number, or text if it does not read as one.
    Number {
        declared: bool,
    },
    SharedString,
    InlineString,
    /// `str`: a formula's text result.
    FormulaString,
    Bool,
    Error,
    /// `d`: an ISO 8601 date.
    IsoDate,
}

impl CellType {
    fn of(attribute: Option<&[u8]>) -> Result<Self, CellError> {
        Ok(match attribute {
            None => CellType::Number { declared: false },
            Some(b"n") => CellType::Number { declared: true },
            Some(b"s") => CellType::SharedString,
            Some(b"inlineStr") => CellType::InlineString,
            Some(b"str") => CellType::FormulaString,
            Some(b"b") => CellType::Bool,
            Some(b"e") => CellType::Error,
            Some(b"d") => CellType::IsoDate,
            Some(other) => {
                return Err(CellError::UnknownType(excerpt(other)));
            }
        })
    }
}

pub(crate) struct SheetCells<'a, R> {
    /// The sheet's name, for its errors.
    sheet: &'a str,
    tokens: XmlTokens<R>,
    context: &'a CellContext,
    /// The last row the sheet's `<dimension>` declares, zero-based.
    declared_last_row: Option<u32>,
    /// Where a cell without an `r` attribute is: after the previous one.
    row: u32,
    column: u32,
    /// The text of the cell being read.
    text: String,
    done: bool,
}

impl<'a, R: Read> SheetCells<'a, R> {
    /// Reads up to the sheet's cell data.
    pub(crate) fn open(
        part: R,
        context: &'a CellContext,
        sheet: &'a str,
    ) -> Result<Self, WorkbookError> {
        let in_sheet = |error: CellError| WorkbookError::Cells {
            sheet: sheet.to_owned(),
            error,
        };
        let mut tokens = XmlTokens::new(part);
        let mut declared_last_row = None;
        let done = loop {
            match tokens.next().map_err(|error| in_sheet(error.into()))? {
                Some(Token::Start(tag)) if tag.name == b"dimension" => {
                    let range = tag
                        .attribute(b"ref")
                        .map_err(|error| in_sheet(error.into()))?;
                    if let Some(range) = range {
                        let last = range.rsplit(|byte| *byte == b':').next().unwrap_or(range);
                        declared_last_row = cell_reference(last).ok().map(|(row, _)| row);
                    }
                }
                Some(Token::Start(tag)) if tag.name == b"sheetData" => break tag.empty,
                Some(_) => {}
                None => return Err(in_sheet(CellError::NoSheetData)),
            }
        };
        Ok(SheetCells {
            sheet,
            tokens,
            context,
            declared_last_row,
            row: 0,
            column: 0,
            text: String::new(),
            done,
        })
    }

    pub(crate) fn declared_last_row(&self) -> Option<u32> {
        self.declared_last_row
    }

    /// The next cell, or `None` after the last.
    pub(crate) fn next_cell(&mut self) -> Result<Option<Cell<'a>>, WorkbookError> {
        self.read_cell().map_err(|error| WorkbookError::Cells {
            sheet: self.sheet.to_owned(),
            error,
        })
    }

    fn read_cell(&mut self) -> Result<Option<Cell<'a>>, CellError> {
        if self.done {
            return Ok(None);
        }
        loop {
            let start = match self.tokens.next()? {
                Some(Token::Start(tag)) if tag.name == b"c" => CellStart::of(&tag, self.context)?,
                Some(Token::Start(tag)) if tag.name == b"row" => {
                    if let Some(number) = tag.attribute(b"r")? {
                        self.row = row_number(number)?;
                    }
                    self.column = 0;
                    if tag.empty {
                        self.row = self.row.saturating_add(1);
                    }
                    continue;
                }
                Some(Token::End(b"row")) => {
                    // Saturating: a hostile `r` may start at the last row.
                    self.row = self.row.saturating_add(1);
                    self.column = 0;
                    continue;
                }
                Some(Token::End(b"sheetData")) => {
                    self.done = true;
                    return Ok(None);
                }
                Some(_) => continue,
                None => return Err(XmlError::Malformed("the sheet data does not end").into()),
            };
            if let Some((row, column)) = start.position {
                self.row = row;
                self.column = column;
            }
            let (row, column) = (self.row, self.column);
            self.column = self.column.saturating_add(1);
            let value = if start.empty {
                DataRef::Empty
            } else {
                self.read_value(start.kind, start.number_kind)?
            };
            return Ok(Some(Cell { row, column, value }));
        }
    }

    /// Reads the inside of a `<c>` up to its end tag: the value (`<v>`, or
    /// `<is>` for an inline string); a formula (`<f>`) is passed over.
    fn read_value(
        &mut self,
        kind: CellType,
        number_kind: NumberKind,
    ) -> Result<DataRef<'a>, CellError> {
        let mut value = DataRef::Empty;
        loop {
            match self.tokens.next()? {
                Some(Token::End(_)) => return Ok(value),
                Some(Token::Start(tag)) if tag.empty => {}
                Some(Token::Start(tag)) if tag.name == b"v" && kind != CellType::InlineString => {
                    self.text.clear();
                    self.tokens.read_text_into(&mut self.text)?;
                    value = typed_value(self.context, &self.text, kind, number_kind)?;
                }
                Some(Token::Start(tag)) if tag.name == b"is" => {
                    let mut text = String::new();
                    read_rich_text(&mut self.tokens, &mut text)?;
                    value = DataRef::String(text);
                }
                Some(Token::Start(_)) => self.tokens.skip_element()?,
                Some(Token::Text(_) | Token::CData(_)) => {}
                None => return Err(XmlError::Malformed("the part ends inside a cell").into()),
            }
        }
    }
}

/// What a `<c>` start tag says.
struct CellStart {
    position: Option<(u32, u32)>,
    kind: CellType,
    number_kind: NumberKind,
    empty: bool,
}

impl CellStart {
    fn of(tag: &Tag<'_>, context: &CellContext) -> Result<Self, CellError> {
        let mut position = None;
        let mut style = None;
        let mut kind = None;
        for attribute in tag.attributes() {
            match attribute? {
                (b"r", reference) => position = Some(cell_reference(reference)?),
                (b"s", index) => style = Some(index),
                (b"t", value) => kind = Some(value),
                _ => {}
            }
        }
        // An unstyled cell is a plain number, and so is one whose style
        // index the workbook lacks.
        let number_kind = style
            .and_then(|index| utf8(index).ok()?.parse::<usize>().ok())
            .and_then(|index| context.formats.get(index).copied())
            .unwrap_or(NumberKind::Plain);
        Ok(CellStart {
            position,
            kind: CellType::of(kind)?,
            number_kind,
            empty: tag.empty,
        })
    }
}

fn typed_value<'a>(
    context: &'a CellContext,
    text: &str,
    kind: CellType,
    number_kind: NumberKind,
) -> Result<DataRef<'a>, CellError> {
    Ok(match kind {
        CellType::SharedString => {
            if text.is_empty() {
                return Ok(DataRef::Empty);
            }
            let index: usize = text.trim().parse().map_err(|_| CellError::BadValue {
                kind: "s",
                value: excerpt(text.as_bytes()),
            })?;
            DataRef::SharedString(
                context
                    .strings
                    .get(index)
                    .ok_or(CellError::MissingSharedString(index))?,
            )
        }
        CellType::Bool => match text.trim() {
            "" => DataRef::Empty,
            "0" => DataRef::Bool(false),
            "1" => DataRef::Bool(true),
            other if other.eq_ignore_ascii_case("false") => DataRef::Bool(false),
            other if other.eq_ignore_ascii_case("true") => DataRef::Bool(true),
            other => {
                return Err(CellError::BadValue {
                    kind: "b",
                    value: excerpt(other.as_bytes()),
                });
            }
        },
        // An error code this reader does not know (`#SPILL!`, `#CALC!`) is
        // still an error in the cell, not text.
        CellType::Error => DataRef::Error(text.parse().unwrap_or(CellErrorType::Value)),
        CellType::IsoDate => DataRef::DateTimeIso(text.to_owned()),
        CellType::FormulaString => {
            let mut unescaped = String::with_capacity(text.len());
            push_unescaped(&mut unescaped, text);
            DataRef::String(unescaped)
        }
        CellType::Number { declared } => {
            if text.is_empty() {
                return Ok(DataRef::Empty);
            }
            match text.parse::<f64>() {
                Ok(number) => match number_kind {
                    NumberKind::Plain => DataRef::Float(number),
                    NumberKind::DateTime => DataRef::DateTime(ExcelDateTime::new(
                        number,
                        ExcelDateTimeType::DateTime,
                        context.is_1904,
                    )),
                    NumberKind::Duration => DataRef::DateTime(ExcelDateTime::new(
                        number,
                        ExcelDateTimeType::TimeDelta,
                        context.is_1904,
                    )),
                },
                // Without a declared type, what does not read as a number
                // is the text it is.
                Err(_) if !declared => DataRef::String(text.to_owned()),
                Err(_) => {
                    return Err(CellError::BadValue {
                        kind: "n",
                        value: excerpt(text.as_bytes()),
                    });
                }
            }
        }
        CellType::InlineString => DataRef::Empty,
    })
}

/// `B12` → (11, 1), zero-based.
fn cell_reference(reference: &[u8]) -> Result<(u32, u32), CellError> {
    let bad = || {
        CellError::BadReference(
            String::from_utf8_lossy(reference)
                .chars()
                .take(20)
                .collect(),
        )
    };
    let letters = reference
        .iter()
        .take_while(|byte| byte.is_ascii_alphabetic())
        .count();
    if letters == 0 || letters > 3 {
        return Err(bad());
    }
    let column = reference[..letters].iter().fold(0u32, |column, letter| {
        column * 26 + u32::from(letter.to_ascii_uppercase() - b'A' + 1)
    });
    let row = row_number(&reference[letters..]).map_err(|_| bad())?;
    Ok((row, column - 1))
}

/// A one-based row number → zero-based.
fn row_number(digits: &[u8]) -> Result<u32, CellError> {
    let bad = || CellError::BadReference(excerpt(digits));
    let number: u32 = utf8(digits)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(bad)?;
    number.checked_sub(1).ok_or_else(bad)
}
