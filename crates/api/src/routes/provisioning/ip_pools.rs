//! IP pools: ranges per region, their usage and the addresses in use.

use actix_web::{HttpResponse, delete, get, post, web};
use provisioning::ip_pool::{self, Pool, PoolAddress, PoolInput};
use utoipa_actix_web::service_config::ServiceConfig;

use super::ProvisioningAdmins;
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_pools)
        .service(create_pool)
        .service(delete_pool)
        .service(pool_addresses);
}

/// Every pool with its counts of free, reserved, used and quarantined addresses.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "listIpPools",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    responses((status = 200, description = "Pools", body = Vec<Pool>))
)]
#[get("/api/v1/staff/ip-pools")]
async fn list_pools(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Pool>>, ApiError> {
    Ok(web::Json(ip_pool::list(&state.pool, None).await?))
}

/// Add an IPv4 range (/16 to /30) to a region; network, broadcast, gateway and
/// excluded addresses are never handed out.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "createIpPool",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    request_body = PoolInput,
    responses(
        (status = 201, description = "Added", body = Pool),
        (status = 409, description = "`pool_overlaps`: the range overlaps another pool", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/ip-pools")]
async fn create_pool(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    body: web::Json<PoolInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let id = ip_pool::create(&mut tx, &body).await?;
    let created = ip_pool::list(&mut *tx, Some(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound("no such pool".to_owned()))?;
    audited(
        &mut tx,
        &auth,
        "ip_pool.created",
        "ip_pool",
        id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// Delete a pool none of whose addresses is reserved or in use.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "deleteIpPool",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The pool")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`pool_in_use`: addresses are reserved or used", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/ip-pools/{id}")]
async fn delete_pool(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = ip_pool::list(&mut *tx, Some(id)).await?.pop();
    ip_pool::delete(&mut tx, id).await?;
    audited::<_, Pool>(
        &mut tx,
        &auth,
        "ip_pool.deleted",
        "ip_pool",
        id,
        before.as_ref(),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The pool's addresses that are not free, with the service holding each.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "listIpPoolAddresses",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The pool")),
    responses((status = 200, description = "Addresses in use", body = Vec<PoolAddress>))
)]
#[get("/api/v1/staff/ip-pools/{id}/addresses")]
async fn pool_addresses(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<PoolAddress>>, ApiError> {
    Ok(web::Json(
        ip_pool::addresses_in_use(&state.pool, id.into_inner()).await?,
    ))
}
