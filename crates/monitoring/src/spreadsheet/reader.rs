//! The import engine: streams the cells of each `VPS` and `AKUN` sheet in
//! document order (never building a whole-sheet grid), finds the header row,
//! keeps only the cells of mapped columns for the row being read, and turns
//! each finished row into a typed preview row.

use std::io::Read;

use calamine::DataRef;

use super::Limits;
use super::cell::{self, CellValue, RowProblems};
use super::date::DateSystem;
use super::error::SpreadsheetError;
use super::header::ColumnMap;
use super::preview::{
    AccountSaleRow, Field, HostRow, IgnoredSheet, IgnoredSheetReason, ImportPreview, ImportSummary,
    RowCounts, SheetKind, SheetSummary,
};
use super::xlsx::{CellError, SheetCells, Workbook, WorkbookError};

/// Excel has 16,384 columns; a header row claiming more is not worth keeping.
const MAX_HEADER_CELLS: usize = 16_384;

/// Where the reader hands each finished row, in sheet order then row order:
/// a caller that stores rows elsewhere (the import staging) never holds the
/// whole workbook's rows in memory.
pub trait RowSink {
    /// A row of a `VPS` sheet.
    fn host(&mut self, row: HostRow) -> Result<(), SpreadsheetError>;
    /// A row of an `AKUN` sheet.
    fn account_sale(&mut self, row: AccountSaleRow) -> Result<(), SpreadsheetError>;
    /// The sheet about to be read declares about this many data rows.
    fn reserve(&mut self, _kind: SheetKind, _rows: usize) {}
    /// Adds the caller's own problems to a parsed `VPS` row before it is
    /// counted (the shop's address rules, which the parser does not know).
    fn vet_host(&self, _row: &mut HostRow) {}
}

/// Collects every row: the in-memory [`ImportPreview`].
impl RowSink for ImportPreview {
    fn host(&mut self, row: HostRow) -> Result<(), SpreadsheetError> {
        self.hosts.push(row);
        Ok(())
    }

    fn account_sale(&mut self, row: AccountSaleRow) -> Result<(), SpreadsheetError> {
        self.account_sales.push(row);
        Ok(())
    }

    fn reserve(&mut self, kind: SheetKind, rows: usize) {
        match kind {
            SheetKind::Hosts => self.hosts.reserve(rows),
            SheetKind::AccountSales => self.account_sales.reserve(rows),
        }
    }
}

pub(crate) fn read_preview(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ImportPreview, SpreadsheetError> {
    let mut preview = ImportPreview {
        summary: ImportSummary {
            hosts: RowCounts::default(),
            account_sales: RowCounts::default(),
            sheets: Vec::new(),
            ignored_sheets: Vec::new(),
        },
        hosts: Vec::new(),
        account_sales: Vec::new(),
    };
    preview.summary = read_rows(bytes, limits, &mut preview)?;
    Ok(preview)
}

/// Reads every row of the workbook into `sink` and returns the summary.
pub(crate) fn read_rows(
    bytes: &[u8],
    limits: &Limits,
    sink: &mut dyn RowSink,
) -> Result<ImportSummary, SpreadsheetError> {
    let mut workbook = Workbook::open(bytes)?;
    let system = if workbook.is_1904() {
        DateSystem::Excel1904
    } else {
        DateSystem::Excel1900
    };

    let mut to_read = Vec::new();
    let mut ignored_sheets = Vec::new();
    for (index, sheet) in workbook.sheets().iter().enumerate() {
        match classify(&sheet.name, sheet.is_worksheet) {
            Ok(kind) => to_read.push((index, sheet.name.clone(), kind)),
            Err(reason) => ignored_sheets.push(IgnoredSheet {
                name: sheet.name.clone(),
                reason,
            }),
        }
    }
    if to_read.is_empty() {
        let sheets = ignored_sheets.into_iter().map(|sheet| sheet.name).collect();
        return Err(SpreadsheetError::NoKnownSheets { sheets });
    }

    let mut sheet_reader = SheetReader {
        system,
        limits,
        rows_in_workbook: 0,
        summary: ImportSummary {
            hosts: RowCounts::default(),
            account_sales: RowCounts::default(),
            sheets: Vec::with_capacity(to_read.len()),
            ignored_sheets,
        },
        sink,
    };
    for (index, name, kind) in to_read {
        let mut cells = workbook.cells(index)?;
        let summary = sheet_reader.read(&mut cells, name, kind)?;
        sheet_reader.summary.sheets.push(summary);
    }
    Ok(sheet_reader.summary)
}

/// `VPS` sheets hold hosts and `AKUN` sheets account sales, by a
/// case-insensitive substring of the name (`Data VPS 2025`, `akun-jual`).
fn classify(name: &str, is_worksheet: bool) -> Result<SheetKind, IgnoredSheetReason> {
    let lowercase = name.to_lowercase();
    let kind = match (lowercase.contains("vps"), lowercase.contains("akun")) {
        (true, false) => SheetKind::Hosts,
        (false, true) => SheetKind::AccountSales,
        (true, true) => return Err(IgnoredSheetReason::AmbiguousName),
        (false, false) => return Err(IgnoredSheetReason::UnrecognisedName),
    };
    if is_worksheet {
        Ok(kind)
    } else {
        Err(IgnoredSheetReason::NotAWorksheet)
    }
}

/// A cell that cannot be read damages the whole sheet: the file is refused.
fn corrupt(sheet: &str) -> impl FnOnce(CellError) -> SpreadsheetError {
    move |error| {
        WorkbookError::Cells {
            sheet: sheet.to_owned(),
            error,
        }
        .into()
    }
}

const FIELD_COUNT: usize = Field::Qty as usize + 1;

/// The cells of the mapped columns of the row being read.
struct RowCells<'a> {
    cells: [DataRef<'a>; FIELD_COUNT],
    /// Whether any cell set since the last clear has a value: decided once
    /// per cell as it arrives, so a blank row costs nothing to recognise.
    has_value: bool,
}

impl<'a> RowCells<'a> {
    fn new() -> Self {
        RowCells {
            cells: std::array::from_fn(|_| DataRef::Empty),
            has_value: false,
        }
    }

    fn get(&self, field: Field) -> CellValue<'_> {
        CellValue::of(&self.cells[field as usize])
    }

    fn set(&mut self, field: Field, value: DataRef<'a>) {
        self.has_value |= !CellValue::of(&value).is_blank();
        self.cells[field as usize] = value;
    }

    fn is_blank(&self) -> bool {
        !self.has_value
    }

    fn clear(&mut self) {
        self.cells.fill(DataRef::Empty);
        self.has_value = false;
    }
}

