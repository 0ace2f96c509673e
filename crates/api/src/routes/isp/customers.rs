//! Customers: the table with its filters, the map's markers, edits, and
//! isolation by hand (the lifecycle isolates on its own).

use actix_web::{HttpResponse, delete, get, post, put, web};
use monitoring::isp::customer::{
    self, CustomerFilter, CustomerInput, CustomerMarker, CustomerPage, IspCustomer,
};
use provisioning::isolation::{self, Cause, IsolationEvent, IsolationOutcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::IspStaff;
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_customers)
        .service(customer_markers)
        .service(map_settings)
        .service(create_customer)
        .service(get_customer)
        .service(update_customer)
        .service(delete_customer)
        .service(isolate_customer)
        .service(restore_customer)
        .service(customer_events);
}

/// A page of customers, by name, with the counts of the whole filtered list.
#[utoipa::path(
    tag = "isp",
    operation_id = "listIspCustomers",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(CustomerFilter),
    responses((status = 200, description = "The page and the counts", body = CustomerPage))
)]
#[get("/api/v1/isp/customers")]
async fn list_customers(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    query: web::Query<CustomerFilter>,
) -> Result<web::Json<CustomerPage>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(customer::list(&mut conn, &query).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MarkerQuery {
    pub router_id: Option<i64>,
}

/// Every customer with coordinates, as map markers coloured by status.
#[utoipa::path(
    tag = "isp",
    operation_id = "listIspCustomerMarkers",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(MarkerQuery),
    responses((status = 200, description = "Markers", body = Vec<CustomerMarker>))
)]
#[get("/api/v1/isp/customers/markers")]
async fn customer_markers(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    query: web::Query<MarkerQuery>,
) -> Result<web::Json<Vec<CustomerMarker>>, ApiError> {
    Ok(web::Json(
        customer::markers(&state.pool, query.router_id).await?,
    ))
}

/// How the SPA draws the map.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapSettings {
    /// A Leaflet tile URL template (`…/{z}/{x}/{y}.png`); none draws the
    /// markers on a plain background.
    pub tile_url: Option<String>,
    pub attribution: String,
}

/// The map's tile server (`MAP_TILE_URL`), if the shop set one.
#[utoipa::path(
    tag = "isp",
    operation_id = "getIspMapSettings",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    responses((status = 200, description = "The map's settings", body = MapSettings))
)]
#[get("/api/v1/isp/map-settings")]
async fn map_settings(_auth: Auth<IspStaff>, state: web::Data<AppState>) -> web::Json<MapSettings> {
    web::Json(MapSettings {
        tile_url: state.settings.monitor.map_tile_url.clone(),
        attribution: state.settings.monitor.map_tile_attribution.clone(),
    })
}

/// One customer.
#[utoipa::path(
    tag = "isp",
    operation_id = "getIspCustomer",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The customer")),
    responses(
        (status = 200, description = "The customer", body = IspCustomer),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/isp/customers/{id}")]
async fn get_customer(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<IspCustomer>, ApiError> {
    Ok(web::Json(
        customer::require(&state.pool, id.into_inner()).await?,
    ))
}

/// Add a customer; offline until a sync finds their PPPoE name.
#[utoipa::path(
    tag = "isp",
    operation_id = "createIspCustomer",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    request_body = CustomerInput,
    responses(
        (status = 201, description = "Added", body = IspCustomer),
        (status = 422, description = "Invalid fields, a PPPoE name taken on the router, a plan that is not an internet product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/isp/customers")]
async fn create_customer(
    auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    body: web::Json<CustomerInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = customer::create(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        "isp_customer.created",
        "isp_customer",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// Change a customer. A new PPPoE name or router shows offline (stale)
/// until the next sync.
#[utoipa::path(
    tag = "isp",
    operation_id = "updateIspCustomer",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The customer")),
    request_body = CustomerInput,
    responses(
        (status = 200, description = "Saved", body = IspCustomer),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/isp/customers/{id}")]
async fn update_customer(
    auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<CustomerInput>,
) -> Result<web::Json<IspCustomer>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = customer::require(&mut *tx, id).await?;
    let after = customer::update(&mut tx, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "isp_customer.updated",
        "isp_customer",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// Delete a customer (their PPP secret on the router is left alone).
#[utoipa::path(
    tag = "isp",
    operation_id = "deleteIspCustomer",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The customer")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/isp/customers/{id}")]
async fn delete_customer(
    auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = customer::delete(&mut tx, id).await?;
    audited(
        &mut tx,
        &auth,
        "isp_customer.deleted",
        "isp_customer",
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Isolate (isolir) a customer by hand: disable their PPP secret or move it
/// to the router's isolation profile, and end the live session. Doing it
/// twice changes nothing the second time.
#[utoipa::path(
    tag = "isp",
    operation_id = "isolateIspCustomer",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The customer")),
    responses(
        (status = 200, description = "Isolated", body = IsolationOutcome),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Isolation is off on the router (`isolation_off`), no router or PPPoE name, no such PPP secret (`no_ppp_secret`)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The router could not be reached or refused", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/isp/customers/{id}/isolate")]
async fn isolate_customer(
    auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<IsolationOutcome>, ApiError> {
    let id = id.into_inner();
    let cause = Cause::Staff(auth.principal.user_id);
    let outcome = isolation::isolate(&state.pool, &state.sealer, id, cause).await?;
    record_isolation(&state, &auth, "isp_customer.isolated", &outcome).await?;
    Ok(web::Json(outcome))
}

/// Restore an isolated customer: the PPP secret enabled and back on its
/// profile.
#[utoipa::path(
    tag = "isp",
    operation_id = "restoreIspCustomer",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The customer")),
    responses(
        (status = 200, description = "Restored", body = IsolationOutcome),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No router or PPPoE name, no such PPP secret", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The router could not be reached or refused", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/isp/customers/{id}/restore")]
async fn restore_customer(
    auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<IsolationOutcome>, ApiError> {
    let id = id.into_inner();
    let cause = Cause::Staff(auth.principal.user_id);
    let outcome = isolation::restore(&state.pool, &state.sealer, id, cause).await?;
    record_isolation(&state, &auth, "isp_customer.restored", &outcome).await?;
    Ok(web::Json(outcome))
}

async fn record_isolation(
    state: &AppState,
    auth: &Auth<IspStaff>,
    action: &str,
    outcome: &IsolationOutcome,
) -> Result<(), ApiError> {
    if !outcome.changed {
        return Ok(());
    }
    let mut tx = state.pool.begin().await?;
    audited(
        &mut tx,
        auth,
        action,
        "isp_customer",
        outcome.customer_id,
        None,
        Some(outcome),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The customer's isolations and restorations, newest first.
#[utoipa::path(
    tag = "isp",
    operation_id = "listIspCustomerEvents",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The customer")),
    responses(
        (status = 200, description = "Events", body = Vec<IsolationEvent>),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/isp/customers/{id}/events")]
async fn customer_events(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<IsolationEvent>>, ApiError> {
    let id = id.into_inner();
    customer::require(&state.pool, id).await?;
    Ok(web::Json(isolation::events(&state.pool, id).await?))
}
