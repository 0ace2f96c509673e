//! Stock of digital goods: codes or account credentials, one delivered per
//! unit sold. Each item is sealed ([`domain::Sealer`]) before it reaches the
//! database and never leaves it in a listing; staff and the public see
//! counts only. Reserving and handing out items comes with orders.

use domain::{Sealer, ValidationErrors};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::CatalogError;
use super::bounds::{STOCK_ITEM_MAX_CHARS, STOCK_ITEMS_PER_UPLOAD};
use super::spec::ProductKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockCounts {
    pub available: i64,
    pub reserved: i64,
    pub sold: i64,
}

/// Items to add, one per element (a pasted list split into lines).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StockUpload {
    /// At most 10,000 items of at most 2,000 characters; blank ones are
    /// skipped, surrounding spaces trimmed.
    pub items: Vec<String>,
}

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct StockAdded {
    pub added: i64,
    /// Already in stock (or sold), or twice in this upload: not added again.
    pub duplicates: i64,
    pub counts: StockCounts,
}

pub async fn counts(conn: &mut PgConnection, product_id: i64) -> Result<StockCounts, CatalogError> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'available') AS "available!",
                  count(*) FILTER (WHERE status = 'reserved') AS "reserved!",
                  count(*) FILTER (WHERE status = 'sold') AS "sold!"
           FROM digital_stock_item WHERE product_id = $1"#,
        product_id
    )
    .fetch_one(conn)
    .await?;
    Ok(StockCounts {
        available: row.available,
        reserved: row.reserved,
        sold: row.sold,
    })
}

/// The stock counts of a digital product; another kind has none.
pub async fn digital_counts(
    conn: &mut PgConnection,
    product_id: i64,
) -> Result<StockCounts, CatalogError> {
    let kind = sqlx::query_scalar!("SELECT kind FROM product WHERE id = $1", product_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(CatalogError::NotFound("no such product"))?;
    if kind != ProductKind::Digital.as_str() {
        return Err(CatalogError::WrongKind("only digital products have stock"));
    }
    counts(conn, product_id).await
}

/// Locks a digital product's row for a stock change (two uploads to one
/// product take turns); another kind has no stock.
async fn digital_product(conn: &mut PgConnection, product_id: i64) -> Result<(), CatalogError> {
    let kind = sqlx::query_scalar!(
        "SELECT kind FROM product WHERE id = $1 FOR UPDATE",
        product_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(CatalogError::NotFound("no such product"))?;
    if kind != ProductKind::Digital.as_str() {
        return Err(CatalogError::WrongKind("only digital products have stock"));
    }
    Ok(())
}

/// Checks the items (every problem at once) and returns them trimmed.
fn valid_items(items: &[String]) -> Result<Vec<&str>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let items: Vec<&str> = items
        .iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .collect();
    if items.is_empty() {
        errors.add(
            "items",
            "required",
            "no items: one code or account per line",
        );
    }
    if items.len() > STOCK_ITEMS_PER_UPLOAD {
        errors.add(
            "items",
            "too_many",
            format!("at most {STOCK_ITEMS_PER_UPLOAD} items per upload"),
        );
    }
    for (index, item) in items.iter().enumerate().take(STOCK_ITEMS_PER_UPLOAD) {
        if item.chars().count() > STOCK_ITEM_MAX_CHARS {
            errors.add(
                &format!("items[{index}]"),
                "too_long",
                format!("at most {STOCK_ITEM_MAX_CHARS} characters"),
            );
        }
    }
    errors.into_result()?;
    Ok(items)
}

/// Seals and adds the items; one already held (by its keyed fingerprint)
/// is counted as a duplicate and skipped.
pub async fn add(
    conn: &mut PgConnection,
    sealer: &Sealer,
    product_id: i64,
    upload: &StockUpload,
    added_by: Option<Uuid>,
) -> Result<StockAdded, CatalogError> {
    let items = valid_items(&upload.items)?;
    digital_product(&mut *conn, product_id).await?;
    let mut sealed = Vec::with_capacity(items.len());
    let mut fingerprints = Vec::with_capacity(items.len());
    for item in &items {
        sealed.push(sealer.seal(item.as_bytes()).bytes);
        fingerprints.push(sealer.fingerprint(item.as_bytes()));
    }
    let added = sqlx::query_scalar!(
        r#"WITH inserted AS (
               INSERT INTO digital_stock_item (product_id, key_id, sealed, fingerprint, added_by)
               SELECT $1, $2, x.sealed, x.fingerprint, $5
               FROM unnest($3::bytea[], $4::bytea[]) AS x(sealed, fingerprint)
               ON CONFLICT (product_id, fingerprint) DO NOTHING
               RETURNING 1
           )
           SELECT count(*) AS "added!" FROM inserted"#,
        product_id,
        sealer.current_key_id(),
        &sealed,
        &fingerprints,
        added_by
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(StockAdded {
        added,
        duplicates: items.len() as i64 - added,
        counts: counts(conn, product_id).await?,
    })
}

/// Removes every item not yet reserved or sold (a wrong batch, a supplier
/// recall); returns how many went.
pub async fn discard_available(
    conn: &mut PgConnection,
    product_id: i64,
) -> Result<i64, CatalogError> {
    digital_product(&mut *conn, product_id).await?;
    let discarded = sqlx::query!(
        "DELETE FROM digital_stock_item WHERE product_id = $1 AND status = 'available'",
        product_id
    )
    .execute(conn)
    .await?;
    Ok(discarded.rows_affected() as i64)
}

/// Opens one item; for delivery and for tests that prove the sealing.
pub async fn open_item(
    conn: &mut PgConnection,
    sealer: &Sealer,
    item_id: i64,
) -> Result<String, CatalogError> {
    let row = sqlx::query!(
        "SELECT key_id, sealed FROM digital_stock_item WHERE id = $1",
        item_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(CatalogError::NotFound("no such stock item"))?;
    let bytes = sealer.open(&domain::Sealed {
        key_id: row.key_id,
        bytes: row.sealed,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