struct SheetReader<'p> {
    system: DateSystem,
    limits: &'p Limits,
    rows_in_workbook: usize,
    summary: ImportSummary,
    sink: &'p mut dyn RowSink,
}

impl SheetReader<'_> {
    fn read<'a, R: Read>(
        &mut self,
        cells: &mut SheetCells<'a, R>,
        sheet: String,
        kind: SheetKind,
    ) -> Result<SheetSummary, SpreadsheetError> {
        // The header is the first row with a non-blank cell.
        let mut header_row: Option<u32> = None;
        let mut headers: Vec<(u32, String)> = Vec::new();
        let mut first_data_cell = None;
        while let Some(cell) = cells.next_cell().map_err(corrupt(&sheet))? {
            let (row, column) = (cell.row, cell.column);
            if header_row.is_some_and(|header| header != row) {
                first_data_cell = Some(cell);
                break;
            }
            let value = CellValue::of(&cell.value);
            if !value.is_blank() && headers.len() < MAX_HEADER_CELLS {
                headers.push((column, value.to_text().into_owned()));
                header_row = Some(row);
            }
        }
        let columns = match header_row {
            Some(_) => ColumnMap::from_headers(
                kind,
                headers
                    .iter()
                    .map(|(column, text)| (*column, text.as_str())),
            ),
            None => ColumnMap::empty_sheet(kind),
        };

        let mut summary = SheetSummary {
            name: sheet,
            kind,
            header_row: header_row.map(excel_row_number),
            missing_columns: columns.missing_required.clone(),
            ignored_headers: columns.ignored_headers.clone(),
            rows: RowCounts::default(),
        };
        self.reserve_rows(kind, cells.declared_last_row(), header_row);
        let mut row_cells = RowCells::new();
        let mut current_row: Option<u32> = None;
        // The reader must not be asked again once it has reported the end of
        // the sheet data (it would read on past `</sheetData>`), so each cell
        // fetches the next one only after it is handled.
        let mut next_cell = first_data_cell;
        while let Some(cell) = next_cell.take() {
            let (row, column) = (cell.row, cell.column);
            if current_row != Some(row) {
                if let Some(finished) = current_row {
                    self.finish_row(&mut summary, &columns, finished, &row_cells)?;
                    row_cells.clear();
                }
                current_row = Some(row);
            }
            if let Some(field) = columns.field_at(column) {
                row_cells.set(field, cell.value);
            }
            next_cell = cells.next_cell().map_err(corrupt(&summary.name))?;
        }
        if let Some(finished) = current_row {
            self.finish_row(&mut summary, &columns, finished, &row_cells)?;
        }
        Ok(summary)
    }

    /// Makes room for the rows the sheet declares below its header, so the
    /// row vectors are not regrown (and copied) while reading. The declared
    /// size is the uploader's claim, so it is capped by the row limits.
    fn reserve_rows(
        &mut self,
        kind: SheetKind,
        declared_last_row: Option<u32>,
        header_row: Option<u32>,
    ) {
        let (Some(header_row), Some(last_row)) = (header_row, declared_last_row) else {
            return;
        };
        let declared_rows = last_row.saturating_sub(header_row) as usize;
        let allowed = self.limits.max_rows_per_sheet.min(
            self.limits
                .max_rows_per_workbook
                .saturating_sub(self.rows_in_workbook),
        );
        self.sink.reserve(kind, declared_rows.min(allowed));
    }

    fn finish_row(
        &mut self,
        summary: &mut SheetSummary,
        columns: &ColumnMap,
        row: u32,
        cells: &RowCells<'_>,
    ) -> Result<(), SpreadsheetError> {
        // A row with nothing in the import columns (blank, or only notes in
        // other columns) is not a data row.
        if cells.is_blank() {
            return Ok(());
        }
        self.rows_in_workbook += 1;
        if summary.rows.total_rows as usize >= self.limits.max_rows_per_sheet {
            return Err(SpreadsheetError::TooManyRows {
                sheet: summary.name.clone(),
                limit: self.limits.max_rows_per_sheet,
            });
        }
        if self.rows_in_workbook > self.limits.max_rows_per_workbook {
            return Err(SpreadsheetError::TooManyRowsInWorkbook {
                limit: self.limits.max_rows_per_workbook,
            });
        }
        let row = excel_row_number(row);
        let valid = match summary.kind {
            SheetKind::Hosts => {
                let mut parsed = host_row(&summary.name, row, cells, columns, self.system);
                self.sink.vet_host(&mut parsed);
                let valid = parsed.is_valid();
                self.summary.hosts.count(valid);
                self.sink.host(parsed)?;
                valid
            }
            SheetKind::AccountSales => {
                let parsed = account_sale_row(&summary.name, row, cells, columns, self.system);
                let valid = parsed.is_valid();
                self.summary.account_sales.count(valid);
                self.sink.account_sale(parsed)?;
                valid
            }
        };
        summary.rows.count(valid);
        Ok(())
    }
}

