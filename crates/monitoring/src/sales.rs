//! The sales book: hosts sold (recorded when a host is added) and accounts
//! sold (entered by hand or imported), with totals per month and currency.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Currency, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use crate::MonitoringError;

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
    pub sold_on: NaiveDate,
    pub name: String,
    /// Where it was sold: a marketplace, a shop, a platform.
    #[serde(default)]
    pub merchant: String,
    /// What was sold (e.g. `vps`, `rdp`, `netflix`).
    #[serde(default)]
    pub item_type: String,
    /// At least 1 (default 1).
    pub qty: Option<i32>,
    /// In minor units of `currency`.
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
    if name.is_empty() || name.chars().count() > 200 {
        errors.add("name", "invalid_length", "a name of 1 to 200 characters");
    }
    let merchant = input.merchant.trim().to_owned();
    if merchant.chars().count() > 200 {
        errors.add("merchant", "too_long", "at most 200 characters");
    }
    let item_type = input.item_type.trim().to_owned();
    if item_type.chars().count() > 100 {
        errors.add("item_type", "too_long", "at most 100 characters");
    }
    let qty = input.qty.unwrap_or(1);
    if qty < 1 {
        errors.add("qty", "out_of_range", "a quantity of at least 1");
    }
    if input.price_minor < 0 {
        errors.add("price_minor", "negative", "a price cannot be negative");
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

async fn find(conn: &mut PgConnection, id: i64) -> Result<Sale, MonitoringError> {
    let row = sqlx::query_as!(
        SaleRow,
        "SELECT id, kind, sold_on, name, merchant, item_type, qty, price_minor, currency, host_id, created_at FROM sale WHERE id = $1",
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
    pub amount_minor: i64,
}

/// Totals per month and currency, newest month first, under the same
/// filter as the list. Currencies are never added together.
pub async fn monthly_totals(
    pool: &PgPool,
    filter: &SaleFilter,
) -> Result<Vec<MonthlyTotal>, MonitoringError> {
    Ok(sqlx::query_as!(
        MonthlyTotal,
        r#"SELECT to_char(date_trunc('month', sold_on), 'YYYY-MM') AS "month!", currency, count(*) AS "sales!",
                  sum(qty)::bigint AS "quantity!", sum(price_minor * qty)::bigint AS "amount_minor!"
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
    .await?)
}
