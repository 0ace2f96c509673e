//! The customers' Excel import and export, with the hosts import's pattern:
//! upload → a stored preview (each row `new`, `update` with the fields that
//! change, `unchanged`, or `invalid` with its problems) → confirm writes the
//! valid rows in one transaction, or cancel.
//!
//! A row is the same customer as a stored one when their PPPoE names match
//! ignoring case (on the same router), or, for a row without a PPPoE name,
//! when their names match ignoring case and spaces at the ends. A blank
//! cell, or a missing column, keeps the stored value: a re-import never
//! wipes data. The export writes the same headers, so export → import is
//! all `unchanged`.
//!
//! The sheet is the one named `Pelanggan` or `Customers`, else the first;
//! the header row is the first of the first ten rows with a name column.
//! Header spellings are matched without case, spaces or punctuation.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::MonitoringError;
use crate::isp::customer::CustomerInput;
use crate::spreadsheet::{self, SpreadsheetError, normalise_header};

/// Rows one import takes: several times a large village ISP.
pub const MAX_ROWS: usize = 20_000;
/// Rows of a preview page.
pub const PAGE_DEFAULT: usize = 50;
const PAGE_MAX: usize = 500;
/// A preview is kept this long for its confirm.
const PREVIEW_HOURS: i32 = 1;
/// Cell text longer than this is cut in the preview (the field's own limit
/// then refuses the row).
const MAX_CELL_CHARS: usize = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerField {
    Name,
    PppoeUsername,
    Address,
    Phone,
    Latitude,
    Longitude,
    Plan,
    Router,
    Note,
}

/// Header spellings, normalised (lowercase letters and digits only).
const HEADERS: &[(CustomerField, &[&str])] = &[
    (
        CustomerField::Name,
        &[
            "nama",
            "name",
            "namapelanggan",
            "pelanggan",
            "customer",
            "customername",
        ],
    ),
    (
        CustomerField::PppoeUsername,
        &[
            "pppoe",
            "usernamepppoe",
            "pppoeusername",
            "userpppoe",
            "pppoeuser",
            "secret",
            "username",
        ],
    ),
    (
        CustomerField::Address,
        &["alamat", "address", "alamatpemasangan"],
    ),
    (
        CustomerField::Phone,
        &[
            "telepon",
            "telp",
            "phone",
            "nohp",
            "hp",
            "notelepon",
            "whatsapp",
            "wa",
            "nowa",
        ],
    ),
    (CustomerField::Latitude, &["latitude", "lat"]),
    (
        CustomerField::Longitude,
        &["longitude", "lng", "lon", "long"],
    ),
    (
        CustomerField::Plan,
        &["paket", "plan", "produk", "product", "layanan"],
    ),
    (CustomerField::Router, &["router", "mikrotik", "server"]),
    (
        CustomerField::Note,
        &["catatan", "note", "notes", "keterangan"],
    ),
];
/// A `lat, lng` pair in one column.
const COORDINATE_HEADERS: &[&str] = &["koordinat", "coordinates", "coordinate", "lokasi", "latlng"];

/// What a preview row will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerRowStatus {
    New,
    Update,
    Unchanged,
    Invalid,
}

/// A field an update changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerFieldChange {
    pub field: CustomerField,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerRowProblem {
    pub field: CustomerField,
    pub message: String,
}

/// One data row of the sheet, read and compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerImportRow {
    /// The row number in the sheet (1-based, as Excel shows it).
    pub row: u32,
    pub name: Option<String>,
    pub pppoe_username: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub plan: Option<String>,
    pub router: Option<String>,
    pub note: Option<String>,
    pub status: CustomerRowStatus,
    pub changes: Vec<CustomerFieldChange>,
    pub problems: Vec<CustomerRowProblem>,
    /// The stored customer an update changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub customer_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub product_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub router_id: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerImportSummary {
    pub total: usize,
    pub new: usize,
    pub update: usize,
    pub unchanged: usize,
    pub invalid: usize,
}

/// A stored preview and one page of its rows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerImport {
    pub id: Uuid,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub summary: CustomerImportSummary,
    /// Rows of this page (status filter, offset, limit).
    pub rows: Vec<CustomerImportRow>,
    /// Rows matching the filter, all pages.
    pub matching: usize,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct ImportRowQuery {
    pub status: Option<CustomerRowStatus>,
    #[param(minimum = 0)]
    pub offset: Option<usize>,
    /// 1 to 500 (50 when left out).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// What a confirm wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped_invalid: usize,
}

