//! The storefront's view of the catalog: visible products in visible
//! categories, texts in the visitor's language, and each product's offers —
//! one per billing cycle — at the caller's tier. A cycle the caller's group
//! has no price for falls back to the default group's; a product with no
//! price at all in the asked currency is not offered in it and not listed.
//! One statement resolves the tier and reads the page, so a listing costs
//! one round trip.

use domain::Currency;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::CatalogError;
use super::group::{self, Buyer};
use super::price::BillingCycle;
use super::spec::{ProductKind, ProductSpec};
pub use crate::Lang;

/// What a buyer pays for one cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Offer {
    pub cycle: BillingCycle,
    pub price_minor: i64,
    /// Charged with the first invoice only.
    pub setup_fee_minor: i64,
    /// Domains: a year's renewal.
    pub renew_minor: Option<i64>,
    /// Domains: a transfer in.
    pub transfer_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CategoryRef {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ListItem {
    pub code: String,
    pub name: String,
}

/// A product on the storefront, priced for the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CatalogProduct {
    pub id: i64,
    pub kind: ProductKind,
    pub slug: String,
    pub category: Option<CategoryRef>,
    pub name: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub spec: ProductSpec,
    /// Active regions it is sold in (VPS).
    pub regions: Vec<ListItem>,
    /// Active OS templates offered (VPS).
    pub os_templates: Vec<ListItem>,
    pub featured: bool,
    /// The offers' currency.
    #[schema(value_type = String, example = "IDR")]
    pub currency: Currency,
    /// One per billing cycle the product is sold in, shortest first.
    pub offers: Vec<Offer>,
    /// Digital goods: items left (never the items themselves).
    pub stock_available: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct StorefrontFilter {
    pub kind: Option<ProductKind>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub search: Option<String>,
    /// One product by its slug.
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// From 1.
    pub page: i64,
    pub limit: i64,
}

/// One page of the storefront and the tier it was priced at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CatalogPage {
    pub items: Vec<CatalogProduct>,
    /// Products matching the filter, over all pages.
    pub total: i64,
    pub page: i64,
    pub limit: i64,
    /// The customer group whose prices are shown.
    pub tier: String,
    /// That group's id, for caching by tier.
    #[serde(skip)]
    pub tier_id: i64,
}

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, CatalogError> {
    serde_json::from_value(value).map_err(|error| CatalogError::Corrupt(error.to_string()))
}

/// Escapes `%`, `_` and `\` so a search matches them literally.
pub(crate) fn like_pattern(search: Option<&str>) -> Option<String> {
    let search = search.map(str::trim).filter(|search| !search.is_empty())?;
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(format!("%{escaped}%"))
}

