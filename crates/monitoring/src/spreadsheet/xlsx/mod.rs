//! The import's own `.xlsx` reader: the package's workbook, relationships,
//! shared strings and cell formats, then each sheet's cells streamed from
//! its inflating part.
//!
//! The cells come out as calamine's `DataRef`, typed by the same rules as
//! calamine's cell reader (the type attribute, then the number format for
//! dates and durations), so the field parsers in `cell.rs` read a cell the
//! same whichever reader produced it. The reason for a reader of our own is
//! speed: calamine's cell reader was more than half of an upload's wait
//! (see `xml.rs`). The export and the ISP customers' import, which read
//! small files whole, keep using calamine.

mod cells;
mod parts;
mod xml;

use std::io::Cursor;

use zip::ZipArchive;
use zip::read::ZipFile;
use zip::result::ZipError;

pub(crate) use cells::SheetCells;
use cells::{CellContext, CellError};
use parts::{PartError, SheetEntry};
use xml::XmlError;

use super::error::SpreadsheetError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum WorkbookError {
    #[error("{0}")]
    Zip(#[from] ZipError),
    #[error("the package has no part `{0}`")]
    MissingPart(String),
    #[error("`{part}`: {error}")]
    Part { part: String, error: PartError },
    #[error("sheet `{sheet}`: {error}")]
    Cells { sheet: String, error: CellError },
}

impl From<WorkbookError> for SpreadsheetError {
    fn from(error: WorkbookError) -> Self {
        SpreadsheetError::Corrupt(error.to_string())
    }
}

pub(crate) struct Workbook<'b> {
    archive: ZipArchive<Cursor<&'b [u8]>>,
    context: CellContext,
    sheets: Vec<SheetEntry>,
}

type PartReader<'a, 'b> = ZipFile<'a, Cursor<&'b [u8]>>;

impl<'b> Workbook<'b> {
    /// Reads everything but the sheets' cells.
    pub(crate) fn open(bytes: &'b [u8]) -> Result<Self, WorkbookError> {
        let mut archive = ZipArchive::new(Cursor::new(bytes))?;
        let workbook_path = match optional_part(&mut archive, "_rels/.rels")? {
            Some((part, reader)) => parts::workbook_path(reader).map_err(in_part(part))?,
            None => None,
        }
        .unwrap_or_else(|| "xl/workbook.xml".to_owned());
        let (base, name) = workbook_path
            .rsplit_once('/')
            .map_or(("", workbook_path.as_str()), |(folder, name)| {
                (folder, name)
            });
        let base = if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        };

        let relationships_path = format!("{base}_rels/{name}.rels");
        let (part, reader) = required_part(&mut archive, &relationships_path)?;
        let relationships = parts::relationships(reader).map_err(in_part(part))?;
        let (part, reader) = required_part(&mut archive, &workbook_path)?;
        let workbook = parts::workbook(reader, &base, &relationships)
            .map_err(|error| WorkbookError::Part { part, error })?;

        let strings = match optional_part(&mut archive, &format!("{base}sharedStrings.xml"))? {
            Some((part, reader)) => parts::shared_strings(reader).map_err(in_part(part))?,
            None => parts::SharedStrings::default(),
        };
        let formats = match optional_part(&mut archive, &format!("{base}styles.xml"))? {
            Some((part, reader)) => parts::cell_formats(reader).map_err(in_part(part))?,
            None => Vec::new(),
        };
        Ok(Workbook {
            archive,
            context: CellContext {
                strings,
                formats,
                is_1904: workbook.is_1904,
            },
            sheets: workbook.sheets,
        })
    }

    pub(crate) fn sheets(&self) -> &[SheetEntry] {
        &self.sheets
    }

    pub(crate) fn is_1904(&self) -> bool {
        self.context.is_1904
    }

    /// A reader of the workbook's sheets. Each thread takes its own: they
    /// share the parts read by [`Workbook::open`] and the package's
    /// directory, and each inflates the sheets it reads.
    pub(crate) fn sheet_reader(&self) -> SheetReader<'_, 'b> {
        SheetReader {
            archive: self.archive.clone(),
            workbook: self,
        }
    }
}

pub(crate) struct SheetReader<'w, 'b> {
    archive: ZipArchive<Cursor<&'b [u8]>>,
    workbook: &'w Workbook<'b>,
}

