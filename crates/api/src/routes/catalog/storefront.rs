//! Public reads of the catalog: anyone may browse; a signed-in client sees
//! their own tier's prices.

use actix_web::{get, web};
use billing::catalog::ProductKind;
use billing::catalog::category::{self, Category};
use billing::catalog::group::Buyer;
use billing::catalog::lists::{self, OsTemplate, Region};
use billing::catalog::storefront::{
    self, CatalogPage, CatalogProduct, Lang, PageRequest, StorefrontFilter,
};
use domain::Currency;
use identity::Role;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_products)
        .service(get_product)
        .service(list_categories)
        .service(list_regions)
        .service(list_os_templates);
}

/// Who the prices are for: a signed-in account by its tier, anyone else
/// at the default (member) tier.
pub(crate) fn buyer(caller: &Caller) -> Buyer {
    match &caller.0 {
        None => Buyer::Anonymous,
        Some(principal) => Buyer::Client {
            user_id: principal.user_id,
            reseller_role: principal.roles.contains(&Role::Reseller),
        },
    }
}

pub(crate) fn currency(value: Option<&str>) -> Result<Currency, ApiError> {
    match value {
        None | Some("") => Ok(Currency::Idr),
        Some(code) => code.parse().map_err(|error: domain::MoneyError| {
            ApiError::Validation(domain::ValidationErrors::single(
                "currency",
                "unknown",
                error.to_string(),
            ))
        }),
    }
}

const PAGE_SIZE_DEFAULT: i64 = 20;

#[derive(Debug, Deserialize, IntoParams)]
pub struct CatalogQuery {
    /// Only products of this kind.
    pub kind: Option<ProductKind>,
    /// A category's slug.
    pub category: Option<String>,
    /// A region's code: VPS sold there.
    pub region: Option<String>,
    /// Part of the name or slug.
    pub q: Option<String>,
    /// `IDR` (default) or `USD`; products without a price in it are not listed.
    pub currency: Option<String>,
    /// `id` (default) or `en`.
    pub lang: Option<Lang>,
    /// From 1.
    pub page: Option<i64>,
    /// Products per page, 20 when absent.
    pub limit: Option<i64>,
}

/// The storefront: visible products priced for the caller.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listCatalogProducts",
    params(CatalogQuery),
    responses(
        (status = 200, description = "One page, priced at the caller's tier", body = CatalogPage),
        (status = 422, description = "Unknown currency", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/catalog/products")]
async fn list_products(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CatalogQuery>,
) -> Result<web::Json<CatalogPage>, ApiError> {
    let query = query.into_inner();
    let currency = currency(query.currency.as_deref())?;
    let filter = StorefrontFilter {
        kind: query.kind,
        category: query.category,
        region: query.region,
        search: query.q,
        slug: None,
    };
    let page = PageRequest {
        page: query.page.unwrap_or(1).clamp(1, 100_000),
        limit: query
            .limit
            .unwrap_or(PAGE_SIZE_DEFAULT)
            .clamp(1, domain::PAGE_SIZE_MAX),
    };
    let mut conn = state.pool.acquire().await?;
    let lang = query.lang.unwrap_or_default();
    let page = storefront::list(&mut conn, buyer(&caller), currency, lang, &filter, page).await?;
    Ok(web::Json(page))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProductQuery {
    /// `IDR` (default) or `USD`.
    pub currency: Option<String>,
    /// `id` (default) or `en`.
    pub lang: Option<Lang>,
}

/// One product, priced for the caller.
#[utoipa::path(
    tag = "catalog",
    operation_id = "getCatalogProduct",
    params(("slug" = String, Path, description = "The product's slug"), ProductQuery),
    responses(
        (status = 200, description = "The product", body = CatalogProduct),
        (status = 404, description = "No such product on sale (hidden, or not priced in this currency)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown currency", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/catalog/products/{slug}")]
async fn get_product(
    caller: Caller,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<ProductQuery>,
) -> Result<web::Json<CatalogProduct>, ApiError> {
    let currency = currency(query.currency.as_deref())?;
    let mut conn = state.pool.acquire().await?;
    let lang = query.lang.unwrap_or_default();
    let product = storefront::product(&mut conn, buyer(&caller), currency, lang, &slug).await?;
    Ok(web::Json(product))
}

/// Visible categories, in storefront order.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listCatalogCategories",
    responses((status = 200, description = "Categories", body = Vec<Category>))
)]
#[get("/api/v1/catalog/categories")]
async fn list_categories(state: web::Data<AppState>) -> Result<web::Json<Vec<Category>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(category::list(&mut conn, true).await?))
}

/// Regions VPS are sold in.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listCatalogRegions",
    responses((status = 200, description = "Active regions", body = Vec<Region>))
)]
#[get("/api/v1/catalog/regions")]
async fn list_regions(state: web::Data<AppState>) -> Result<web::Json<Vec<Region>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(lists::list_regions(&mut conn, true).await?))
}

/// OS templates a VPS can be installed with.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listCatalogOsTemplates",
    responses((status = 200, description = "Active OS templates", body = Vec<OsTemplate>))
)]
#[get("/api/v1/catalog/os-templates")]
async fn list_os_templates(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<OsTemplate>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(lists::list_os_templates(&mut conn, true).await?))
}
