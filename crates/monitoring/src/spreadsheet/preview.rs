//! What an uploaded workbook would import: every data row with its typed
//! values and problems, and a summary per kind and per sheet. Stored as JSON
//! between the preview and the confirm step and returned by the API, so the
//! field names here are a wire format: snake_case and stable.

use chrono::NaiveDate;
use domain::Money;
use serde::{Deserialize, Serialize};

use super::values::{Port, Quantity, ShortText};
use crate::probe::Host;

/// How a price appears in the preview: [`Money`] on the wire (documentation
/// only; the rows hold `Money` itself).
#[derive(utoipa::ToSchema)]
#[schema(as = PreviewPrice)]
#[allow(dead_code)]
pub struct PriceSchema {
    /// Minor units: whole rupiah, US cents.
    minor: i64,
    /// `IDR` or `USD`.
    currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportPreview {
    pub summary: ImportSummary,
    /// Rows of the `VPS` sheets, in sheet order then row order.
    pub hosts: Vec<HostRow>,
    /// Rows of the `AKUN` sheets, in sheet order then row order.
    pub account_sales: Vec<AccountSaleRow>,
}

/// One data row of a `VPS` sheet. A value is `None` when its cell is blank
/// or could not be read; in the second case `problems` says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HostRow {
    pub sheet: String,
    /// The row number Excel shows (1-based).
    pub row: u32,
    #[schema(value_type = Option<String>)]
    pub name: Option<ShortText>,
    /// The `ip` column: an IP address or a host name ([`Host`]).
    #[schema(value_type = Option<String>)]
    pub ip: Option<Host>,
    #[schema(value_type = Option<u16>)]
    pub port: Option<Port>,
    pub expire_date: Option<NaiveDate>,
    #[schema(value_type = Option<PriceSchema>)]
    pub price: Option<Money>,
    /// Whether the row says which currency `price` is in (a currency cell,
    /// or `Rp`/`$`/`USD` in the price text). When it does not, a re-import
    /// keeps the host's stored currency.
    #[serde(default)]
    pub currency_stated: bool,
    pub problems: Vec<RowProblem>,
}

/// One data row of an `AKUN` sheet: accounts sold on a marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountSaleRow {
    pub sheet: String,
    /// The row number Excel shows (1-based).
    pub row: u32,
    pub sold_at: Option<NaiveDate>,
    #[schema(value_type = Option<String>)]
    pub name: Option<ShortText>,
    #[schema(value_type = Option<String>)]
    pub merchant: Option<ShortText>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>)]
    pub account_type: Option<ShortText>,
    /// 1 when the cell is blank.
    #[schema(value_type = Option<u32>)]
    pub qty: Option<Quantity>,
    #[schema(value_type = Option<PriceSchema>)]
    pub price: Option<Money>,
    pub problems: Vec<RowProblem>,
}

impl HostRow {
    /// A row can be imported when nothing is wrong with it.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

impl AccountSaleRow {
    /// A row can be imported when nothing is wrong with it.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One thing wrong with one cell (or a column the sheet lacks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowProblem {
    pub field: Field,
    pub code: ProblemCode,
    /// English explanation quoting the cell; the SPA translates by `code`.
    pub message: String,
}

/// The canonical columns of both sheet kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Ip,
    Port,
    ExpireDate,
    Price,
    Currency,
    SoldAt,
    Merchant,
    #[serde(rename = "type")]
    AccountType,
    Qty,
}

impl Field {
    /// The canonical header, as written by the export.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Ip => "ip",
            Field::Port => "port",
            Field::ExpireDate => "expire_date",
            Field::Price => "price",
            Field::Currency => "currency",
            Field::SoldAt => "date",
            Field::Merchant => "merchant",
            Field::AccountType => "type",
            Field::Qty => "qty",
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable machine codes of row problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// A required cell is blank.
    Missing,
    /// The sheet has no column for a required field, so no row can be used.
    MissingColumn,
    InvalidIp,
    InvalidPort,
    InvalidDate,
    NegativePrice,
    InvalidPrice,
    UnknownCurrency,
    /// The price says `Rp` but the currency column says `USD` (or the reverse).
    CurrencyMismatch,
    InvalidQty,
    /// A name, merchant or type longer than 200 characters.
    TooLong,
    /// A text cell holding an Excel error such as `#N/A`, or a NUL
    /// character (which cannot be stored).
    InvalidText,
    /// An address the shop's rules do not let the checker probe (loopback,
    /// link-local, a private network without the permission).
    AddressNotAllowed,
    /// A price without a currency for a host stored in another currency
    /// than rupiah: the amount cannot be read safely.
    CurrencyRequired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub hosts: RowCounts,
    pub account_sales: RowCounts,
    /// The sheets read, in workbook order.
    pub sheets: Vec<SheetSummary>,
    /// Sheets left out, with the reason.
    pub ignored_sheets: Vec<IgnoredSheet>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowCounts {
    /// Data rows read; blank rows are not counted.
    pub total_rows: u32,
    pub valid_rows: u32,
    pub rows_with_problems: u32,
}

impl RowCounts {
    pub(crate) fn count(&mut self, valid: bool) {
        self.total_rows += 1;
        if valid {
            self.valid_rows += 1;
        } else {
            self.rows_with_problems += 1;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SheetKind {
    /// A `VPS` sheet: hosts to monitor.
    Hosts,
    /// An `AKUN` sheet: account sales.
    AccountSales,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SheetSummary {
    pub name: String,
    pub kind: SheetKind,
    /// The row Excel shows for the header (the first non-empty row); `None`
    /// for an empty sheet.
    pub header_row: Option<u32>,
    /// Required columns with no header: every row of the sheet has a
    /// `missing_column` problem until the column is added.
    pub missing_columns: Vec<Field>,
    /// Headers that match no column (or repeat one already matched; the
    /// leftmost wins), as written.
    pub ignored_headers: Vec<String>,
    pub rows: RowCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IgnoredSheet {
    pub name: String,
    pub reason: IgnoredSheetReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IgnoredSheetReason {
    /// The name contains neither `VPS` nor `AKUN`.
    UnrecognisedName,
    /// The name contains both `VPS` and `AKUN`, so its kind is a guess; it is
    /// left out rather than imported as the wrong kind.
    AmbiguousName,
    /// A chart, dialog or macro sheet: it holds no cells.
    NotAWorksheet,
}
