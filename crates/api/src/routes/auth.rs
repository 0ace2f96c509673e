//! Public sign-in endpoints and the JWKS document.

use actix_web::cookie::Cookie;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
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
use crate::security;
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
/// An address that already has an account gets the same answer, and its
/// holder an email saying so (no account probing).
#[utoipa::path(
    tag = "auth",
    operation_id = "register",
    responses(
        (status = 201, description = "Account created (or the address already had one: its holder is told by email); verification email sent", body = RegisterResponse),
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

/// Confirm an email address with the emailed code. Any failed code answers
/// the same, whether the address is unknown, verified or unverified.
#[utoipa::path(
    tag = "auth",
    operation_id = "verifyEmail",
    responses(
        (status = 204, description = "Email verified"),
        (status = 422, description = "`otp_invalid` (wrong or expired code, or no such unverified address) or invalid fields", body = Problem, content_type = "application/problem+json"),
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
        (status = 200, description = "Tokens, or an OTP challenge. With tokens, the refresh token is set as the `HttpOnly` `juragan_refresh` cookie (path `/api/v1/auth`, `SameSite=Strict`) and is left out of the body unless `refresh_token_in_body` was asked for", body = LoginResponse),
        (status = 401, description = "`invalid_credentials`: wrong password, unknown address, or too many failures from this place (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`email_not_verified` or `account_disabled` (only after the right password)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this place: see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`server_busy`: every core is checking passwords; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/login")]
async fn login(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let in_body = input.refresh_token_in_body;
    let mut answer = state.identity.login(&client.0, input).await?;
    let cookie = answer
        .tokens
        .as_mut()
        .and_then(|tokens| hand_over_refresh(&state, tokens, in_body));
    Ok(with_cookies(HttpResponse::Ok(), cookie).json(answer))
}

/// Moves the refresh token out of the body into the cookie, unless the
/// caller asked for it in the body (an integration, not a browser).
fn hand_over_refresh(
    state: &AppState,
    tokens: &mut TokenPair,
    in_body: bool,
) -> Option<Vec<Cookie<'static>>> {
    if in_body {
        return None;
    }
    let token = tokens.refresh_token.take()?;
    let lifetime = std::time::Duration::from_secs(tokens.refresh_expires_in);
    Some(security::session_cookies(
        state.settings.app_env,
        &token,
        lifetime,
    ))
}

fn with_cookies(
    mut builder: actix_web::HttpResponseBuilder,
    cookies: Option<Vec<Cookie<'static>>>,
) -> actix_web::HttpResponseBuilder {
    builder.insert_header(security::no_store());
    for cookie in cookies.into_iter().flatten() {
        builder.cookie(cookie);
    }
    builder
}

/// Finish signing in with the emailed code.
#[utoipa::path(
    tag = "auth",
    operation_id = "loginOtp",
    responses(
        (status = 200, description = "Signed in; the refresh token as for `/auth/login`", body = TokenPair),
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
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let in_body = input.refresh_token_in_body;
    let mut tokens = state.identity.verify_login_otp(&client.0, input).await?;
    let cookie = hand_over_refresh(&state, &mut tokens, in_body);
    Ok(with_cookies(HttpResponse::Ok(), cookie).json(tokens))
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
/// once; presenting a used one revokes its whole session. Browsers send no
/// body: the `juragan_refresh` cookie carries the token and the answer sets
/// the next one the same way. Integrations send `{"refresh_token": …}` and get
/// the next one in the body.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh",
    request_body(content = Option<RefreshTokenRequest>, description = "Only for integrations; browsers rely on the cookie", content_type = "application/json"),
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "No, unknown, expired, revoked or reused refresh token (the cookie is cleared)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`account_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many refreshes from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    client: Client,
    request: HttpRequest,
    body: Option<web::Json<RefreshTokenRequest>>,
) -> Result<HttpResponse, ApiError> {
    let (token, from_cookie) = match body {
        Some(body) => (body.into_inner().refresh_token, false),
        None => (
            security::refresh_from_cookie(&request).ok_or_else(|| ApiError::Unauthorized {
                code: "unauthorized",
                detail: "no refresh token: sign in".to_owned(),
            })?,
            true,
        ),
    };
    let refreshed = state
        .identity
        .refresh(
            &client.0,
            RefreshTokenRequest {
                refresh_token: token,
            },
        )
        .await;
    match refreshed {
        Ok(mut tokens) => {
            let cookie = hand_over_refresh(&state, &mut tokens, !from_cookie);
            Ok(with_cookies(HttpResponse::Ok(), cookie).json(tokens))
        }
        Err(error) if from_cookie => {
            // A refused cookie is dead: the browser need not send it again.
            let mut response = actix_web::ResponseError::error_response(&ApiError::from(error));
            for cookie in security::cleared_session_cookies(state.settings.app_env) {
                let _ = response.add_cookie(&cookie);
            }
            Ok(response)
        }
        Err(error) => Err(error.into()),
    }
}

/// Sign out: revokes the session of this refresh token (the cookie's, or
/// the body's for integrations) and clears the cookie.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    request_body(content = Option<RefreshTokenRequest>, description = "Only for integrations; browsers rely on the cookie", content_type = "application/json"),
    responses((status = 204, description = "Signed out; the refresh cookie is cleared"))
)]
#[post("/api/v1/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Option<web::Json<RefreshTokenRequest>>,
) -> Result<HttpResponse, ApiError> {
    let token = body
        .map(|body| body.into_inner().refresh_token)
        .or_else(|| security::refresh_from_cookie(&request));
    if let Some(token) = token {
        state
            .identity
            .logout(RefreshTokenRequest {
                refresh_token: token,
            })
            .await?;
    }
    let mut response = HttpResponse::NoContent();
    for cookie in security::cleared_session_cookies(state.settings.app_env) {
        response.cookie(cookie);
    }
    Ok(response.finish())
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
        (status = 429, description = "Too many attempts from this address: see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`server_busy`: every core is checking passwords; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/invitations/accept")]
async fn accept_invitation(
    state: web::Data<AppState>,
    client: Client,
    body: web::Json<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .identity
        .accept_invitation(&client.0, body.into_inner())
        .await?;
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
