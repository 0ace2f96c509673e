//! Browser hardening: the security headers every response carries, and the
//! refresh-token cookie.
//!
//! The Content-Security-Policy allows scripts only from this origin (the SPA
//! bundle and the vendored Swagger UI are files, neither needs inline script);
//! styles may be inline because Naive UI and Swagger UI inject `<style>`
//! elements and `style` attributes at run time. Nothing may frame the app.
//!
//! The refresh token lives in an `HttpOnly` cookie scoped to the auth
//! endpoints, so page scripts (and anything injected into them) never see it;
//! `SameSite=Strict` keeps other sites from making the browser send it.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;

use crate::config::AppEnv;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

/// Two years, the HSTS preload list's minimum.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The headers on every response (added where a handler did not set its own).
pub fn headers(app_env: AppEnv) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"));
    // Only in production: HTTPS is the proxy's job there, and a development
    // browser must not remember to refuse plain http://127.0.0.1.
    if app_env == AppEnv::Production {
        headers = headers.add(("Strict-Transport-Security", HSTS));
    }
    headers
}

/// The refresh token's cookie.
pub const REFRESH_COOKIE: &str = "juragan_refresh";
/// Sent only to the auth endpoints (refresh, sign-out, sign-in).
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// Readable by scripts and holding no secret: tells the SPA that a refresh
/// cookie may exist, so visitors who never signed in are not sent to
/// `POST /auth/refresh` on every page load.
pub const SESSION_MARKER_COOKIE: &str = "juragan_session";

/// The cookies a sign-in or refresh sets: the refresh token and the marker.
pub fn session_cookies(app_env: AppEnv, token: &str, lifetime: Duration) -> Vec<Cookie<'static>> {
    let marker = Cookie::build(SESSION_MARKER_COOKIE, "1")
        .path("/")
        .same_site(SameSite::Strict)
        .secure(app_env == AppEnv::Production)
        .max_age(max_age(lifetime))
        .finish();
    vec![refresh_cookie(app_env, token, lifetime), marker]
}

/// The cookies that end the browser's session.
pub fn cleared_session_cookies(app_env: AppEnv) -> Vec<Cookie<'static>> {
    session_cookies(app_env, "", Duration::ZERO)
        .into_iter()
        .map(|mut cookie| {
            cookie.make_removal();
            cookie
        })
        .collect()
}

fn max_age(lifetime: Duration) -> actix_web::cookie::time::Duration {
    actix_web::cookie::time::Duration::seconds(
        i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
    )
}

/// A cookie holding `token` for `lifetime`.
pub fn refresh_cookie(app_env: AppEnv, token: &str, lifetime: Duration) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, token.to_owned())
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(app_env == AppEnv::Production)
        .max_age(max_age(lifetime))
        .finish()
}

/// The refresh token the browser sent, if any.
pub fn refresh_from_cookie(request: &HttpRequest) -> Option<String> {
    request
        .cookie(REFRESH_COOKIE)
        .map(|cookie| cookie.value().trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// `Cache-Control: no-store` for answers carrying tokens.
pub fn no_store() -> (HeaderName, HeaderValue) {
    (
        actix_web::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    )
}
