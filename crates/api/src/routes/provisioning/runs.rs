//! The log of deliveries and actions (runs with their steps), the retry of
//! a failed one, and staff's view of services and the actions on them.

use actix_web::{HttpResponse, get, post, web};
use billing::catalog::spec::ProductKind;
use billing::service::{Service, ServiceStatus};
use provisioning::actions::{self, ActionRequest, Requester};
use provisioning::run::{self, Run, RunStatus};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::services::{RunDetail, RunStarted, ServiceView, service_view};
use super::{ProvisioningAdmins, ServiceReaders};
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_runs)
        .service(get_run)
        .service(retry_run)
        .service(list_services)
        .service(get_service)
        .service(service_action);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RunQuery {
    /// Only runs in this state (`failed` for what needs attention).
    pub status: Option<RunStatus>,
    /// Only the runs of one service.
    pub service_id: Option<i64>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Deliveries and actions, newest first.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "listProvisioningRuns",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(RunQuery),
    responses((status = 200, description = "Runs", body = Vec<Run>))
)]
#[get("/api/v1/staff/provisioning/runs")]
async fn list_runs(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    query: web::Query<RunQuery>,
) -> Result<web::Json<Vec<Run>>, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    Ok(web::Json(
        run::list(&state.pool, query.service_id, query.status, limit).await?,
    ))
}

/// One run with its step timeline.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "getProvisioningRun",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The run")),
    responses(
        (status = 200, description = "The run and its steps", body = RunDetail),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/provisioning/runs/{id}")]
async fn get_run(
    _auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<RunDetail>, ApiError> {
    let id = id.into_inner();
    let found = run::find(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such run".to_owned()))?;
    let steps = run::steps(&state.pool, id).await?;
    Ok(web::Json(RunDetail { run: found, steps }))
}

/// Try a failed run again: a failed delivery's order goes back to
/// provisioning and a new run starts.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "retryProvisioningRun",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The failed run")),
    responses(
        (status = 202, description = "A new run started", body = RunStarted),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`run_not_failed` or `action_in_progress`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/provisioning/runs/{id}/retry")]
async fn retry_run(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let run_id =
        provisioning::delivery::retry(&state.provisioner, id, auth.principal.user_id).await?;
    let mut conn = state.pool.acquire().await?;
    audited(
        &mut conn,
        &auth,
        "provisioning_run.retried",
        "provisioning_run",
        id,
        None,
        Some(&serde_json::json!({ "new_run_id": run_id })),
    )
    .await?;
    Ok(HttpResponse::Accepted().json(RunStarted { run_id }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ServiceQuery {
    pub kind: Option<ProductKind>,
    pub status: Option<ServiceStatus>,
    /// 1 to 200; default 100.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Every client's services, newest first.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "listAllServices",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "finance"]))),
    params(ServiceQuery),
    responses((status = 200, description = "Services", body = Vec<Service>))
)]
#[get("/api/v1/staff/services")]
async fn list_services(
    _auth: Auth<ServiceReaders>,
    state: web::Data<AppState>,
    query: web::Query<ServiceQuery>,
) -> Result<web::Json<Vec<Service>>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 200);
    Ok(web::Json(
        billing::service::query::list(&state.pool, None, query.kind, query.status, limit).await?,
    ))
}

/// A service with its VM / account / registration (node and VM id included) and runs.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "getServiceAsStaff",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "finance"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "The service", body = ServiceView),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/services/{id}")]
async fn get_service(
    auth: Auth<ServiceReaders>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ServiceView>, ApiError> {
    let requester = Requester::Staff(auth.principal.user_id);
    Ok(web::Json(
        service_view(&state, id.into_inner(), requester).await?,
    ))
}

/// Any action on a service: power, password, reinstall (no code needed
/// from staff), suspend, unsuspend, terminate, change package.
#[utoipa::path(
    tag = "provisioning",
    operation_id = "staffServiceAction",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("id" = i64, Path, description = "The service")),
    request_body = ActionRequest,
    responses(
        (status = 202, description = "The action's run started", body = RunStarted),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`action_in_progress`, `service_state` or `action_not_supported`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing or unknown OS or package", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/services/{id}/actions")]
async fn service_action(
    auth: Auth<ProvisioningAdmins>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ActionRequest>,
) -> Result<HttpResponse, ApiError> {
    let requester = Requester::Staff(auth.principal.user_id);
    let mut tx = state.pool.begin().await?;
    let service = actions::service_for(&mut tx, id.into_inner(), requester).await?;
    let run_id = actions::request(&mut tx, &state.sealer, &service, requester, &body).await?;
    audited(
        &mut tx,
        &auth,
        &format!("service.{}", body.action.as_str()),
        "service",
        service.id,
        Some(&serde_json::json!(service)),
        Some(&serde_json::json!({ "run_id": run_id, "action": body.action })),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(RunStarted { run_id }))
}
