//! Staff editing of products, their prices and their stock. Each change is
//! audited with the whole product before and after.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use billing::catalog::product::{
    self, ListingInput, NewProduct, StaffFilter, StaffProduct, StaffProductRow,
};
use billing::catalog::stock::{self, StockAdded, StockCounts, StockUpload};
use billing::catalog::{PriceInput, ProductKind, SpecInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{CatalogEditors, ProductCreators, TechnicalEditors, audited, commit};
use crate::auth::{Auth, StaffOnly};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_products)
        .service(create_product)
        .service(get_product)
        .service(update_listing)
        .service(update_spec)
        .service(replace_prices)
        .service(delete_product)
        .service(get_stock)
        .service(add_stock)
        .service(add_stock_from_workbook)
        .service(discard_stock);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StaffProductQuery {
    pub kind: Option<ProductKind>,
    pub category_id: Option<i64>,
    /// Part of the name or slug.
    pub q: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// 50 when absent.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffProductPage {
    pub items: Vec<StaffProductRow>,
    pub total: i64,
    pub page: i64,
    pub limit: i64,
}

/// Every product, hidden ones included.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listStaffProducts",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    params(StaffProductQuery),
    responses((status = 200, description = "One page of products", body = StaffProductPage))
)]
#[get("/api/v1/staff/catalog/products")]
async fn list_products(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
    query: web::Query<StaffProductQuery>,
) -> Result<web::Json<StaffProductPage>, ApiError> {
    let query = query.into_inner();
    let filter = StaffFilter {
        kind: query.kind,
        category_id: query.category_id,
        search: query.q,
        page: query.page.unwrap_or(1).clamp(1, 100_000),
        limit: query.limit.unwrap_or(50).clamp(1, domain::PAGE_SIZE_MAX),
    };
    let mut conn = state.pool.acquire().await?;
    let (items, total) = product::list(&mut conn, &filter).await?;
    Ok(web::Json(StaffProductPage {
        items,
        total,
        page: filter.page,
        limit: filter.limit,
    }))
}

/// Add a product, with its first prices if given.
#[utoipa::path(
    tag = "catalog",
    operation_id = "createProduct",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business", "sysadmin"]))),
    request_body = NewProduct,
    responses(
        (status = 201, description = "Added", body = StaffProduct),
        (status = 409, description = "The slug or TLD is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/catalog/products")]
async fn create_product(
    auth: Auth<ProductCreators>,
    state: web::Data<AppState>,
    body: web::Json<NewProduct>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = product::create(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        "product.created",
        "product",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::Created().json(created))
}

/// One product with every tier's prices.
#[utoipa::path(
    tag = "catalog",
    operation_id = "getStaffProduct",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = StaffProduct),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/catalog/products/{id}")]
async fn get_product(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<StaffProduct>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(product::find(&mut conn, *id).await?))
}

/// Change how a product is listed: names, texts, category, visibility, order.
#[utoipa::path(
    tag = "catalog",
    operation_id = "updateProductListing",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Product id")),
    request_body = ListingInput,
    responses(
        (status = 200, description = "Saved", body = StaffProduct),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/catalog/products/{id}")]
async fn update_listing(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ListingInput>,
) -> Result<web::Json<StaffProduct>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = product::find(&mut tx, *id).await?;
    let after = product::update_listing(&mut tx, *id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "product.listing_updated",
        "product",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(after))
}

/// Change a product's technical attributes (its kind stays).
#[utoipa::path(
    tag = "catalog",
    operation_id = "updateProductSpec",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "Product id")),
    request_body = SpecInput,
    responses(
        (status = 200, description = "Saved", body = StaffProduct),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another domain product sells this TLD", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/catalog/products/{id}/spec")]
async fn update_spec(
    auth: Auth<TechnicalEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<SpecInput>,
) -> Result<web::Json<StaffProduct>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = product::find(&mut tx, *id).await?;
    let after = product::update_spec(&mut tx, *id, before.kind, &body).await?;
    audited(
        &mut tx,
        &auth,
        "product.spec_updated",
        "product",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(after))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceTable {
    /// Every price of the product; the ones not listed are removed.
    pub prices: Vec<PriceInput>,
}