/// A row as read from the sheet, before comparing.
#[derive(Debug, Clone, Default, PartialEq)]
struct SheetRow {
    row: u32,
    cells: HashMap<CustomerField, String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    problems: Vec<CustomerRowProblem>,
}

fn cell_text(cell: &Data) -> String {
    let text = match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        // A phone number typed as a number: no ".0".
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{}", *number as i64)
        }
        Data::Float(number) => number.to_string(),
        Data::Int(number) => number.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => value.as_f64().to_string(),
    };
    let trimmed = text.trim();
    if trimmed.chars().count() > MAX_CELL_CHARS {
        trimmed.chars().take(MAX_CELL_CHARS).collect()
    } else {
        trimmed.to_owned()
    }
}

fn header_field(header: &str) -> Option<CustomerField> {
    let normalised = normalise_header(header);
    HEADERS
        .iter()
        .find(|(_, aliases)| aliases.contains(&normalised.as_str()))
        .map(|(field, _)| *field)
}

fn parse_coordinate(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Reads the customers sheet into rows; whole-file refusals are errors.
fn read_sheet(bytes: &[u8]) -> Result<Vec<SheetRow>, MonitoringError> {
    spreadsheet::check_upload(bytes)?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|error| SpreadsheetError::Corrupt(error.to_string()))?;
    let names = workbook.sheet_names();
    let sheet = names
        .iter()
        .find(|name| {
            matches!(
                normalise_header(name).as_str(),
                "pelanggan" | "customers" | "customer"
            )
        })
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| SpreadsheetError::Corrupt("the workbook has no sheet".to_owned()))?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|error| SpreadsheetError::Corrupt(error.to_string()))?;
    let start_row = range.start().map_or(0, |(row, _)| row);
    let mut rows = range.rows().enumerate();
    let mut columns: Vec<(usize, CustomerField)> = Vec::new();
    let mut coordinate_column = None;
    let mut header_row = None;
    for (index, cells) in rows.by_ref().take(10) {
        let mapped: Vec<(usize, CustomerField)> = cells
            .iter()
            .enumerate()
            .filter_map(|(column, cell)| {
                header_field(&cell_text(cell)).map(|field| (column, field))
            })
            .collect();
        if mapped
            .iter()
            .any(|(_, field)| *field == CustomerField::Name)
        {
            for (column, field) in mapped {
                if !columns.iter().any(|(_, seen)| *seen == field) {
                    columns.push((column, field));
                }
            }
            coordinate_column = cells.iter().position(|cell| {
                COORDINATE_HEADERS.contains(&normalise_header(&cell_text(cell)).as_str())
            });
            header_row = Some(index);
            break;
        }
    }
    if header_row.is_none() {
        return Err(ValidationErrors::single(
            "file",
            "no_header",
            format!(
                "sheet `{sheet}` has no header row with a name column (Nama or Name) in its first ten rows"
            ),
        )
        .into());
    }
    let mut out = Vec::new();
    for (index, cells) in rows {
        let mut row = SheetRow {
            row: start_row + u32::try_from(index).unwrap_or(u32::MAX) + 1,
            ..SheetRow::default()
        };
        for (column, field) in &columns {
            let text = cells.get(*column).map(cell_text).unwrap_or_default();
            if !text.is_empty() {
                row.cells.insert(*field, text);
            }
        }
        let coordinate = coordinate_column
            .and_then(|column| cells.get(column))
            .map(cell_text)
            .unwrap_or_default();
        if row.cells.is_empty() && coordinate.is_empty() {
            continue;
        }
        if out.len() == MAX_ROWS {
            return Err(SpreadsheetError::TooManyRows {
                sheet,
                limit: MAX_ROWS,
            }
            .into());
        }
        read_coordinates(&mut row, &coordinate);
        out.push(row);
    }
    Ok(out)
}

