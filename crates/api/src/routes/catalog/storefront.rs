//! Public reads of the catalog: anyone may browse; a signed-in client sees
//! their own tier's prices.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use billing::catalog::ProductKind;
use billing::catalog::cache::{PageKey, StorefrontCache};
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

/// Answers from the replica's storefront cache when it holds the page for
/// the caller's tier, else reads the database and keeps the answer (unless
/// it is a text search: those are too many to keep). `read` gives the
/// page; `pick` what of it the client gets (a product page is the one
/// product of a one-item page).
async fn cached<T: serde::Serialize>(
    cache: &StorefrontCache,
    buyer: Buyer,
    query: Option<String>,
    read: impl AsyncFnOnce() -> Result<CatalogPage, ApiError>,
    pick: impl FnOnce(CatalogPage) -> Result<T, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let key = match (&query, cache.tier(buyer)) {
        (Some(query), Some(group_id)) => Some(PageKey {
            group_id,
            query: query.clone(),
        }),
        _ => None,
    };
    if let Some(json) = key.as_ref().and_then(|key| cache.page(key)) {
        return Ok(json_response(json));
    }
    let generation = cache.generation();
    let page = read().await?;
    let group_id = page.tier_id;
    let json = Bytes::from(
        serde_json::to_vec(&pick(page)?).map_err(|error| ApiError::Internal(error.into()))?,
    );
    let entry = query.map(|query| (PageKey { group_id, query }, json.clone()));
    cache.store(generation, buyer, group_id, entry);
    Ok(json_response(json))
}

fn json_response(json: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json)
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
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let currency = currency(query.currency.as_deref())?;
    let lang = query.lang.unwrap_or_default();
    let page = PageRequest {
        page: query.page.unwrap_or(1).clamp(1, 100_000),
        limit: query
            .limit
            .unwrap_or(PAGE_SIZE_DEFAULT)
            .clamp(1, domain::PAGE_SIZE_MAX),
    };
    let filter = StorefrontFilter {
        kind: query.kind,
        category: query.category,
        region: query.region,
        search: query.q,
        slug: None,
    };
    let cache_key = filter.search.is_none().then(|| {
        format!(
            "list|{:?}|{:?}|{:?}|{currency}|{}|{}|{}",
            filter.kind.map(ProductKind::as_str),
            filter.category,
            filter.region,
            lang.as_str(),
            page.page,
            page.limit
        )
    });
    let buyer = buyer(&caller);
    cached(
        &state.storefront_cache,
        buyer,
        cache_key,
        async || {
            let mut conn = state.pool.acquire().await?;
            Ok(storefront::list(&mut conn, buyer, currency, lang, &filter, page).await?)
        },
        Ok,
    )
    .await
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
) -> Result<HttpResponse, ApiError> {
    let currency = currency(query.currency.as_deref())?;
    let lang = query.lang.unwrap_or_default();
    let slug = slug.into_inner();
    // A slug is a product's own name: one entry per product, bounded by the
    // catalog (an unknown slug is a 404, never kept).
    let cache_key = format!("product|{slug}|{currency}|{}", lang.as_str());
    let buyer = buyer(&caller);
    let filter = StorefrontFilter {
        slug: Some(slug),
        ..StorefrontFilter::default()
    };
    cached(
        &state.storefront_cache,
        buyer,
        Some(cache_key),
        async || {
            let mut conn = state.pool.acquire().await?;
            let one = PageRequest { page: 1, limit: 1 };
            Ok(storefront::list(&mut conn, buyer, currency, lang, &filter, one).await?)
        },
        |mut page| {
            page.items
                .pop()
                .ok_or_else(|| ApiError::NotFound("no such product on sale".to_owned()))
        },
    )
    .await
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
