//! The lists products point at: categories (the business side's), regions
//! and OS templates (the sysadmins'). Staff read them all, hidden and
//! inactive entries included; every change is audited.

use actix_web::{HttpResponse, delete, get, post, put, web};
use billing::catalog::category::{self, Category, CategoryInput};
use billing::catalog::lists::{self, OsTemplate, OsTemplateInput, Region, RegionInput};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{CatalogEditors, TechnicalEditors, audited, commit};
use crate::auth::{Auth, StaffOnly};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_categories)
        .service(create_category)
        .service(update_category)
        .service(delete_category)
        .service(list_regions)
        .service(create_region)
        .service(update_region)
        .service(delete_region)
        .service(list_os_templates)
        .service(create_os_template)
        .service(update_os_template)
        .service(delete_os_template);
}

/// Every category, hidden ones included.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listStaffCategories",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    responses((status = 200, description = "Categories", body = Vec<Category>))
)]
#[get("/api/v1/staff/catalog/categories")]
async fn list_categories(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Category>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(category::list(&mut conn, false).await?))
}

/// Add a category.
#[utoipa::path(
    tag = "catalog",
    operation_id = "createCategory",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    request_body = CategoryInput,
    responses(
        (status = 201, description = "Added", body = Category),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/catalog/categories")]
async fn create_category(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    body: web::Json<CategoryInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = category::create(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        "category.created",
        "product_category",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Change a category.
#[utoipa::path(
    tag = "catalog",
    operation_id = "updateCategory",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Category id")),
    request_body = CategoryInput,
    responses(
        (status = 200, description = "Saved", body = Category),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/catalog/categories/{id}")]
async fn update_category(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<CategoryInput>,
) -> Result<web::Json<Category>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = category::find(&mut tx, *id).await?;
    let after = category::update(&mut tx, *id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "category.updated",
        "product_category",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(after))
}

/// Delete a category that has no products.
#[utoipa::path(
    tag = "catalog",
    operation_id = "deleteCategory",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Category id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The category still has products", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/catalog/categories/{id}")]
async fn delete_category(
    auth: Auth<CatalogEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = category::find(&mut tx, *id).await?;
    category::delete(&mut tx, *id).await?;
    audited(
        &mut tx,
        &auth,
        "category.deleted",
        "product_category",
        *id,
        Some(&before),
        None,
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every region, inactive ones included.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listStaffRegions",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    responses((status = 200, description = "Regions", body = Vec<Region>))
)]
#[get("/api/v1/staff/catalog/regions")]
async fn list_regions(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Region>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(lists::list_regions(&mut conn, false).await?))
}

/// Add a region.
#[utoipa::path(
    tag = "catalog",
    operation_id = "createRegion",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    request_body = RegionInput,
    responses(
        (status = 201, description = "Added", body = Region),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/catalog/regions")]
async fn create_region(
    auth: Auth<TechnicalEditors>,
    state: web::Data<AppState>,
    body: web::Json<RegionInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = lists::create_region(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        "region.created",
        "region",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Change a region.
#[utoipa::path(
    tag = "catalog",
    operation_id = "updateRegion",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "Region id")),
    request_body = RegionInput,
    responses(
        (status = 200, description = "Saved", body = Region),
        (status = 404, description = "No such region", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/catalog/regions/{id}")]
async fn update_region(
    auth: Auth<TechnicalEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<RegionInput>,
) -> Result<web::Json<Region>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = lists::find_region(&mut tx, *id).await?;
    let after = lists::update_region(&mut tx, *id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "region.updated",
        "region",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(after))
}

/// Delete a region no product is sold in.
#[utoipa::path(
    tag = "catalog",
    operation_id = "deleteRegion",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "Region id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such region", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Products are sold in it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/catalog/regions/{id}")]
async fn delete_region(
    auth: Auth<TechnicalEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = lists::find_region(&mut tx, *id).await?;
    lists::delete_region(&mut tx, *id).await?;
    audited(
        &mut tx,
        &auth,
        "region.deleted",
        "region",
        *id,
        Some(&before),
        None,
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every OS template, inactive ones included.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listStaffOsTemplates",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    responses((status = 200, description = "OS templates", body = Vec<OsTemplate>))
)]
#[get("/api/v1/staff/catalog/os-templates")]
async fn list_os_templates(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<OsTemplate>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(lists::list_os_templates(&mut conn, false).await?))
}

/// Add an OS template.
#[utoipa::path(
    tag = "catalog",
    operation_id = "createOsTemplate",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    request_body = OsTemplateInput,
    responses(
        (status = 201, description = "Added", body = OsTemplate),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/catalog/os-templates")]
async fn create_os_template(
    auth: Auth<TechnicalEditors>,
    state: web::Data<AppState>,
    body: web::Json<OsTemplateInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = lists::create_os_template(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        "os_template.created",
        "os_template",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Change an OS template.
#[utoipa::path(
    tag = "catalog",
    operation_id = "updateOsTemplate",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "OS template id")),
    request_body = OsTemplateInput,
    responses(
        (status = 200, description = "Saved", body = OsTemplate),
        (status = 404, description = "No such OS template", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/catalog/os-templates/{id}")]
async fn update_os_template(
    auth: Auth<TechnicalEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<OsTemplateInput>,
) -> Result<web::Json<OsTemplate>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = lists::find_os_template(&mut tx, *id).await?;
    let after = lists::update_os_template(&mut tx, *id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "os_template.updated",
        "os_template",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    commit(tx, &state).await?;
    Ok(web::Json(after))
}

/// Delete an OS template no product offers.
#[utoipa::path(
    tag = "catalog",
    operation_id = "deleteOsTemplate",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "OS template id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such OS template", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Products offer it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/catalog/os-templates/{id}")]
async fn delete_os_template(
    auth: Auth<TechnicalEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = lists::find_os_template(&mut tx, *id).await?;
    lists::delete_os_template(&mut tx, *id).await?;
    audited(
        &mut tx,
        &auth,
        "os_template.deleted",
        "os_template",
        *id,
        Some(&before),
        None,
    )
    .await?;
    commit(tx, &state).await?;
    Ok(HttpResponse::NoContent().finish())
}
