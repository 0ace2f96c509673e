//! Staff editing of products. The listing side (names, texts, category,
//! visibility, order) and the prices are the business role's; the technical
//! attributes ([`super::spec`]) the sysadmins'. Each write checks its whole
//! input first and writes nothing when any field is wrong.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::CatalogError;
use super::bounds;
use super::group;
use super::price::{self, PriceInput, ProductPrice};
use super::spec::{ProductKind, ProductSpec, SpecInput};
use super::stock::{self, StockCounts};
use super::text;

/// How a product is shown: names and texts in Indonesian (required) and
/// English (optional), its category, whether and where it is listed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ListingInput {
    /// Lowercase, digits and `-`: the product's address on the storefront.
    pub slug: String,
    pub category_id: Option<i64>,
    pub name_id: String,
    pub name_en: Option<String>,
    /// One line under the name.
    pub summary_id: Option<String>,
    pub summary_en: Option<String>,
    /// Plain text, paragraphs separated by blank lines.
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    /// Listed on the storefront; true when absent.
    pub visible: Option<bool>,
    /// Shown first and on the home page; false when absent.
    pub featured: Option<bool>,
    /// Lower first; 0 when absent.
    pub sort_order: Option<i64>,
}

/// A new product: its kind, listing, technical attributes and (optionally)
/// its first prices.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewProduct {
    /// `vps`, `hosting`, `domain`, `digital`, `data_package` or `internet`.
    pub kind: String,
    #[serde(flatten)]
    pub listing: ListingInput,
    #[serde(default)]
    pub spec: SpecInput,
    pub prices: Option<Vec<PriceInput>>,
}

/// A product as staff see it: everything, every tier's prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaffProduct {
    pub id: i64,
    pub kind: ProductKind,
    pub slug: String,
    pub category_id: Option<i64>,
    pub name_id: String,
    pub name_en: Option<String>,
    pub summary_id: Option<String>,
    pub summary_en: Option<String>,
    pub description_id: Option<String>,
    pub description_en: Option<String>,
    pub spec: ProductSpec,
    /// Region codes (VPS).
    pub regions: Vec<String>,
    /// OS template codes (VPS).
    pub os_templates: Vec<String>,
    pub visible: bool,
    pub featured: bool,
    pub sort_order: i32,
    pub prices: Vec<ProductPrice>,
    /// Digital goods only.
    pub stock: Option<StockCounts>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One row of the staff product list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaffProductRow {
    pub id: i64,
    pub kind: ProductKind,
    pub slug: String,
    pub name_id: String,
    pub category_id: Option<i64>,
    pub visible: bool,
    pub featured: bool,
    pub sort_order: i32,
    /// Prices set, over every tier, currency and cycle.
    pub price_count: i64,
    /// The default tier's lowest IDR price, to see at a glance.
    pub from_price_idr: Option<i64>,
    /// Digital goods: items in stock.
    pub stock_available: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    pub kind: Option<ProductKind>,
    pub category_id: Option<i64>,
    pub search: Option<String>,
    pub page: i64,
    pub limit: i64,
}

struct ValidListing {
    slug: String,
    category_id: Option<i64>,
    name_id: String,
    name_en: Option<String>,
    summary_id: Option<String>,
    summary_en: Option<String>,
    description_id: Option<String>,
    description_en: Option<String>,
    visible: bool,
    featured: bool,
    sort_order: i32,
}

impl ListingInput {
    fn validate(&self, errors: &mut ValidationErrors) -> Option<ValidListing> {
        let slug = text::slug(errors, "slug", &self.slug, bounds::SLUG_MAX_CHARS);
        let name_id = text::required(
            errors,
            "name_id",
            Some(&self.name_id),
            bounds::NAME_MAX_CHARS,
        );
        let name_en = text::optional(
            errors,
            "name_en",
            self.name_en.as_deref(),
            bounds::NAME_MAX_CHARS,
        );
        let summary_id = text::optional(
            errors,
            "summary_id",
            self.summary_id.as_deref(),
            bounds::SUMMARY_MAX_CHARS,
        );
        let summary_en = text::optional(
            errors,
            "summary_en",
            self.summary_en.as_deref(),
            bounds::SUMMARY_MAX_CHARS,
        );
        let description_id = text::optional(
            errors,
            "description_id",
            self.description_id.as_deref(),
            bounds::DESCRIPTION_MAX_CHARS,
        );
        let description_en = text::optional(
            errors,
            "description_en",
            self.description_en.as_deref(),
            bounds::DESCRIPTION_MAX_CHARS,
        );
        let sort_order = text::sort_order(errors, self.sort_order);
        Some(ValidListing {
            slug: slug?,
            category_id: self.category_id,
            name_id: name_id?,
            name_en,
            summary_id,
            summary_en,
            description_id,
            description_en,
            visible: self.visible.unwrap_or(true),
            featured: self.featured.unwrap_or(false),
            sort_order,
        })
    }
}

