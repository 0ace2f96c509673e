//! The signed-in user's own account: profile, billing address, checkout
//! readiness, password, two-factor setting, sessions and API tokens.

use actix_web::{HttpResponse, delete, get, post, put, web};
use identity::OtpChallenge;
use identity::Role;
use identity::account::{
    Account, ChangePasswordRequest, UpdateBillingAddressRequest, UpdateOtpRequest,
    UpdateProfileRequest,
};
use identity::api_token::{self, ApiToken, NewApiToken};
use identity::session::{self, Session};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{AnyUser, Auth};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_account)
        .service(update_profile)
        .service(update_billing_address)
        .service(checkout_readiness)
        .service(change_password)
        .service(start_otp_challenge)
        .service(update_otp)
        .service(list_sessions)
        .service(revoke_session)
        .service(list_api_tokens)
        .service(create_api_token)
        .service(revoke_api_token);
}

/// The signed-in account, with what is still missing before checkout.
#[utoipa::path(
    tag = "account",
    operation_id = "getAccount",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "The account", body = Account),
    )
)]
#[get("/api/v1/account")]
async fn get_account(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
) -> Result<web::Json<Account>, ApiError> {
    Ok(web::Json(
        state.identity.account(auth.principal.user_id).await?,
    ))
}

/// Set name, phone (normalised to +62) and company.
#[utoipa::path(
    tag = "account",
    operation_id = "updateProfile",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "Updated account", body = Account),
        (status = 422, description = "Invalid fields, e.g. a non-Indonesian phone", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/account/profile")]
async fn update_profile(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
    body: web::Json<UpdateProfileRequest>,
) -> Result<web::Json<Account>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .update_profile(&auth.principal, &auth.client, body.into_inner())
            .await?,
    ))
}

/// Set the billing address used on invoices.
#[utoipa::path(
    tag = "account",
    operation_id = "updateBillingAddress",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "Updated account", body = Account),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/account/billing-address")]
async fn update_billing_address(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
    body: web::Json<UpdateBillingAddressRequest>,
) -> Result<web::Json<Account>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .update_billing_address(&auth.principal, &auth.client, body.into_inner())
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutReadiness {
    pub ready: bool,
}

/// Whether the account may check out. When not, a 409 problem lists each missing field.
#[utoipa::path(
    tag = "account",
    operation_id = "checkoutReadiness",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "Ready", body = CheckoutReadiness),
        (status = 409, description = "`onboarding_incomplete`: `errors` names each missing field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/account/checkout-readiness")]
async fn checkout_readiness(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
) -> Result<web::Json<CheckoutReadiness>, ApiError> {
    state
        .identity
        .require_checkout_ready(auth.principal.user_id)
        .await?;
    Ok(web::Json(CheckoutReadiness { ready: true }))
}

/// Change the password; every other session is signed out at once, and the
/// API tokens are revoked unless `keep_api_tokens` is true.
#[utoipa::path(
    tag = "account",
    operation_id = "changePassword",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 204, description = "Changed"),
        (status = 403, description = "`interactive_session_required`: an API token cannot do this", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password or weak new one", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/account/password")]
async fn change_password(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .identity
        .change_password(&auth.principal, &auth.client, body.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Email a code that confirms turning two-factor sign-in on or off.
#[utoipa::path(
    tag = "account",
    operation_id = "startOtpChallenge",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "Code sent", body = OtpChallenge),
        (status = 403, description = "`interactive_session_required`: an API token cannot do this", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Cooldown: see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/account/otp/challenge")]
async fn start_otp_challenge(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
) -> Result<web::Json<OtpChallenge>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .start_settings_challenge(&auth.principal)
            .await?,
    ))
}

