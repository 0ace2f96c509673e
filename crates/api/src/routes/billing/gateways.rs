//! Payment gateway settings: credentials sealed, shown masked, tested.

use std::time::Instant;

use actix_web::{get, post, put, web};
use billing::payment::methods::{self, GatewayInput, GatewayView};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{GatewayAdmins, GatewayReaders};
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_gateways)
        .service(save_gateway)
        .service(test_gateway);
}

/// Every payment gateway's settings, secrets masked.
#[utoipa::path(
    tag = "payments",
    operation_id = "listPaymentGateways",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "finance"]))),
    responses((status = 200, description = "Gateways", body = Vec<GatewayView>))
)]
#[get("/api/v1/staff/payment-gateways")]
async fn list_gateways(
    _auth: Auth<GatewayReaders>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<GatewayView>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(methods::list(&mut conn, &state.sealer).await?))
}

/// Save a gateway's settings; a secret left out keeps its stored value.
#[utoipa::path(
    tag = "payments",
    operation_id = "savePaymentGateway",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin"]))),
    params(("gateway" = String, Path, description = "`midtrans`, `xendit`, `pakasir` or `manual`")),
    request_body = GatewayInput,
    responses(
        (status = 200, description = "Saved (secrets masked)", body = GatewayView),
        (status = 404, description = "No such gateway", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or missing fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/payment-gateways/{gateway}")]
async fn save_gateway(
    auth: Auth<GatewayAdmins>,
    state: web::Data<AppState>,
    gateway: web::Path<String>,
    body: web::Json<GatewayInput>,
) -> Result<web::Json<GatewayView>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let before = methods::find(&mut tx, &state.sealer, &gateway).await?;
    let after = methods::save(
        &mut tx,
        &state.sealer,
        &gateway,
        &body,
        Some(auth.principal.user_id),
    )
    .await?;
    // The views hold masked secrets only, so the audit log never sees one.
    audited(
        &mut tx,
        &auth,
        "payment_gateway.saved",
        "payment_gateway",
        &*gateway,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionTest {
    pub ok: bool,
    pub latency_ms: u64,
    /// What the gateway answered, or the precise error.
    pub detail: String,
}

/// Call the gateway with the stored credentials and report.
#[utoipa::path(
    tag = "payments",
    operation_id = "testPaymentGateway",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "finance"]))),
    params(("gateway" = String, Path, description = "`midtrans`, `xendit` or `pakasir`")),
    responses(
        (status = 200, description = "The result, success or not", body = ConnectionTest),
        (status = 404, description = "No such gateway", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`payment_method_disabled`: not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/payment-gateways/{gateway}/test")]
async fn test_gateway(
    _auth: Auth<GatewayReaders>,
    state: web::Data<AppState>,
    gateway: web::Path<String>,
) -> Result<web::Json<ConnectionTest>, ApiError> {
    let kind = methods::kind_of(&gateway)
        .ok_or_else(|| ApiError::NotFound("no such payment gateway".to_owned()))?;
    let mut conn = state.pool.acquire().await?;
    let client =
        methods::client(&mut conn, &state.sealer, &state.payments.http, kind, false).await?;
    drop(conn);
    let started = Instant::now();
    Ok(web::Json(match client.test_connection().await {
        Ok(report) => ConnectionTest {
            ok: true,
            latency_ms: report.latency_ms,
            detail: report.detail,
        },
        Err(error) => ConnectionTest {
            ok: false,
            latency_ms: started.elapsed().as_millis() as u64,
            detail: error.to_string(),
        },
    }))
}
