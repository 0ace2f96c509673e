//! Excel import and export of hosts and account sales. An upload becomes a
//! preview stored under an id until it expires; confirming it writes every
//! valid row in one transaction (hosts upserted by name + address + port,
//! a sale recorded for each new host, account sales inserted) and can
//! happen once; cancelling discards it.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Currency, Money};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::MonitoringError;
use crate::host::SPREAD_FIRST_CHECK;
use crate::probe::Host;
use crate::spreadsheet::{
    self, AccountSaleExportRow, HostExportRow, ImportPreview, Port, Quantity, ShortText,
};

/// How long an unconfirmed preview is kept.
pub const PREVIEW_TTL: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StagedImport {
    pub id: Uuid,
    pub file_name: String,
    pub expires_at: DateTime<Utc>,
    /// Every row with its parsed values and problems, and the summary.
    pub preview: ImportPreview,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportResult {
    pub hosts_created: u64,
    pub hosts_updated: u64,
    /// Sales recorded for the new hosts.
    pub host_sales_recorded: u64,
    pub account_sales_created: u64,
    /// Rows with problems, left out.
    pub rows_skipped: u64,
}

/// Parses the upload and keeps its preview; nothing else is written.
pub async fn stage(
    pool: &PgPool,
    created_by: Option<Uuid>,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<StagedImport, MonitoringError> {
    // Parsing a large workbook takes a while: off the async workers.
    let preview = tokio::task::spawn_blocking(move || spreadsheet::preview(&bytes))
        .await
        .map_err(|error| {
            MonitoringError::Internal(format!("the import parser stopped: {error}"))
        })??;
    let id = Uuid::new_v4();
    let file_name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let ttl = f64::from(u32::try_from(PREVIEW_TTL.as_secs()).unwrap_or(3600));
    let json = serde_json::to_value(&preview)
        .map_err(|error| MonitoringError::Internal(error.to_string()))?;
    let expires_at = sqlx::query_scalar!(
        "INSERT INTO import_preview (id, created_by, file_name, preview, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at",
        id,
        created_by,
        file_name,
        json,
        ttl
    )
    .fetch_one(pool)
    .await?;
    Ok(StagedImport {
        id,
        file_name,
        expires_at,
        preview,
    })
}

fn decode(value: serde_json::Value) -> Result<ImportPreview, MonitoringError> {
    serde_json::from_value(value).map_err(|error| {
        MonitoringError::Internal(format!("a stored preview does not decode: {error}"))
    })
}

pub async fn load(pool: &PgPool, id: Uuid) -> Result<StagedImport, MonitoringError> {
    let row = sqlx::query!("SELECT id, file_name, expires_at, preview FROM import_preview WHERE id = $1 AND expires_at > now()", id)
        .fetch_optional(pool)
        .await?
        .ok_or(MonitoringError::NotFound("no such import, or it expired"))?;
    Ok(StagedImport {
        id: row.id,
        file_name: row.file_name,
        expires_at: row.expires_at,
        preview: decode(row.preview)?,
    })
}

pub async fn cancel(conn: &mut PgConnection, id: Uuid) -> Result<(), MonitoringError> {
    if sqlx::query!("DELETE FROM import_preview WHERE id = $1", id)
        .execute(conn)
        .await?
        .rows_affected()
        == 0
    {
        return Err(MonitoringError::NotFound("no such import"));
    }
    Ok(())
}

fn currency_of(price: Option<Money>) -> Currency {
    price.map_or(Currency::Idr, Money::currency)
}

/// Writes the preview's valid rows; the preview is used up. In the
/// caller's transaction, so it all happens or nothing does.
pub async fn confirm(conn: &mut PgConnection, id: Uuid) -> Result<ImportResult, MonitoringError> {
    let stored = sqlx::query_scalar!(
        "DELETE FROM import_preview WHERE id = $1 AND expires_at > now() RETURNING preview",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(MonitoringError::NotFound("no such import, or it expired"))?;
    let preview = decode(stored)?;
    let mut result = ImportResult::default();

    let (mut names, mut addresses, mut ports, mut expiries, mut prices, mut currencies, mut rows) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for row in &preview.hosts {
        match (&row.name, &row.ip, row.port, row.problems.is_empty()) {
            (Some(name), Some(ip), Some(port), true) => {
                names.push(name.as_str().to_owned());
                addresses.push(ip.to_string());
                ports.push(i32::from(port.get()));
                expiries.push(row.expire_date);
                prices.push(row.price.map(Money::minor));
                currencies.push(currency_of(row.price).code().to_owned());
                rows.push(i64::from(row.row));
            }
            _ => result.rows_skipped += 1,
        }
    }
    // A host listed twice: the lower row wins, as if the rows were applied in order.
    let upserted = sqlx::query!(
        r#"WITH r AS (
               SELECT DISTINCT ON (name, address, port) *
               FROM unnest($1::text[], $2::text[], $3::int[], $4::date[], $5::bigint[], $6::text[], $7::bigint[])
                   AS r(name, address, port, expires_on, price_minor, currency, row_number)
               ORDER BY name, address, port, row_number DESC)
           INSERT INTO monitored_host (name, address, port, expires_on, price_minor, currency)
           SELECT name, address, port, expires_on, price_minor, currency FROM r
           ON CONFLICT (name, address, port) DO UPDATE SET
               expiry_notified = CASE WHEN monitored_host.expires_on IS DISTINCT FROM EXCLUDED.expires_on THEN false ELSE monitored_host.expiry_notified END,
               expiry_warned_days = CASE WHEN monitored_host.expires_on IS DISTINCT FROM EXCLUDED.expires_on THEN NULL ELSE monitored_host.expiry_warned_days END,
               expires_on = EXCLUDED.expires_on,
               price_minor = coalesce(EXCLUDED.price_minor, monitored_host.price_minor),
               currency = CASE WHEN EXCLUDED.price_minor IS NULL THEN monitored_host.currency ELSE EXCLUDED.currency END
           RETURNING id, (xmax = 0) AS "created!""#,
        &names,
        &addresses,
        &ports,
        &expiries as &[Option<NaiveDate>],
        &prices as &[Option<i64>],
        &currencies,
        &rows
    )
    .fetch_all(&mut *conn)
    .await?;
    let created: Vec<i64> = upserted
        .iter()
        .filter(|row| row.created)
        .map(|row| row.id)
        .collect();
    result.hosts_created = created.len() as u64;
    result.hosts_updated = (upserted.len() - created.len()) as u64;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE monitored_host SET next_check_at = {SPREAD_FIRST_CHECK} WHERE id = ANY($1)"
    )))
    .bind(&created)
    .execute(&mut *conn)
    .await?;
    crate::host::apply_new_host_visibility(conn, &created).await?;
    result.host_sales_recorded = sqlx::query!(
        r#"INSERT INTO sale (kind, sold_on, name, item_type, qty, price_minor, currency, host_id)
           SELECT 'host', shop_today(), name, 'vps', 1, coalesce(price_minor, 0), currency, id FROM monitored_host WHERE id = ANY($1)"#,
        &created
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();

    let (
        mut dates,
        mut sale_names,
        mut merchants,
        mut types,
        mut quantities,
        mut sale_prices,
        mut sale_currencies,
    ) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for row in &preview.account_sales {
        match (row.sold_at, &row.name, row.problems.is_empty()) {
            (Some(sold_at), Some(name), true) => {
                dates.push(sold_at);
                sale_names.push(name.as_str().to_owned());
                merchants.push(
                    row.merchant
                        .as_ref()
                        .map(|text| text.as_str().to_owned())
                        .unwrap_or_default(),
                );
                types.push(
                    row.account_type
                        .as_ref()
                        .map(|text| text.as_str().to_owned())
                        .unwrap_or_default(),
                );
                quantities
                    .push(i32::try_from(row.qty.map_or(1, Quantity::get)).unwrap_or(i32::MAX));
                sale_prices.push(row.price.map_or(0, Money::minor));
                sale_currencies.push(currency_of(row.price).code().to_owned());
            }
            _ => result.rows_skipped += 1,
        }
    }
    result.account_sales_created = sqlx::query!(
        r#"INSERT INTO sale (kind, sold_on, name, merchant, item_type, qty, price_minor, currency)
           SELECT 'account', * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[])"#,
        &dates,
        &sale_names,
        &merchants,
        &types,
        &quantities,
        &sale_prices,
        &sale_currencies
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(result)
}