/// Excel numbers rows from 1; the cell reader from 0.
fn excel_row_number(index: u32) -> u32 {
    index.saturating_add(1)
}

fn host_row(
    sheet: &str,
    row: u32,
    cells: &RowCells<'_>,
    columns: &ColumnMap,
    system: DateSystem,
) -> HostRow {
    let mut problems = RowProblems::new(&columns.missing_required);
    let name = problems.required(Field::Name, cell::short_text(cells.get(Field::Name)));
    let ip = problems.required(Field::Ip, cell::host(cells.get(Field::Ip)));
    let port = problems.required(Field::Port, cell::port(cells.get(Field::Port)));
    let expire_date = problems.optional(
        Field::ExpireDate,
        cell::date(cells.get(Field::ExpireDate), system),
    );
    let price = price(&mut problems, cells);
    HostRow {
        sheet: sheet.to_owned(),
        row,
        name,
        ip,
        port,
        expire_date,
        price,
        currency_stated: states_currency(cells),
        problems: problems.into_vec(),
    }
}

fn account_sale_row(
    sheet: &str,
    row: u32,
    cells: &RowCells<'_>,
    columns: &ColumnMap,
    system: DateSystem,
) -> AccountSaleRow {
    let mut problems = RowProblems::new(&columns.missing_required);
    let sold_at = problems.required(Field::SoldAt, cell::date(cells.get(Field::SoldAt), system));
    let name = problems.required(Field::Name, cell::short_text(cells.get(Field::Name)));
    let merchant = problems.optional(
        Field::Merchant,
        cell::short_text(cells.get(Field::Merchant)),
    );
    let account_type = problems.optional(
        Field::AccountType,
        cell::short_text(cells.get(Field::AccountType)),
    );
    let qty = problems.optional(Field::Qty, cell::quantity(cells.get(Field::Qty)));
    let price = price(&mut problems, cells);
    AccountSaleRow {
        sheet: sheet.to_owned(),
        row,
        sold_at,
        name,
        merchant,
        account_type,
        qty,
        price,
        problems: problems.into_vec(),
    }
}

/// Whether the row names its currency: a filled currency cell, or a price
/// written with a currency (`Rp 150.000`, `$12.50`, `12.5 USD`). A bare number
/// is read as rupiah for a new host but does not say so.
fn states_currency(cells: &RowCells<'_>) -> bool {
    if !cells.get(Field::Currency).is_blank() {
        return true;
    }
    match cells.get(Field::Price) {
        CellValue::Text(text) => {
            let lowercase = text.to_lowercase();
            ["rp", "idr", "usd", "$"]
                .iter()
                .any(|marker| lowercase.contains(marker))
        }
        _ => false,
    }
}

/// The price in the row's currency. A price next to an unknown currency is
/// left unread: the currency problem already tells the uploader what to fix.
fn price(problems: &mut RowProblems, cells: &RowCells<'_>) -> Option<domain::Money> {
    let currency = problems.optional(Field::Currency, cell::currency(cells.get(Field::Currency)));
    if problems.has(Field::Currency) {
        return None;
    }
    problems.optional(Field::Price, cell::price(cells.get(Field::Price), currency))
}
