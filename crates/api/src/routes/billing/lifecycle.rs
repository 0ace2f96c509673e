//! The billing lifecycle: the client's renewals, cancellations and wallet
//! preference; staff's automation log, preview, dry run, the days the
//! lifecycle acts on (shop, product, service) and staff cancellations.

use actix_web::{HttpResponse, delete, get, post, put, web};
use billing::lifecycle::cancellation::{self, Cancellation, CancellationRequest, Canceller};
use billing::lifecycle::settings::{
    self, LifecycleTerms, ProductTerms, ServiceLifecycle, ServiceOverride,
};
use billing::lifecycle::sweep::{self, SweepReport};
use billing::lifecycle::view::{self, BillingPreferences, PreviewItem, Renewal, SweepRecord};
use identity::Role;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::Buyers;
use crate::auth::{Auth, Policy};
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(my_renewals)
        .service(cancel_my_service)
        .service(withdraw_my_cancellation)
        .service(my_billing_preferences)
        .service(set_my_billing_preferences)
        .service(list_sweeps)
        .service(run_sweep)
        .service(preview)
        .service(shop_terms)
        .service(set_shop_terms)
        .service(product_terms)
        .service(set_product_terms)
        .service(reset_product_terms)
        .service(service_lifecycle)
        .service(set_service_override)
        .service(staff_cancel_service)
        .service(staff_withdraw_cancellation);
}

/// The lifecycle's log, preview and days, overrides and staff
/// cancellations: the owner and finance.
pub struct LifecycleStaff;
impl Policy for LifecycleStaff {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Finance];
}

/// My recurring services: when each is next due, its open renewal
/// invoice, and when an unpaid one is suspended and ended.
#[utoipa::path(
    tag = "renewals",
    operation_id = "listMyRenewals",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    responses((status = 200, description = "Soonest due first", body = Vec<Renewal>))
)]
#[get("/api/v1/renewals")]
async fn my_renewals(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Renewal>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        view::renewals(&mut conn, auth.principal.user_id).await?,
    ))
}

/// Cancel my service, at once or at the end of the period paid for. No
/// renewal is invoiced after it; an open renewal invoice is withdrawn.
#[utoipa::path(
    tag = "renewals",
    operation_id = "cancelMyService",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    request_body = CancellationRequest,
    responses(
        (status = 200, description = "The cancellation", body = Cancellation),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`service_not_cancellable` or `cancellation_underway`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A reason longer than 500 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/services/{id}/cancellation")]
async fn cancel_my_service(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<CancellationRequest>,
) -> Result<web::Json<Cancellation>, ApiError> {
    let who = Canceller::Client(auth.principal.user_id);
    cancel(&state, id.into_inner(), who, &body)
        .await
        .map(web::Json)
}

async fn cancel(
    state: &AppState,
    id: i64,
    who: Canceller,
    body: &CancellationRequest,
) -> Result<Cancellation, ApiError> {
    let mut tx = state.pool.begin().await?;
    let done = cancellation::request(
        &mut tx,
        id,
        who,
        body,
        state.clock.now(),
        state.clock.today(),
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// Take my cancellation back, before it is carried out.
#[utoipa::path(
    tag = "renewals",
    operation_id = "withdrawMyCancellation",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 204, description = "Withdrawn (or there was none)"),
        (status = 404, description = "No such service of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cancellation_underway`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/services/{id}/cancellation")]
async fn withdraw_my_cancellation(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    cancellation::withdraw(
        &mut tx,
        id.into_inner(),
        Canceller::Client(auth.principal.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// My billing preferences.
#[utoipa::path(
    tag = "renewals",
    operation_id = "getMyBillingPreferences",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    responses((status = 200, description = "The preferences", body = BillingPreferences))
)]
#[get("/api/v1/account/billing-preferences")]
async fn my_billing_preferences(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
) -> Result<web::Json<BillingPreferences>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        view::preferences(&mut conn, auth.principal.user_id).await?,
    ))
}