/// Every host and every account sale as an `.xlsx` that imports back to
/// the same values.
pub async fn export(pool: &PgPool) -> Result<Vec<u8>, MonitoringError> {
    let hosts = sqlx::query!("SELECT name, address, port, expires_on, price_minor, currency FROM monitored_host ORDER BY name, id").fetch_all(pool).await?;
    let sales = sqlx::query!("SELECT sold_on, name, merchant, item_type, qty, price_minor, currency FROM sale WHERE kind = 'account' ORDER BY sold_on, id")
        .fetch_all(pool)
        .await?;
    let text = |value: &str| ShortText::parse(value).ok();
    let currency = |code: &str| Currency::from_str(code).unwrap_or(Currency::Idr);
    let host_rows: Vec<HostExportRow> = hosts
        .into_iter()
        .filter_map(|row| {
            Some(HostExportRow {
                name: text(&row.name)?,
                ip: Host::parse(&row.address).ok()?,
                port: Port::new(u16::try_from(row.port).ok()?).ok()?,
                expire_date: row.expires_on,
                price: row
                    .price_minor
                    .map(|minor| Money::new(minor, currency(&row.currency))),
            })
        })
        .collect();
    let sale_rows: Vec<AccountSaleExportRow> = sales
        .into_iter()
        .filter_map(|row| {
            Some(AccountSaleExportRow {
                sold_at: row.sold_on,
                name: text(&row.name)?,
                merchant: text(&row.merchant),
                account_type: text(&row.item_type),
                qty: Quantity::new(u32::try_from(row.qty).ok()?).ok()?,
                price: Some(Money::new(row.price_minor, currency(&row.currency))),
            })
        })
        .collect();
    tokio::task::spawn_blocking(move || spreadsheet::write_workbook(&host_rows, &sale_rows))
        .await
        .map_err(|error| MonitoringError::Internal(format!("the export writer stopped: {error}")))?
        .map_err(|error| MonitoringError::Internal(format!("writing the workbook failed: {error}")))
}
