//! The client's services: list, detail with progress, actions, the
//! password shown once, the live power state.

use actix_web::{HttpResponse, get, post, web};
use billing::catalog::spec::ProductKind;
use billing::service::Service;
use identity::OtpChallenge;
use provisioning::actions::{self, ActionRequest, Requester};
use provisioning::domain_order::{self, DomainDetails};
use provisioning::hosting::{self, HostingDetails};
use provisioning::run::{self, Action, Run, Step};
use provisioning::vps::{self, VpsDetails};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::ServiceHolders;
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_my_services)
        .service(get_my_service)
        .service(my_service_action)
        .service(send_reinstall_code)
        .service(reveal_password)
        .service(refresh_power);
}

/// A run with its step timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDetail {
    pub run: Run,
    pub steps: Vec<Step>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunStarted {
    pub run_id: i64,
}

/// A service with what was delivered and its latest runs (the first,
/// when running, with its steps: the progress shown on the service page).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub service: Service,
    pub vps: Option<VpsDetails>,
    pub hosting: Option<HostingDetails>,
    pub domain: Option<DomainDetails>,
    pub runs: Vec<Run>,
    pub latest: Option<RunDetail>,
}

pub(super) async fn service_view(
    state: &AppState,
    id: i64,
    requester: Requester,
) -> Result<ServiceView, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let service = actions::service_for(&mut conn, id, requester).await?;
    let staff = matches!(requester, Requester::Staff(_));
    let (vps, hosting, domain) = match service.kind {
        ProductKind::Vps => (vps::details(&mut conn, id, staff).await?, None, None),
        ProductKind::Hosting => (None, hosting::details(&mut *conn, id, staff).await?, None),
        ProductKind::Domain => (None, None, domain_order::details(&mut *conn, id).await?),
        _ => (None, None, None),
    };
    let runs = run::list(&mut *conn, Some(id), None, 10).await?;
    let latest = match runs.first() {
        Some(first) => Some(RunDetail {
            run: first.clone(),
            steps: run::steps(&mut *conn, first.id).await?,
        }),
        None => None,
    };
    Ok(ServiceView {
        service,
        vps,
        hosting,
        domain,
        runs,
        latest,
    })
}

fn holder(auth: &Auth<ServiceHolders>) -> Requester {
    Requester::Client(auth.principal.user_id)
}

/// My services, newest first.
#[utoipa::path(
    tag = "services",
    operation_id = "listMyServices",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    responses((status = 200, description = "Services", body = Vec<Service>))
)]
#[get("/api/v1/services")]
async fn list_my_services(
    auth: Auth<ServiceHolders>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Service>>, ApiError> {
    Ok(web::Json(
        billing::service::query::list(&state.pool, Some(auth.principal.user_id), None, None, 200)
            .await?,
    ))
}

/// One of my services: what was delivered, its state and the progress of its latest action.
#[utoipa::path(
    tag = "services",
    operation_id = "getMyService",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "The service", body = ServiceView),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/services/{id}")]
async fn get_my_service(
    auth: Auth<ServiceHolders>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ServiceView>, ApiError> {
    Ok(web::Json(
        service_view(&state, id.into_inner(), holder(&auth)).await?,
    ))
}

/// Start, stop, reboot, reset the password of, or reinstall my VPS. A
/// reinstall erases the server: it needs the code from `reinstall-code`.
#[utoipa::path(
    tag = "services",
    operation_id = "myServiceAction",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    request_body = ActionRequest,
    responses(
        (status = 202, description = "The action's run started", body = RunStarted),
        (status = 401, description = "`otp_invalid` or `otp_expired`: the reinstall code does not hold", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`action_in_progress`, `service_state`, `action_not_allowed` or `action_not_supported`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing code or an OS the product does not offer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/services/{id}/actions")]
async fn my_service_action(
    auth: Auth<ServiceHolders>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ActionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let requester = holder(&auth);
    let mut tx = state.pool.begin().await?;
    let service = actions::service_for(&mut tx, id, requester).await?;
    if body.action == Action::Reinstall {
        let code = body.code.as_deref().ok_or_else(|| {
            domain::ValidationErrors::single("code", "required", "the code emailed to you")
        })?;
        state
            .identity
            .verify_action_code(&auth.principal, &reinstall_action(id), code)
            .await?;
    }
    let run_id = actions::request(&mut tx, &state.sealer, &service, requester, &body).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(RunStarted { run_id }))
}

fn reinstall_action(service_id: i64) -> String {
    format!("service:{service_id}:reinstall")
}

/// Email me the code that confirms a reinstall of this VPS.
#[utoipa::path(
    tag = "services",
    operation_id = "sendReinstallCode",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 202, description = "Sent", body = OtpChallenge),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`action_not_supported`: not a VPS", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/services/{id}/reinstall-code")]
async fn send_reinstall_code(
    auth: Auth<ServiceHolders>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut conn = state.pool.acquire().await?;
    let service = actions::service_for(&mut conn, id, holder(&auth)).await?;
    drop(conn);
    if service.kind != ProductKind::Vps {
        return Err(ApiError::Conflict {
            code: "action_not_supported",
            detail: "only a VPS can be reinstalled".to_owned(),
            errors: domain::ValidationErrors::new(),
        });
    }
    let challenge = state
        .identity
        .send_action_code(
            &auth.principal,
            &reinstall_action(id),
            notify::template::catalog::SERVICE_ACTION_CODE,
            &[
                ("service", service.label.clone()),
                ("action", "reinstall".to_owned()),
            ],
        )
        .await?;
    Ok(HttpResponse::Accepted().json(challenge))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedPassword {
    pub password: String,
}

/// Show the service's password — once. Later calls answer 410; a password
/// reset makes a new one to show.
#[utoipa::path(
    tag = "services",
    operation_id = "revealServicePassword",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "The password", body = RevealedPassword),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`action_not_supported`: the service has no password", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`password_already_shown`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/services/{id}/password")]
async fn reveal_password(
    auth: Auth<ServiceHolders>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let service = actions::service_for(&mut tx, id, holder(&auth)).await?;
    if !matches!(service.kind, ProductKind::Vps | ProductKind::Hosting) {
        return Err(ApiError::Conflict {
            code: "action_not_supported",
            detail: "this service has no password".to_owned(),
            errors: domain::ValidationErrors::new(),
        });
    }
    let password = provisioning::completion::reveal_password(&mut tx, &state.sealer, id).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(RevealedPassword { password }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PowerState {
    /// `running`, `stopped`, `paused`, `absent` or `unknown`.
    pub power_state: String,
}

/// Ask the hypervisor now whether my VPS runs.
#[utoipa::path(
    tag = "services",
    operation_id = "refreshPowerState",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "The state now", body = PowerState),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`action_not_supported`: not a VPS", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "`integration_error`: the hypervisor did not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/services/{id}/power")]
async fn refresh_power(
    auth: Auth<ServiceHolders>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<PowerState>, ApiError> {
    let id = id.into_inner();
    let mut conn = state.pool.acquire().await?;
    let service = actions::service_for(&mut conn, id, holder(&auth)).await?;
    drop(conn);
    if service.kind != ProductKind::Vps {
        return Err(ApiError::Conflict {
            code: "action_not_supported",
            detail: "only a VPS has a power state".to_owned(),
            errors: domain::ValidationErrors::new(),
        });
    }
    let power_state = vps::power::refresh_power(&state.provisioner, id).await?;
    Ok(web::Json(PowerState { power_state }))
}
