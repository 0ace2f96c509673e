//! The spreadsheet import and export, from the uploader's side: workbooks
//! are built here cell by cell (or generated), read with
//! `spreadsheet::preview`, and the rows, problems and refusals checked.

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use domain::{Currency, Money};
use monitoring::probe::Host;
use monitoring::spreadsheet::{
    self, AccountSaleExportRow, AccountSaleRow, Field, HostExportRow, HostRow, IgnoredSheetReason,
    ImportPreview, NotXlsxReason, Port, ProblemCode, Quantity, SheetKind, ShortText,
    SpreadsheetError,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

// ---------------------------------------------------------------------------
// Building workbooks

/// One cell of a hand-built sheet.
enum Cell {
    Text(&'static str),
    Number(f64),
    Date(NaiveDate),
    Blank,
}
use Cell::{Blank, Number, Text};

/// A sheet: its name and its rows from row 1; an empty row is left blank.
struct Sheet {
    name: &'static str,
    rows: Vec<Vec<Cell>>,
}

fn sheet(name: &'static str, rows: Vec<Vec<Cell>>) -> Sheet {
    Sheet { name, rows }
}

fn workbook(sheets: Vec<Sheet>) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for Sheet { name, rows } in sheets {
        let worksheet = workbook
            .add_worksheet()
            .set_name(name)
            .expect("a valid sheet name");
        for (row, cells) in (0u32..).zip(rows) {
            for (column, cell) in (0u16..).zip(cells) {
                match cell {
                    Text(text) => {
                        worksheet
                            .write_string(row, column, text)
                            .expect("write text");
                    }
                    Number(number) => {
                        worksheet
                            .write_number(row, column, number)
                            .expect("write number");
                    }
                    Cell::Date(date) => {
                        let date = date_cell(date);
                        worksheet
                            .write_date_with_format(row, column, &date, &date_format)
                            .expect("write date");
                    }
                    Blank => {}
                }
            }
        }
    }
    workbook.save_to_buffer().expect("save workbook")
}

fn date_cell(date: NaiveDate) -> ExcelDateTime {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(date.year() as u16, date.month() as u8, date.day() as u8)
        .expect("an Excel date")
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a calendar date")
}

fn read(bytes: &[u8]) -> ImportPreview {
    spreadsheet::preview(bytes).expect("the workbook should be previewed")
}

/// A `VPS` sheet with the canonical header and the given data rows.
fn hosts(rows: Vec<Vec<Cell>>) -> ImportPreview {
    let mut all = vec![vec![
        Text("name"),
        Text("ip"),
        Text("port"),
        Text("expire_date"),
        Text("price"),
        Text("currency"),
    ]];
    all.extend(rows);
    read(&workbook(vec![sheet("VPS", all)]))
}

fn codes(row: &HostRow) -> Vec<(Field, ProblemCode)> {
    row.problems
        .iter()
        .map(|problem| (problem.field, problem.code))
        .collect()
}

fn sale_codes(row: &AccountSaleRow) -> Vec<(Field, ProblemCode)> {
    row.problems
        .iter()
        .map(|problem| (problem.field, problem.code))
        .collect()
}

fn text(value: &str) -> ShortText {
    ShortText::parse(value).expect("valid text")
}

fn address(value: &str) -> Host {
    Host::parse(value).expect("valid address")
}

fn port(value: u16) -> Port {
    Port::new(value).expect("valid port")
}

// ---------------------------------------------------------------------------
// Headers

#[test]
fn headers_are_matched_by_alias_after_normalisation() {
    for expiry_header in [
        "Tanggal Expired",
        "tanggal_expired",
        "TANGGAL-EXPIRED",
        "tgl expire",
        "Expire",
        "tanggal",
    ] {
        let bytes = workbook(vec![sheet(
            "vps",
            vec![
                vec![
                    Text(" Nama "),
                    Text("IP / Domain"),
                    Text("PORT"),
                    Text(expiry_header),
                    Text("HARGA"),
                    Text("Mata Uang"),
                ],
                vec![
                    Text("Jakarta 1"),
                    Text("10.0.0.1"),
                    Number(22.0),
                    Text("01/02/2026"),
                    Number(150_000.0),
                    Text("Rp"),
                ],
            ],
        )]);
        let preview = read(&bytes);
        let row = &preview.hosts[0];
        assert_eq!(
            row.expire_date,
            Some(date(2026, 2, 1)),
            "header {expiry_header:?}"
        );
        assert_eq!(row.name, Some(text("Jakarta 1")));
        assert_eq!(row.price, Some(Money::new(150_000, Currency::Idr)));
        assert!(row.is_valid(), "{:?}", row.problems);
    }
}

#[test]
fn unknown_headers_are_listed_and_their_cells_ignored() {
    let preview = read(&workbook(vec![sheet(
        "Data VPS",
        vec![
            vec![
                Text("host"),
                Text("Catatan"),
                Text("name"),
                Text("port"),
                Text("Nama"),
            ],
            vec![
                Text("srv1.example.com"),
                Text("bayar tiap tanggal 5"),
                Text("Server A"),
                Text("2222"),
                Text("duplicate"),
            ],
        ],
    )]));
    let summary = &preview.summary.sheets[0];
    assert_eq!(summary.name, "Data VPS");
    assert_eq!(summary.kind, SheetKind::Hosts);
    assert_eq!(
        summary.ignored_headers,
        ["Catatan", "Nama"],
        "unknown and duplicate headers are listed"
    );
    assert!(summary.missing_columns.is_empty());
    assert_eq!(
        preview.hosts[0].name,
        Some(text("Server A")),
        "the leftmost `name` column wins"
    );
    assert_eq!(preview.hosts[0].ip, Some(address("srv1.example.com")));
}

#[test]
fn a_missing_required_column_makes_every_row_of_the_sheet_unusable() {
    let preview = read(&workbook(vec![sheet(
        "VPS",
        vec![
            vec![Text("name"), Text("ip")],
            vec![Text("Server A"), Text("10.0.0.1")],
            vec![Text("Server B"), Text("10.0.0.2")],
        ],
    )]));
    assert_eq!(preview.summary.sheets[0].missing_columns, [Field::Port]);
    assert_eq!(preview.summary.hosts.total_rows, 2);
    assert_eq!(preview.summary.hosts.valid_rows, 0);
    assert_eq!(preview.summary.hosts.rows_with_problems, 2);
    for row in &preview.hosts {
        assert_eq!(
            codes(row),
            [(Field::Port, ProblemCode::MissingColumn)],
            "reported once, not also as `missing`"
        );
    }
}

#[test]
fn an_account_sale_needs_a_name_and_a_date() {
    let preview = read(&workbook(vec![sheet(
        "AKUN",
        vec![
            vec![
                Text("Tgl"),
                Text("Nama"),
                Text("Toko"),
                Text("Jenis"),
                Text("Qty (pcs)"),
                Text("Harga"),
                Text("Uang"),
            ],
            vec![
                Text("05/01/2025"),
                Text("Netflix"),
                Text("Shopee"),
                Text("Sharing"),
                Blank,
                Text("Rp 35.000"),
                Blank,
            ],
            vec![
                Blank,
                Text("Spotify"),
                Text("Tokopedia"),
                Blank,
                Number(2.0),
                Text("20000"),
                Text("IDR"),
            ],
            vec![
                Text("06/01/2025"),
                Blank,
                Blank,
                Blank,
                Text("0"),
                Blank,
                Blank,
            ],
        ],
    )]));
    let [first, second, third] = &preview.account_sales[..] else {
        panic!("three rows expected")
    };
    assert!(first.is_valid(), "{:?}", first.problems);
    assert_eq!(first.sold_at, Some(date(2025, 1, 5)));
    assert_eq!(first.merchant, Some(text("Shopee")));
    assert_eq!(first.account_type, Some(text("Sharing")));
    assert_eq!(first.qty, Some(Quantity::ONE), "a blank quantity is one");
    assert_eq!(first.price, Some(Money::new(35_000, Currency::Idr)));
    assert_eq!(sale_codes(second), [(Field::SoldAt, ProblemCode::Missing)]);
    assert_eq!(second.qty, Quantity::new(2).ok());
    assert_eq!(
        sale_codes(third),
        [
            (Field::Name, ProblemCode::Missing),
            (Field::Qty, ProblemCode::InvalidQty)
        ]
    );

    let without_date_column = read(&workbook(vec![sheet(
        "akun",
        vec![vec![Text("name")], vec![Text("Netflix")]],
    )]));
    assert_eq!(
        without_date_column.summary.sheets[0].missing_columns,
        [Field::SoldAt]
    );
    assert_eq!(
        sale_codes(&without_date_column.account_sales[0]),
        [(Field::SoldAt, ProblemCode::MissingColumn)]
    );
}

#[test]
fn blank_rows_are_skipped_and_rows_keep_the_numbers_excel_shows() {
    let preview = read(&workbook(vec![sheet(
        "VPS",
        vec![
            vec![],
            vec![Blank, Text("   ")],
            vec![Text("name"), Text("ip"), Text("port"), Text("notes")],
            vec![Text("A"), Text("10.0.0.1"), Number(22.0)],
            vec![],
            vec![Text(" "), Blank, Text(""), Text("only a note")],
            vec![Text("B"), Text("10.0.0.2"), Number(22.0)],
        ],
    )]));
    assert_eq!(preview.summary.sheets[0].header_row, Some(3));
    let rows: Vec<u32> = preview.hosts.iter().map(|row| row.row).collect();
    assert_eq!(rows, [4, 7]);
    assert_eq!(preview.summary.hosts.total_rows, 2);
}

#[test]
fn an_empty_import_sheet_is_reported_not_refused() {
    let preview = read(&workbook(vec![
        sheet("VPS", vec![]),
        sheet("AKUN", vec![vec![Text("date"), Text("name")]]),
    ]));
    assert_eq!(preview.summary.sheets[0].header_row, None);
    assert_eq!(
        preview.summary.sheets[0].missing_columns,
        [Field::Name, Field::Ip, Field::Port]
    );
    assert_eq!(preview.summary.sheets[1].header_row, Some(1));
    assert!(preview.hosts.is_empty() && preview.account_sales.is_empty());
}

// ---------------------------------------------------------------------------
// Sheets

#[test]
fn sheets_are_chosen_by_name_and_others_listed() {
    let preview = read(&workbook(vec![
        sheet("Rekap", vec![vec![Text("x")]]),
        sheet("Akun VPS", vec![vec![Text("x")]]),
        sheet(
            "Penjualan akun",
            vec![
                vec![Text("date"), Text("name")],
                vec![Text("01/01/2025"), Text("Canva")],
            ],
        ),
    ]));
    let ignored: Vec<(&str, IgnoredSheetReason)> = preview
        .summary
        .ignored_sheets
        .iter()
        .map(|sheet| (sheet.name.as_str(), sheet.reason))
        .collect();
    assert_eq!(
        ignored,
        [
            ("Rekap", IgnoredSheetReason::UnrecognisedName),
            ("Akun VPS", IgnoredSheetReason::AmbiguousName)
        ]
    );
    assert_eq!(preview.summary.sheets.len(), 1);
    assert_eq!(preview.account_sales[0].sheet, "Penjualan akun");
}

#[test]
fn a_workbook_without_vps_or_akun_sheets_is_refused() {
    let error = spreadsheet::preview(&workbook(vec![sheet("Sheet1", vec![vec![Text("name")]])]))
        .expect_err("no known sheet");
    assert!(
        matches!(&error, SpreadsheetError::NoKnownSheets { sheets } if sheets == &["Sheet1"]),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("VPS"),
        "the message says what is expected: {error}"
    );
}

// ---------------------------------------------------------------------------
// Values

#[test]
fn every_date_form_is_read() {
    let forms = vec![
        Text("07/03/2025"),
        Text("07-03-2025"),
        Text("2025-03-07"),
        Text("07/03/25"),
        Text("07-03-25"),
        Text("7/3/2025"),
        Number(45_723.0),
        Text("45723"),
        Cell::Date(date(2025, 3, 7)),
    ];
    let rows = forms
        .into_iter()
        .map(|form| vec![Text("A"), Text("10.0.0.1"), Number(22.0), form])
        .collect();
    let preview = hosts(rows);
    assert_eq!(preview.hosts.len(), 9);
    for row in &preview.hosts {
        assert_eq!(
            row.expire_date,
            Some(date(2025, 3, 7)),
            "row {}: {:?}",
            row.row,
            row.problems
        );
    }
}

/// Serials of early 1900 follow Excel's rules (serial 60 is the 1900-02-29
/// that never was); all of them are before the first accepted date
/// (`bounds::MIN_DATE`), so every row says why its date is refused.
#[test]
fn early_serials_follow_excel_1900_rules() {
    let preview = hosts(vec![
        vec![Text("A"), Text("10.0.0.1"), Number(22.0), Number(1.0)],
        vec![Text("A"), Text("10.0.0.1"), Number(22.0), Number(59.0)],
        vec![Text("A"), Text("10.0.0.1"), Number(22.0), Number(60.0)],
        vec![Text("A"), Text("10.0.0.1"), Number(22.0), Number(61.0)],
    ]);
    let out_of_range: Vec<bool> = preview
        .hosts
        .iter()
        .map(|row| {
            assert_eq!(
                codes(row),
                [(Field::ExpireDate, ProblemCode::InvalidDate)],
                "row {}",
                row.row
            );
            row.problems[0]
                .message
                .contains("outside the dates accepted")
        })
        .collect();
    assert_eq!(
        out_of_range,
        [true, true, false, true],
        "1900-02-29 never was; the others are real dates before 2000"
    );
}

#[test]
fn invalid_dates_are_row_problems() {
    let preview = hosts(vec![
        vec![
            Text("A"),
            Text("10.0.0.1"),
            Number(22.0),
            Text("31/02/2025"),
        ],
        vec![Text("A"), Text("10.0.0.1"), Number(22.0), Text("besok")],
        vec![
            Text("A"),
            Text("10.0.0.1"),
            Number(22.0),
            Number(99_999_999.0),
        ],
    ]);
    for row in &preview.hosts {
        assert_eq!(codes(row), [(Field::ExpireDate, ProblemCode::InvalidDate)]);
    }
    assert_eq!(
        preview.hosts[0].problems[0].message,
        "`31/02/2025` is not a day of the calendar"
    );
}

#[test]
fn host_addresses_and_ports_are_validated() {
    let preview = hosts(vec![
        vec![Text("v4"), Text("10.0.0.1"), Number(22.0)],
        vec![Text("v6"), Text("2001:db8::10"), Text("2222")],
        vec![Text("name"), Text("VPS-1.Example.co.id"), Number(65_535.0)],
        vec![Text("bad v4"), Text("999.1.1.1"), Number(22.0)],
        vec![Text("url"), Text("http://example.com"), Number(22.0)],
        vec![Text("with port"), Text("example.com:22"), Number(22.0)],
        vec![Text("port 0"), Text("10.0.0.1"), Number(0.0)],
        vec![Text("port too big"), Text("10.0.0.1"), Number(70_000.0)],
        vec![Text("port text"), Text("10.0.0.1"), Text("ssh")],
        vec![Text("port fraction"), Text("10.0.0.1"), Number(22.5)],
        vec![Text("no address"), Blank, Blank],
    ]);
    let by_name = |name: &str| {
        preview
            .hosts
            .iter()
            .find(|row| row.name == Some(text(name)))
            .expect("a row of that name")
    };
    assert_eq!(
        by_name("v4").ip.as_ref().and_then(Host::ip),
        Some("10.0.0.1".parse().expect("ip"))
    );
    assert_eq!(
        by_name("v6").ip.as_ref().and_then(Host::ip),
        Some("2001:db8::10".parse().expect("ip"))
    );
    assert_eq!(by_name("v6").port, Some(port(2222)));
    assert_eq!(
        by_name("name")
            .ip
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("vps-1.example.co.id")
    );
    for name in ["bad v4", "url", "with port"] {
        assert_eq!(
            codes(by_name(name)),
            [(Field::Ip, ProblemCode::InvalidIp)],
            "{name}"
        );
    }
    for name in ["port 0", "port too big", "port text", "port fraction"] {
        assert_eq!(
            codes(by_name(name)),
            [(Field::Port, ProblemCode::InvalidPort)],
            "{name}"
        );
    }
    assert_eq!(
        codes(by_name("no address")),
        [
            (Field::Ip, ProblemCode::Missing),
            (Field::Port, ProblemCode::Missing)
        ]
    );
    assert_eq!(preview.summary.hosts.valid_rows, 3);
}

#[test]
fn prices_follow_the_currency_and_separator_rules() {
    let cases: Vec<(Cell, Cell, Result<Money, ProblemCode>)> = vec![
        (
            Number(150_000.0),
            Blank,
            Ok(Money::new(150_000, Currency::Idr)),
        ),
        (
            Text("150000"),
            Blank,
            Ok(Money::new(150_000, Currency::Idr)),
        ),
        (
            Text("150.000"),
            Text("IDR"),
            Ok(Money::new(150_000, Currency::Idr)),
        ),
        (
            Text("Rp 150.000"),
            Blank,
            Ok(Money::new(150_000, Currency::Idr)),
        ),
        (
            Text("150,000"),
            Text("Rupiah"),
            Ok(Money::new(150_000, Currency::Idr)),
        ),
        (
            Text("12.50"),
            Text("USD"),
            Ok(Money::new(1250, Currency::Usd)),
        ),
        (
            Text("12,50"),
            Text("$"),
            Ok(Money::new(1250, Currency::Usd)),
        ),
        (
            Number(12.5),
            Text("US$"),
            Ok(Money::new(1250, Currency::Usd)),
        ),
        (
            Text("$ 1,250.99"),
            Blank,
            Ok(Money::new(125_099, Currency::Usd)),
        ),
        (Text("12.505"), Text("USD"), Err(ProblemCode::InvalidPrice)),
        (Number(12.505), Text("USD"), Err(ProblemCode::InvalidPrice)),
        (Text("12.50"), Text("IDR"), Err(ProblemCode::InvalidPrice)),
        (Text("-150.000"), Blank, Err(ProblemCode::NegativePrice)),
        (Number(-5.0), Text("USD"), Err(ProblemCode::NegativePrice)),
        (Text("gratis"), Blank, Err(ProblemCode::InvalidPrice)),
        (
            Text("Rp 5.000"),
            Text("USD"),
            Err(ProblemCode::CurrencyMismatch),
        ),
        (Text("150"), Text("EUR"), Err(ProblemCode::UnknownCurrency)),
    ];
    let expected: Vec<_> = cases.iter().map(|(_, _, expected)| *expected).collect();
    let preview = hosts(
        cases
            .into_iter()
            .map(|(price, currency, _)| {
                vec![
                    Text("A"),
                    Text("10.0.0.1"),
                    Number(22.0),
                    Blank,
                    price,
                    currency,
                ]
            })
            .collect(),
    );
    for (row, expected) in preview.hosts.iter().zip(expected) {
        let actual = match row.problems.as_slice() {
            [] => Ok(row.price.expect("a valid row with a price")),
            [problem] => Err(problem.code),
            many => panic!("row {}: one problem expected, got {many:?}", row.row),
        };
        assert_eq!(actual, expected, "row {}", row.row);
    }
}

#[test]
fn texts_are_trimmed_and_bounded() {
    let long: &'static str = "x".repeat(201).leak();
    let preview = hosts(vec![
        vec![Text("  Server Jakarta  "), Text("10.0.0.1"), Number(22.0)],
        vec![Text(long), Text("10.0.0.1"), Number(22.0)],
        vec![Number(1234.0), Text("10.0.0.1"), Number(22.0)],
    ]);
    assert_eq!(preview.hosts[0].name, Some(text("Server Jakarta")));
    assert_eq!(
        codes(&preview.hosts[1]),
        [(Field::Name, ProblemCode::TooLong)]
    );
    assert_eq!(
        preview.hosts[2].name,
        Some(text("1234")),
        "a number typed as a name is its text"
    );
}

// ---------------------------------------------------------------------------
// Hostile and wrong files

#[test]
fn files_that_are_not_xlsx_are_refused() {
    let csv = b"name,ip,port\nServer A,10.0.0.1,22\n".to_vec();
    let mut ole2 = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole2.resize(4096, 0);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let random: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let cases = [
        (csv, NotXlsxReason::NotZip),
        (ole2, NotXlsxReason::Ole2CompoundFile),
        (random, NotXlsxReason::NotZip),
        (Vec::new(), NotXlsxReason::NotZip),
        (
            zip_of(&[("hello.txt", b"hello".as_slice())]),
            NotXlsxReason::ZipWithoutWorkbook,
        ),
    ];
    for (bytes, reason) in cases {
        let error = spreadsheet::preview(&bytes).expect_err("not an xlsx");
        assert!(
            matches!(error, SpreadsheetError::NotXlsx(actual) if actual == reason),
            "{error:?}"
        );
    }
}

#[test]
fn a_damaged_zip_is_an_error_not_a_panic() {
    let mut bytes = exported_workbook();
    bytes.truncate(bytes.len() / 2);
    let error = spreadsheet::preview(&bytes).expect_err("truncated");
    assert!(matches!(error, SpreadsheetError::Corrupt(_)), "{error:?}");

    // Every prefix and a few flipped bytes: refused or read, never a panic.
    let bytes = exported_workbook();
    for cut in (0..bytes.len()).step_by(97) {
        let _ = spreadsheet::preview(&bytes[..cut]);
    }
    for position in (0..bytes.len()).step_by(31) {
        let mut flipped = bytes.clone();
        flipped[position] ^= 0x5A;
        let _ = spreadsheet::preview(&flipped);
    }
}

#[test]
fn uploads_over_the_size_limit_are_refused_before_reading() {
    let bytes = vec![b'P'; spreadsheet::MAX_UPLOAD_BYTES + 1];
    let error = spreadsheet::preview(&bytes).expect_err("too large");
    assert!(
        matches!(error, SpreadsheetError::TooLarge { size, limit } if size == limit + 1 && limit == 20 * 1024 * 1024),
        "{error:?}"
    );
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated() {
    // 16 MiB of spaces inside an otherwise valid worksheet deflate to about
    // 16 KiB: a ratio of about 1000:1.
    let padding = vec![b' '; 16 * 1024 * 1024];
    let bomb = replace_first_sheet(&exported_workbook(), &padding);
    let started = Instant::now();
    let error = spreadsheet::preview(&bomb).expect_err("a bomb");
    assert!(
        matches!(&error, SpreadsheetError::ZipBomb(reason) if reason.contains("sheet1.xml")),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused from the central directory alone"
    );
}

#[test]
fn a_zip_declaring_gigabytes_is_refused() {
    let mut bytes = exported_workbook();
    set_declared_size(&mut bytes, "xl/worksheets/sheet1.xml", 0xFFFF_0000);
    let error = spreadsheet::preview(&bytes).expect_err("declares 4 GiB");
    assert!(
        matches!(&error, SpreadsheetError::ZipBomb(reason) if reason.contains("256 MiB")),
        "{error:?}"
    );
}

#[test]
fn a_part_inflating_past_its_declared_size_is_caught_while_reading() {
    // Declares 4 KiB (a harmless ratio) but inflates to 2 MiB.
    let mut bytes = replace_first_sheet(&exported_workbook(), &vec![b' '; 2 * 1024 * 1024]);
    set_declared_size(&mut bytes, "xl/worksheets/sheet1.xml", 4096);
    let error = spreadsheet::preview(&bytes).expect_err("lying sizes");
    assert!(matches!(error, SpreadsheetError::Corrupt(_)), "{error:?}");
}

/// A small real workbook, as the export writes it.
fn exported_workbook() -> Vec<u8> {
    let hosts = [HostExportRow {
        name: text("Server A"),
        ip: address("10.0.0.1"),
        port: port(22),
        expire_date: Some(date(2026, 1, 31)),
        price: Some(Money::new(150_000, Currency::Idr)),
    }];
    spreadsheet::write_workbook(&hosts, &[]).expect("export")
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        writer.start_file(*name, options).expect("start entry");
        writer.write_all(content).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

/// The workbook with its first worksheet's `<sheetData>` padded by `padding`.
fn replace_first_sheet(bytes: &[u8], padding: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("an entry");
        let name = entry.name().expect("a UTF-8 name").into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read entry");
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(content).expect("xml is utf-8");
            let (head, tail) = xml.split_once("</sheetData>").expect("a sheetData element");
            content = [head.as_bytes(), padding, b"</sheetData>", tail.as_bytes()].concat();
        }
        entries.push((name, content));
    }
    let borrowed: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(name, content)| (name.as_str(), content.as_slice()))
        .collect();
    zip_of(&borrowed)
}

