//! Promo codes and vouchers (business), every change audited.

use actix_web::{HttpResponse, delete, get, post, put, web};
use billing::promo::store::{self, PromoFilter};
use billing::promo::{PromoCode, PromoInput, VoucherBatch, VoucherBatchInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PromoEditors;
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_promos)
        .service(create_promo)
        .service(update_promo)
        .service(delete_promo)
        .service(generate_vouchers);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PromoQuery {
    /// Part of the code.
    pub q: Option<String>,
    /// Vouchers of one batch.
    pub batch: Option<String>,
    pub active: Option<bool>,
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100; default 25.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromoPage {
    pub items: Vec<PromoCode>,
    pub total: i64,
    pub page: i64,
    pub limit: i64,
}

/// Promo codes and vouchers, newest first.
#[utoipa::path(
    tag = "promos",
    operation_id = "listPromoCodes",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(PromoQuery),
    responses((status = 200, description = "One page of codes", body = PromoPage))
)]
#[get("/api/v1/staff/promo-codes")]
async fn list_promos(
    _auth: Auth<PromoEditors>,
    state: web::Data<AppState>,
    query: web::Query<PromoQuery>,
) -> Result<web::Json<PromoPage>, ApiError> {
    let query = query.into_inner();
    let filter = PromoFilter {
        search: query.q,
        batch: query.batch,
        active: query.active,
        page: query.page.unwrap_or(1).clamp(1, 100_000),
        limit: query.limit.unwrap_or(25).clamp(1, domain::PAGE_SIZE_MAX),
    };
    let mut conn = state.pool.acquire().await?;
    let (items, total) = store::list(&mut conn, &filter).await?;
    Ok(web::Json(PromoPage {
        items,
        total,
        page: filter.page,
        limit: filter.limit,
    }))
}

/// Add a promo code.
#[utoipa::path(
    tag = "promos",
    operation_id = "createPromoCode",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    request_body = PromoInput,
    responses(
        (status = 201, description = "Added", body = PromoCode),
        (status = 422, description = "Invalid fields, or the code is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/promo-codes")]
async fn create_promo(
    auth: Auth<PromoEditors>,
    state: web::Data<AppState>,
    body: web::Json<PromoInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = store::create(&mut tx, &body, auth.principal.user_id).await?;
    audited(
        &mut tx,
        &auth,
        "promo_code.created",
        "promo_code",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// Change a promo code (a lower `max_uses` than the uses held is refused).
#[utoipa::path(
    tag = "promos",
    operation_id = "updatePromoCode",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Promo code id")),
    request_body = PromoInput,
    responses(
        (status = 200, description = "Saved", body = PromoCode),
        (status = 404, description = "No such code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/promo-codes/{id}")]
async fn update_promo(
    auth: Auth<PromoEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<PromoInput>,
) -> Result<web::Json<PromoCode>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = store::find(&mut tx, *id).await?;
    let after = store::update(&mut tx, *id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "promo_code.updated",
        "promo_code",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// Delete a code no order used (a used one is deactivated instead).
#[utoipa::path(
    tag = "promos",
    operation_id = "deletePromoCode",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Promo code id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`promo_in_use`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/promo-codes/{id}")]
async fn delete_promo(
    auth: Auth<PromoEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = store::find(&mut tx, *id).await?;
    store::delete(&mut tx, *id).await?;
    audited(
        &mut tx,
        &auth,
        "promo_code.deleted",
        "promo_code",
        *id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Generate a batch of single-use vouchers.
#[utoipa::path(
    tag = "promos",
    operation_id = "generateVouchers",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    request_body = VoucherBatchInput,
    responses(
        (status = 201, description = "The vouchers", body = VoucherBatch),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/promo-codes/vouchers")]
async fn generate_vouchers(
    auth: Auth<PromoEditors>,
    state: web::Data<AppState>,
    body: web::Json<VoucherBatchInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let batch = store::generate_vouchers(&mut tx, &body, auth.principal.user_id).await?;
    audited(
        &mut tx,
        &auth,
        "promo_code.vouchers_generated",
        "promo_batch",
        &batch.batch,
        None,
        Some(&batch),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(batch))
}
