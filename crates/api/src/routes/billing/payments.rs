//! Payments: the methods offered, a payment's state (polled by the payment
//! page), the proof of a manual transfer, and the gateways' notifications.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use billing::payment::attempt::{self, PaymentAttempt};
use billing::payment::gateway::{GatewayKind, IncomingNotification};
use billing::payment::manual;
use billing::payment::methods::{self, PaymentMethodInfo};
use billing::payment::webhook::{self, WebhookOutcome};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::Buyers;
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// A gateway notification is small; anything larger is not one.
const NOTIFICATION_MAX_BYTES: usize = 64 * 1024;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(payment_methods)
        .service(get_payment)
        .service(check_payment)
        .service(upload_proof)
        .service(midtrans_notification)
        .service(xendit_callback)
        .service(pakasir_webhook);
}

/// The ways to pay the shop offers now.
#[utoipa::path(
    tag = "payments",
    operation_id = "listPaymentMethods",
    responses((status = 200, description = "Enabled methods; the wallet is always offered", body = Vec<PaymentMethodInfo>))
)]
#[get("/api/v1/payment-methods")]
async fn payment_methods(
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<PaymentMethodInfo>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(methods::offered(&mut conn).await?))
}

/// One of the caller's payments, as stored.
#[utoipa::path(
    tag = "payments",
    operation_id = "getMyPayment",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Payment attempt id")),
    responses(
        (status = 200, description = "The payment", body = PaymentAttempt),
        (status = 404, description = "No such payment of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/payments/{id}")]
async fn get_payment(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<PaymentAttempt>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        attempt::view_for(&mut conn, *id, auth.principal.user_id).await?,
    ))
}

/// Ask the gateway about one of the caller's payments now (after the browser
/// returns from the gateway, or while the QR is shown) and apply its answer.
#[utoipa::path(
    tag = "payments",
    operation_id = "checkMyPayment",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Payment attempt id")),
    responses(
        (status = 200, description = "The payment after asking", body = PaymentAttempt),
        (status = 404, description = "No such payment of yours", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The gateway cannot be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/payments/{id}/check")]
async fn check_payment(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<PaymentAttempt>, ApiError> {
    Ok(web::Json(
        attempt::check(&state.payments, *id, Some(auth.principal.user_id)).await?,
    ))
}

/// Attach the proof of a bank transfer (PNG, JPEG or WebP, at most 2 MiB, as the raw body).
#[utoipa::path(
    tag = "payments",
    operation_id = "uploadTransferProof",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Payment attempt id of a manual transfer")),
    request_body(content = Vec<u8>, content_type = "image/*", description = "The image file"),
    responses(
        (status = 200, description = "Attached; finance will confirm", body = PaymentAttempt),
        (status = 404, description = "No such manual payment of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`attempt_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 2 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a PNG, JPEG or WebP image", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/payments/{id}/proof")]
async fn upload_proof(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Payload,
) -> Result<web::Json<PaymentAttempt>, ApiError> {
    let bytes = super::super::upload::read_body(body, manual::PROOF_MAX_BYTES).await?;
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        manual::upload_proof(&mut conn, *id, auth.principal.user_id, &bytes).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationReceipt {
    /// `applied`, `replayed` or `ignored`.
    pub outcome: &'static str,
}

async fn receive(
    state: &AppState,
    kind: GatewayKind,
    request: &HttpRequest,
    path_token: Option<&str>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = super::super::upload::read_body(body, NOTIFICATION_MAX_BYTES).await?;
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_ascii_lowercase(),
                value.to_str().ok()?.to_owned(),
            ))
        })
        .collect();
    let outcome = webhook::receive(
        &state.payments,
        kind,
        &IncomingNotification {
            headers: &headers,
            path_token,
            body: &body,
        },
    )
    .await?;
    let outcome = match outcome {
        WebhookOutcome::Applied(_) => "applied",
        WebhookOutcome::Replayed => "replayed",
        WebhookOutcome::UnknownReference => "ignored",
    };
    // A fast 2xx with no redirect: gateways retry anything else.
    Ok(HttpResponse::Ok().json(NotificationReceipt { outcome }))
}

/// Midtrans HTTP notification, verified by its `signature_key` (SHA-512).
#[utoipa::path(
    tag = "payments",
    operation_id = "midtransNotification",
    request_body(content = Object, description = "Midtrans notification JSON"),
    responses(
        (status = 200, description = "Received (also for a replay)", body = NotificationReceipt),
        (status = 401, description = "`invalid_signature`: nothing was written", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`payment_method_disabled`: this gateway is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body that is not the gateway's notification", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/payments/webhooks/midtrans")]
async fn midtrans_notification(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    receive(&state, GatewayKind::Midtrans, &request, None, body).await
}

/// Xendit invoice callback, verified by its `x-callback-token`.
#[utoipa::path(
    tag = "payments",
    operation_id = "xenditCallback",
    request_body(content = Object, description = "Xendit invoice callback JSON"),
    responses(
        (status = 200, description = "Received (also for a replay)", body = NotificationReceipt),
        (status = 401, description = "`invalid_signature`: nothing was written", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`payment_method_disabled`: this gateway is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body that is not the gateway's notification", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/payments/webhooks/xendit")]
async fn xendit_callback(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    receive(&state, GatewayKind::Xendit, &request, None, body).await
}

/// Pakasir webhook. It is unsigned, so the secret is in the path, and it is only
/// a hint: the transaction-detail API's answer is what is applied.
#[utoipa::path(
    tag = "payments",
    operation_id = "pakasirWebhook",
    params(("token" = String, Path, description = "The shop's webhook secret")),
    request_body(content = Object, description = "Pakasir webhook JSON"),
    responses(
        (status = 200, description = "Received", body = NotificationReceipt),
        (status = 401, description = "`invalid_signature`: wrong path secret; nothing was written", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`payment_method_disabled`: this gateway is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body that is not the gateway's notification", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/payments/webhooks/pakasir/{token}")]
async fn pakasir_webhook(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    receive(&state, GatewayKind::Pakasir, &request, Some(&token), body).await
}
