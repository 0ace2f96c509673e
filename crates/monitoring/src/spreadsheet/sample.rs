//! Deterministic sample workbooks shaped like the ones the shop really
//! uploads: header spellings from every alias (odd case, spacing and
//! punctuation, columns in any order, a notes column nobody maps), dates in
//! every supported form, rupiah and dollar prices spelled several ways, blank
//! rows, and a share of defective rows with exactly one problem each. Used by
//! the import tests and the import benchmark.

use chrono::{Days, NaiveDate};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, Worksheet};

use super::error::ExportError;
use super::export::{ACCOUNT_SALE_SHEET, Formats, HOST_SHEET, write_date};
use super::preview::Field;

/// A generated workbook and what the importer should make of it.
#[derive(Debug, Clone)]
pub struct SampleWorkbook {
    pub bytes: Vec<u8>,
    pub host_rows: usize,
    /// Host rows written with exactly one problem.
    pub defective_host_rows: usize,
    pub account_sale_rows: usize,
    /// Account sale rows written with exactly one problem.
    pub defective_account_sale_rows: usize,
}

/// Writes `vps_rows` host rows and `akun_rows` account sale rows; each row is
/// defective with probability `defect_ratio`. The same arguments always give
/// the same bytes.
pub fn generate_workbook(
    vps_rows: usize,
    akun_rows: usize,
    defect_ratio: f64,
    seed: u64,
) -> Result<SampleWorkbook, ExportError> {
    let mut random = XorShift::new(seed);
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    // A fixed creation time: the same arguments must give the same bytes.
    let created = ExcelDateTime::from_ymd(2025, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));

    let sheet = workbook
        .add_worksheet()
        .set_name(format!("Data {HOST_SHEET}"))?;
    let defective_host_rows =
        write_host_sheet(sheet, vps_rows, defect_ratio, &mut random, &formats)?;

    let sheet = workbook
        .add_worksheet()
        .set_name(format!("{} Terjual", ACCOUNT_SALE_SHEET.to_lowercase()))?;
    let defective_account_sale_rows =
        write_account_sale_sheet(sheet, akun_rows, defect_ratio, &mut random, &formats)?;

    // A sheet the importer must leave alone.
    workbook
        .add_worksheet()
        .set_name("Rekap")?
        .write_string(0, 0, "Total")?;

    Ok(SampleWorkbook {
        bytes: workbook.save_to_buffer()?,
        host_rows: vps_rows,
        defective_host_rows,
        account_sale_rows: akun_rows,
        defective_account_sale_rows,
    })
}

/// A column of a generated sheet: a field, or free notes no alias matches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Field(Field),
    Notes,
}

fn header_spellings(column: Column) -> &'static [&'static str] {
    match column {
        Column::Field(Field::Name) => &["Nama", "NAME", " nama ", "Name"],
        Column::Field(Field::Ip) => &["IP / Domain", "ip_domain", "Host", "DOMAIN", "IP"],
        Column::Field(Field::Port) => &["Port", "PORT", " port "],
        Column::Field(Field::ExpireDate) => &[
            "Tanggal Expired",
            "tanggal_expire",
            "TGL-EXPIRE",
            "Expire Date",
            "expired",
        ],
        Column::Field(Field::Price) => &["Harga", "PRICE", "harga "],
        Column::Field(Field::Currency) => &["Mata Uang", "curr", "Currency", "UANG"],
        Column::Field(Field::SoldAt) => &["Date (dd/mm/yyyy)", "Tanggal", "TGL", "date"],
        Column::Field(Field::Merchant) => &["Toko", "Marketplace", "PLATFORM", "merchant"],
        Column::Field(Field::AccountType) => &["Jenis", "Tipe", "TYPE"],
        Column::Field(Field::Qty) => &["Qty (pcs)", "Jumlah", "QTY"],
        Column::Notes => &["Catatan", "Keterangan"],
    }
}

/// What goes into one cell.
enum Value {
    Blank,
    Text(String),
    Number(f64),
    /// A number formatted as a price in this currency.
    Price(f64, domain::Currency),
    Date(NaiveDate),
}

/// One generated row, cell by column.
struct Row {
    cells: Vec<(Column, Value)>,
}

impl Row {
    fn set(&mut self, column: Column, value: Value) {
        if let Some(cell) = self.cells.iter_mut().find(|(c, _)| *c == column) {
            cell.1 = value;
        } else {
            self.cells.push((column, value));
        }
    }
}

