//! Upgrades and downgrades between plans, prorated to the day: what each
//! plan would cost today, asking for a change (the client on their own
//! service, or staff on any), withdrawing an unpaid one, and the history.

use actix_web::{HttpResponse, delete, get, post, web};
use billing::service::plan_change::{self, PlanChange, PlanChangeRequest, PlanQuote, Requester};
use identity::Role;
use provisioning::ProvisioningError;

use super::Buyers;
use crate::auth::{Auth, Policy};
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(my_plan_options)
        .service(change_my_plan)
        .service(my_plan_changes)
        .service(withdraw_my_plan_change)
        .service(staff_plan_options)
        .service(staff_change_plan)
        .service(staff_plan_changes);
}

/// Changing a client's plan is a commercial decision: owner, finance and
/// business.
pub struct PlanChangeStaff;
impl Policy for PlanChangeStaff {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Finance, Role::Business];
}

/// The plans, each with whether the remote side can move to it.
async fn options(state: &AppState, id: i64, who: Requester) -> Result<Vec<PlanQuote>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let mut quotes = plan_change::options(&mut tx, id, who, state.clock.today()).await?;
    for quote in &mut quotes {
        quote.unavailable = provisioning::plan_change::check(&mut tx, id, &quote.spec).await?;
    }
    tx.commit().await?;
    Ok(quotes)
}

async fn change<P: Policy>(
    state: &AppState,
    auth: &Auth<P>,
    id: i64,
    who: Requester,
    body: &PlanChangeRequest,
) -> Result<PlanChange, ApiError> {
    let mut tx = state.pool.begin().await?;
    let quote =
        plan_change::quote_for(&mut tx, id, who, body.product_id, state.clock.today()).await?;
    if let Some(reason) = provisioning::plan_change::check(&mut tx, id, &quote.spec).await? {
        return Err(ProvisioningError::refused("plan_unavailable", reason.message).into());
    }
    let calendar = state.clock.calendar();
    let done = plan_change::request(&mut tx, id, who, &quote, state.clock.now(), &calendar).await?;
    audited(
        &mut tx,
        auth,
        "service.plan_change_requested",
        "service",
        id,
        None,
        Some(&done),
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// What moving my service to each other plan of its kind costs today: the
/// old plan's unused days credited, the new plan's days left charged, with
/// PPN. A plan the service cannot move to says why.
#[utoipa::path(
    tag = "renewals",
    operation_id = "listMyPlanOptions",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "The plans, cheapest first", body = Vec<PlanQuote>),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`plan_not_changeable` or `renewal_due`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/services/{id}/plan-options")]
async fn my_plan_options(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<PlanQuote>>, ApiError> {
    let who = Requester::Client(auth.principal.user_id);
    Ok(web::Json(options(&state, id.into_inner(), who).await?))
}

/// Move my service to another plan. More to pay issues an invoice (the
/// change applies when it is paid, within 3 days); less is credited to my
/// wallet and the change applies now.
#[utoipa::path(
    tag = "renewals",
    operation_id = "changeMyPlan",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    request_body = PlanChangeRequest,
    responses(
        (status = 201, description = "The change: `awaiting_payment` with its invoice, or `applied`", body = PlanChange),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`plan_not_changeable`, `renewal_due`, `plan_change_pending` or `plan_unavailable` (a disk cannot shrink, the server lacks the package)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a plan this service can move to", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/services/{id}/plan-changes")]
async fn change_my_plan(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<PlanChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let who = Requester::Client(auth.principal.user_id);
    let done = change(&state, &auth, id.into_inner(), who, &body).await?;
    Ok(HttpResponse::Created().json(done))
}

/// My service's plan changes, newest first.
#[utoipa::path(
    tag = "renewals",
    operation_id = "listMyPlanChanges",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "Newest first", body = Vec<PlanChange>),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/services/{id}/plan-changes")]
async fn my_plan_changes(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<PlanChange>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let owner = Some(auth.principal.user_id);
    Ok(web::Json(
        plan_change::list(&mut conn, id.into_inner(), owner).await?,
    ))
}

/// Withdraw my upgrade that waits for payment, with its invoice.
#[utoipa::path(
    tag = "renewals",
    operation_id = "withdrawMyPlanChange",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 204, description = "Withdrawn (or there was none)"),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`plan_change_paid_in_part`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/services/{id}/plan-changes/pending")]
async fn withdraw_my_plan_change(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let who = Requester::Client(auth.principal.user_id);
    if plan_change::withdraw(&mut tx, id, who, state.clock.now()).await? {
        audited::<_, ()>(
            &mut tx,
            &auth,
            "service.plan_change_withdrawn",
            "service",
            id,
            None,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What moving a client's service to each other plan costs today.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "listServicePlanOptions",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance", "business"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "The plans, cheapest first", body = Vec<PlanQuote>),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`plan_not_changeable` or `renewal_due`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/services/{id}/plan-options")]
async fn staff_plan_options(
    auth: Auth<PlanChangeStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<PlanQuote>>, ApiError> {
    let who = Requester::Staff(auth.principal.user_id);
    Ok(web::Json(options(&state, id.into_inner(), who).await?))
}

/// Move a client's service to another plan, billed to the client as if
/// they asked (an invoice, or a wallet credit). Audited.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "changeServicePlan",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance", "business"]))),
    params(("id" = i64, Path, description = "The service")),
    request_body = PlanChangeRequest,
    responses(
        (status = 201, description = "The change", body = PlanChange),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`plan_not_changeable`, `renewal_due`, `plan_change_pending` or `plan_unavailable`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a plan this service can move to", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/services/{id}/plan-changes")]
async fn staff_change_plan(
    auth: Auth<PlanChangeStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<PlanChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let who = Requester::Staff(auth.principal.user_id);
    let done = change(&state, &auth, id.into_inner(), who, &body).await?;
    Ok(HttpResponse::Created().json(done))
}

/// A service's plan changes, newest first.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "listServicePlanChanges",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance", "business"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "Newest first", body = Vec<PlanChange>),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/services/{id}/plan-changes")]
async fn staff_plan_changes(
    _auth: Auth<PlanChangeStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<PlanChange>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        plan_change::list(&mut conn, id.into_inner(), None).await?,
    ))
}
