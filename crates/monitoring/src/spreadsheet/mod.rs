//! Excel import and export of hosts (`VPS` sheets) and account sales (`AKUN`
//! sheets), with no database: the HTTP layer stores the preview and commits
//! the valid rows.
//!
//! The whole API:
//!
//! - [`preview`]`(bytes) -> Result<`[`ImportPreview`]`, `[`SpreadsheetError`]`>`
//!   reads an uploaded `.xlsx` into typed rows, each with its problems, and a
//!   summary. It never panics on hostile input and refuses, before inflating
//!   anything, uploads over [`MAX_UPLOAD_BYTES`] and zip bombs.
//! - [`write_workbook`]`(hosts, sales) -> Result<Vec<u8>, `[`ExportError`]`>`
//!   writes the `VPS` and `AKUN` sheets so that [`preview`] reads back exactly
//!   the same values.
//! - [`sample::generate_workbook`] makes realistic, deterministic workbooks
//!   (mixed header spellings, every date form, defective rows) for tests and
//!   benchmarks.
//!
//! Header aliases, date formats and the price-spelling rule are documented in
//! `header.rs`, `date.rs` and `price.rs`. The `ip` column is parsed into the
//! monitoring crate's own [`crate::probe::Host`], the address the port checks
//! use, so an imported host is probed exactly as typed.

mod archive;
mod cell;
mod date;
mod error;
mod export;
mod header;
pub mod list;
mod preview;
mod price;
mod reader;
pub mod sample;
mod values;
mod xlsx;

pub use error::{ExportError, NotXlsxReason, SpreadsheetError};
pub use export::{AccountSaleExportRow, HostExportRow, write_workbook};
pub use preview::{
    AccountSaleRow, Field, HostRow, IgnoredSheet, IgnoredSheetReason, ImportPreview, ImportSummary,
    PriceSchema, ProblemCode, RowCounts, RowProblem, SheetKind, SheetSummary,
};
pub use reader::RowSink;
pub use values::{InvalidPort, InvalidQuantity, Port, Quantity, ShortText, ShortTextError};

use archive::ArchiveLimits;

/// The largest upload accepted (20 MiB). The HTTP layer caps the body at the
/// same size; checked here too so no caller can forget.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// Data rows accepted per sheet; about five times the shop's largest sheet.
pub const MAX_ROWS_PER_SHEET: usize = 200_000;

/// Data rows accepted per workbook, all sheets together: bounds the memory
/// of a preview (a few hundred bytes per row) however the rows are spread.
pub const MAX_ROWS_PER_WORKBOOK: usize = 300_000;

/// Reads an uploaded workbook into an import preview.
///
/// Blank rows are skipped; every other row of a `VPS` or `AKUN` sheet is in
/// the preview, valid or with its problems. The error cases are whole-file
/// refusals: too large, not an `.xlsx`, a zip bomb, a damaged file, no known
/// sheet, or too many rows.
pub fn preview(bytes: &[u8]) -> Result<ImportPreview, SpreadsheetError> {
    preview_with_limits(bytes, &Limits::default())
}

/// Reads an uploaded workbook row by row into the sinks, the `VPS` rows
/// into `hosts` and the `AKUN` rows into `account_sales`, each kind on a
/// thread of its own (same rows, same refusals as [`preview`]), and returns
/// the summary. The rows are never all in memory at once unless the sinks
/// keep them.
pub fn read_rows(
    bytes: &[u8],
    hosts: &mut dyn RowSink<HostRow>,
    account_sales: &mut dyn RowSink<AccountSaleRow>,
) -> Result<ImportSummary, SpreadsheetError> {
    let limits = Limits::default();
    if bytes.len() > limits.max_upload_bytes {
        return Err(SpreadsheetError::TooLarge {
            size: bytes.len(),
            limit: limits.max_upload_bytes,
        });
    }
    archive::check_archive(bytes, &limits.archive)?;
    reader::read_rows(bytes, &limits, hosts, account_sales)
}