fn read_coordinates(row: &mut SheetRow, pair: &str) {
    let mut latitude = row.cells.remove(&CustomerField::Latitude);
    let mut longitude = row.cells.remove(&CustomerField::Longitude);
    if latitude.is_none() && longitude.is_none() && !pair.is_empty() {
        // `-8.4095, 112.7035` (as Google Maps copies it).
        let mut parts = pair
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|part| !part.is_empty());
        latitude = parts.next().map(str::to_owned);
        longitude = parts.next().map(str::to_owned);
    }
    for (field, text, range, slot) in [
        (CustomerField::Latitude, latitude, 90.0, &mut row.latitude),
        (
            CustomerField::Longitude,
            longitude,
            180.0,
            &mut row.longitude,
        ),
    ] {
        let Some(text) = text else { continue };
        match parse_coordinate(&text) {
            Some(value) if value.abs() <= range => *slot = Some(value),
            _ => row.problems.push(CustomerRowProblem {
                field,
                message: format!("`{text}` is not a coordinate between -{range} and {range}"),
            }),
        }
    }
    if row.latitude.is_some() != row.longitude.is_some() && row.problems.is_empty() {
        row.problems.push(CustomerRowProblem {
            field: CustomerField::Longitude,
            message: "a coordinate needs both latitude and longitude".to_owned(),
        });
    }
}

struct Stored {
    id: i64,
    name: String,
    pppoe_username: String,
    address: String,
    phone: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    product_id: Option<i64>,
    router_id: Option<i64>,
    note: String,
}

struct Lookup {
    by_pppoe: HashMap<(Option<i64>, String), usize>,
    by_name: HashMap<String, usize>,
    customers: Vec<Stored>,
    products: HashMap<String, (i64, String)>,
    product_names: HashMap<i64, String>,
    routers: HashMap<String, (i64, String)>,
    router_names: HashMap<i64, String>,
}

