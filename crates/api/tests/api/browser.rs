//! Browser hardening: security headers on every answer, the refresh token as
//! an `HttpOnly` cookie (set, rotated, cleared), the metrics token and
//! `/readyz` without details in production.

use sqlx::PgPool;

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with};

/// A throwaway ES256 key (not the development default), so production starts.
const PRODUCTION_TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLnC5J0+Xv1LJ+diE\nxlfw3aERfWXdNOneDSlYM2uzuB2hRANCAASACHWI2Q96Ad6rEG0yJP6KIuiGBxyV\nUDPEAPfmyxGs5dyiNjj4h4ppP6S18V7706d0YVsV/Tgzv6r2QFVPxYul\n-----END PRIVATE KEY-----";

async fn spawn_production(pool: PgPool) -> TestApp {
    spawn_app_with(
        pool,
        &[
            ("APP_ENV", "production"),
            (
                "JURAGAN_SECRET_KEY",
                "c29tZXRoaW5nIGVsc2UgZW50aXJlbHkgMzIgYnl0ZXM=",
            ),
            ("JWT_PRIVATE_KEYS", PRODUCTION_TEST_KEY),
        ],
    )
    .await
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

fn cookie<'a>(cookies: &'a [String], name: &str) -> &'a str {
    cookies
        .iter()
        .find(|cookie| cookie.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
}

/// The value of `name=value; …`.
fn value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default()
}

fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|attribute| attribute.trim().to_ascii_lowercase())
        .collect()
}

