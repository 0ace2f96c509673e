//! Public sign-in endpoints and the JWKS document.

use actix_web::{HttpResponse, get, post, web};
use identity::OtpChallenge;
use identity::TokenPair;
use identity::login::{
    ChallengeRequest, EmailOnlyRequest, LoginOtpRequest, LoginRequest, LoginResponse,
    RefreshTokenRequest, RegisterRequest, RegisterResponse, ResetPasswordRequest,
    VerifyEmailRequest,
};
use identity::staff::AcceptInvitationRequest;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Client;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(register)
        .service(verify_email)
        .service(resend_verification)
        .service(login)
        .service(login_otp)
        .service(resend_login_otp)
        .service(refresh)
        .service(logout)
        .service(forgot_password)
        .service(reset_password)
        .service(accept_invitation)
        .service(jwks);
}

/// Create a client account. Emails a 6-digit verification code and link.
#[utoipa::path(
    tag = "auth",
    operation_id = "register",
    responses(
        (status = 201, description = "Account created; verification email sent", body = RegisterResponse),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/register")]
async fn register(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .identity
        .register(&client.0, body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Confirm an email address with the emailed code.
#[utoipa::path(
    tag = "auth",
    operation_id = "verifyEmail",
    responses(
        (status = 204, description = "Email verified"),
        (status = 410, description = "`otp_expired`: no live code for this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`otp_invalid` (wrong code) or invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/verify-email")]
async fn verify_email(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .identity
        .verify_email(&client.0, body.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a new verification code (the answer does not reveal whether the account exists).
#[utoipa::path(
    tag = "auth",
    operation_id = "resendVerification",
    responses(
        (status = 202, description = "A code was sent if the address needs one"),
        (status = 422, description = "Invalid email", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Cooldown: see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/verify-email/resend")]
async fn resend_verification(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<EmailOnlyRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .identity
        .resend_verification(&client.0, body.into_inner())
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Sign in with email and password. Staff, and clients who enabled it, get
/// `otp_required` and an emailed code instead of tokens.
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    responses(
        (status = 200, description = "Tokens, or an OTP challenge", body = LoginResponse),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`email_not_verified` or `account_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 423, description = "`account_locked` after repeated failures", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/login")]
async fn login(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    Ok(web::Json(
        state.identity.login(&client.0, body.into_inner()).await?,
    ))
}

/// Finish signing in with the emailed code.
#[utoipa::path(
    tag = "auth",
    operation_id = "loginOtp",
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 410, description = "`otp_expired`: the challenge or code is gone; sign in again", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`otp_invalid`: wrong code, attempts left in the detail", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/login/otp")]
async fn login_otp(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<LoginOtpRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .verify_login_otp(&client.0, body.into_inner())
            .await?,
    ))
}

/// Email a new sign-in code (60 s cooldown, hourly cap).
#[utoipa::path(
    tag = "auth",
    operation_id = "resendLoginOtp",
    responses(
        (status = 200, description = "A new code was sent", body = OtpChallenge),
        (status = 410, description = "`otp_expired`: the challenge is gone", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Cooldown or hourly cap: see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/login/otp/resend")]
async fn resend_login_otp(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<ChallengeRequest>,
) -> Result<web::Json<OtpChallenge>, ApiError> {
    Ok(web::Json(
        state
            .identity
            .resend_login_otp(&client.0, body.into_inner())
            .await?,
    ))
}

/// Exchange a refresh token for a new token pair. Each refresh token works
/// once; presenting a used one revokes its whole session.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh",
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`account_disabled`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<RefreshTokenRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    Ok(web::Json(
        state.identity.refresh(&client.0, body.into_inner()).await?,
    ))
}

/// Sign out: revokes the session of this refresh token.
#[utoipa::path(tag = "auth", operation_id = "logout", responses((status = 204, description = "Signed out")))]
#[post("/api/v1/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    state.identity.logout(body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Email a password-reset link (the answer does not reveal whether the account exists).
#[utoipa::path(
    tag = "auth",
    operation_id = "forgotPassword",
    responses(
        (status = 202, description = "A link was sent if the account exists"),
        (status = 422, description = "Invalid email", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/password/forgot")]
async fn forgot_password(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<EmailOnlyRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .identity
        .forgot_password(&client.0, body.into_inner())
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with the emailed link's token; signs out every session.
#[utoipa::path(
    tag = "auth",
    operation_id = "resetPassword",
    responses(
        (status = 204, description = "Password changed"),
        (status = 410, description = "`token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Weak password", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/password/reset")]
async fn reset_password(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .identity
        .reset_password(&client.0, body.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept a staff invitation: set name and password.
#[utoipa::path(
    tag = "auth",
    operation_id = "acceptInvitation",
    responses(
        (status = 204, description = "Account active; sign in"),
        (status = 410, description = "`token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/invitations/accept")]
async fn accept_invitation(
    state: web::Data<AppState>,
    body: web::Json<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    state.identity.accept_invitation(body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The public keys that verify access tokens (RFC 7517).
#[utoipa::path(
    tag = "auth",
    operation_id = "jwks",
    responses((status = 200, description = "JSON Web Key Set", content_type = "application/json", body = Object))
)]
#[get("/.well-known/jwks.json")]
async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(state.identity.keys().jwks())
}