async fn check_category(
    conn: &mut PgConnection,
    category_id: Option<i64>,
    errors: &mut ValidationErrors,
) -> Result<(), CatalogError> {
    let Some(id) = category_id else {
        return Ok(());
    };
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM product_category WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(conn)
    .await?;
    if !exists {
        errors.add("category_id", "unknown", "no such category");
    }
    Ok(())
}

/// Ids of the region and template codes; unknown codes are field errors.
async fn resolve_lists(
    conn: &mut PgConnection,
    spec: &SpecInput,
    errors: &mut ValidationErrors,
) -> Result<(Vec<i64>, Vec<i64>), CatalogError> {
    let (region_codes, template_codes) = (spec.region_codes(), spec.os_template_codes());
    let regions: HashMap<String, i64> = sqlx::query!(
        "SELECT code, id FROM region WHERE code = ANY($1)",
        &region_codes
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| (row.code, row.id))
    .collect();
    let templates: HashMap<String, i64> = sqlx::query!(
        "SELECT code, id FROM os_template WHERE code = ANY($1)",
        &template_codes
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|row| (row.code, row.id))
    .collect();
    let mut ids = |field: &str, codes: &[String], known: &HashMap<String, i64>| {
        codes
            .iter()
            .filter_map(|code| {
                let id = known.get(code).copied();
                if id.is_none() {
                    errors.add(field, "unknown", format!("no `{code}` in the list"));
                }
                id
            })
            .collect::<Vec<i64>>()
    };
    let region_ids = ids("spec.regions", &region_codes, &regions);
    let template_ids = ids("spec.os_templates", &template_codes, &templates);
    Ok((region_ids, template_ids))
}

