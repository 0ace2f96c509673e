//! The sales book: hosts sold (recorded when a host is added) and accounts
//! sold (entered by hand or imported), with totals per month and currency.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Currency, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use crate::MonitoringError;
use crate::bounds;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SaleKind {
    Host,
    Account,
}

impl SaleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SaleKind::Host => "host",
            SaleKind::Account => "account",
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SaleInput {
    pub kind: SaleKind,
    /// From 2000-01-01 to 2099-12-31.
    pub sold_on: NaiveDate,
    pub name: String,
    /// Where it was sold: a marketplace, a shop, a platform.
    #[serde(default)]
    pub merchant: String,
    /// What was sold (e.g. `vps`, `rdp`, `netflix`).
    #[serde(default)]
    pub item_type: String,
    /// 1 (default) to [`bounds::MAX_QTY`].
    #[schema(minimum = 1, maximum = 10000)]
    pub qty: Option<i32>,
    /// In minor units of `currency`, 0 to [`bounds::MAX_PRICE_MINOR`].
    #[schema(minimum = 0, maximum = 1000000000000.0)]
    pub price_minor: i64,
    /// `IDR` (default) or `USD`.
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sale {
    pub id: i64,
    pub kind: SaleKind,
    pub sold_on: NaiveDate,
    pub name: String,
    pub merchant: String,
    pub item_type: String,
    pub qty: i32,
    pub price_minor: i64,
    pub currency: String,
    /// The host this sale is for, while it exists.
    pub host_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

struct SaleRow {
    id: i64,
    kind: String,
    sold_on: NaiveDate,
    name: String,
    merchant: String,
    item_type: String,
    qty: i32,
    price_minor: i64,
    currency: String,
    host_id: Option<i64>,
    created_at: DateTime<Utc>,
}

impl From<SaleRow> for Sale {
    fn from(row: SaleRow) -> Self {
        Sale {
            id: row.id,
            kind: if row.kind == "host" {
                SaleKind::Host
            } else {
                SaleKind::Account
            },
            sold_on: row.sold_on,
            name: row.name,
            merchant: row.merchant,
            item_type: row.item_type,
            qty: row.qty,
            price_minor: row.price_minor,
            currency: row.currency,
            host_id: row.host_id,
            created_at: row.created_at,
        }
    }
}

struct ValidSale {
    name: String,
    merchant: String,
    item_type: String,
    qty: i32,
    currency: Currency,
}

fn validate(input: &SaleInput) -> Result<ValidSale, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > bounds::SALE_NAME_MAX_CHARS {
        errors.add(
            "name",
            "invalid_length",
            format!("a name of 1 to {} characters", bounds::SALE_NAME_MAX_CHARS),
        );
    }
    let merchant = input.merchant.trim().to_owned();
    if merchant.chars().count() > bounds::SALE_MERCHANT_MAX_CHARS {
        errors.add(
            "merchant",
            "too_long",
            format!("at most {} characters", bounds::SALE_MERCHANT_MAX_CHARS),
        );
    }
    let item_type = input.item_type.trim().to_owned();
    if item_type.chars().count() > bounds::SALE_ITEM_TYPE_MAX_CHARS {
        errors.add(
            "item_type",
            "too_long",
            format!("at most {} characters", bounds::SALE_ITEM_TYPE_MAX_CHARS),
        );
    }
    let qty = input.qty.unwrap_or(1);
    if !(1..=bounds::MAX_QTY).contains(&qty) {
        errors.add(
            "qty",
            "out_of_range",
            format!("a quantity from 1 to {}", bounds::MAX_QTY),
        );
    }
    if input.price_minor < 0 {
        errors.add("price_minor", "negative", "a price cannot be negative");
    } else if input.price_minor > bounds::MAX_PRICE_MINOR {
        errors.add(
            "price_minor",
            "out_of_range",
            format!("at most {} minor units", bounds::MAX_PRICE_MINOR),
        );
    }
    if !bounds::date_in_range(input.sold_on) {
        errors.add("sold_on", "out_of_range", bounds::DATE_RANGE);
    }
    let currency = match input
        .currency
        .as_deref()
        .map(str::trim)
        .filter(|code| !code.is_empty())
    {
        None => Some(Currency::Idr),
        Some(code) => errors.check("currency", "unknown_currency", Currency::from_str(code)),
    };
    errors.into_result()?;
    Ok(ValidSale {
        name,
        merchant,
        item_type,
        qty,
        currency: currency.unwrap_or(Currency::Idr),
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SaleFilter {
    pub kind: Option<SaleKind>,
    pub from: Option<NaiveDate>,
    /// Inclusive.
    pub to: Option<NaiveDate>,
    pub currency: Option<String>,
    /// Name or merchant contains this (case-insensitive).
    pub search: Option<String>,
}

fn search_term(filter: &SaleFilter) -> Option<String> {
    filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|search| !search.is_empty())
        .map(|search| search.replace(['%', '_'], ""))
}

fn currency_filter(filter: &SaleFilter) -> Result<Option<&'static str>, MonitoringError> {
    match filter.currency.as_deref().filter(|code| !code.is_empty()) {
        None => Ok(None),
        Some(code) => Currency::from_str(code)
            .map(|currency| Some(currency.code()))
            .map_err(|error| {
                ValidationErrors::single("currency", "unknown_currency", error.to_string()).into()
            }),
    }
}

pub async fn list(pool: &PgPool, filter: &SaleFilter) -> Result<Vec<Sale>, MonitoringError> {
    let rows = sqlx::query_as!(
        SaleRow,
        r#"SELECT id, kind, sold_on, name, merchant, item_type, qty, price_minor, currency, host_id, created_at FROM sale
           WHERE ($1::text IS NULL OR kind = $1) AND ($2::date IS NULL OR sold_on >= $2) AND ($3::date IS NULL OR sold_on <= $3)
             AND ($4::text IS NULL OR currency = $4)
             AND ($5::text IS NULL OR name ILIKE '%' || $5 || '%' OR merchant ILIKE '%' || $5 || '%')
           ORDER BY sold_on DESC, id DESC LIMIT 5000"#,
        filter.kind.map(SaleKind::as_str),
        filter.from,
        filter.to,
        currency_filter(filter)?,
        search_term(filter)
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Sale::from).collect())
}

/// One sale (for the audit log's "before" of an edit or delete, read in the
/// same transaction as the change).
pub async fn find(conn: &mut PgConnection, id: i64) -> Result<Sale, MonitoringError> {
    let row = sqlx::query_as!(
        SaleRow,
        "SELECT id, kind, sold_on, name, merchant, item_type, qty, price_minor, currency, host_id, created_at FROM sale WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(MonitoringError::NotFound("no such sale"))?;
    Ok(row.into())
}

pub async fn create(conn: &mut PgConnection, input: &SaleInput) -> Result<Sale, MonitoringError> {
    let sale = validate(input)?;
    let id = sqlx::query_scalar!(
        "INSERT INTO sale (kind, sold_on, name, merchant, item_type, qty, price_minor, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        input.kind.as_str(),
        input.sold_on,
        sale.name,
        sale.merchant,
        sale.item_type,
        sale.qty,
        input.price_minor,
        sale.currency.code()
    )
    .fetch_one(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &SaleInput,
) -> Result<Sale, MonitoringError> {
    let sale = validate(input)?;
    let updated = sqlx::query!(
        "UPDATE sale SET kind = $2, sold_on = $3, name = $4, merchant = $5, item_type = $6, qty = $7, price_minor = $8, currency = $9 WHERE id = $1",
        id,
        input.kind.as_str(),
        input.sold_on,
        sale.name,
        sale.merchant,
        sale.item_type,
        sale.qty,
        input.price_minor,
        sale.currency.code()
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(MonitoringError::NotFound("no such sale"));
    }
    find(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), MonitoringError> {
    if sqlx::query!("DELETE FROM sale WHERE id = $1", id)
        .execute(conn)
        .await?
        .rows_affected()
        == 0
    {
        return Err(MonitoringError::NotFound("no such sale"));
    }
    Ok(())
}

/// One month's revenue in one currency (amounts are price × qty).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthlyTotal {
    /// `YYYY-MM`.
    pub month: String,
    pub currency: String,
    pub sales: i64,
    pub quantity: i64,
    /// Summed exactly (PostgreSQL `numeric`), so no number of sales at the
    /// largest price overflows it.
    #[schema(value_type = i64)]
    pub amount_minor: i128,
}

struct TotalRow {
    month: String,
    currency: String,
    sales: i64,
    quantity: i64,
    amount_minor: String,
}

/// Totals per month and currency, newest month first, under the same
/// filter as the list. Currencies are never added together.
pub async fn monthly_totals(
    pool: &PgPool,
    filter: &SaleFilter,
) -> Result<Vec<MonthlyTotal>, MonitoringError> {
    let rows = sqlx::query_as!(
        TotalRow,
        r#"SELECT to_char(date_trunc('month', sold_on), 'YYYY-MM') AS "month!", currency, count(*) AS "sales!",
                  sum(qty)::bigint AS "quantity!", sum(price_minor::numeric * qty)::text AS "amount_minor!"
           FROM sale
           WHERE ($1::text IS NULL OR kind = $1) AND ($2::date IS NULL OR sold_on >= $2) AND ($3::date IS NULL OR sold_on <= $3)
             AND ($4::text IS NULL OR currency = $4)
             AND ($5::text IS NULL OR name ILIKE '%' || $5 || '%' OR merchant ILIKE '%' || $5 || '%')
           GROUP BY 1, currency ORDER BY 1 DESC, currency"#,
        filter.kind.map(SaleKind::as_str),
        filter.from,
        filter.to,
        currency_filter(filter)?,
        search_term(filter)
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let amount_minor = row.amount_minor.parse::<i128>().map_err(|error| {
                MonitoringError::Internal(format!("a sales total does not fit: {error}"))
            })?;
            Ok(MonthlyTotal {
                month: row.month,
                currency: row.currency,
                sales: row.sales,
                quantity: row.quantity,
                amount_minor,
            })
        })
        .collect()
}

/// Records the sale of a host just added: one `vps`, sold today in the shop,
/// at the host's price (0 when it has none) and currency.
pub(crate) async fn record_host_sales(
    conn: &mut PgConnection,
    host_ids: &[i64],
    sold_on: Option<NaiveDate>,
) -> Result<u64, MonitoringError> {
    // `sold_on` is the caller's clock's today where it has one; else the
    // database's shop day.
    Ok(sqlx::query!(
        r#"INSERT INTO sale (kind, sold_on, name, item_type, qty, price_minor, currency, host_id)
           SELECT 'host', coalesce($2, shop_today()), name, 'vps', 1, coalesce(price_minor, 0), currency, id
           FROM monitored_host WHERE id = ANY($1) ORDER BY id"#,
        host_ids,
        sold_on as Option<NaiveDate>
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// What writing an import's account sales did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ImportedSales {
    pub created: u64,
    /// Rows identical to a sale already in the book, or to an earlier row
    /// of the same file, left out.
    pub duplicates_skipped: u64,
}

/// Adds the valid account-sale rows of a staged import (`import_sale_row`)
/// to the book. A row identical to a sale already in the book (date, name,
/// merchant, type, qty, price, currency), or to an earlier row of the same
/// file, is skipped unless `include_duplicates`. The book is compared
/// again here, not only at preview time, so a sale typed in meanwhile is
/// not doubled either.
pub(crate) async fn record_imported_account_sales(
    conn: &mut PgConnection,
    import_id: uuid::Uuid,
    include_duplicates: bool,
) -> Result<ImportedSales, MonitoringError> {
    let counts = sqlx::query!(
        r#"WITH inserted AS (
               INSERT INTO sale (kind, sold_on, name, merchant, item_type, qty, price_minor, currency)
               SELECT 'account', r.sold_on, r.name, r.merchant, r.item_type, r.qty, r.price_minor, r.currency
               FROM import_sale_row r
               WHERE r.import_id = $1 AND r.problems IS NULL
                 AND ($2 OR (NOT r.repeats_in_file AND NOT EXISTS (
                     SELECT 1 FROM sale s
                     WHERE s.kind = 'account' AND s.sold_on = r.sold_on AND s.name = r.name AND s.merchant = r.merchant
                       AND s.item_type = r.item_type AND s.qty = r.qty AND s.price_minor = r.price_minor AND s.currency = r.currency)))
               ORDER BY r.seq
               RETURNING 1)
           SELECT (SELECT count(*) FROM inserted) AS "created!",
                  (SELECT count(*) FROM import_sale_row WHERE import_id = $1 AND problems IS NULL) AS "valid!""#,
        import_id,
        include_duplicates
    )
    .fetch_one(conn)
    .await?;
    let created = u64::try_from(counts.created).unwrap_or(0);
    let valid = u64::try_from(counts.valid).unwrap_or(0);
    Ok(ImportedSales {
        created,
        duplicates_skipped: valid.saturating_sub(created),
    })
}