/// Pay renewal invoices from my wallet when it covers them.
#[utoipa::path(
    tag = "renewals",
    operation_id = "setMyBillingPreferences",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    request_body = BillingPreferences,
    responses((status = 200, description = "Saved", body = BillingPreferences))
)]
#[put("/api/v1/account/billing-preferences")]
async fn set_my_billing_preferences(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    body: web::Json<BillingPreferences>,
) -> Result<web::Json<BillingPreferences>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        view::set_preferences(&mut conn, auth.principal.user_id, body.into_inner()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SweepsQuery {
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The automation log: the sweeps, newest first, with what each did and
/// what failed.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "listLifecycleSweeps",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(SweepsQuery),
    responses((status = 200, description = "Newest first", body = Vec<SweepRecord>))
)]
#[get("/api/v1/staff/lifecycle/sweeps")]
async fn list_sweeps(
    _auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    query: web::Query<SweepsQuery>,
) -> Result<web::Json<Vec<SweepRecord>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    Ok(web::Json(view::sweeps(&mut conn, limit).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SweepRequest {
    /// List what the sweep would do today and write nothing.
    pub dry_run: bool,
}

/// Sweep now: today's renewals, reminders, suspensions, terminations and
/// cancellations — or, dry, what they would be. A sweep is idempotent: it
/// does only what today's earlier sweeps have not.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "runLifecycleSweep",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    request_body = SweepRequest,
    responses((status = 200, description = "What it did (or would do)", body = SweepReport))
)]
#[post("/api/v1/staff/lifecycle/sweeps")]
async fn run_sweep(
    auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    body: web::Json<SweepRequest>,
) -> Result<web::Json<SweepReport>, ApiError> {
    let report = sweep::run(&state.pool, &state.clock, body.dry_run).await?;
    if !body.dry_run {
        let mut conn = state.pool.acquire().await?;
        audited(
            &mut conn,
            &auth,
            "lifecycle.swept",
            "lifecycle_sweep",
            report.id.unwrap_or_default(),
            None,
            Some(&report.counts),
        )
        .await?;
    }
    Ok(web::Json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// Days after today to look at: 0 to 31, default 7.
    #[param(minimum = 0, maximum = 31)]
    pub days: Option<i64>,
}

/// What the coming days' sweeps will do if nothing is paid: renewal
/// invoices, suspensions, terminations and cancellations, each on its day.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "previewLifecycle",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(PreviewQuery),
    responses((status = 200, description = "By day", body = Vec<PreviewItem>))
)]
#[get("/api/v1/staff/lifecycle/preview")]
async fn preview(
    _auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    query: web::Query<PreviewQuery>,
) -> Result<web::Json<Vec<PreviewItem>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let days = query.days.unwrap_or(7).clamp(0, view::PREVIEW_DAYS_MAX);
    Ok(web::Json(
        view::preview(&mut conn, state.clock.today(), days).await?,
    ))
}

/// The shop's lifecycle days, for products without their own.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "getLifecycleSettings",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    responses((status = 200, description = "The shop's days (no late fee)", body = LifecycleTerms))
)]
#[get("/api/v1/staff/lifecycle/settings")]
async fn shop_terms(
    _auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
) -> Result<web::Json<LifecycleTerms>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(settings::defaults(&mut conn).await?))
}

/// Change the shop's lifecycle days.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "setLifecycleSettings",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    request_body = LifecycleTerms,
    responses(
        (status = 200, description = "Saved (a late fee is per product only)", body = LifecycleTerms),
        (status = 422, description = "Days out of range, or termination not after suspension", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/lifecycle/settings")]
async fn set_shop_terms(
    auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    body: web::Json<LifecycleTerms>,
) -> Result<web::Json<LifecycleTerms>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = settings::defaults(&mut tx).await?;
    let after = settings::set_defaults(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        "lifecycle.settings_changed",
        "billing_setting",
        "lifecycle",
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// A product's lifecycle days and late fee (its own or the shop's).
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "getProductLifecycle",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "The product")),
    responses(
        (status = 200, description = "Its terms", body = ProductTerms),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/catalog/products/{id}/lifecycle")]
async fn product_terms(
    _auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ProductTerms>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        settings::for_product(&mut conn, id.into_inner()).await?,
    ))
}

