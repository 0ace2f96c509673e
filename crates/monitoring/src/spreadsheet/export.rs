//! Writing hosts and account sales to a workbook the importer reads back
//! unchanged: canonical headers, real date cells, prices as numbers in major
//! units with the currency's decimals, and the currency spelled out.

use chrono::NaiveDate;
use domain::{Currency, Money};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::date::ymd;
use super::error::ExportError;
use super::preview::Field;
/// The largest amount in minor units a spreadsheet number holds exactly
/// (15 significant digits).
const EXACT_NUMBER_MINOR: i64 = 999_999_999_999_999;
use super::values::{Port, Quantity, ShortText};
use crate::probe::Host;

/// A monitored host as exported to the `VPS` sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostExportRow {
    pub name: ShortText,
    pub ip: Host,
    pub port: Port,
    pub expire_date: Option<NaiveDate>,
    pub price: Option<Money>,
}

/// An account sale as exported to the `AKUN` sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSaleExportRow {
    pub sold_at: NaiveDate,
    pub name: ShortText,
    pub merchant: Option<ShortText>,
    pub account_type: Option<ShortText>,
    pub qty: Quantity,
    pub price: Option<Money>,
}

pub(crate) const HOST_SHEET: &str = "VPS";
pub(crate) const ACCOUNT_SALE_SHEET: &str = "AKUN";
const HOST_HEADERS: [Field; 6] = [
    Field::Name,
    Field::Ip,
    Field::Port,
    Field::ExpireDate,
    Field::Price,
    Field::Currency,
];
const ACCOUNT_SALE_HEADERS: [Field; 7] = [
    Field::SoldAt,
    Field::Name,
    Field::Merchant,
    Field::AccountType,
    Field::Qty,
    Field::Price,
    Field::Currency,
];

/// Cell formats shared by both sheets.
pub(crate) struct Formats {
    pub(crate) header: Format,
    /// Day-first, as the shop reads dates.
    pub(crate) date: Format,
    pub(crate) rupiah: Format,
    pub(crate) dollars: Format,
}

impl Formats {
    pub(crate) fn new() -> Self {
        Formats {
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("dd/mm/yyyy"),
            rupiah: Format::new().set_num_format("#,##0"),
            dollars: Format::new().set_num_format("#,##0.00"),
        }
    }
}

pub fn write_workbook(
    hosts: &[HostExportRow],
    sales: &[AccountSaleExportRow],
) -> Result<Vec<u8>, ExportError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();

    let sheet = workbook.add_worksheet().set_name(HOST_SHEET)?;
    write_headers(sheet, &HOST_HEADERS, &formats)?;
    for (index, host) in hosts.iter().enumerate() {
        let row = data_row(index)?;
        sheet.write_string(row, 0, host.name.as_str())?;
        sheet.write_string(row, 1, host.ip.to_string())?;
        sheet.write_number(row, 2, host.port.get())?;
        if let Some(date) = host.expire_date {
            write_date(sheet, row, 3, date, &formats)?;
        }
        write_price(sheet, row, 4, host.price, &formats)?;
    }

    let sheet = workbook.add_worksheet().set_name(ACCOUNT_SALE_SHEET)?;
    write_headers(sheet, &ACCOUNT_SALE_HEADERS, &formats)?;
    for (index, sale) in sales.iter().enumerate() {
        let row = data_row(index)?;
        write_date(sheet, row, 0, sale.sold_at, &formats)?;
        sheet.write_string(row, 1, sale.name.as_str())?;
        if let Some(merchant) = &sale.merchant {
            sheet.write_string(row, 2, merchant.as_str())?;
        }
        if let Some(account_type) = &sale.account_type {
            sheet.write_string(row, 3, account_type.as_str())?;
        }
        sheet.write_number(row, 4, sale.qty.get())?;
        write_price(sheet, row, 5, sale.price, &formats)?;
    }

    Ok(workbook.save_to_buffer()?)
}

fn write_headers(
    sheet: &mut Worksheet,
    headers: &[Field],
    formats: &Formats,
) -> Result<(), ExportError> {
    for (column, field) in (0u16..).zip(headers) {
        sheet.write_string_with_format(0, column, field.as_str(), &formats.header)?;
        sheet.set_column_width(column, 16)?;
    }
    Ok(())
}

/// Row 0 is the header; Excel has 1,048,576 rows.
fn data_row(index: usize) -> Result<u32, ExportError> {
    u32::try_from(index + 1)
        .map_err(|_| ExportError::Xlsx(rust_xlsxwriter::XlsxError::RowColumnLimitError))
}

pub(crate) fn write_date(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    date: NaiveDate,
    formats: &Formats,
) -> Result<(), ExportError> {
    // A date Excel cannot show (before 1900 or after 9999; only an old row
    // can hold one) is written as ISO text rather than failing the export:
    // the export never fails on what the database holds.
    let Some((year, month, day)) = ymd(date) else {
        sheet.write_string(row, column, date.to_string())?;
        return Ok(());
    };
    sheet.write_date_with_format(
        row,
        column,
        ExcelDateTime::from_ymd(year, month, day)?,
        &formats.date,
    )?;
    Ok(())
}

/// Writes the price as a number of major units in `column` and its currency
/// code in the next column.
fn write_price(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    price: Option<Money>,
    formats: &Formats,
) -> Result<(), ExportError> {
    let Some(price) = price else { return Ok(()) };
    if price.minor().unsigned_abs() > EXACT_NUMBER_MINOR.unsigned_abs() {
        // Beyond what a spreadsheet number holds exactly: written as text in
        // minor units (a re-import shows it as a problem) rather than
        // failing the export or rounding it.
        sheet.write_string(row, column, price.minor().to_string())?;
        sheet.write_string(row, column + 1, price.currency().code())?;
        return Ok(());
    }
    // Within 15 digits, dividing by the power of ten gives the f64 nearest
    // to the exact decimal, which the importer reads back exactly.
    let scale = 10f64.powi(price.currency().minor_digits() as i32);
    let format = match price.currency() {
        Currency::Idr => &formats.rupiah,
        Currency::Usd => &formats.dollars,
    };
    sheet.write_number_with_format(row, column, price.minor() as f64 / scale, format)?;
    sheet.write_string(row, column + 1, price.currency().code())?;
    Ok(())
}