/// Replace a product's prices (every tier, currency and cycle at once).
#[utoipa::path(
    tag = "catalog",
    operation_id = "replaceProductPrices",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Product id")),
    request_body = PriceTable,
    responses(
        (status = 200, description = "Saved", body = StaffProduct),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/catalog/products/{id}/prices")]
async fn replace_prices(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<PriceTable>,
) -> Result<web::Json<StaffProduct>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = product::find(&mut tx, *id).await?;
    let after = product::replace_prices(&mut tx, *id, before.kind, &body.prices).await?;
    audited(
        &mut tx,
        &auth,
        "product.prices_replaced",
        "product",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(after))
}

/// Delete a product with its prices and unsold stock.
#[utoipa::path(
    tag = "catalog",
    operation_id = "deleteProduct",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/catalog/products/{id}")]
async fn delete_product(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = product::find(&mut tx, *id).await?;
    product::delete(&mut tx, *id).await?;
    audited(
        &mut tx,
        &auth,
        "product.deleted",
        "product",
        *id,
        Some(&before),
        None,
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How many items of a digital product are in stock, reserved and sold.
#[utoipa::path(
    tag = "catalog",
    operation_id = "getProductStock",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "Counts (the items are never shown)", body = StockCounts),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a digital product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/catalog/products/{id}/stock")]
async fn get_stock(
    _auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<StockCounts>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(stock::digital_counts(&mut conn, *id).await?))
}

/// Add codes or account credentials to a digital product's stock; each is
/// sealed before it is stored, and one already held is skipped.
#[utoipa::path(
    tag = "catalog",
    operation_id = "addProductStock",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Product id")),
    request_body = StockUpload,
    responses(
        (status = 200, description = "Added", body = StockAdded),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a digital product, or bad items", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/catalog/products/{id}/stock")]
async fn add_stock(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<StockUpload>,
) -> Result<web::Json<StockAdded>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let added = stock::add(
        &mut tx,
        &state.sealer,
        *id,
        &body,
        Some(auth.principal.user_id),
    )
    .await?;
    // The counts, never the items: the audit log is read by people too.
    audited(
        &mut tx,
        &auth,
        "product.stock_added",
        "product",
        *id,
        None,
        Some(&added),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(added))
}

/// A stock workbook is a list: a few hundred KB even for 10,000 accounts.
const STOCK_WORKBOOK_MAX_BYTES: usize = 2 * 1024 * 1024;

/// Add stock from an `.xlsx` (the raw file as the body): one code or
/// account per row in the first column of the first sheet, as a supplier's
/// list arrives. Sealed and counted like pasted stock.
#[utoipa::path(
    tag = "catalog",
    operation_id = "addProductStockFromWorkbook",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Product id")),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The workbook, at most 2 MiB"),
    responses(
        (status = 200, description = "Added", body = StockAdded),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 2 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not sent as an .xlsx or octet-stream body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a digital product, not an .xlsx (`not_xlsx`), unsafe (`unsafe_workbook`), damaged, more than 10,000 items (`too_many_rows`) or bad items", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/catalog/products/{id}/stock/xlsx")]
async fn add_stock_from_workbook(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<StockAdded>, ApiError> {
    let bytes =
        super::super::upload::xlsx_body(&request, payload, STOCK_WORKBOOK_MAX_BYTES).await?;
    let items = web::block(move || {
        monitoring::spreadsheet::list::first_column(
            &bytes,
            billing::catalog::bounds::STOCK_ITEMS_PER_UPLOAD,
        )
    })
    .await
    .map_err(|error| ApiError::Internal(anyhow::anyhow!(error.to_string())))?
    .map_err(monitoring::MonitoringError::from)?;
    let upload = StockUpload { items };
    let mut tx = state.pool.begin().await?;
    let added = stock::add(
        &mut tx,
        &state.sealer,
        *id,
        &upload,
        Some(auth.principal.user_id),
    )
    .await?;
    audited(
        &mut tx,
        &auth,
        "product.stock_added",
        "product",
        *id,
        None,
        Some(&added),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(added))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockDiscarded {
    pub discarded: i64,
}

/// Remove every item not yet reserved or sold.
#[utoipa::path(
    tag = "catalog",
    operation_id = "discardProductStock",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, description = "Removed", body = StockDiscarded),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a digital product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/catalog/products/{id}/stock")]
async fn discard_stock(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<StockDiscarded>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let discarded = StockDiscarded {
        discarded: stock::discard_available(&mut tx, *id).await?,
    };
    audited(
        &mut tx,
        &auth,
        "product.stock_discarded",
        "product",
        *id,
        None,
        Some(&discarded),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(discarded))
}
