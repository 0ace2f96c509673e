//! Why an upload could not be previewed at all, and why an export could not be
//! written. Row-level problems are not errors: they live in the preview.

use chrono::NaiveDate;

/// The whole upload is refused. Every variant is something the uploader can
/// act on, so the messages are written for them.
#[derive(Debug, thiserror::Error)]
pub enum SpreadsheetError {
    #[error("the file is {size} bytes; uploads are limited to {limit} bytes")]
    TooLarge { size: usize, limit: usize },

    #[error("the file is not an .xlsx workbook: {0}")]
    NotXlsx(NotXlsxReason),

    /// The zip container declares more data than a real workbook of the
    /// allowed upload size could hold: refused before anything is inflated.
    #[error("the workbook was refused because it would expand to an unsafe size: {0}")]
    ZipBomb(String),

    #[error("the workbook is damaged or not a valid .xlsx file: {0}")]
    Corrupt(String),

    #[error("no sheet named like `VPS` or `AKUN` was found (sheets: {})", .sheets.join(", "))]
    NoKnownSheets { sheets: Vec<String> },

    #[error("sheet `{sheet}` has more than {limit} data rows; split the import into smaller files")]
    TooManyRows { sheet: String, limit: usize },

    #[error(
        "the workbook has more than {limit} data rows in its VPS and AKUN sheets together; split the import into smaller files"
    )]
    TooManyRowsInWorkbook { limit: usize },

    /// The row sink stopped taking rows (its consumer failed and reports
    /// why itself); not the uploader's fault.
    #[error("reading the workbook was stopped: {0}")]
    Stopped(String),
}

/// What the upload looked like instead of an .xlsx workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotXlsxReason {
    /// An OLE2 compound file: a legacy `.xls` workbook, or an `.xlsx` saved
    /// with a password (Excel wraps encrypted workbooks in OLE2).
    Ole2CompoundFile,
    /// Not a zip archive at all (CSV, PDF, an image, random bytes...).
    NotZip,
    /// A zip archive without a workbook part (a `.docx`, a plain `.zip`...).
    ZipWithoutWorkbook,
}

impl std::fmt::Display for NotXlsxReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotXlsxReason::Ole2CompoundFile => {
                "it is a legacy .xls workbook or a password-protected file; save it as .xlsx without a password"
            }
            NotXlsxReason::NotZip => "it is not an Excel 2007+ (.xlsx) file; CSV and other formats are not supported",
            NotXlsxReason::ZipWithoutWorkbook => "it is a zip archive without an Excel workbook inside",
        })
    }
}

/// Writing an export workbook failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Excel cannot show dates before 1900-01-01 or after 9999-12-31.
    #[error("date {0} is outside the range Excel can store (1900-01-01 to 9999-12-31)")]
    DateOutOfRange(NaiveDate),

    /// Prices are written as numbers; beyond 15 significant digits a spreadsheet
    /// number no longer holds the exact amount, so re-importing would change it.
    #[error("price of {0} minor units is too large to be written exactly")]
    PriceOutOfRange(i64),

    #[error("could not write the workbook")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}
