//! The client's wallet: balances, movements, top-ups.

use actix_web::{HttpResponse, get, post, web};
use billing::invoice::Invoice;
use billing::wallet::{self, TopUpRequest, WalletBalance, WalletEntry};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Buyers, buyer_snapshot};
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config.service(balances).service(entries).service(top_up);
}

/// The caller's wallet balance per currency.
#[utoipa::path(
    tag = "wallet",
    operation_id = "getMyWallet",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    responses((status = 200, description = "Balances, IDR first", body = Vec<WalletBalance>))
)]
#[get("/api/v1/wallet")]
async fn balances(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<WalletBalance>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        wallet::balances(&mut conn, auth.principal.user_id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EntryQuery {
    /// An entry id: the page starts after it (older).
    pub before: Option<i64>,
    /// 1 to 100; default 50.
    pub limit: Option<i64>,
}

/// The caller's wallet movements, newest first.
#[utoipa::path(
    tag = "wallet",
    operation_id = "listMyWalletEntries",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(EntryQuery),
    responses((status = 200, description = "Movements", body = Vec<WalletEntry>))
)]
#[get("/api/v1/wallet/entries")]
async fn entries(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    query: web::Query<EntryQuery>,
) -> Result<web::Json<Vec<WalletEntry>>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let limit = query.limit.unwrap_or(50).clamp(1, domain::PAGE_SIZE_MAX);
    Ok(web::Json(
        wallet::history(&mut conn, auth.principal.user_id, query.before, limit).await?,
    ))
}

/// Top up the wallet: creates an invoice to pay with any gateway.
#[utoipa::path(
    tag = "wallet",
    operation_id = "topUpMyWallet",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    request_body = TopUpRequest,
    responses(
        (status = 201, description = "The invoice to pay", body = Invoice),
        (status = 409, description = "`onboarding_incomplete`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Amount out of range or unknown currency", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/wallet/top-ups")]
async fn top_up(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    body: web::Json<TopUpRequest>,
) -> Result<HttpResponse, ApiError> {
    let amount = body.validate()?;
    let account = state
        .identity
        .checkout_ready_account(auth.principal.user_id)
        .await?;
    let invoice = billing::checkout::top_up(
        &state.pool,
        &buyer_snapshot(&account),
        auth.principal.user_id,
        amount,
        state.clock.now(),
        &state.clock.calendar(),
    )
    .await?;
    Ok(HttpResponse::Created().json(invoice))
}
