//! The import engine: streams the cells of each `VPS` and `AKUN` sheet in
//! document order (never building a whole-sheet grid), finds the header row,
//! keeps only the cells of mapped columns for the row being read, and turns
//! each finished row into a typed preview row. The `VPS` sheets and the
//! `AKUN` sheets are read on two threads at once, sharing the workbook's
//! shared strings and formats (read once): an upload's wait is the
//! parser's, and on a shop's small machine the second core is otherwise
//! idle for half of it.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

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
use super::xlsx::{SheetCells, SheetReader as Sheets, Workbook};

/// Excel has 16,384 columns; a header row claiming more is not worth keeping.
const MAX_HEADER_CELLS: usize = 16_384;

/// Where the reader hands each finished row of one kind (`HostRow` for the
/// `VPS` sheets, `AccountSaleRow` for the `AKUN` sheets), in sheet order
/// then row order: a caller that stores rows elsewhere (the import staging)
/// never holds the whole workbook's rows in memory. The two kinds' sinks
/// are called from two threads at once.
pub trait RowSink<Row>: Send {
    fn row(&mut self, row: Row) -> Result<(), SpreadsheetError>;
    /// The sheet about to be read declares about this many data rows.
    fn reserve(&mut self, _rows: usize) {}
    /// Adds the caller's own problems to a parsed row before it is counted
    /// (the shop's address rules for a host, which the parser does not know).
    fn vet(&self, _row: &mut Row) {}
}

/// Collects every row: the in-memory [`ImportPreview`]'s lists.
impl<Row: Send> RowSink<Row> for Vec<Row> {
    fn row(&mut self, row: Row) -> Result<(), SpreadsheetError> {
        self.push(row);
        Ok(())
    }

    fn reserve(&mut self, rows: usize) {
        Vec::reserve(self, rows);
    }
}

pub(crate) fn read_preview(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ImportPreview, SpreadsheetError> {
    let (mut hosts, mut account_sales) = (Vec::new(), Vec::new());
    let summary = read_rows(bytes, limits, &mut hosts, &mut account_sales)?;
    Ok(ImportPreview {
        summary,
        hosts,
        account_sales,
    })
}

/// Reads every row of the workbook into the sinks and returns the summary.
pub(crate) fn read_rows(
    bytes: &[u8],
    limits: &Limits,
    hosts: &mut dyn RowSink<HostRow>,
    account_sales: &mut dyn RowSink<AccountSaleRow>,
) -> Result<ImportSummary, SpreadsheetError> {
    let workbook = Workbook::open(bytes)?;
    let system = if workbook.is_1904() {
        DateSystem::Excel1904
    } else {
        DateSystem::Excel1900
    };

    let (mut host_sheets, mut sale_sheets) = (Vec::new(), Vec::new());
    let mut ignored_sheets = Vec::new();
    for (index, sheet) in workbook.sheets().iter().enumerate() {
        match classify(&sheet.name, sheet.is_worksheet) {
            Ok(SheetKind::Hosts) => host_sheets.push((index, sheet.name.clone())),
            Ok(SheetKind::AccountSales) => sale_sheets.push((index, sheet.name.clone())),
            Err(reason) => ignored_sheets.push(IgnoredSheet {
                name: sheet.name.clone(),
                reason,
            }),
        }
    }
    if host_sheets.is_empty() && sale_sheets.is_empty() {
        let sheets = ignored_sheets.into_iter().map(|sheet| sheet.name).collect();
        return Err(SpreadsheetError::NoKnownSheets { sheets });
    }

    let workbook_rows = WorkbookRows {
        read: AtomicUsize::new(0),
        earliest_failed_sheet: AtomicUsize::new(usize::MAX),
    };
    let context = ReadContext {
        system,
        limits,
        workbook_rows: &workbook_rows,
    };
    let (host_result, sale_result) = if host_sheets.is_empty() {
        let sales = read_kind(
            &mut workbook.sheet_reader(),
            sale_sheets,
            &context,
            account_sales,
        );
        (Ok(KindRead::default()), sales)
    } else if sale_sheets.is_empty() {
        let hosts = read_kind(&mut workbook.sheet_reader(), host_sheets, &context, hosts);
        (hosts, Ok(KindRead::default()))
    } else {
        // The second thread shares the parts already read (the shared
        // strings above all); only the sheets are inflated twice over.
        std::thread::scope(|scope| {
            let (context, workbook) = (&context, &workbook);
            let sales = scope.spawn(move || {
                read_kind(
                    &mut workbook.sheet_reader(),
                    sale_sheets,
                    context,
                    account_sales,
                )
            });
            let hosts = read_kind(&mut workbook.sheet_reader(), host_sheets, context, hosts);
            let sales = sales
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (hosts, sales)
        })
    };
    let (hosts, account_sales) = match (host_result, sale_result) {
        (Ok(hosts), Ok(account_sales)) => (hosts, account_sales),
        (Err(first), Err(second)) => return Err(first.or_earlier(second)),
        (Err(failure), Ok(_)) | (Ok(_), Err(failure)) => return Err(failure.into_error()),
    };
    let mut sheets: Vec<(usize, SheetSummary)> = hosts
        .sheets
        .into_iter()
        .chain(account_sales.sheets)
        .collect();
    sheets.sort_by_key(|(index, _)| *index);
    Ok(ImportSummary {
        hosts: hosts.rows,
        account_sales: account_sales.rows,
        sheets: sheets.into_iter().map(|(_, sheet)| sheet).collect(),
        ignored_sheets,
    })
}

/// The workbook's data rows so far, over both threads (the per-workbook
/// limit), and the earliest sheet that refused the upload. A thread stops
/// when a sheet before the one it reads has failed, and only then: the
/// upload is refused for the sheet a reader going sheet by sheet would have
/// stopped at, the same every time.
struct WorkbookRows {
    read: AtomicUsize,
    earliest_failed_sheet: AtomicUsize,
}

impl WorkbookRows {
    /// Counts one more row; answers whether the workbook is still within
    /// `limit`.
    fn count_one(&self, limit: usize) -> bool {
        self.read.fetch_add(1, Ordering::Relaxed) < limit
    }

    fn so_far(&self) -> usize {
        self.read.load(Ordering::Relaxed)
    }

    fn fail(&self, sheet_index: usize) {
        self.earliest_failed_sheet
            .fetch_min(sheet_index, Ordering::Relaxed);
    }

    fn failed_before(&self, sheet_index: usize) -> bool {
        self.earliest_failed_sheet.load(Ordering::Relaxed) < sheet_index
    }
}

/// What both threads read with.
struct ReadContext<'p> {
    system: DateSystem,
    limits: &'p Limits,
    workbook_rows: &'p WorkbookRows,
}