/// A page of the storefront for `buyer`, in `currency` and `lang`.
pub async fn list(
    conn: &mut PgConnection,
    buyer: Buyer,
    currency: Currency,
    lang: Lang,
    filter: &StorefrontFilter,
    page: PageRequest,
) -> Result<CatalogPage, CatalogError> {
    let (user_id, reseller_role) = match buyer {
        Buyer::Anonymous => (None, false),
        Buyer::Client {
            user_id,
            reseller_role,
        } => (Some(user_id), reseller_role),
    };
    let rows = sqlx::query!(
        r#"WITH tier AS (
               SELECT g.id, g.code, d.id AS default_id
               FROM customer_group d
               JOIN customer_group g ON g.id = COALESCE(
                   (SELECT group_id FROM customer_group_member WHERE user_id = $1),
                   (SELECT id FROM customer_group WHERE code = 'reseller' AND $2),
                   d.id)
               WHERE d.is_default
           ),
           offer AS (
               SELECT DISTINCT ON (pp.product_id, pp.cycle)
                      pp.product_id, pp.cycle, pp.price_minor, pp.setup_fee_minor,
                      pp.renew_minor, pp.transfer_minor
               FROM product_price pp, tier t
               WHERE pp.currency = $3 AND pp.group_id IN (t.id, t.default_id)
               ORDER BY pp.product_id, pp.cycle, pp.group_id = t.id DESC
           ),
           offered AS (
               SELECT o.product_id,
                      jsonb_agg(jsonb_build_object(
                          'cycle', o.cycle, 'price_minor', o.price_minor,
                          'setup_fee_minor', o.setup_fee_minor, 'renew_minor', o.renew_minor,
                          'transfer_minor', o.transfer_minor)
                        ORDER BY array_position(ARRAY['one_time','monthly','quarterly','semi_annual','annual'], o.cycle)
                      ) AS offers
               FROM offer o GROUP BY o.product_id
           )
           SELECT p.id, p.kind, p.slug, p.spec, p.featured, f.offers AS "offers!",
                  c.slug AS "category_slug?",
                  CASE WHEN $4 = 'en' THEN COALESCE(c.name_en, c.name_id) ELSE c.name_id END AS category_name,
                  CASE WHEN $4 = 'en' THEN COALESCE(p.name_en, p.name_id) ELSE p.name_id END AS "name!",
                  CASE WHEN $4 = 'en' THEN COALESCE(p.summary_en, p.summary_id) ELSE p.summary_id END AS summary,
                  CASE WHEN $4 = 'en' THEN COALESCE(p.description_en, p.description_id) ELSE p.description_id END AS description,
                  COALESCE((SELECT jsonb_agg(jsonb_build_object('code', r.code, 'name', r.name) ORDER BY r.sort_order, r.name)
                            FROM product_region pr JOIN region r ON r.id = pr.region_id
                            WHERE pr.product_id = p.id AND r.active), '[]'::jsonb) AS "regions!",
                  COALESCE((SELECT jsonb_agg(jsonb_build_object('code', t.code, 'name', t.name) ORDER BY t.sort_order, t.name)
                            FROM product_os_template pt JOIN os_template t ON t.id = pt.os_template_id
                            WHERE pt.product_id = p.id AND t.active), '[]'::jsonb) AS "os_templates!",
                  CASE WHEN p.kind = 'digital' THEN
                      (SELECT count(*) FROM digital_stock_item s WHERE s.product_id = p.id AND s.status = 'available')
                  END AS stock_available,
                  (SELECT code FROM tier) AS "tier!",
                  (SELECT id FROM tier) AS "tier_id!",
                  count(*) OVER () AS "total!"
           FROM product p
           JOIN offered f ON f.product_id = p.id
           LEFT JOIN product_category c ON c.id = p.category_id
           WHERE p.visible AND (c.id IS NULL OR c.visible)
             AND ($5::text IS NULL OR p.kind = $5)
             AND ($6::text IS NULL OR c.slug = $6)
             AND ($7::text IS NULL OR EXISTS (
                     SELECT 1 FROM product_region pr JOIN region r ON r.id = pr.region_id
                     WHERE pr.product_id = p.id AND r.code = $7 AND r.active))
             AND ($8::text IS NULL OR p.name_id ILIKE $8 OR p.name_en ILIKE $8 OR p.slug ILIKE $8)
             AND ($9::text IS NULL OR p.slug = $9)
           ORDER BY p.featured DESC, p.sort_order, p.id
           LIMIT $10 OFFSET $11"#,
        user_id,
        reseller_role,
        currency.code(),
        lang.as_str(),
        filter.kind.map(ProductKind::as_str),
        filter.category,
        filter.region,
        like_pattern(filter.search.as_deref()),
        filter.slug,
        page.limit,
        (page.page - 1) * page.limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let total = rows.first().map_or(0, |row| row.total);
    let (tier, tier_id) = match rows.first() {
        Some(row) => (row.tier.clone(), row.tier_id),
        // No product matched: the tier still answers who is looking.
        None => {
            let group = group::tier_of(conn, buyer).await?;
            (group.code, group.id)
        }
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let Ok(kind) = row.kind.parse::<ProductKind>() else {
            return Err(CatalogError::Corrupt(format!(
                "product kind `{}`",
                row.kind
            )));
        };
        items.push(CatalogProduct {
            id: row.id,
            kind,
            slug: row.slug,
            category: row.category_slug.map(|slug| CategoryRef {
                slug,
                name: row.category_name.unwrap_or_default(),
            }),
            name: row.name,
            summary: row.summary,
            description: row.description,
            spec: decode(row.spec)?,
            regions: decode(row.regions)?,
            os_templates: decode(row.os_templates)?,
            featured: row.featured,
            currency,
            offers: decode(row.offers)?,
            stock_available: row.stock_available,
        });
    }
    Ok(CatalogPage {
        items,
        total,
        page: page.page,
        limit: page.limit,
        tier,
        tier_id,
    })
}

/// One product by slug, priced for `buyer`; not found when hidden or not
/// priced in `currency`.
pub async fn product(
    conn: &mut PgConnection,
    buyer: Buyer,
    currency: Currency,
    lang: Lang,
    slug: &str,
) -> Result<CatalogProduct, CatalogError> {
    let filter = StorefrontFilter {
        slug: Some(slug.to_owned()),
        ..StorefrontFilter::default()
    };
    list(
        conn,
        buyer,
        currency,
        lang,
        &filter,
        PageRequest { page: 1, limit: 1 },
    )
    .await?
    .items
    .pop()
    .ok_or(CatalogError::NotFound("no such product on sale"))
}

/// The register/renew/transfer price of each TLD the shop sells, for the
/// domain check: `(tld, offer)`.
pub async fn domain_offers(
    conn: &mut PgConnection,
    buyer: Buyer,
    currency: Currency,
) -> Result<Vec<(String, Offer)>, CatalogError> {
    let filter = StorefrontFilter {
        kind: Some(ProductKind::Domain),
        ..StorefrontFilter::default()
    };
    let page = list(
        conn,
        buyer,
        currency,
        Lang::Id,
        &filter,
        PageRequest {
            page: 1,
            limit: 500,
        },
    )
    .await?;
    Ok(page
        .items
        .into_iter()
        .filter_map(|product| {
            let ProductSpec::Domain(spec) = product.spec else {
                return None;
            };
            let offer = product
                .offers
                .into_iter()
                .find(|offer| offer.cycle == BillingCycle::Annual)?;
            Some((spec.tld, offer))
        })
        .collect())
}