impl<'b> SheetReader<'_, 'b> {
    /// The cells of the sheet at `index` in [`Workbook::sheets`].
    pub(crate) fn cells(
        &mut self,
        index: usize,
    ) -> Result<SheetCells<'_, PartReader<'_, 'b>>, WorkbookError> {
        let sheet = &self.workbook.sheets[index];
        let (_, reader) = required_part(&mut self.archive, &sheet.path)?;
        SheetCells::open(reader, &self.workbook.context, &sheet.name)
    }
}

fn in_part(part: String) -> impl FnOnce(XmlError) -> WorkbookError {
    move |error| WorkbookError::Part {
        part,
        error: PartError::Xml(error),
    }
}

fn required_part<'a, 'b>(
    archive: &'a mut ZipArchive<Cursor<&'b [u8]>>,
    path: &str,
) -> Result<(String, PartReader<'a, 'b>), WorkbookError> {
    optional_part(archive, path)?.ok_or_else(|| WorkbookError::MissingPart(path.to_owned()))
}

/// The part at `path`; a writer that used other letter case or `\` for
/// `/` in its entry names is forgiven, as Excel forgives it.
fn optional_part<'a, 'b>(
    archive: &'a mut ZipArchive<Cursor<&'b [u8]>>,
    path: &str,
) -> Result<Option<(String, PartReader<'a, 'b>)>, WorkbookError> {
    let index = archive.index_for_name(path).or_else(|| {
        (0..archive.len()).find(|index| {
            archive
                .name_for_index(*index)
                .and_then(Result::ok)
                .is_some_and(|name| {
                    name.len() == path.len()
                        && name
                            .bytes()
                            .zip(path.bytes())
                            .all(|(a, b)| a.eq_ignore_ascii_case(&b) || (a == b'\\' && b == b'/'))
                })
        })
    });
    match index {
        Some(index) => Ok(Some((path.to_owned(), archive.by_index(index)?))),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use calamine::{DataRef, Reader, Xlsx};

    use super::*;
    use crate::spreadsheet::sample;

    /// Every cell of every sheet as (sheet, row, column, value), by our
    /// reader and by calamine's.
    fn cells_both_ways(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
        let mut ours = Vec::new();
        let workbook = Workbook::open(bytes).expect("our reader opens it");
        let mut sheets = workbook.sheet_reader();
        for (index, sheet) in workbook.sheets().iter().enumerate() {
            let name = &sheet.name;
            let mut cells = sheets.cells(index).expect("sheet");
            while let Some(cell) = cells.next_cell().expect("cell") {
                if cell.value != DataRef::Empty {
                    ours.push(format!(
                        "{name}!{}:{} {:?}",
                        cell.row, cell.column, cell.value
                    ));
                }
            }
        }
        let mut theirs = Vec::new();
        let mut workbook: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("calamine opens it");
        for name in workbook.sheet_names() {
            let mut cells = workbook.worksheet_cells_reader(&name).expect("sheet");
            while let Some(cell) = cells.next_cell().expect("cell") {
                let (row, column) = cell.get_position();
                if *cell.get_value() != DataRef::Empty {
                    theirs.push(format!("{name}!{row}:{column} {:?}", cell.get_value()));
                }
            }
        }
        (ours, theirs)
    }

    #[test]
    fn reads_every_cell_of_a_generated_workbook_as_calamine_does() {
        let sample = sample::generate_workbook(2_000, 1_000, 0.3, 7).expect("sample");
        let (ours, theirs) = cells_both_ways(&sample.bytes);
        assert!(ours.len() > 10_000, "{} cells", ours.len());
        assert_eq!(ours, theirs);
    }

    fn package(sheet_xml: &str, shared_strings: &str, styles: &str) -> Vec<u8> {
        package_of(&[("VPS &amp; co", Some(sheet_xml))], shared_strings, styles)
    }

    /// A workbook of these worksheets (name as written in the XML, and the
    /// sheet's part; `None`: named in the workbook but missing from the
    /// zip) and a chart sheet, in the 1904 date system.
    fn package_of(sheets: &[(&str, Option<&str>)], shared_strings: &str, styles: &str) -> Vec<u8> {
        const RELATIONSHIPS: &str =
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let mut relationships = String::new();
        let mut entries = String::new();
        let mut parts = Vec::new();
        for (number, (name, xml)) in (1..).zip(sheets) {
            relationships.push_str(&format!(
                r#"<Relationship Id="rId{number}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{number}.xml"/>"#
            ));
            entries.push_str(&format!(
                r#"<x:sheet name="{name}" sheetId="{number}" r:id="rId{number}"/>"#
            ));
            if let Some(xml) = xml {
                parts.push((
                    format!("xl/worksheets/sheet{number}.xml"),
                    (*xml).to_owned(),
                ));
            }
        }
        relationships.push_str(&format!(
            r#"<Relationship Id="rIdChart" Type="{RELATIONSHIPS}/chartsheet" Target="/xl/chartsheets/sheet1.xml"/>"#
        ));
        entries.push_str(r#"<x:sheet name="Chart" sheetId="99" r:id="rIdChart"/>"#);
        parts.extend([
            (
                "_rels/.rels".to_owned(),
                format!(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ),
            (
                "xl/_rels/workbook.xml.rels".to_owned(),
                format!(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{relationships}</Relationships>"#),
            ),
            (
                "xl/workbook.xml".to_owned(),
                format!(r#"<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{RELATIONSHIPS}"><x:workbookPr date1904="1"/><x:sheets>{entries}</x:sheets></x:workbook>"#),
            ),
            ("xl/sharedStrings.xml".to_owned(), shared_strings.to_owned()),
            ("xl/styles.xml".to_owned(), styles.to_owned()),
        ]);
        let mut bytes = Vec::new();
        let mut zip = zip::ZipWriter::new(Cursor::new(&mut bytes));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (path, text) in parts {
            zip.start_file(path, options).expect("entry");
            zip.write_all(text.as_bytes()).expect("write");
        }
        zip.finish().expect("finish");
        bytes
    }

    #[test]
    fn reads_the_cell_forms_other_writers_use() {
        let sheet = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<x:dimension ref="A1:F3"/><x:sheetData>
<x:row r="1"><x:c r="A1" t="s"><x:v>1</x:v></x:c><x:c t="inlineStr"><x:is><x:t>inline &lt;b&gt;</x:t></x:is></x:c><x:c r="D1" t="str"><x:f>A1&amp;"!"</x:f><x:v>hi_x0021_</x:v></x:c><x:c r="E1" t="b"><x:v>1</x:v></x:c><x:c r="F1" t="e"><x:v>#N/A</x:v></x:c></x:row>
<x:row><x:c s="1"><x:v>45000</x:v></x:c><x:c s="2"><x:v>1.5</x:v></x:c><x:c><x:v>12.25</x:v></x:c><x:c t="d"><x:v>2026-01-31</x:v></x:c><x:c r="F2"/></x:row>
<x:row r="3"><x:c r="A3"><x:v>not a number</x:v></x:c></x:row>
</x:sheetData></x:worksheet>"#;
        let strings = r#"<sst count="2" uniqueCount="2"><si><t>zero</t></si><si><r><t>o</t></r><r><t xml:space="preserve">ne </t></r></si></sst>"#;
        let styles = r#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="[h]:mm"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>"#;
        let bytes = package(sheet, strings, styles);
        let workbook = Workbook::open(&bytes).expect("opens");
        assert!(workbook.is_1904());
        let sheets: Vec<(String, bool, String)> = workbook
            .sheets()
            .iter()
            .map(|sheet| (sheet.name.clone(), sheet.is_worksheet, sheet.path.clone()))
            .collect();
        assert_eq!(
            sheets,
            [
                (
                    "VPS & co".to_owned(),
                    true,
                    "xl/worksheets/sheet1.xml".to_owned()
                ),
                (
                    "Chart".to_owned(),
                    false,
                    "xl/chartsheets/sheet1.xml".to_owned()
                ),
            ]
        );
        let mut sheets = workbook.sheet_reader();
        let mut cells = sheets.cells(0).expect("sheet");
        assert_eq!(cells.declared_last_row(), Some(2));
        let mut read = Vec::new();
        while let Some(cell) = cells.next_cell().expect("cell") {
            read.push((cell.row, cell.column, cell.value));
        }
        let date = |value, kind| DataRef::DateTime(calamine::ExcelDateTime::new(value, kind, true));
        assert_eq!(
            read,
            [
                (0, 0, DataRef::SharedString("one ")),
                (0, 1, DataRef::String("inline <b>".to_owned())),
                (0, 3, DataRef::String("hi!".to_owned())),
                (0, 4, DataRef::Bool(true)),
                (0, 5, DataRef::Error(calamine::CellErrorType::NA)),
                (1, 0, date(45000.0, calamine::ExcelDateTimeType::DateTime)),
                (1, 1, date(1.5, calamine::ExcelDateTimeType::TimeDelta)),
                (1, 2, DataRef::Float(12.25)),
                (1, 3, DataRef::DateTimeIso("2026-01-31".to_owned())),
                (1, 5, DataRef::Empty),
                (2, 0, DataRef::String("not a number".to_owned())),
            ]
        );
    }

    #[test]
    fn refuses_a_cell_that_points_past_the_shared_strings() {
        let sheet = r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>5</v></c></row></sheetData></worksheet>"#;
        let bytes = package(sheet, "<sst><si><t>only</t></si></sst>", "<styleSheet/>");
        let workbook = Workbook::open(&bytes).expect("opens");
        let mut sheets = workbook.sheet_reader();
        let mut cells = sheets.cells(0).expect("sheet");
        let error = cells.next_cell().err().expect("refused").to_string();
        assert!(error.contains("shared string 5"), "{error}");
    }

    #[test]
    fn hostile_row_numbers_and_format_codes_are_read_without_overflow() {
        let sheet = r#"<worksheet><sheetData><row r="4294967295"><c><v>1</v></c></row><row><c><v>2</v></c></row><row/></sheetData></worksheet>"#;
        let styles = format!(
            r#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="{}"/></numFmts><cellXfs><xf numFmtId="164"/></cellXfs></styleSheet>"#,
            "[".repeat(300)
        );
        let bytes = package(sheet, "<sst/>", &styles);
        let workbook = Workbook::open(&bytes).expect("opens");
        let mut sheets = workbook.sheet_reader();
        let mut cells = sheets.cells(0).expect("sheet");
        let mut rows = Vec::new();
        while let Some(cell) = cells.next_cell().expect("cell") {
            rows.push(cell.row);
        }
        assert_eq!(rows, [u32::MAX - 1, u32::MAX]);
    }

    const HOST_SHEET: &str = r#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>ip</t></is></c><c r="C1" t="inlineStr"><is><t>port</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>VPS-1</t></is></c><c r="B2" t="inlineStr"><is><t>10.0.0.1</t></is></c><c r="C2"><v>22</v></c></row></sheetData></worksheet>"#;

    /// A sheet whose second cell points past the shared strings.
    const DAMAGED_SHEET: &str = r#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="s"><v>9</v></c></row></sheetData></worksheet>"#;

    fn corrupt_message(bytes: &[u8]) -> String {
        match crate::spreadsheet::preview(bytes) {
            Err(crate::spreadsheet::SpreadsheetError::Corrupt(message)) => message,
            other => panic!("expected a damaged-workbook refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_sheet_missing_from_the_package_or_cut_short_is_refused_by_name() {
        let missing = package_of(
            &[("Data VPS", Some(HOST_SHEET)), ("AKUN", None)],
            "<sst/>",
            "<styleSheet/>",
        );
        let message = corrupt_message(&missing);
        assert!(message.contains("xl/worksheets/sheet2.xml"), "{message}");

        let cut = &HOST_SHEET[..HOST_SHEET.len() - "</sheetData></worksheet>".len()];
        let message = corrupt_message(&package_of(
            &[("Data VPS", Some(cut))],
            "<sst/>",
            "<styleSheet/>",
        ));
        assert!(message.contains("Data VPS"), "{message}");
    }

    /// The two kinds of sheet are read on two threads: a damaged sheet of
    /// either kind refuses the upload and is named, and of two damaged
    /// sheets it is always the first in the workbook.
    #[test]
    fn a_damaged_sheet_of_either_kind_refuses_the_upload_by_its_name() {
        let sales_damaged = package_of(
            &[
                ("Data VPS", Some(HOST_SHEET)),
                ("AKUN", Some(DAMAGED_SHEET)),
            ],
            "<sst/>",
            "<styleSheet/>",
        );
        let message = corrupt_message(&sales_damaged);
        assert!(
            message.contains("AKUN") && message.contains("shared string 9"),
            "{message}"
        );

        let hosts_damaged = package_of(
            &[
                ("AKUN", Some(HOST_SHEET)),
                ("Data VPS", Some(DAMAGED_SHEET)),
            ],
            "<sst/>",
            "<styleSheet/>",
        );
        let message = corrupt_message(&hosts_damaged);
        assert!(message.contains("Data VPS"), "{message}");

        let both = package_of(
            &[
                ("AKUN", Some(DAMAGED_SHEET)),
                ("Data VPS", Some(DAMAGED_SHEET)),
            ],
            "<sst/>",
            "<styleSheet/>",
        );
        for _ in 0..20 {
            let message = corrupt_message(&both);
            assert!(message.starts_with("sheet `AKUN`"), "{message}");
        }
    }
}