/// Give a product lifecycle days and a late fee of its own.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "setProductLifecycle",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "The product")),
    request_body = LifecycleTerms,
    responses(
        (status = 200, description = "Saved", body = ProductTerms),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Days or fee out of range, or termination not after suspension", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/catalog/products/{id}/lifecycle")]
async fn set_product_terms(
    auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<LifecycleTerms>,
) -> Result<web::Json<ProductTerms>, ApiError> {
    change_product_terms(&auth, &state, id.into_inner(), Some(&body))
        .await
        .map(web::Json)
}

/// The product goes back to the shop's lifecycle days (and no late fee).
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "resetProductLifecycle",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "The product")),
    responses(
        (status = 200, description = "Now the shop's", body = ProductTerms),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/catalog/products/{id}/lifecycle")]
async fn reset_product_terms(
    auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ProductTerms>, ApiError> {
    change_product_terms(&auth, &state, id.into_inner(), None)
        .await
        .map(web::Json)
}

async fn change_product_terms(
    auth: &Auth<LifecycleStaff>,
    state: &AppState,
    id: i64,
    terms: Option<&LifecycleTerms>,
) -> Result<ProductTerms, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = settings::for_product(&mut tx, id).await?;
    let after = settings::set_for_product(&mut tx, id, terms).await?;
    audited(
        &mut tx,
        auth,
        "product.lifecycle_changed",
        "product",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A service's lifecycle: its terms and due date, the days that apply,
/// its overrides and extension, and a pending cancellation.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "getServiceLifecycle",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 200, description = "Its lifecycle", body = ServiceLifecycle),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/services/{id}/lifecycle")]
async fn service_lifecycle(
    _auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ServiceLifecycle>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        settings::service_lifecycle(&mut conn, id.into_inner()).await?,
    ))
}

/// Other lifecycle days for one service, or an extension: no suspension
/// nor termination before its day. Every change names its reason.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "setServiceLifecycle",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "The service")),
    request_body = ServiceOverride,
    responses(
        (status = 204, description = "Saved"),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, days out of range, or termination not after suspension", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/services/{id}/lifecycle")]
async fn set_service_override(
    auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ServiceOverride>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = settings::set_for_service(&mut tx, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        "service.lifecycle_changed",
        "service",
        id,
        Some(&before),
        Some(&body.into_inner()),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancel a client's service, at once or at the end of its period.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "staffCancelService",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "The service")),
    request_body = CancellationRequest,
    responses(
        (status = 200, description = "The cancellation", body = Cancellation),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`service_not_cancellable` or `cancellation_underway`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A reason longer than 500 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/services/{id}/cancellation")]
async fn staff_cancel_service(
    auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<CancellationRequest>,
) -> Result<web::Json<Cancellation>, ApiError> {
    let id = id.into_inner();
    let done = cancel(&state, id, Canceller::Staff(auth.principal.user_id), &body).await?;
    let mut conn = state.pool.acquire().await?;
    audited(
        &mut conn,
        &auth,
        "service.cancelled",
        "service",
        id,
        None,
        Some(&done),
    )
    .await?;
    Ok(web::Json(done))
}

/// Take a cancellation back, before it is carried out.
#[utoipa::path(
    tag = "lifecycle",
    operation_id = "staffWithdrawCancellation",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "finance"]))),
    params(("id" = i64, Path, description = "The service")),
    responses(
        (status = 204, description = "Withdrawn (or there was none)"),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cancellation_underway`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/services/{id}/cancellation")]
async fn staff_withdraw_cancellation(
    auth: Auth<LifecycleStaff>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    if cancellation::withdraw(&mut tx, id, Canceller::Staff(auth.principal.user_id)).await? {
        audited::<_, ()>(
            &mut tx,
            &auth,
            "service.cancellation_withdrawn",
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