/// The sheets of one kind, read: the kind's row counts and each sheet's
/// summary with its place in the workbook.
#[derive(Default)]
struct KindRead {
    rows: RowCounts,
    sheets: Vec<(usize, SheetSummary)>,
}

/// Why one kind's sheets were not all read.
enum KindFailure {
    /// The sheet at this place in the workbook refused the upload.
    Error(usize, SpreadsheetError),
    /// The other thread failed at an earlier sheet; this one stopped.
    Stopped,
}

impl KindFailure {
    fn into_error(self) -> SpreadsheetError {
        match self {
            KindFailure::Error(_, error) => error,
            // Only answered when the other thread's failure is lost, which
            // `read_rows` never does.
            KindFailure::Stopped => SpreadsheetError::Stopped("the other sheets failed".to_owned()),
        }
    }

    /// Of two failures, the one a reader going sheet by sheet would have
    /// met first.
    fn or_earlier(self, other: KindFailure) -> SpreadsheetError {
        match (self, other) {
            (KindFailure::Error(first, error), KindFailure::Error(second, _))
                if first <= second =>
            {
                error
            }
            (KindFailure::Error(..), later @ KindFailure::Error(..)) => later.into_error(),
            (KindFailure::Stopped, failure) | (failure, KindFailure::Stopped) => {
                failure.into_error()
            }
        }
    }
}