/// Turn two-factor sign-in on or off (staff cannot turn it off).
#[utoipa::path(
    tag = "account",
    operation_id = "updateOtp",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "Updated account", body = Account),
        (status = 403, description = "`otp_required_for_staff`; `interactive_session_required`: an API token cannot do this", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`otp_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`otp_invalid`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/account/otp")]
async fn update_otp(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
    body: web::Json<UpdateOtpRequest>,
) -> Result<web::Json<Account>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .set_otp(&auth.principal, &auth.client, body.into_inner())
            .await?,
    ))
}

/// Active sessions (signed-in devices), the current one marked.
#[utoipa::path(
    tag = "account",
    operation_id = "listSessions",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "Sessions, most recently used first (at most 100)", body = [Session]),
    )
)]
#[get("/api/v1/account/sessions")]
async fn list_sessions(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Session>>, ApiError> {
    Ok(web::Json(
        session::list_active(
            &state.pool,
            auth.principal.user_id,
            auth.principal.session_id,
        )
        .await?,
    ))
}

/// Sign a session out; its access tokens stop at once.
#[utoipa::path(
    tag = "account",
    operation_id = "revokeSession",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "`interactive_session_required`: an API token cannot do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active session of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/account/sessions/{id}")]
async fn revoke_session(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    if !state
        .identity
        .end_own_session(&auth.principal, id.into_inner())
        .await?
    {
        return Err(ApiError::NotFound("no such active session".to_owned()));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Personal API tokens (the secrets are never shown again).
#[utoipa::path(
    tag = "account",
    operation_id = "listApiTokens",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "Tokens, newest first", body = [ApiToken]),
    )
)]
#[get("/api/v1/account/api-tokens")]
async fn list_api_tokens(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<ApiToken>>, ApiError> {
    Ok(web::Json(
        api_token::list(&state.pool, auth.principal.user_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateApiTokenRequest {
    pub name: String,
    /// A subset of your roles; all of them when omitted.
    pub roles: Option<Vec<Role>>,
    /// 1 to 365, default 90. Capped at the end of the session making the
    /// token: a token never outlives the sign-in that made it.
    pub expires_in_days: Option<i64>,
    /// Needed when the sign-in is older than 5 minutes (or `otp_challenge_id`
    /// + `otp_code` from `POST /account/otp/challenge`).
    pub current_password: Option<String>,
    pub otp_challenge_id: Option<String>,
    pub otp_code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiToken {
    pub token: ApiToken,
    /// The secret, shown this once. Send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Create a personal API token for an integration. Needs a sign-in from the
/// last 5 minutes or the current password (or an emailed code) in the request.
/// A staff member's new token is audited and the owners are alerted.
#[utoipa::path(
    tag = "account",
    operation_id = "createApiToken",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 201, description = "Created; the secret is in the answer only", body = CreatedApiToken),
        (status = 403, description = "`step_up_required`: sign-in older than 5 minutes, send `current_password`; `interactive_session_required`: an API token cannot do this", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`otp_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name, expiry, roles you do not hold, too many tokens, or a wrong current password or code", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/account/api-tokens")]
async fn create_api_token(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
    body: web::Json<CreateApiTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = NewApiToken {
        name: body.name,
        roles: body.roles,
        expires_in_days: body.expires_in_days,
        current_password: body.current_password,
        otp_challenge_id: body.otp_challenge_id,
        otp_code: body.otp_code,
    };
    let (token, secret) = state
        .identity
        .create_api_token(&auth.principal, &auth.client, input)
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiToken { token, secret }))
}

/// Revoke a personal API token; it stops at once.
#[utoipa::path(
    tag = "account",
    operation_id = "revokeApiToken",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    params(("id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "`interactive_session_required`: an API token cannot do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live token of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/account/api-tokens/{id}")]
async fn revoke_api_token(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    if !state
        .identity
        .revoke_api_token(&auth.principal, &auth.client, id.into_inner())
        .await?
    {
        return Err(ApiError::NotFound("no such live API token".to_owned()));
    }
    Ok(HttpResponse::NoContent().finish())
}