async fn link_lists(
    conn: &mut PgConnection,
    product_id: i64,
    region_ids: &[i64],
    template_ids: &[i64],
) -> Result<(), CatalogError> {
    sqlx::query!(
        "DELETE FROM product_region WHERE product_id = $1",
        product_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM product_os_template WHERE product_id = $1",
        product_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO product_region (product_id, region_id) SELECT $1, unnest($2::bigint[])",
        product_id,
        region_ids
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO product_os_template (product_id, os_template_id) SELECT $1, unnest($2::bigint[])",
        product_id,
        template_ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_prices(
    conn: &mut PgConnection,
    product_id: i64,
    prices: &[ProductPrice],
) -> Result<(), CatalogError> {
    sqlx::query!(
        "DELETE FROM product_price WHERE product_id = $1",
        product_id
    )
    .execute(&mut *conn)
    .await?;
    let groups: Vec<String> = prices.iter().map(|price| price.group.clone()).collect();
    let currencies: Vec<String> = prices
        .iter()
        .map(|price| price.currency.code().to_owned())
        .collect();
    let cycles: Vec<String> = prices
        .iter()
        .map(|price| price.cycle.as_str().to_owned())
        .collect();
    let amounts: Vec<i64> = prices.iter().map(|price| price.price_minor).collect();
    let setup_fees: Vec<i64> = prices.iter().map(|price| price.setup_fee_minor).collect();
    let renewals: Vec<Option<i64>> = prices.iter().map(|price| price.renew_minor).collect();
    let transfers: Vec<Option<i64>> = prices.iter().map(|price| price.transfer_minor).collect();
    sqlx::query!(
        "INSERT INTO product_price
             (product_id, group_id, currency, cycle, price_minor, setup_fee_minor, renew_minor, transfer_minor)
         SELECT $1, g.id, x.currency, x.cycle, x.price, x.setup, x.renew, x.transfer
         FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
              AS x(grp, currency, cycle, price, setup, renew, transfer)
         JOIN customer_group g ON g.code = x.grp",
        product_id,
        &groups,
        &currencies,
        &cycles,
        &amounts,
        &setup_fees,
        &renewals as &[Option<i64>],
        &transfers as &[Option<i64>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn create(
    conn: &mut PgConnection,
    input: &NewProduct,
) -> Result<StaffProduct, CatalogError> {
    let mut errors = ValidationErrors::new();
    let kind: Option<ProductKind> = errors.check("kind", "unknown", input.kind.parse());
    let listing = input.listing.validate(&mut errors);
    check_category(&mut *conn, input.listing.category_id, &mut errors).await?;
    let spec = kind.and_then(|kind| input.spec.validate(kind, &mut errors));
    let lists = resolve_lists(&mut *conn, &input.spec, &mut errors).await?;
    let prices = match (kind, &input.prices) {
        (Some(kind), Some(prices)) => {
            let groups = group::codes(&mut *conn).await?;
            price::validate_prices(kind, prices, &groups, &mut errors)
        }
        _ => Vec::new(),
    };
    errors.into_result()?;
    let (region_ids, template_ids) = lists;
    let (Some(listing), Some(spec)) = (listing, spec) else {
        return Err(ValidationErrors::single("kind", "required", "required").into());
    };
    let spec_json = spec_json(&spec)?;
    let id = sqlx::query_scalar!(
        "INSERT INTO product (kind, slug, category_id, name_id, name_en, summary_id, summary_en,
                              description_id, description_en, spec, visible, featured, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        spec.kind().as_str(),
        listing.slug,
        listing.category_id,
        listing.name_id,
        listing.name_en,
        listing.summary_id,
        listing.summary_en,
        listing.description_id,
        listing.description_en,
        spec_json,
        listing.visible,
        listing.featured,
        listing.sort_order
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(CatalogError::from_write)?;
    link_lists(&mut *conn, id, &region_ids, &template_ids).await?;
    write_prices(&mut *conn, id, &prices).await?;
    find(conn, id).await
}

pub async fn update_listing(
    conn: &mut PgConnection,
    id: i64,
    input: &ListingInput,
) -> Result<StaffProduct, CatalogError> {
    let mut errors = ValidationErrors::new();
    let listing = input.validate(&mut errors);
    check_category(&mut *conn, input.category_id, &mut errors).await?;
    errors.into_result()?;
    let Some(listing) = listing else {
        return Err(ValidationErrors::single("slug", "required", "required").into());
    };
    let updated = sqlx::query!(
        "UPDATE product SET slug = $2, category_id = $3, name_id = $4, name_en = $5, summary_id = $6,
                summary_en = $7, description_id = $8, description_en = $9, visible = $10,
                featured = $11, sort_order = $12
         WHERE id = $1",
        id,
        listing.slug,
        listing.category_id,
        listing.name_id,
        listing.name_en,
        listing.summary_id,
        listing.summary_en,
        listing.description_id,
        listing.description_en,
        listing.visible,
        listing.featured,
        listing.sort_order
    )
    .execute(&mut *conn)
    .await
    .map_err(CatalogError::from_write)?;
    if updated.rows_affected() == 0 {
        return Err(CatalogError::NotFound("no such product"));
    }
    find(conn, id).await
}

/// Replaces the technical attributes; the kind (read by the caller with the
/// product it audits) stays what it was.
pub async fn update_spec(
    conn: &mut PgConnection,
    id: i64,
    kind: ProductKind,
    input: &SpecInput,
) -> Result<StaffProduct, CatalogError> {
    let mut errors = ValidationErrors::new();
    let spec = input.validate(kind, &mut errors);
    let (region_ids, template_ids) = resolve_lists(&mut *conn, input, &mut errors).await?;
    errors.into_result()?;
    let Some(spec) = spec else {
        return Err(ValidationErrors::single("spec", "required", "required").into());
    };
    let spec_json = spec_json(&spec)?;
    sqlx::query!("UPDATE product SET spec = $2 WHERE id = $1", id, spec_json)
        .execute(&mut *conn)
        .await
        .map_err(CatalogError::from_write)?;
    link_lists(&mut *conn, id, &region_ids, &template_ids).await?;
    find(conn, id).await
}

/// Replaces the whole price table.
pub async fn replace_prices(
    conn: &mut PgConnection,
    id: i64,
    kind: ProductKind,
    inputs: &[PriceInput],
) -> Result<StaffProduct, CatalogError> {
    let groups = group::codes(&mut *conn).await?;
    let mut errors = ValidationErrors::new();
    let prices = price::validate_prices(kind, inputs, &groups, &mut errors);
    errors.into_result()?;
    write_prices(&mut *conn, id, &prices).await?;
    // The row's updated_at moves with its prices: caches and lists see it.
    sqlx::query!("UPDATE product SET updated_at = now() WHERE id = $1", id)
        .execute(&mut *conn)
        .await?;
    find(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), CatalogError> {
    let deleted = sqlx::query!("DELETE FROM product WHERE id = $1", id)
        .execute(conn)
        .await
        .map_err(CatalogError::from_write)?;
    if deleted.rows_affected() == 0 {
        return Err(CatalogError::NotFound("no such product"));
    }
    Ok(())
}

fn spec_json(spec: &ProductSpec) -> Result<serde_json::Value, CatalogError> {
    serde_json::to_value(spec).map_err(|error| CatalogError::Corrupt(error.to_string()))
}

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, CatalogError> {
    serde_json::from_value(value).map_err(|error| CatalogError::Corrupt(error.to_string()))
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<StaffProduct, CatalogError> {
    let row = sqlx::query!(
        r#"SELECT p.id, p.kind, p.slug, p.category_id, p.name_id, p.name_en, p.summary_id, p.summary_en,
                  p.description_id, p.description_en, p.spec, p.visible, p.featured, p.sort_order,
                  p.created_at, p.updated_at,
                  ARRAY(SELECT r.code FROM product_region pr JOIN region r ON r.id = pr.region_id
                        WHERE pr.product_id = p.id ORDER BY r.code) AS "regions!",
                  ARRAY(SELECT t.code FROM product_os_template pt JOIN os_template t ON t.id = pt.os_template_id
                        WHERE pt.product_id = p.id ORDER BY t.code) AS "os_templates!",
                  COALESCE((
                      SELECT jsonb_agg(jsonb_build_object(
                                 'group', g.code, 'currency', pp.currency, 'cycle', pp.cycle,
                                 'price_minor', pp.price_minor, 'setup_fee_minor', pp.setup_fee_minor,
                                 'renew_minor', pp.renew_minor, 'transfer_minor', pp.transfer_minor)
                             ORDER BY g.is_default DESC, g.code, pp.currency,
                                      array_position(ARRAY['one_time','monthly','quarterly','semi_annual','annual'], pp.cycle))
                      FROM product_price pp JOIN customer_group g ON g.id = pp.group_id
                      WHERE pp.product_id = p.id), '[]'::jsonb) AS "prices!"
           FROM product p WHERE p.id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(CatalogError::NotFound("no such product"))?;
    let kind: ProductKind = row
        .kind
        .parse()
        .map_err(|error: super::spec::UnknownKind| CatalogError::Corrupt(error.to_string()))?;
    let stock = match kind {
        ProductKind::Digital => Some(stock::counts(conn, id).await?),
        _ => None,
    };
    Ok(StaffProduct {
        id: row.id,
        kind,
        slug: row.slug,
        category_id: row.category_id,
        name_id: row.name_id,
        name_en: row.name_en,
        summary_id: row.summary_id,
        summary_en: row.summary_en,
        description_id: row.description_id,
        description_en: row.description_en,
        spec: decode(row.spec)?,
        regions: row.regions,
        os_templates: row.os_templates,
        visible: row.visible,
        featured: row.featured,
        sort_order: row.sort_order,
        prices: decode(row.prices)?,
        stock,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Staff's product list, newest edits last within the storefront order.
pub async fn list(
    conn: &mut PgConnection,
    filter: &StaffFilter,
) -> Result<(Vec<StaffProductRow>, i64), CatalogError> {
    let search = super::storefront::like_pattern(filter.search.as_deref());
    let rows = sqlx::query!(
        r#"SELECT p.id, p.kind, p.slug, p.name_id, p.category_id, p.visible, p.featured, p.sort_order, p.updated_at,
                  (SELECT count(*) FROM product_price pp WHERE pp.product_id = p.id) AS "price_count!",
                  (SELECT min(pp.price_minor) FROM product_price pp JOIN customer_group g ON g.id = pp.group_id
                   WHERE pp.product_id = p.id AND g.is_default AND pp.currency = 'IDR') AS from_price_idr,
                  CASE WHEN p.kind = 'digital' THEN
                      (SELECT count(*) FROM digital_stock_item s WHERE s.product_id = p.id AND s.status = 'available')
                  END AS stock_available,
                  count(*) OVER () AS "total!"
           FROM product p
           WHERE ($1::text IS NULL OR p.kind = $1)
             AND ($2::bigint IS NULL OR p.category_id = $2)
             AND ($3::text IS NULL OR p.name_id ILIKE $3 OR p.name_en ILIKE $3 OR p.slug ILIKE $3)
           ORDER BY p.featured DESC, p.sort_order, p.id
           LIMIT $4 OFFSET $5"#,
        filter.kind.map(ProductKind::as_str),
        filter.category_id,
        search,
        filter.limit,
        (filter.page - 1) * filter.limit
    )
    .fetch_all(conn)
    .await?;
    let total = rows.first().map_or(0, |row| row.total);
    let items = rows
        .into_iter()
        .filter_map(|row| {
            Some(StaffProductRow {
                id: row.id,
                kind: row.kind.parse().ok()?,
                slug: row.slug,
                name_id: row.name_id,
                category_id: row.category_id,
                visible: row.visible,
                featured: row.featured,
                sort_order: row.sort_order,
                price_count: row.price_count,
                from_price_idr: row.from_price_idr,
                stock_available: row.stock_available,
                updated_at: row.updated_at,
            })
        })
        .collect();
    Ok((items, total))
}