/// Signs a client in as the SPA does (no `refresh_token_in_body`).
async fn browser_sign_in(app: &TestApp, email: &str) -> (serde_json::Value, Vec<String>) {
    app.register_verified_client(email).await;
    let response = app
        .post_json(
            "/api/v1/auth/login",
            serde_json::json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cookies = set_cookies(&response);
    let body: serde_json::Value = response.json().await.unwrap();
    (body, cookies)
}

async fn refresh_with(app: &TestApp, refresh_cookie: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .header("Cookie", format!("juragan_refresh={refresh_cookie}"))
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn every_answer_carries_the_security_headers(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    for path in [
        "/healthz",
        "/",
        "/client/account",
        "/api/v1/no-such-endpoint",
        "/api/v1/account",
        "/api/docs/",
        "/api/openapi.json",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("no CSP on {path}"))
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
        assert!(
            !headers.contains_key("strict-transport-security"),
            "no HSTS outside production ({path})"
        );
    }
    // Swagger UI loads only files from this origin: nothing the CSP blocks.
    let docs = app.get("/api/docs/").await.text().await.unwrap();
    assert!(docs.contains("swagger-initializer.js"));
    assert!(
        !docs.contains("<script>") && !docs.contains("<script type=\"text/javascript\">"),
        "no inline script in the Swagger UI page"
    );
    let initializer = app.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(initializer.status().as_u16(), 200);

    let production = spawn_production(pool).await;
    let response = production.get("/healthz").await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_refresh_token_is_an_httponly_cookie_that_rotates_and_sign_out_clears(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (body, cookies) = browser_sign_in(&app, "budi@example.test").await;
    assert!(
        body["tokens"]["access_token"].is_string(),
        "the access token is in the body"
    );
    assert!(
        body["tokens"].get("refresh_token").is_none(),
        "the refresh token is not: {body}"
    );
    let refresh = cookie(&cookies, "juragan_refresh");
    let attrs = attributes(refresh);
    for expected in ["httponly", "samesite=strict", "path=/api/v1/auth"] {
        assert!(attrs.contains(&expected.to_owned()), "{refresh}");
    }
    assert!(
        attrs
            .iter()
            .any(|attribute| attribute.starts_with("max-age=")),
        "{refresh}"
    );
    assert!(
        !attrs.contains(&"secure".to_owned()),
        "Secure only in production (tests are plain http)"
    );
    let marker = cookie(&cookies, "juragan_session");
    assert!(!attributes(marker).contains(&"httponly".to_owned()));
    assert_eq!(value(marker), "1", "the marker holds no secret");
    let first = value(refresh);

    // A reload: the SPA refreshes with the cookie alone, no body.
    let rotated = refresh_with(&app, &first).await;
    assert_eq!(rotated.status().as_u16(), 200);
    let next_cookies = set_cookies(&rotated);
    let body: serde_json::Value = rotated.json().await.unwrap();
    assert!(body["access_token"].is_string());
    assert!(
        body.get("refresh_token").is_none(),
        "never in the body: {body}"
    );
    let second = value(cookie(&next_cookies, "juragan_refresh"));
    assert_ne!(second, first, "rotated");
    let token = body["access_token"].as_str().unwrap();
    let account = app
        .authed(reqwest::Method::GET, "/api/v1/account", token, None)
        .await;
    assert_eq!(account.status().as_u16(), 200);

    // No cookie at all: 401, nothing else.
    let none = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_problem(none, 401, "unauthorized").await;

    // Sign-out with the cookie revokes the session and clears both cookies.
    let out = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("Cookie", format!("juragan_refresh={second}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    let cleared = set_cookies(&out);
    for name in ["juragan_refresh", "juragan_session"] {
        let set = cookie(&cleared, name);
        assert_eq!(value(set), "", "{set}");
        assert!(attributes(set).contains(&"max-age=0".to_owned()), "{set}");
    }
    assert!(
        attributes(cookie(&cleared, "juragan_refresh")).contains(&"path=/api/v1/auth".to_owned())
    );
    let after = refresh_with(&app, &second).await;
    let cleared_again = set_cookies(&after);
    assert_problem(after, 401, "unauthorized").await;
    assert_eq!(
        value(cookie(&cleared_again, "juragan_refresh")),
        "",
        "a refused cookie is cleared"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn integrations_keep_the_refresh_token_in_the_body_and_production_cookies_are_secure(
    pool: PgPool,
) {
    let app = spawn_app(pool.clone()).await;
    app.register_verified_client("api@example.test").await;
    // Asked for explicitly: in the body, and no cookie.
    let tokens = app.login("api@example.test", PASSWORD).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let rotated = app
        .post_json(
            "/api/v1/auth/refresh",
            serde_json::json!({"refresh_token": refresh}),
        )
        .await;
    assert!(
        set_cookies(&rotated).is_empty(),
        "no cookie for body refreshes"
    );
    let body: serde_json::Value = rotated.json().await.unwrap();
    assert!(body["refresh_token"].is_string());

    let production = spawn_production(pool).await;
    let (_, cookies) = browser_sign_in(&production, "prod@example.test").await;
    assert!(attributes(cookie(&cookies, "juragan_refresh")).contains(&"secure".to_owned()));
    assert!(attributes(cookie(&cookies, "juragan_session")).contains(&"secure".to_owned()));
}

#[sqlx::test(migrations = "../../migrations")]
async fn metrics_can_require_a_bearer_token(pool: PgPool) {
    let open = spawn_app(pool.clone()).await;
    assert_eq!(open.get("/metrics").await.status().as_u16(), 200);

    let guarded = spawn_app_with(pool, &[("METRICS_TOKEN", "scrape-me-please")]).await;
    assert_problem(guarded.get("/metrics").await, 401, "unauthorized").await;
    let wrong = guarded
        .client
        .get(guarded.url("/metrics"))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401, "unauthorized").await;
    let right = guarded
        .client
        .get(guarded.url("/metrics"))
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
    assert!(
        right.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn readyz_names_dependencies_only_outside_production(pool: PgPool) {
    let development = spawn_app(pool.clone()).await;
    let body: serde_json::Value = development.get("/readyz").await.json().await.unwrap();
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| check["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["database", "redis"]);

    let production = spawn_production(pool).await;
    let response = production.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"ready": true, "checks": []}));
}