/// The size and zip-bomb checks of [`preview`], for the crate's other
/// workbooks (the ISP customers' import).
pub(crate) fn check_upload(bytes: &[u8]) -> Result<(), SpreadsheetError> {
    let limits = Limits::default();
    if bytes.len() > limits.max_upload_bytes {
        return Err(SpreadsheetError::TooLarge {
            size: bytes.len(),
            limit: limits.max_upload_bytes,
        });
    }
    archive::check_archive(bytes, &limits.archive)
}

pub(crate) use header::normalise_header;

/// Every bound on an upload, in one place (tests shrink them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_upload_bytes: usize,
    pub(crate) archive: ArchiveLimits,
    pub(crate) max_rows_per_sheet: usize,
    pub(crate) max_rows_per_workbook: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_upload_bytes: MAX_UPLOAD_BYTES,
            archive: ArchiveLimits::default(),
            max_rows_per_sheet: MAX_ROWS_PER_SHEET,
            max_rows_per_workbook: MAX_ROWS_PER_WORKBOOK,
        }
    }
}

pub(crate) fn preview_with_limits(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ImportPreview, SpreadsheetError> {
    if bytes.len() > limits.max_upload_bytes {
        return Err(SpreadsheetError::TooLarge {
            size: bytes.len(),
            limit: limits.max_upload_bytes,
        });
    }
    archive::check_archive(bytes, &limits.archive)?;
    reader::read_preview(bytes, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_limits() -> Limits {
        Limits {
            max_rows_per_sheet: 10,
            max_rows_per_workbook: 15,
            ..Limits::default()
        }
    }

    #[test]
    fn refuses_a_sheet_over_the_row_limit() {
        let sample = sample::generate_workbook(11, 0, 0.0, 1).expect("sample workbook");
        let error = preview_with_limits(&sample.bytes, &small_limits()).expect_err("11 rows > 10");
        assert!(
            matches!(&error, SpreadsheetError::TooManyRows { sheet, limit: 10 } if sheet == "Data VPS"),
            "{error:?}"
        );
        let sample = sample::generate_workbook(10, 0, 0.0, 1).expect("sample workbook");
        let result = preview_with_limits(&sample.bytes, &small_limits());
        assert!(result.is_ok(), "exactly the limit is fine: {result:?}");
    }

    #[test]
    fn refuses_a_workbook_over_the_row_limit() {
        let sample = sample::generate_workbook(8, 8, 0.0, 1).expect("sample workbook");
        let error = preview_with_limits(&sample.bytes, &small_limits()).expect_err("16 rows > 15");
        assert!(
            matches!(error, SpreadsheetError::TooManyRowsInWorkbook { limit: 15 }),
            "{error:?}"
        );
        let sample = sample::generate_workbook(8, 7, 0.0, 1).expect("sample workbook");
        let result = preview_with_limits(&sample.bytes, &small_limits());
        assert!(result.is_ok(), "exactly the limit is fine: {result:?}");
    }

    /// The two kinds are read on two threads; when both refuse the upload,
    /// the answer is the first sheet's refusal every time, as if the sheets
    /// were read one after the other.
    #[test]
    fn of_two_refused_sheets_the_first_is_reported() {
        let limits = Limits {
            max_rows_per_sheet: 10,
            ..Limits::default()
        };
        let both = sample::generate_workbook(11, 11, 0.0, 1).expect("sample workbook");
        for _ in 0..20 {
            let error = preview_with_limits(&both.bytes, &limits).expect_err("both sheets > 10");
            assert!(
                matches!(&error, SpreadsheetError::TooManyRows { sheet, limit: 10 } if sheet == "Data VPS"),
                "{error:?}"
            );
        }
        let second = sample::generate_workbook(10, 11, 0.0, 1).expect("sample workbook");
        let error = preview_with_limits(&second.bytes, &limits).expect_err("AKUN sheet > 10");
        assert!(
            matches!(&error, SpreadsheetError::TooManyRows { sheet, limit: 10 } if sheet == "akun Terjual"),
            "{error:?}"
        );
    }
}
