//! The sales book of hosts and accounts sold outside the catalog.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::NaiveDate;
use monitoring::sales::{self, MonthlyTotal, Sale, SaleFilter, SaleInput, SaleKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Auth, Policy};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_sales)
        .service(create_sale)
        .service(update_sale)
        .service(delete_sale);
}

/// Who keeps the sales book: the owner, the business side and finance.
pub struct SalesStaff;
impl Policy for SalesStaff {
    const ROLES: &'static [identity::Role] = &[
        identity::Role::Owner,
        identity::Role::Business,
        identity::Role::Finance,
    ];
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SaleQuery {
    /// `host` or `account`.
    pub kind: Option<SaleKind>,
    /// First day, inclusive.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
    /// `IDR` or `USD`.
    pub currency: Option<String>,
    /// Part of the name or merchant.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SalesBook {
    /// Newest first, at most 5,000.
    pub items: Vec<Sale>,
    /// Per month and currency, under the same filter.
    pub totals: Vec<MonthlyTotal>,
}

/// Sales with totals per month and currency.
#[utoipa::path(
    tag = "sales",
    operation_id = "listSales",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business", "finance"]))),
    params(SaleQuery),
    responses(
        (status = 200, description = "The sales book", body = SalesBook),
        (status = 422, description = "Unknown currency", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/sales")]
async fn list_sales(
    _auth: Auth<SalesStaff>,
    state: web::Data<AppState>,
    query: web::Query<SaleQuery>,
) -> Result<web::Json<SalesBook>, ApiError> {
    let query = query.into_inner();
    let filter = SaleFilter {
        kind: query.kind,
        from: query.from,
        to: query.to,
        currency: query.currency,
        search: query.q,
    };
    let items = sales::list(&state.pool, &filter).await?;
    let totals = sales::monthly_totals(&state.pool, &filter).await?;
    Ok(web::Json(SalesBook { items, totals }))
}

async fn audited(
    tx: &mut sqlx::PgConnection,
    auth: &Auth<SalesStaff>,
    action: &str,
    id: i64,
    before: Option<&Sale>,
    after: Option<&Sale>,
) -> Result<(), ApiError> {
    // The whole sale before and after: enough to settle a dispute.
    super::audited(tx, auth, action, "sale", id, before, after).await
}

/// Record a sale.
#[utoipa::path(
    tag = "sales",
    operation_id = "createSale",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business", "finance"]))),
    responses(
        (status = 201, description = "Recorded", body = Sale),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/sales")]
async fn create_sale(
    auth: Auth<SalesStaff>,
    state: web::Data<AppState>,
    body: web::Json<SaleInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let sale = sales::create(&mut tx, &body).await?;
    audited(&mut tx, &auth, "sale.created", sale.id, None, Some(&sale)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(sale))
}

/// Correct a sale.
#[utoipa::path(
    tag = "sales",
    operation_id = "updateSale",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business", "finance"]))),
    params(("id" = i64, Path, description = "Sale id")),
    responses(
        (status = 200, description = "Saved", body = Sale),
        (status = 404, description = "No such sale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/sales/{id}")]
async fn update_sale(
    auth: Auth<SalesStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<SaleInput>,
) -> Result<web::Json<Sale>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let id = id.into_inner();
    let before = sales::find(&mut tx, id).await?;
    let sale = sales::update(&mut tx, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "sale.updated",
        sale.id,
        Some(&before),
        Some(&sale),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(sale))
}

/// Delete a sale.
#[utoipa::path(
    tag = "sales",
    operation_id = "deleteSale",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business", "finance"]))),
    params(("id" = i64, Path, description = "Sale id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such sale", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/sales/{id}")]
async fn delete_sale(
    auth: Auth<SalesStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = sales::find(&mut tx, id).await?;
    sales::delete(&mut tx, id).await?;
    audited(&mut tx, &auth, "sale.deleted", id, Some(&before), None).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
