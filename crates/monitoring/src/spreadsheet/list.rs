//! A one-column list in a workbook — codes, account credentials, names —
//! read from the first column of the first worksheet, behind the same
//! archive gate as the import: an upload is an untrusted file.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::archive::{ArchiveLimits, check_archive};
use super::error::SpreadsheetError;

/// The non-blank cells of the first worksheet's first column, as text
/// (trimmed), top to bottom; more than `max_items` is refused whole.
pub fn first_column(bytes: &[u8], max_items: usize) -> Result<Vec<String>, SpreadsheetError> {
    check_archive(bytes, &ArchiveLimits::default())?;
    let mut workbook: Xlsx<Cursor<&[u8]>> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|error: calamine::XlsxError| SpreadsheetError::Corrupt(error.to_string()))?;
    let Some(sheet) = workbook.worksheet_range_at(0) else {
        return Ok(Vec::new());
    };
    let sheet = sheet.map_err(|error| SpreadsheetError::Corrupt(error.to_string()))?;
    let mut items = Vec::new();
    for row in sheet.rows() {
        let text = match row.first() {
            None | Some(Data::Empty) | Some(Data::Error(_)) => continue,
            // A code typed as a number (123456) reads as it was typed.
            Some(&Data::Float(number)) if number.fract() == 0.0 && number.abs() < 1e15 => {
                format!("{}", number as i64)
            }
            Some(cell) => cell.to_string(),
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if items.len() == max_items {
            return Err(SpreadsheetError::TooManyRows {
                sheet: sheet_name(&workbook),
                limit: max_items,
            });
        }
        items.push(text.to_owned());
    }
    Ok(items)
}

fn sheet_name(workbook: &Xlsx<Cursor<&[u8]>>) -> String {
    workbook.sheet_names().first().cloned().unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn workbook(cells: &[&str]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (row, cell) in cells.iter().enumerate() {
            if let Ok(number) = cell.parse::<f64>() {
                sheet.write_number(row as u32, 0, number).unwrap();
            } else {
                sheet.write_string(row as u32, 0, *cell).unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn reads_the_first_column_skipping_blanks() {
        let bytes = workbook(&["NFX-001", "", "  budi@mail.test:rahasia  ", "123456"]);
        assert_eq!(
            first_column(&bytes, 10).unwrap(),
            ["NFX-001", "budi@mail.test:rahasia", "123456"]
        );
    }

    #[test]
    fn refuses_too_many_and_what_is_not_a_workbook() {
        let bytes = workbook(&["a", "b", "c"]);
        assert!(matches!(
            first_column(&bytes, 2),
            Err(SpreadsheetError::TooManyRows { limit: 2, .. })
        ));
        assert!(matches!(
            first_column(b"code\nNFX-001\n", 10),
            Err(SpreadsheetError::NotXlsx(_))
        ));
    }
}
