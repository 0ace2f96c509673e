//! The client's own account: onboarding before checkout, the two-factor
//! setting, sessions and personal API tokens.

use reqwest::Method;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, assert_problem, code_from_mail, spawn_app};

#[sqlx::test(migrations = "../../migrations")]
async fn checkout_waits_for_a_complete_profile_and_billing_address(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.register_verified_client("budi@example.test").await;
    let tokens = app.login("budi@example.test", PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();

    let not_ready = app
        .authed(
            Method::GET,
            "/api/v1/account/checkout-readiness",
            token,
            None,
        )
        .await;
    let problem = assert_problem(not_ready, 409, "onboarding_incomplete").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"profile.phone") && fields.contains(&"billing_address.postal_code"),
        "{fields:?}"
    );

    let bad = app
        .authed(
            Method::PUT,
            "/api/v1/account/profile",
            token,
            Some(serde_json::json!({"full_name": "", "phone": "+1 415 555 0100"})),
        )
        .await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    let phone: Option<String> = sqlx::query_scalar("SELECT phone FROM user_profile")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(phone, None, "nothing written");

    let profile = app
        .authed(Method::PUT, "/api/v1/account/profile", token, Some(serde_json::json!({"full_name": "Budi Santoso", "phone": "0812-3456-7890", "company": "CV Maju"})))
        .await;
    let account: serde_json::Value = profile.json().await.unwrap();
    assert_eq!(account["profile"]["phone"], "+6281234567890");
    assert_eq!(account["checkout_ready"], false);

    let bad_address = app
        .authed(Method::PUT, "/api/v1/account/billing-address", token, Some(serde_json::json!({"line1": "Jl. Merdeka 1", "city": "Bandung", "province": "Jawa Barat", "postal_code": "4011"})))
        .await;
    assert_problem(bad_address, 422, "validation_failed").await;
    let address = app
        .authed(Method::PUT, "/api/v1/account/billing-address", token, Some(serde_json::json!({"line1": "Jl. Merdeka 1", "city": "Bandung", "province": "Jawa Barat", "postal_code": "40111"})))
        .await;
    let account: serde_json::Value = address.json().await.unwrap();
    assert_eq!(account["billing_address"]["country"], "ID");
    assert_eq!(account["checkout_ready"], true);
    assert_eq!(account["missing_for_checkout"], serde_json::json!([]));
    let ready = app
        .authed(
            Method::GET,
            "/api/v1/account/checkout-readiness",
            token,
            None,
        )
        .await;
    assert_eq!(ready.status().as_u16(), 200);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_client_turns_on_two_factor_with_a_confirmation_code(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.register_verified_client("wati@example.test").await;
    let tokens = app.login("wati@example.test", PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();
    let challenge: serde_json::Value = app
        .authed(Method::POST, "/api/v1/account/otp/challenge", token, None)
        .await
        .json()
        .await
        .unwrap();
    let code = code_from_mail(&app, "wati@example.test", "Konfirmasi").await;
    let updated = app
        .authed(Method::PUT, "/api/v1/account/otp", token, Some(serde_json::json!({"enabled": true, "challenge_id": challenge["challenge_id"], "code": code})))
        .await;
    let account: serde_json::Value = updated.json().await.unwrap();
    assert_eq!(account["otp_enabled"], true);

    let next: serde_json::Value = app
        .post_json(
            "/api/v1/auth/login",
            serde_json::json!({"email": "wati@example.test", "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        next["status"], "otp_required",
        "sign-in now asks for the code"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn staff_cannot_turn_two_factor_off(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_user("biz@juragan.test", &["business"]).await;
    let tokens = app.login("biz@juragan.test", PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();
    let refused = app
        .authed(
            Method::PUT,
            "/api/v1/account/otp",
            token,
            Some(serde_json::json!({"enabled": false, "challenge_id": "x", "code": "123456"})),
        )
        .await;
    assert_problem(refused, 403, "otp_required_for_staff").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn sessions_are_listed_and_revocable(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.register_verified_client("eko@example.test").await;
    let phone = app.login("eko@example.test", PASSWORD).await;
    let laptop = app.login("eko@example.test", PASSWORD).await;
    let token = laptop["access_token"].as_str().unwrap();
    let sessions: Vec<serde_json::Value> = app
        .authed(Method::GET, "/api/v1/account/sessions", token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2);
    let other = sessions
        .iter()
        .find(|session| session["current"] == false)
        .unwrap();
    let revoked = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/account/sessions/{}", other["id"].as_str().unwrap()),
            token,
            None,
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 204);
    let phone_refresh = app
        .post_json(
            "/api/v1/auth/refresh",
            serde_json::json!({"refresh_token": phone["refresh_token"]}),
        )
        .await;
    assert_problem(phone_refresh, 401, "unauthorized").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn api_tokens_carry_at_most_their_owners_roles_and_can_be_revoked(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.create_user("fin@juragan.test", &["finance"]).await;
    let tokens = app.login("fin@juragan.test", PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();

    let too_much = app
        .authed(
            Method::POST,
            "/api/v1/account/api-tokens",
            token,
            Some(serde_json::json!({"name": "report sync", "roles": ["owner"]})),
        )
        .await;
    assert_problem(too_much, 422, "validation_failed").await;

    let created = app
        .authed(
            Method::POST,
            "/api/v1/account/api-tokens",
            token,
            Some(serde_json::json!({"name": "report sync", "expires_in_days": 30})),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("jrg_"));
    assert!(secret.starts_with(created["token"]["prefix"].as_str().unwrap()));

    let listed: Vec<serde_json::Value> = app
        .authed(Method::GET, "/api/v1/account/api-tokens", token, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !serde_json::to_string(&listed).unwrap().contains(&secret),
        "the secret is never shown again"
    );

    let with_api_token = app
        .authed(Method::GET, "/api/v1/account", &secret, None)
        .await;
    assert_eq!(with_api_token.status().as_u16(), 200);
    let owner_only = app
        .authed(Method::GET, "/api/v1/staff", &secret, None)
        .await;
    assert_problem(owner_only, 403, "forbidden").await;

    let id = created["token"]["id"].as_str().unwrap();
    let revoked = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/account/api-tokens/{id}"),
            token,
            None,
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 204);
    let after = app
        .authed(Method::GET, "/api/v1/account", &secret, None)
        .await;
    assert_problem(after, 401, "unauthorized").await;
    let listed: Vec<serde_json::Value> = app
        .authed(Method::GET, "/api/v1/account/api-tokens", token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["revoked"], true);
    assert!(
        listed[0]["last_used_at"].is_string(),
        "last use is recorded"
    );

    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE entity_type = 'api_token' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        ["api_token.created", "api_token.revoked"],
        "a staff member's tokens are audited"
    );
}