async fn lookup(conn: &mut PgConnection) -> Result<Lookup, MonitoringError> {
    let customers: Vec<Stored> = sqlx::query_as!(
        Stored,
        "SELECT id, name, pppoe_username, address, phone, latitude, longitude, product_id,
                router_id, note
           FROM isp_customer ORDER BY id"
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_pppoe = HashMap::new();
    let mut by_name = HashMap::new();
    for (index, customer) in customers.iter().enumerate() {
        if customer.pppoe_username.is_empty() {
            by_name
                .entry(customer.name.trim().to_lowercase())
                .or_insert(index);
        } else {
            by_pppoe.insert(
                (customer.router_id, customer.pppoe_username.to_lowercase()),
                index,
            );
        }
    }
    let mut products = HashMap::new();
    let mut product_names = HashMap::new();
    for product in sqlx::query!(
        "SELECT id, slug, name_id, name_en FROM product WHERE kind = 'internet' ORDER BY id"
    )
    .fetch_all(&mut *conn)
    .await?
    {
        for key in [
            Some(product.slug.clone()),
            Some(product.name_id.clone()),
            product.name_en.clone(),
        ]
        .into_iter()
        .flatten()
        {
            products
                .entry(key.trim().to_lowercase())
                .or_insert((product.id, product.name_id.clone()));
        }
        product_names.insert(product.id, product.name_id);
    }
    let mut routers = HashMap::new();
    let mut router_names = HashMap::new();
    for router in sqlx::query!("SELECT id, name FROM isp_router")
        .fetch_all(&mut *conn)
        .await?
    {
        routers.insert(router.name.to_lowercase(), (router.id, router.name.clone()));
        router_names.insert(router.id, router.name);
    }
    Ok(Lookup {
        by_pppoe,
        by_name,
        customers,
        products,
        product_names,
        routers,
        router_names,
    })
}

fn show(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Compares one sheet row with the stored customers.
fn compare(
    sheet: SheetRow,
    lookup: &Lookup,
    seen: &mut HashMap<(Option<i64>, String), u32>,
) -> CustomerImportRow {
    let mut problems = sheet.problems;
    let text = |field| sheet.cells.get(&field).cloned();
    let name = text(CustomerField::Name);
    let pppoe = text(CustomerField::PppoeUsername);
    let plan = text(CustomerField::Plan);
    let router = text(CustomerField::Router);
    let product = plan.as_ref().and_then(|plan| {
        let found = lookup.products.get(&plan.to_lowercase());
        if found.is_none() {
            problems.push(CustomerRowProblem {
                field: CustomerField::Plan,
                message: format!("no internet product named `{plan}`"),
            });
        }
        found
    });
    let router_found = router.as_ref().and_then(|router| {
        let found = lookup.routers.get(&router.to_lowercase());
        if found.is_none() {
            problems.push(CustomerRowProblem {
                field: CustomerField::Router,
                message: format!("no router named `{router}`"),
            });
        }
        found
    });
    let existing = match &pppoe {
        Some(pppoe) => {
            let router_key = router_found.map(|(id, _)| *id);
            lookup
                .by_pppoe
                .get(&(router_key, pppoe.to_lowercase()))
                .or_else(|| {
                    // No router column: the PPPoE name on any router, when
                    // only one customer has it.
                    if router.is_some() {
                        return None;
                    }
                    let mut matches = lookup
                        .by_pppoe
                        .iter()
                        .filter(|((_, name), _)| *name == pppoe.to_lowercase());
                    match (matches.next(), matches.next()) {
                        (Some((_, index)), None) => Some(index),
                        _ => None,
                    }
                })
        }
        None => name
            .as_ref()
            .and_then(|name| lookup.by_name.get(&name.trim().to_lowercase())),
    }
    .map(|index| &lookup.customers[*index]);
    // The values the customer ends with: a blank cell keeps the stored one.
    let input = CustomerInput {
        name: name
            .clone()
            .or_else(|| existing.map(|c| c.name.clone()))
            .unwrap_or_default(),
        // The same name in another case is the stored one: kept as the
        // router has it.
        pppoe_username: match (&pppoe, existing) {
            (Some(pppoe), Some(stored)) if pppoe.eq_ignore_ascii_case(&stored.pppoe_username) => {
                stored.pppoe_username.clone()
            }
            (Some(pppoe), _) => pppoe.clone(),
            (None, stored) => stored.map(|c| c.pppoe_username.clone()).unwrap_or_default(),
        },
        address: text(CustomerField::Address)
            .or_else(|| existing.map(|c| c.address.clone()))
            .unwrap_or_default(),
        phone: text(CustomerField::Phone)
            .or_else(|| existing.map(|c| c.phone.clone()))
            .unwrap_or_default(),
        latitude: sheet.latitude.or_else(|| existing.and_then(|c| c.latitude)),
        longitude: sheet
            .longitude
            .or_else(|| existing.and_then(|c| c.longitude)),
        product_id: product
            .map(|(id, _)| *id)
            .or_else(|| existing.and_then(|c| c.product_id)),
        router_id: router_found
            .map(|(id, _)| *id)
            .or_else(|| existing.and_then(|c| c.router_id)),
        service_id: None,
        note: text(CustomerField::Note)
            .or_else(|| existing.map(|c| c.note.clone()))
            .unwrap_or_default(),
    };
    if let Err(errors) = input.validate() {
        for error in errors.errors() {
            let field = match error.field.as_str() {
                "name" => CustomerField::Name,
                "pppoe_username" => CustomerField::PppoeUsername,
                "address" => CustomerField::Address,
                "phone" => CustomerField::Phone,
                "latitude" => CustomerField::Latitude,
                "longitude" => CustomerField::Longitude,
                _ => CustomerField::Note,
            };
            if !problems.iter().any(|p| p.field == field) {
                problems.push(CustomerRowProblem {
                    field,
                    message: error.message.clone(),
                });
            }
        }
    }
    if !input.pppoe_username.is_empty() {
        let key = (input.router_id, input.pppoe_username.to_lowercase());
        if let Some(first) = seen.get(&key) {
            problems.push(CustomerRowProblem {
                field: CustomerField::PppoeUsername,
                message: format!("row {first} has the same PPPoE name on the same router"),
            });
        } else {
            seen.insert(key, sheet.row);
        }
    }
    let mut changes = Vec::new();
    if let Some(stored) = existing {
        let mut change = |field, old: String, new: String| {
            if old != new {
                changes.push(CustomerFieldChange { field, old, new });
            }
        };
        change(CustomerField::Name, stored.name.clone(), input.name.clone());
        change(
            CustomerField::PppoeUsername,
            stored.pppoe_username.clone(),
            input.pppoe_username.clone(),
        );
        change(
            CustomerField::Address,
            stored.address.clone(),
            input.address.clone(),
        );
        change(
            CustomerField::Phone,
            stored.phone.clone(),
            input.phone.clone(),
        );
        change(
            CustomerField::Latitude,
            show(stored.latitude),
            show(input.latitude),
        );
        change(
            CustomerField::Longitude,
            show(stored.longitude),
            show(input.longitude),
        );
        let product_name = |id: Option<i64>| {
            id.and_then(|id| lookup.product_names.get(&id).cloned())
                .unwrap_or_default()
        };
        change(
            CustomerField::Plan,
            product_name(stored.product_id),
            product_name(input.product_id),
        );
        let router_name = |id: Option<i64>| {
            id.and_then(|id| lookup.router_names.get(&id).cloned())
                .unwrap_or_default()
        };
        change(
            CustomerField::Router,
            router_name(stored.router_id),
            router_name(input.router_id),
        );
        change(CustomerField::Note, stored.note.clone(), input.note.clone());
    }
    let status = match (problems.is_empty(), existing, changes.is_empty()) {
        (false, _, _) => CustomerRowStatus::Invalid,
        (true, None, _) => CustomerRowStatus::New,
        (true, Some(_), true) => CustomerRowStatus::Unchanged,
        (true, Some(_), false) => CustomerRowStatus::Update,
    };
    CustomerImportRow {
        row: sheet.row,
        name: Some(input.name).filter(|v| !v.is_empty()),
        pppoe_username: Some(input.pppoe_username).filter(|v| !v.is_empty()),
        address: Some(input.address).filter(|v| !v.is_empty()),
        phone: Some(input.phone).filter(|v| !v.is_empty()),
        latitude: input.latitude,
        longitude: input.longitude,
        plan: input
            .product_id
            .and_then(|id| lookup.product_names.get(&id).cloned())
            .or(plan),
        router: input
            .router_id
            .and_then(|id| lookup.router_names.get(&id).cloned())
            .or(router),
        note: Some(input.note).filter(|v| !v.is_empty()),
        status,
        changes,
        problems,
        customer_id: existing.map(|c| c.id),
        product_id: input.product_id,
        router_id: input.router_id,
    }
}

fn summarise(rows: &[CustomerImportRow]) -> CustomerImportSummary {
    let mut summary = CustomerImportSummary {
        total: rows.len(),
        ..CustomerImportSummary::default()
    };
    for row in rows {
        match row.status {
            CustomerRowStatus::New => summary.new += 1,
            CustomerRowStatus::Update => summary.update += 1,
            CustomerRowStatus::Unchanged => summary.unchanged += 1,
            CustomerRowStatus::Invalid => summary.invalid += 1,
        }
    }
    summary
}

/// Reads an upload into a stored preview; nothing else is written.
pub async fn stage(
    pool: &PgPool,
    created_by: Option<Uuid>,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<CustomerImport, MonitoringError> {
    let sheet_rows = tokio::task::spawn_blocking(move || read_sheet(&bytes))
        .await
        .map_err(|error| MonitoringError::Internal(error.to_string()))??;
    let mut conn = pool.acquire().await?;
    let lookup = lookup(&mut conn).await?;
    let mut seen = HashMap::new();
    let rows: Vec<CustomerImportRow> = sheet_rows
        .into_iter()
        .map(|row| compare(row, &lookup, &mut seen))
        .collect();
    let id = Uuid::new_v4();
    let file_name: String = file_name.chars().take(200).collect();
    sqlx::query!(
        "INSERT INTO isp_customer_import (id, created_by, file_name, rows)
         VALUES ($1, $2, $3, $4)",
        id,
        created_by,
        file_name,
        serde_json::to_value(&rows)
            .map_err(|error| MonitoringError::Internal(error.to_string()))?,
    )
    .execute(&mut *conn)
    .await?;
    // Old previews go: an abandoned upload keeps nothing for long.
    sqlx::query!(
        "DELETE FROM isp_customer_import WHERE created_at < now() - make_interval(hours => $1)",
        PREVIEW_HOURS * 24,
    )
    .execute(&mut *conn)
    .await?;
    // Back to the pool before reading the preview takes one.
    drop(conn);
    load(pool, id, &ImportRowQuery::default()).await
}

struct StoredImport {
    file_name: String,
    created_at: DateTime<Utc>,
    confirmed_at: Option<DateTime<Utc>>,
    rows: Vec<CustomerImportRow>,
}

async fn stored(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<StoredImport, MonitoringError> {
    let row = if lock {
        sqlx::query!(
            "SELECT file_name, created_at, confirmed_at, rows FROM isp_customer_import
              WHERE id = $1 AND created_at > now() - make_interval(hours => $2) FOR UPDATE",
            id,
            PREVIEW_HOURS,
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| (r.file_name, r.created_at, r.confirmed_at, r.rows))
    } else {
        sqlx::query!(
            "SELECT file_name, created_at, confirmed_at, rows FROM isp_customer_import
              WHERE id = $1 AND created_at > now() - make_interval(hours => $2)",
            id,
            PREVIEW_HOURS,
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| (r.file_name, r.created_at, r.confirmed_at, r.rows))
    };
    let (file_name, created_at, confirmed_at, rows) =
        row.ok_or(MonitoringError::NotFound("no such import, or it expired"))?;
    let rows = serde_json::from_value(rows)
        .map_err(|error| MonitoringError::Internal(format!("stored import rows: {error}")))?;
    Ok(StoredImport {
        file_name,
        created_at,
        confirmed_at,
        rows,
    })
}

/// A stored preview with one page of its rows.
pub async fn load(
    pool: &PgPool,
    id: Uuid,
    query: &ImportRowQuery,
) -> Result<CustomerImport, MonitoringError> {
    let mut conn = pool.acquire().await?;
    let import = stored(&mut conn, id, false).await?;
    let summary = summarise(&import.rows);
    let matching: Vec<CustomerImportRow> = import
        .rows
        .into_iter()
        .filter(|row| query.status.is_none_or(|status| row.status == status))
        .collect();
    let limit = query.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX);
    let offset = query.offset.unwrap_or(0);
    Ok(CustomerImport {
        id,
        file_name: import.file_name,
        created_at: import.created_at,
        confirmed_at: import.confirmed_at,
        summary,
        matching: matching.len(),
        rows: matching.into_iter().skip(offset).take(limit).collect(),
    })
}

/// Writes the valid rows in one transaction. A preview is confirmed once;
/// a row whose customer changed since the preview is written as previewed.
pub async fn confirm(conn: &mut PgConnection, id: Uuid) -> Result<ImportOutcome, MonitoringError> {
    let import = stored(&mut *conn, id, true).await?;
    if import.confirmed_at.is_some() {
        return Err(MonitoringError::Refused {
            code: "import_confirmed",
            message: "this import was confirmed already".to_owned(),
        });
    }
    let mut outcome = ImportOutcome::default();
    for row in &import.rows {
        let input = CustomerInput {
            name: row.name.clone().unwrap_or_default(),
            pppoe_username: row.pppoe_username.clone().unwrap_or_default(),
            address: row.address.clone().unwrap_or_default(),
            phone: row.phone.clone().unwrap_or_default(),
            latitude: row.latitude,
            longitude: row.longitude,
            product_id: row.product_id,
            router_id: row.router_id,
            service_id: None,
            note: row.note.clone().unwrap_or_default(),
        };
        match (row.status, row.customer_id) {
            (CustomerRowStatus::Invalid, _) => outcome.skipped_invalid += 1,
            (CustomerRowStatus::Unchanged, _) => outcome.unchanged += 1,
            (CustomerRowStatus::New, _) | (CustomerRowStatus::Update, None) => {
                let checked = input.validate()?;
                sqlx::query!(
                    "INSERT INTO isp_customer (name, pppoe_username, address, phone, latitude,
                                               longitude, product_id, router_id, note)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    checked.name,
                    checked.pppoe_username,
                    checked.address,
                    checked.phone,
                    checked.latitude,
                    checked.longitude,
                    input.product_id,
                    input.router_id,
                    checked.note,
                )
                .execute(&mut *conn)
                .await
                .map_err(crate::isp::customer::write_conflict)?;
                outcome.created += 1;
            }
            (CustomerRowStatus::Update, Some(customer_id)) => {
                let checked = input.validate()?;
                sqlx::query!(
                    "UPDATE isp_customer
                        SET name = $2, pppoe_username = $3, address = $4, phone = $5,
                            latitude = $6, longitude = $7, product_id = $8, router_id = $9,
                            note = $10,
                            stale = stale OR lower(pppoe_username) IS DISTINCT FROM lower($3)
                                          OR router_id IS DISTINCT FROM $9
                      WHERE id = $1",
                    customer_id,
                    checked.name,
                    checked.pppoe_username,
                    checked.address,
                    checked.phone,
                    checked.latitude,
                    checked.longitude,
                    input.product_id,
                    input.router_id,
                    checked.note,
                )
                .execute(&mut *conn)
                .await
                .map_err(crate::isp::customer::write_conflict)?;
                outcome.updated += 1;
            }
        }
    }
    sqlx::query!(
        "UPDATE isp_customer_import SET confirmed_at = now() WHERE id = $1",
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(outcome)
}

/// Drops a preview that was not confirmed.
pub async fn cancel(pool: &PgPool, id: Uuid) -> Result<(), MonitoringError> {
    let deleted = sqlx::query!(
        "DELETE FROM isp_customer_import WHERE id = $1 AND confirmed_at IS NULL",
        id
    )
    .execute(pool)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(MonitoringError::NotFound(
            "no such import, or it was confirmed",
        ));
    }
    Ok(())
}

/// Every customer as an `.xlsx` (sheet `Pelanggan`) that imports back as
/// all `unchanged`.
pub async fn export(pool: &PgPool) -> Result<Vec<u8>, MonitoringError> {
    let rows = sqlx::query!(
        r#"SELECT c.name, c.pppoe_username, c.address, c.phone, c.latitude, c.longitude,
                  p.name_id AS "plan?", r.name AS "router?", c.note
             FROM isp_customer c
             LEFT JOIN product p ON p.id = c.product_id
             LEFT JOIN isp_router r ON r.id = c.router_id
            ORDER BY lower(c.name), c.id"#
    )
    .fetch_all(pool)
    .await?;
    let build = move || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.set_name("Pelanggan")?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        // Text cells: a phone number or PPPoE name of digits keeps its
        // leading zero.
        let text = rust_xlsxwriter::Format::new().set_num_format("@");
        let headers = [
            "Nama",
            "PPPoE",
            "Alamat",
            "Telepon",
            "Latitude",
            "Longitude",
            "Paket",
            "Router",
            "Catatan",
        ];
        for (column, header) in (0u16..).zip(headers) {
            sheet.write_string_with_format(0, column, header, &bold)?;
        }
        for (row, customer) in (1u32..).zip(rows) {
            let strings = [
                (0, customer.name),
                (1, customer.pppoe_username),
                (2, customer.address),
                (3, customer.phone),
                (6, customer.plan.unwrap_or_default()),
                (7, customer.router.unwrap_or_default()),
                (8, customer.note),
            ];
            for (column, value) in strings {
                if !value.is_empty() {
                    sheet.write_string_with_format(row, column, &value, &text)?;
                }
            }
            if let (Some(latitude), Some(longitude)) = (customer.latitude, customer.longitude) {
                sheet.write_number(row, 4, latitude)?;
                sheet.write_number(row, 5, longitude)?;
            }
        }
        sheet.autofit();
        workbook.save_to_buffer()
    };
    tokio::task::spawn_blocking(build)
        .await
        .map_err(|error| MonitoringError::Internal(error.to_string()))?
        .map_err(|error| MonitoringError::Internal(format!("writing the workbook: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook(rows: &[&[&str]]) -> Vec<u8> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (r, row) in (0u32..).zip(rows) {
            for (c, value) in (0u16..).zip(row.iter()) {
                sheet.write_string(r, c, *value).expect("cell");
            }
        }
        workbook.save_to_buffer().expect("workbook")
    }

    #[test]
    fn headers_are_found_in_any_spelling_and_blank_rows_are_skipped() {
        let bytes = workbook(&[
            &["Data pelanggan Sempu"],
            &["Nama Pelanggan", "Username PPPoE", "No. HP", "Koordinat"],
            &[
                "Egi Setiawan Sempu",
                "egisetiawansempu",
                "0812 3456",
                "-8.4095, 112.7035",
            ],
            &["", "", "", ""],
            &["Tanpa PPPoE", "", "", "-8.5"],
        ]);
        let rows = read_sheet(&bytes).expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 3);
        assert_eq!(
            rows[0].cells[&CustomerField::PppoeUsername],
            "egisetiawansempu"
        );
        assert_eq!(rows[0].cells[&CustomerField::Phone], "0812 3456");
        assert_eq!(
            (rows[0].latitude, rows[0].longitude),
            (Some(-8.4095), Some(112.7035))
        );
        assert_eq!(rows[1].row, 5);
        assert_eq!(rows[1].problems.len(), 1, "{:?}", rows[1].problems);
    }

    #[test]
    fn a_sheet_without_a_name_column_is_refused() {
        let bytes = workbook(&[&["PPPoE", "Alamat"], &["x", "y"]]);
        let error = read_sheet(&bytes).expect_err("no header");
        assert!(matches!(error, MonitoringError::Validation(_)), "{error:?}");
        let error = read_sheet(b"not a workbook").expect_err("not xlsx");
        assert!(
            matches!(error, MonitoringError::Spreadsheet(_)),
            "{error:?}"
        );
    }
}
