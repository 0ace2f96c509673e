//! Routers: sysadmin's settings (password sealed, masked), "Test
//! connection", "Sync now" and the sync log.

use actix_web::{HttpResponse, delete, get, post, put, web};
use monitoring::isp::router::{self, IspRouter, RouterInput, RouterTest};
use monitoring::isp::sync::{self, RouterSyncReport, SyncLogEntry, SyncTrigger};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{IspStaff, RouterAdmins};
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_routers)
        .service(create_router)
        .service(get_router)
        .service(update_router)
        .service(delete_router)
        .service(test_router)
        .service(sync_router)
        .service(router_syncs);
}

/// Every router, passwords masked, with its last sync.
#[utoipa::path(
    tag = "isp",
    operation_id = "listRouters",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    responses((status = 200, description = "Routers by name", body = Vec<IspRouter>))
)]
#[get("/api/v1/isp/routers")]
async fn list_routers(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<IspRouter>>, ApiError> {
    Ok(web::Json(router::list(&state.pool).await?))
}

/// One router.
#[utoipa::path(
    tag = "isp",
    operation_id = "getRouter",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The router")),
    responses(
        (status = 200, description = "The router", body = IspRouter),
        (status = 404, description = "No such router", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/isp/routers/{id}")]
async fn get_router(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<IspRouter>, ApiError> {
    Ok(web::Json(
        router::require(&state.pool, id.into_inner()).await?,
    ))
}

/// Add a router. The password is sealed and never returned.
#[utoipa::path(
    tag = "isp",
    operation_id = "createRouter",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    request_body = RouterInput,
    responses(
        (status = 201, description = "Added (password masked)", body = IspRouter),
        (status = 422, description = "Invalid or missing fields (`taken` name)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/isp/routers")]
async fn create_router(
    auth: Auth<RouterAdmins>,
    state: web::Data<AppState>,
    body: web::Json<RouterInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = router::create(&mut tx, &state.sealer, &body).await?;
    audited(
        &mut tx,
        &auth,
        "isp_router.created",
        "isp_router",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// Change a router; a password left out keeps the stored one.
#[utoipa::path(
    tag = "isp",
    operation_id = "updateRouter",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The router")),
    request_body = RouterInput,
    responses(
        (status = 200, description = "Saved (password masked)", body = IspRouter),
        (status = 404, description = "No such router", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/isp/routers/{id}")]
async fn update_router(
    auth: Auth<RouterAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<RouterInput>,
) -> Result<web::Json<IspRouter>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = router::require(&mut *tx, id).await?;
    let after = router::update(&mut tx, &state.sealer, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "isp_router.updated",
        "isp_router",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// Delete a router no customer is on.
#[utoipa::path(
    tag = "isp",
    operation_id = "deleteRouter",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The router")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such router", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Customers are on it (`router_in_use`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/isp/routers/{id}")]
async fn delete_router(
    auth: Auth<RouterAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = router::require(&mut *tx, id).await?;
    router::delete(&mut tx, id).await?;
    audited(
        &mut tx,
        &auth,
        "isp_router.deleted",
        "isp_router",
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Test connection: log in and read the identity, version and active
/// sessions, or the precise reason it failed (refused — is the API service
/// enabled? —, timeout, bad credentials, TLS).
#[utoipa::path(
    tag = "isp",
    operation_id = "testRouter",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The router")),
    responses(
        (status = 200, description = "The result, success or not", body = RouterTest),
        (status = 404, description = "No such router", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/isp/routers/{id}/test")]
async fn test_router(
    _auth: Auth<RouterAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<RouterTest>, ApiError> {
    Ok(web::Json(
        router::test_connection(&state.pool, &state.sealer, id.into_inner()).await?,
    ))
}

/// Sync now: read the router's active PPPoE sessions and update its
/// customers' status at once. A router that cannot be read leaves its
/// customers' last status, marked stale, and says why (`ok: false`).
#[utoipa::path(
    tag = "isp",
    operation_id = "syncRouter",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The router")),
    responses(
        (status = 200, description = "The sync's outcome, success or not", body = RouterSyncReport),
        (status = 404, description = "No such router", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A sync of this router is running (`sync_in_progress`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/isp/routers/{id}/sync")]
async fn sync_router(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<RouterSyncReport>, ApiError> {
    Ok(web::Json(
        sync::sync_router(
            &state.pool,
            &state.sealer,
            id.into_inner(),
            SyncTrigger::Manual,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SyncLogQuery {
    /// 1 to 200 (50 when left out).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The router's sync log, newest first (a week is kept).
#[utoipa::path(
    tag = "isp",
    operation_id = "listRouterSyncs",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business"]))),
    params(("id" = i64, Path, description = "The router"), SyncLogQuery),
    responses(
        (status = 200, description = "Syncs, newest first", body = Vec<SyncLogEntry>),
        (status = 404, description = "No such router", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/isp/routers/{id}/syncs")]
async fn router_syncs(
    _auth: Auth<IspStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<SyncLogQuery>,
) -> Result<web::Json<Vec<SyncLogEntry>>, ApiError> {
    Ok(web::Json(
        sync::log(&state.pool, id.into_inner(), query.limit.unwrap_or(50)).await?,
    ))
}