/// Reads the sheets of one kind, in workbook order, into `sink`.
fn read_kind<Row: SheetRow>(
    sheets_of_workbook: &mut Sheets<'_, '_>,
    sheets: Vec<(usize, String)>,
    context: &ReadContext<'_>,
    sink: &mut dyn RowSink<Row>,
) -> Result<KindRead, KindFailure> {
    let mut sheet_reader = SheetReader {
        context,
        sheet_index: 0,
        rows: RowCounts::default(),
        sink,
        stopped: false,
    };
    let mut read = Vec::with_capacity(sheets.len());
    for (index, name) in sheets {
        sheet_reader.sheet_index = index;
        let summary = sheets_of_workbook
            .cells(index)
            .map_err(SpreadsheetError::from)
            .and_then(|mut cells| sheet_reader.read(&mut cells, name));
        match summary {
            Ok(summary) => read.push((index, summary)),
            Err(_) if sheet_reader.stopped => return Err(KindFailure::Stopped),
            Err(error) => {
                context.workbook_rows.fail(index);
                return Err(KindFailure::Error(index, error));
            }
        }
    }
    Ok(KindRead {
        rows: sheet_reader.rows,
        sheets: read,
    })
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

/// A row of one kind of sheet, as parsed from its cells.
trait SheetRow: Sized {
    const KIND: SheetKind;

    fn parse(
        sheet: &str,
        row: u32,
        cells: &RowCells<'_>,
        columns: &ColumnMap,
        system: DateSystem,
    ) -> Self;

    fn is_valid(&self) -> bool;
}

impl SheetRow for HostRow {
    const KIND: SheetKind = SheetKind::Hosts;

    fn parse(
        sheet: &str,
        row: u32,
        cells: &RowCells<'_>,
        columns: &ColumnMap,
        system: DateSystem,
    ) -> Self {
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

    fn is_valid(&self) -> bool {
        HostRow::is_valid(self)
    }
}

impl SheetRow for AccountSaleRow {
    const KIND: SheetKind = SheetKind::AccountSales;

    fn parse(
        sheet: &str,
        row: u32,
        cells: &RowCells<'_>,
        columns: &ColumnMap,
        system: DateSystem,
    ) -> Self {
        let mut problems = RowProblems::new(&columns.missing_required);
        let sold_at =
            problems.required(Field::SoldAt, cell::date(cells.get(Field::SoldAt), system));
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

    fn is_valid(&self) -> bool {
        AccountSaleRow::is_valid(self)
    }
}

/// Reads the sheets of one kind, one after the other.
struct SheetReader<'p, 's, Row> {
    context: &'p ReadContext<'p>,
    /// The place in the workbook of the sheet being read.
    sheet_index: usize,
    /// The kind's rows so far, over its sheets.
    rows: RowCounts,
    sink: &'s mut dyn RowSink<Row>,
    /// Whether the reader stopped because the other kind's thread failed at
    /// an earlier sheet.
    stopped: bool,
}

impl<Row: SheetRow> SheetReader<'_, '_, Row> {
    fn read<R: Read>(
        &mut self,
        cells: &mut SheetCells<'_, R>,
        sheet: String,
    ) -> Result<SheetSummary, SpreadsheetError> {
        let kind = Row::KIND;
        // The header is the first row with a non-blank cell.
        let mut header_row: Option<u32> = None;
        let mut headers: Vec<(u32, String)> = Vec::new();
        let mut first_data_cell = None;
        while let Some(cell) = cells.next_cell()? {
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
        self.reserve_rows(cells.declared_last_row(), header_row);
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
            next_cell = cells.next_cell()?;
        }
        if let Some(finished) = current_row {
            self.finish_row(&mut summary, &columns, finished, &row_cells)?;
        }
        Ok(summary)
    }

    /// Makes room for the rows the sheet declares below its header, so the
    /// row vectors are not regrown (and copied) while reading. The declared
    /// size is the uploader's claim, so it is capped by the row limits.
    fn reserve_rows(&mut self, declared_last_row: Option<u32>, header_row: Option<u32>) {
        let (Some(header_row), Some(last_row)) = (header_row, declared_last_row) else {
            return;
        };
        let declared_rows = last_row.saturating_sub(header_row) as usize;
        let limits = self.context.limits;
        let allowed = limits.max_rows_per_sheet.min(
            limits
                .max_rows_per_workbook
                .saturating_sub(self.context.workbook_rows.so_far()),
        );
        self.sink.reserve(declared_rows.min(allowed));
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
        let workbook_rows = self.context.workbook_rows;
        if workbook_rows.failed_before(self.sheet_index) {
            self.stopped = true;
            return Err(SpreadsheetError::Stopped(
                "an earlier sheet was refused".to_owned(),
            ));
        }
        let limits = self.context.limits;
        if summary.rows.total_rows as usize >= limits.max_rows_per_sheet {
            return Err(SpreadsheetError::TooManyRows {
                sheet: summary.name.clone(),
                limit: limits.max_rows_per_sheet,
            });
        }
        if !workbook_rows.count_one(limits.max_rows_per_workbook) {
            return Err(SpreadsheetError::TooManyRowsInWorkbook {
                limit: limits.max_rows_per_workbook,
            });
        }
        let mut parsed = Row::parse(
            &summary.name,
            excel_row_number(row),
            cells,
            columns,
            self.context.system,
        );
        self.sink.vet(&mut parsed);
        let valid = parsed.is_valid();
        self.rows.count(valid);
        summary.rows.count(valid);
        self.sink.row(parsed)
    }
}

/// Excel numbers rows from 1; the cell reader from 0.
fn excel_row_number(index: u32) -> u32 {
    index.saturating_add(1)
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