/// Overwrites the uncompressed size an entry declares, in both its local
/// header and the central directory.
fn set_declared_size(bytes: &mut [u8], name: &str, size: u32) {
    let (local, central) = {
        let archive = zip::ZipArchive::new(Cursor::new(&*bytes)).expect("a zip");
        let index = archive.index_for_name(name).expect("the entry");
        let entry = archive.by_index_data(index).expect("entry metadata");
        (
            entry.header_start() as usize,
            entry.central_header_start() as usize,
        )
    };
    bytes[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    bytes[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
}

// ---------------------------------------------------------------------------
// Export and the generator

#[test]
fn export_then_import_gives_back_exactly_the_same_values() {
    let hosts = vec![
        HostExportRow {
            name: text("Jakarta 1"),
            ip: address("103.10.20.30"),
            port: port(22),
            expire_date: Some(date(2026, 2, 28)),
            price: Some(Money::new(1_250_000, Currency::Idr)),
        },
        HostExportRow {
            name: text("Singapore v6"),
            ip: address("2001:db8:85a3::8a2e:370:7334"),
            port: port(3389),
            expire_date: Some(date(2000, 1, 1)),
            price: Some(Money::new(1234, Currency::Usd)),
        },
        HostExportRow {
            name: text("Tokyo"),
            ip: address("vps-7.example.co.id"),
            port: port(65_535),
            expire_date: Some(date(2099, 12, 31)),
            price: Some(Money::new(7, Currency::Usd)),
        },
        HostExportRow {
            name: text("Gratis"),
            ip: address("::1"),
            port: port(1),
            expire_date: None,
            price: None,
        },
        HostExportRow {
            name: text("Besar"),
            ip: address("srv.example.com"),
            port: port(8080),
            expire_date: Some(date(2000, 3, 1)),
            price: Some(Money::new(
                monitoring::bounds::MAX_PRICE_MINOR,
                Currency::Usd,
            )),
        },
    ];
    let sales = vec![
        AccountSaleExportRow {
            sold_at: date(2025, 1, 5),
            name: text("Netflix Premium"),
            merchant: Some(text("Shopee")),
            account_type: Some(text("Sharing")),
            qty: Quantity::new(3).expect("qty"),
            price: Some(Money::new(35_000, Currency::Idr)),
        },
        AccountSaleExportRow {
            sold_at: date(2024, 2, 29),
            name: text("ChatGPT Plus"),
            merchant: None,
            account_type: None,
            qty: Quantity::ONE,
            price: Some(Money::new(2_099, Currency::Usd)),
        },
    ];
    let bytes = spreadsheet::write_workbook(&hosts, &sales).expect("export");
    let preview = read(&bytes);

    assert_eq!(
        preview.summary.hosts.rows_with_problems, 0,
        "{:?}",
        preview.hosts
    );
    assert_eq!(
        preview.summary.account_sales.rows_with_problems, 0,
        "{:?}",
        preview.account_sales
    );
    let imported_hosts: Vec<HostExportRow> = preview
        .hosts
        .into_iter()
        .map(|row| HostExportRow {
            name: row.name.expect("name"),
            ip: row.ip.expect("ip"),
            port: row.port.expect("port"),
            expire_date: row.expire_date,
            price: row.price,
        })
        .collect();
    let imported_sales: Vec<AccountSaleExportRow> = preview
        .account_sales
        .into_iter()
        .map(|row| AccountSaleExportRow {
            sold_at: row.sold_at.expect("date"),
            name: row.name.expect("name"),
            merchant: row.merchant,
            account_type: row.account_type,
            qty: row.qty.expect("qty"),
            price: row.price,
        })
        .collect();
    assert_eq!(imported_hosts, hosts);
    assert_eq!(imported_sales, sales);
}

/// Whatever an old row of the database holds, the export is written: a date
/// Excel cannot show or a price beyond an exact spreadsheet number goes in
/// as text, which a re-import flags as a row problem.
#[test]
fn export_writes_values_it_cannot_hold_exactly_as_text() {
    let host = |name: &str, expire_date, price| HostExportRow {
        name: text(name),
        ip: address("10.0.0.1"),
        port: port(22),
        expire_date,
        price,
    };
    let bytes = spreadsheet::write_workbook(
        &[
            host("Old", Some(date(1899, 12, 31)), None),
            host("Rich", None, Some(Money::new(i64::MAX, Currency::Idr))),
        ],
        &[],
    )
    .expect("written");
    let preview = read(&bytes);
    assert_eq!(preview.hosts.len(), 2);
    assert_eq!(preview.hosts[0].problems[0].field, Field::ExpireDate);
    assert_eq!(preview.hosts[1].problems[0].field, Field::Price);
}

#[test]
fn a_generated_workbook_previews_with_the_expected_defects() {
    let sample = spreadsheet::sample::generate_workbook(1_200, 600, 0.1, 7).expect("generate");
    let preview = read(&sample.bytes);

    assert_eq!(preview.summary.hosts.total_rows as usize, sample.host_rows);
    assert_eq!(
        preview.summary.hosts.rows_with_problems as usize,
        sample.defective_host_rows
    );
    assert_eq!(
        preview.summary.account_sales.total_rows as usize,
        sample.account_sale_rows
    );
    assert_eq!(
        preview.summary.account_sales.rows_with_problems as usize,
        sample.defective_account_sale_rows
    );
    assert!(
        (60..=180).contains(&sample.defective_host_rows),
        "about 10%: {}",
        sample.defective_host_rows
    );
    for row in &preview.hosts {
        assert!(row.problems.len() <= 1, "one defect per row: {row:?}");
        if row.is_valid() {
            assert!(
                row.name.is_some() && row.ip.is_some() && row.port.is_some(),
                "{row:?}"
            );
        }
    }
    for row in &preview.account_sales {
        assert!(row.problems.len() <= 1, "one defect per row: {row:?}");
    }
    let prices: Vec<Currency> = preview
        .hosts
        .iter()
        .filter_map(|row| row.price)
        .map(|price| price.currency())
        .collect();
    assert!(prices.contains(&Currency::Idr) && prices.contains(&Currency::Usd));
    assert_eq!(preview.summary.ignored_sheets[0].name, "Rekap");
    assert_eq!(
        preview.summary.sheets[1].header_row,
        Some(2),
        "the AKUN header is on the first non-empty row"
    );
    assert_eq!(
        preview.summary.sheets[1].ignored_headers.len(),
        1,
        "the notes column"
    );

    let again = spreadsheet::sample::generate_workbook(1_200, 600, 0.1, 7).expect("generate");
    assert_eq!(again.bytes, sample.bytes, "the generator is deterministic");
}

#[test]
fn the_preview_survives_a_json_round_trip() {
    let sample = spreadsheet::sample::generate_workbook(300, 300, 0.2, 11).expect("generate");
    let preview = read(&sample.bytes);
    let json = serde_json::to_string(&preview).expect("serialise");
    assert!(json.contains("\"account_sales\"") && json.contains("\"rows_with_problems\""));
    assert!(
        json.contains("\"type\"")
            && json.contains("\"sold_at\"")
            && json.contains("\"expire_date\"")
    );
    let back: ImportPreview = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, preview);
}