struct SheetWriter<'w> {
    sheet: &'w mut Worksheet,
    columns: Vec<Column>,
    next_row: u32,
    formats: &'w Formats,
}

impl<'w> SheetWriter<'w> {
    /// Writes the header (after `leading_blank_rows` empty rows) with the
    /// columns in a shuffled order and a random alias for each.
    fn start(
        sheet: &'w mut Worksheet,
        mut columns: Vec<Column>,
        leading_blank_rows: u32,
        random: &mut XorShift,
        formats: &'w Formats,
    ) -> Result<Self, ExportError> {
        random.shuffle(&mut columns);
        for (index, column) in (0u16..).zip(&columns) {
            sheet.write_string(
                leading_blank_rows,
                index,
                *random.pick(header_spellings(*column)),
            )?;
        }
        Ok(SheetWriter {
            sheet,
            columns,
            next_row: leading_blank_rows + 1,
            formats,
        })
    }

    fn write(&mut self, row: Row, random: &mut XorShift) -> Result<(), ExportError> {
        // A blank line now and then, which the importer skips.
        if random.chance(0.01) {
            self.next_row += 1;
        }
        for (column, value) in row.cells {
            let Some(index) = self.columns.iter().position(|c| *c == column) else {
                continue;
            };
            let index = u16::try_from(index)
                .map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
            let row = self.next_row;
            match value {
                Value::Blank => {}
                Value::Text(text) => {
                    self.sheet.write_string(row, index, text)?;
                }
                Value::Number(number) => {
                    self.sheet.write_number(row, index, number)?;
                }
                Value::Price(number, currency) => {
                    let format = match currency {
                        domain::Currency::Idr => &self.formats.rupiah,
                        domain::Currency::Usd => &self.formats.dollars,
                    };
                    self.sheet
                        .write_number_with_format(row, index, number, format)?;
                }
                Value::Date(date) => write_date(self.sheet, row, index, date, self.formats)?,
            }
        }
        self.next_row += 1;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum HostDefect {
    BadIp,
    BadPort,
    BadDate,
    NegativePrice,
    MissingName,
    UnknownCurrency,
}

fn write_host_sheet(
    sheet: &mut Worksheet,
    rows: usize,
    defect_ratio: f64,
    random: &mut XorShift,
    formats: &Formats,
) -> Result<usize, ExportError> {
    let columns = [
        Field::Name,
        Field::Ip,
        Field::Port,
        Field::ExpireDate,
        Field::Price,
        Field::Currency,
    ]
    .into_iter()
    .map(Column::Field)
    .chain([Column::Notes])
    .collect();
    let mut writer = SheetWriter::start(sheet, columns, 0, random, formats)?;
    let mut defective = 0;
    for index in 0..rows {
        let mut row = Row {
            cells: Vec::with_capacity(7),
        };
        row.set(
            Column::Field(Field::Name),
            Value::Text(format!("VPS {} {index:06}", random.pick(CITIES))),
        );
        row.set(
            Column::Field(Field::Ip),
            Value::Text(host_address(index, random)),
        );
        let port = *random.pick(&[22u16, 2222, 3389, 8080]);
        let port = if random.chance(0.5) {
            Value::Number(port.into())
        } else {
            Value::Text(port.to_string())
        };
        row.set(Column::Field(Field::Port), port);
        if random.chance(0.9) {
            row.set(Column::Field(Field::ExpireDate), date_value(index, random));
        }
        if random.chance(0.9) {
            write_price(&mut row, random);
        }
        if random.chance(0.2) {
            row.set(Column::Notes, Value::Text("perpanjang bulanan".to_owned()));
        }

        if random.chance(defect_ratio) {
            defective += 1;
            let defect = *random.pick(&[
                HostDefect::BadIp,
                HostDefect::BadPort,
                HostDefect::BadDate,
                HostDefect::NegativePrice,
                HostDefect::MissingName,
                HostDefect::UnknownCurrency,
            ]);
            match defect {
                HostDefect::BadIp => {
                    let bad = *random.pick(&[
                        "999.1.1.1",
                        "http://srv.example.com",
                        "srv_1.example.com",
                        "10.0.0.1:22",
                    ]);
                    row.set(Column::Field(Field::Ip), Value::Text(bad.to_owned()));
                }
                HostDefect::BadPort => {
                    let bad = match random.below(3) {
                        0 => Value::Number(70_000.0),
                        1 => Value::Number(0.0),
                        _ => Value::Text("ssh".to_owned()),
                    };
                    row.set(Column::Field(Field::Port), bad);
                }
                HostDefect::BadDate => {
                    let bad = *random.pick(&["31/02/2025", "2025-13-01", "besok"]);
                    row.set(
                        Column::Field(Field::ExpireDate),
                        Value::Text(bad.to_owned()),
                    );
                }
                HostDefect::NegativePrice => write_negative_price(&mut row, random),
                HostDefect::MissingName => row.set(Column::Field(Field::Name), Value::Blank),
                HostDefect::UnknownCurrency => write_unknown_currency(&mut row),
            }
        }
        writer.write(row, random)?;
    }
    Ok(defective)
}

#[derive(Clone, Copy)]
enum SaleDefect {
    BadDate,
    MissingDate,
    MissingName,
    BadQty,
    NegativePrice,
    UnknownCurrency,
}

fn write_account_sale_sheet(
    sheet: &mut Worksheet,
    rows: usize,
    defect_ratio: f64,
    random: &mut XorShift,
    formats: &Formats,
) -> Result<usize, ExportError> {
    let columns = [
        Field::SoldAt,
        Field::Name,
        Field::Merchant,
        Field::AccountType,
        Field::Qty,
        Field::Price,
        Field::Currency,
    ]
    .into_iter()
    .map(Column::Field)
    .chain([Column::Notes])
    .collect();
    // The header is not on the first row: it is the first non-empty one.
    let mut writer = SheetWriter::start(sheet, columns, 1, random, formats)?;
    let mut defective = 0;
    for index in 0..rows {
        let mut row = Row {
            cells: Vec::with_capacity(8),
        };
        row.set(Column::Field(Field::SoldAt), date_value(index, random));
        row.set(
            Column::Field(Field::Name),
            Value::Text(format!("{} #{index}", random.pick(PRODUCTS))),
        );
        if random.chance(0.8) {
            row.set(
                Column::Field(Field::Merchant),
                Value::Text((*random.pick(MERCHANTS)).to_owned()),
            );
        }
        if random.chance(0.8) {
            row.set(
                Column::Field(Field::AccountType),
                Value::Text((*random.pick(ACCOUNT_TYPES)).to_owned()),
            );
        }
        match random.below(3) {
            0 => {}
            1 => row.set(
                Column::Field(Field::Qty),
                Value::Number((random.below(5) + 1) as f64),
            ),
            _ => row.set(
                Column::Field(Field::Qty),
                Value::Text((random.below(5) + 1).to_string()),
            ),
        }
        write_price(&mut row, random);

        if random.chance(defect_ratio) {
            defective += 1;
            let defect = *random.pick(&[
                SaleDefect::BadDate,
                SaleDefect::MissingDate,
                SaleDefect::MissingName,
                SaleDefect::BadQty,
                SaleDefect::NegativePrice,
                SaleDefect::UnknownCurrency,
            ]);
            match defect {
                SaleDefect::BadDate => {
                    let bad = *random.pick(&["30/02/2024", "2024-02-30", "kemarin"]);
                    row.set(Column::Field(Field::SoldAt), Value::Text(bad.to_owned()));
                }
                SaleDefect::MissingDate => row.set(Column::Field(Field::SoldAt), Value::Blank),
                SaleDefect::MissingName => row.set(Column::Field(Field::Name), Value::Blank),
                SaleDefect::BadQty => {
                    let bad = if random.chance(0.5) {
                        Value::Number(0.0)
                    } else {
                        Value::Text("dua".to_owned())
                    };
                    row.set(Column::Field(Field::Qty), bad);
                }
                SaleDefect::NegativePrice => write_negative_price(&mut row, random),
                SaleDefect::UnknownCurrency => write_unknown_currency(&mut row),
            }
        }
        writer.write(row, random)?;
    }
    Ok(defective)
}

const CITIES: &[&str] = &["Jakarta", "Surabaya", "Singapore", "Tokyo", "Frankfurt"];
const PRODUCTS: &[&str] = &[
    "Netflix Premium",
    "Spotify Family",
    "Canva Pro",
    "ChatGPT Plus",
    "YouTube Premium",
];
const MERCHANTS: &[&str] = &["Shopee", "Tokopedia", "Lazada", "WhatsApp"];
const ACCOUNT_TYPES: &[&str] = &["Sharing", "Private", "1 bulan", "1 tahun"];

/// IPv4, IPv6 and host names (in mixed case) in turn.
fn host_address(index: usize, random: &mut XorShift) -> String {
    match index % 3 {
        0 => format!(
            "10.{}.{}.{}",
            (index >> 16) & 0xff,
            (index >> 8) & 0xff,
            index & 0xff
        ),
        1 => format!("2001:db8::{:x}:{:x}", index >> 16, index & 0xffff),
        _ if random.chance(0.5) => format!("SRV{index}.Example.co.id"),
        _ => format!("srv{index}.example.co.id"),
    }
}

/// A date between 2024 and 2027 in one of the eight forms: the five text
/// formats, a serial number, a serial written as text, a real date cell.
fn date_value(index: usize, random: &mut XorShift) -> Value {
    const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a calendar date");
    const EXCEL_EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1899, 12, 30).expect("a calendar date");
    let date = FIRST_DAY
        .checked_add_days(Days::new(random.below(4 * 365) as u64))
        .unwrap_or(FIRST_DAY);
    let serial = (date - EXCEL_EPOCH).num_days();
    match index % 8 {
        0 => Value::Text(date.format("%d/%m/%Y").to_string()),
        1 => Value::Text(date.format("%d-%m-%Y").to_string()),
        2 => Value::Text(date.format("%Y-%m-%d").to_string()),
        3 => Value::Text(date.format("%d/%m/%y").to_string()),
        4 => Value::Text(date.format("%d-%m-%y").to_string()),
        5 => Value::Number(serial as f64),
        6 => Value::Text(serial.to_string()),
        _ => Value::Date(date),
    }
}

/// A valid price with its currency, in one of the spellings of its currency.
fn write_price(row: &mut Row, random: &mut XorShift) {
    let (price, currency) = if random.chance(0.6) {
        let rupiah = (random.below(500) as u64 + 50) * 1000;
        let price = match random.below(6) {
            0 => Value::Price(rupiah as f64, domain::Currency::Idr),
            1 => Value::Text(rupiah.to_string()),
            2 => Value::Text(group_thousands(rupiah, '.')),
            3 => Value::Text(format!("Rp {}", group_thousands(rupiah, '.'))),
            4 => Value::Text(group_thousands(rupiah, ',')),
            _ => Value::Text(format!("Rp. {}", group_thousands(rupiah, '.'))),
        };
        let currency = match random.below(4) {
            0 => Value::Blank,
            1 => Value::Text("IDR".to_owned()),
            2 => Value::Text("Rp".to_owned()),
            _ => Value::Text("rupiah".to_owned()),
        };
        (price, currency)
    } else {
        let cents = random.below(300_000) as u64 + 100;
        let (dollars, rest) = (cents / 100, cents % 100);
        let currency = Value::Text((*random.pick(&["USD", "usd", "$", "US$"])).to_owned());
        match random.below(6) {
            0 => (
                Value::Price(cents as f64 / 100.0, domain::Currency::Usd),
                currency,
            ),
            1 => (Value::Text(format!("{dollars}.{rest:02}")), currency),
            2 => (Value::Text(format!("{dollars},{rest:02}")), currency),
            3 => (
                Value::Text(format!("US$ {}.{rest:02}", group_thousands(dollars, ','))),
                currency,
            ),
            // The marker alone says dollars when the currency cell is blank.
            4 => (Value::Text(format!("${dollars}.{rest:02}")), Value::Blank),
            _ => (Value::Text(format!("{dollars}.{rest:02} USD")), currency),
        }
    };
    row.set(Column::Field(Field::Price), price);
    row.set(Column::Field(Field::Currency), currency);
}

fn write_negative_price(row: &mut Row, random: &mut XorShift) {
    let negative = if random.chance(0.5) {
        Value::Number(-150_000.0)
    } else {
        Value::Text("-Rp 150.000".to_owned())
    };
    row.set(Column::Field(Field::Price), negative);
    row.set(
        Column::Field(Field::Currency),
        Value::Text("IDR".to_owned()),
    );
}

fn write_unknown_currency(row: &mut Row) {
    row.set(Column::Field(Field::Price), Value::Text("150".to_owned()));
    row.set(
        Column::Field(Field::Currency),
        Value::Text("EUR".to_owned()),
    );
}

fn group_thousands(value: u64, separator: char) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// xorshift64: plenty for varied, reproducible test data.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        // The state must never be zero.
        XorShift(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn chance(&mut self, probability: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < probability
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            items.swap(last, self.below(last + 1));
        }
    }
}
