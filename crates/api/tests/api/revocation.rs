//! Revocation at once: sign-out, ending a session, password change and
//! reset, disabling and role changes end the affected access tokens within a
//! second on every replica; a demoted owner cannot take the shop back; and
//! personal API tokens are for integrations, not for managing the account.

use std::time::{Duration, Instant};

use reqwest::Method;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app, spawn_replica};

/// The promise: a revoked token is refused everywhere within this.
const AT_ONCE: Duration = Duration::from_secs(1);

async fn account_status(app: &TestApp, token: &str) -> u16 {
    app.authed(Method::GET, "/api/v1/account", token, None)
        .await
        .status()
        .as_u16()
}

/// Asserts the token is refused (401) on every app within [`AT_ONCE`] of
/// `since`, polling every 50 ms.
async fn assert_ended_everywhere(apps: &[&TestApp], token: &str, since: Instant) {
    for app in apps {
        loop {
            let status = account_status(app, token).await;
            if status == 401 {
                break;
            }
            assert_eq!(status, 200, "a live token answers 200 until it is ended");
            assert!(
                since.elapsed() <= AT_ONCE,
                "the token still works on {} after {:?}",
                app.address,
                since.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(since.elapsed() <= AT_ONCE + Duration::from_millis(500));
}

async fn assert_works_everywhere(apps: &[&TestApp], token: &str) {
    for app in apps {
        assert_eq!(account_status(app, token).await, 200, "on {}", app.address);
    }
}

fn access(pair: &serde_json::Value) -> String {
    pair["access_token"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrations = "../../migrations")]
async fn sign_out_ends_the_access_token_on_every_replica(pool: PgPool) {
    let app = spawn_app(pool).await;
    let replica = spawn_replica(&app).await;
    app.register_verified_client("ani@example.test").await;
    let pair = app.login("ani@example.test", PASSWORD).await;
    let token = access(&pair);
    assert_works_everywhere(&[&app, &replica], &token).await;

    let out = replica
        .post_json(
            "/api/v1/auth/logout",
            serde_json::json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_eq!(out.status().as_u16(), 204);
    assert_ended_everywhere(&[&replica, &app], &token, Instant::now()).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn ending_a_session_ends_its_access_token_and_no_other(pool: PgPool) {
    let app = spawn_app(pool).await;
    let replica = spawn_replica(&app).await;
    app.register_verified_client("eko@example.test").await;
    let phone = access(&app.login("eko@example.test", PASSWORD).await);
    let laptop = access(&app.login("eko@example.test", PASSWORD).await);
    let sessions: Vec<serde_json::Value> = app
        .authed(Method::GET, "/api/v1/account/sessions", &laptop, None)
        .await
        .json()
        .await
        .unwrap();
    let other = sessions
        .iter()
        .find(|session| session["current"] == false)
        .unwrap();
    let ended = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/account/sessions/{}", other["id"].as_str().unwrap()),
            &laptop,
            None,
        )
        .await;
    assert_eq!(ended.status().as_u16(), 204);
    assert_ended_everywhere(&[&app, &replica], &phone, Instant::now()).await;
    assert_works_everywhere(&[&app, &replica], &laptop).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_password_change_ends_the_other_sessions_tokens_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let replica = spawn_replica(&app).await;
    app.register_verified_client("dewi@example.test").await;
    let other = access(&app.login("dewi@example.test", PASSWORD).await);
    let current = access(&app.login("dewi@example.test", PASSWORD).await);
    let changed = app
        .authed(
            Method::POST,
            "/api/v1/account/password",
            &current,
            Some(serde_json::json!({"current_password": PASSWORD, "new_password": "kata-sandi-baru-456"})),
        )
        .await;
    assert_eq!(changed.status().as_u16(), 204);
    assert_ended_everywhere(&[&app, &replica], &other, Instant::now()).await;
    assert_works_everywhere(&[&app, &replica], &current).await;
}

/// The reset token from the newest reset mail to `email`.
async fn reset_link_token(app: &TestApp, email: &str) -> String {
    let email = email.to_owned();
    let mail = app
        .mail
        .wait_for_message(
            |mail| {
                mail.envelope_to
                    .iter()
                    .any(|to| to.eq_ignore_ascii_case(&email))
                    && mail
                        .subject
                        .as_deref()
                        .unwrap_or_default()
                        .contains("kata sandi")
            },
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let text = mail.text_body.clone().unwrap_or_default();
    text.split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_password_reset_ends_every_token_api_tokens_included(pool: PgPool) {
    let app = spawn_app(pool).await;
    let replica = spawn_replica(&app).await;
    app.register_verified_client("joko@example.test").await;
    let token = access(&app.login("joko@example.test", PASSWORD).await);
    let created: serde_json::Value = app
        .authed(
            Method::POST,
            "/api/v1/account/api-tokens",
            &token,
            Some(serde_json::json!({"name": "sync"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let api_token = created["secret"].as_str().unwrap().to_owned();
    assert_works_everywhere(&[&app, &replica], &api_token).await;

    let forgot = app
        .post_json(
            "/api/v1/auth/password/forgot",
            serde_json::json!({"email": "joko@example.test"}),
        )
        .await;
    assert_eq!(forgot.status().as_u16(), 202);
    let link = reset_link_token(&app, "joko@example.test").await;
    let reset = app
        .post_json(
            "/api/v1/auth/password/reset",
            serde_json::json!({"token": link, "new_password": "kata-sandi-baru-456"}),
        )
        .await;
    assert_eq!(reset.status().as_u16(), 204);
    let since = Instant::now();
    assert_ended_everywhere(&[&app, &replica], &token, since).await;
    assert_ended_everywhere(&[&app, &replica], &api_token, since).await;
    // The new password signs in at once, and its token is not caught by
    // the user's "not valid before".
    let fresh = access(&app.login("joko@example.test", "kata-sandi-baru-456").await);
    assert_works_everywhere(&[&app, &replica], &fresh).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn disabling_staff_ends_their_access_and_api_tokens_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let replica = spawn_replica(&app).await;
    app.create_user("owner@juragan.test", &["owner"]).await;
    let finance_id = app.create_user("fin@juragan.test", &["finance"]).await;
    let owner = access(&app.login("owner@juragan.test", PASSWORD).await);
    let finance = access(&app.login("fin@juragan.test", PASSWORD).await);
    let api_token: serde_json::Value = app
        .authed(
            Method::POST,
            "/api/v1/account/api-tokens",
            &finance,
            Some(serde_json::json!({"name": "ledger"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let api_token = api_token["secret"].as_str().unwrap().to_owned();
    assert_works_everywhere(&[&app, &replica], &finance).await;

    let disabled = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/{finance_id}/disable"),
            &owner,
            None,
        )
        .await;
    assert_eq!(disabled.status().as_u16(), 200);
    let since = Instant::now();
    assert_ended_everywhere(&[&replica, &app], &finance, since).await;
    assert_ended_everywhere(&[&replica, &app], &api_token, since).await;

    // Enabling again does not bring the old tokens back.
    let enabled = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/{finance_id}/enable"),
            &owner,
            None,
        )
        .await;
    assert_eq!(enabled.status().as_u16(), 200);
    assert_eq!(account_status(&replica, &finance).await, 401);
    assert_eq!(account_status(&replica, &api_token).await, 401);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_role_change_ends_the_members_access_tokens_and_caps_api_tokens(pool: PgPool) {
    let app = spawn_app(pool).await;
    let replica = spawn_replica(&app).await;
    app.create_user("owner@juragan.test", &["owner"]).await;
    let member = app
        .create_user("staf@juragan.test", &["finance", "business"])
        .await;
    let owner = access(&app.login("owner@juragan.test", PASSWORD).await);
    let staff = access(&app.login("staf@juragan.test", PASSWORD).await);
    let api_token: serde_json::Value = app
        .authed(
            Method::POST,
            "/api/v1/account/api-tokens",
            &staff,
            Some(serde_json::json!({"name": "ledger", "roles": ["finance"]})),
        )
        .await
        .json()
        .await
        .unwrap();
    let api_token = api_token["secret"].as_str().unwrap().to_owned();
    // A finance-only endpoint: the sales book.
    let sales = |app: &TestApp, token: String| {
        let url = app.url("/api/v1/sales");
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(sales(&replica, api_token.clone()).await, 200);

    // Adding a role also ends the old tokens: they carry the old roles.
    let grown = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/{member}/roles"),
            &owner,
            Some(serde_json::json!({"roles": ["finance", "business", "sysadmin"]})),
        )
        .await;
    assert_eq!(grown.status().as_u16(), 200);
    assert_ended_everywhere(&[&app, &replica], &staff, Instant::now()).await;

    // The API token lives on, but never beyond the member's current roles.
    let shrunk = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/{member}/roles"),
            &owner,
            Some(serde_json::json!({"roles": ["business"]})),
        )
        .await;
    assert_eq!(shrunk.status().as_u16(), 200);
    assert_eq!(sales(&replica, api_token.clone()).await, 403);
    assert_eq!(sales(&app, api_token).await, 403);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_demoted_and_disabled_owner_cannot_take_the_shop_back(pool: PgPool) {
    let app = spawn_app(pool).await;
    let replica = spawn_replica(&app).await;
    let real_owner = app.create_user("owner@juragan.test", &["owner"]).await;
    let second = app.create_user("second@juragan.test", &["owner"]).await;
    let owner = access(&app.login("owner@juragan.test", PASSWORD).await);
    let rogue = access(&app.login("second@juragan.test", PASSWORD).await);

    let demoted = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/{second}/roles"),
            &owner,
            Some(serde_json::json!({"roles": ["sysadmin"]})),
        )
        .await;
    assert_eq!(demoted.status().as_u16(), 200);
    let disabled = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/{second}/disable"),
            &owner,
            None,
        )
        .await;
    assert_eq!(disabled.status().as_u16(), 200);
    let since = Instant::now();

    // The takeover, at once, on the other replica: its first step fails,
    // and so would every other. Before that replica's next poll the guard
    // may still admit the token; the change itself then refuses it.
    let reenable = replica
        .authed(
            Method::POST,
            &format!("/api/v1/staff/{second}/enable"),
            &rogue,
            None,
        )
        .await;
    assert_refused(reenable).await;
    let regain = replica
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/{second}/roles"),
            &rogue,
            Some(serde_json::json!({"roles": ["owner"]})),
        )
        .await;
    assert_refused(regain).await;
    let oust = replica
        .authed(
            Method::POST,
            &format!("/api/v1/staff/{real_owner}/disable"),
            &rogue,
            None,
        )
        .await;
    assert_refused(oust).await;
    assert_ended_everywhere(&[&replica, &app], &rogue, since).await;

    // Even an owner token the revocations do not catch (signed now, as if
    // by a replica that missed them) changes nothing: the change re-reads
    // the caller's account.
    let stale_owner = app
        .identity
        .keys()
        .issue(second, &[identity::Role::Owner], uuid::Uuid::now_v7())
        .unwrap();
    for (method, path, body) in [
        (Method::POST, format!("/api/v1/staff/{second}/enable"), None),
        (
            Method::PUT,
            format!("/api/v1/staff/{second}/roles"),
            Some(serde_json::json!({"roles": ["owner"]})),
        ),
        (
            Method::POST,
            format!("/api/v1/staff/{real_owner}/disable"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/staff/invitations".to_owned(),
            Some(
                serde_json::json!({"email": "accomplice@juragan.test", "name": "X", "roles": ["owner"]}),
            ),
        ),
    ] {
        let refused = replica.authed(method, &path, &stale_owner, body).await;
        assert_problem(refused, 403, "forbidden").await;
    }
    let state: (String, Vec<String>) =
        sqlx::query_as("SELECT status, roles FROM app_user WHERE id = $1")
            .bind(second)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(state, ("disabled".to_owned(), vec!["sysadmin".to_owned()]));
    let owner_state: String = sqlx::query_scalar("SELECT status FROM app_user WHERE id = $1")
        .bind(real_owner)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(owner_state, "active");
}

/// 401 from the guard, or 403 `forbidden` from the owner re-check.
async fn assert_refused(response: reqwest::Response) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert!(
        status == 401 || (status == 403 && body["code"] == "forbidden"),
        "{status} {body}"
    );
}

async fn create_token(app: &TestApp, bearer: &str, body: serde_json::Value) -> reqwest::Response {
    app.authed(
        Method::POST,
        "/api/v1/account/api-tokens",
        bearer,
        Some(body),
    )
    .await
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_api_token_cannot_manage_credentials_tokens_or_sessions(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.register_verified_client("budi@example.test").await;
    let token = access(&app.login("budi@example.test", PASSWORD).await);
    let created: serde_json::Value =
        create_token(&app, &token, serde_json::json!({"name": "sync"}))
            .await
            .json()
            .await
            .unwrap();
    let api_token = created["secret"].as_str().unwrap().to_owned();
    let token_id = created["token"]["id"].as_str().unwrap().to_owned();
    let session = uuid::Uuid::now_v7();
    let attempts = [
        (
            Method::POST,
            "/api/v1/account/api-tokens".to_owned(),
            Some(serde_json::json!({"name": "another", "current_password": PASSWORD})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/account/api-tokens/{token_id}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/account/password".to_owned(),
            Some(
                serde_json::json!({"current_password": PASSWORD, "new_password": "kata-sandi-baru-456"}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/account/otp/challenge".to_owned(),
            None,
        ),
        (
            Method::PUT,
            "/api/v1/account/otp".to_owned(),
            Some(serde_json::json!({"enabled": false, "challenge_id": "x", "code": "123456"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/account/sessions/{session}"),
            None,
        ),
    ];
    for (method, path, body) in attempts {
        let refused = app.authed(method, &path, &api_token, body).await;
        assert_problem(refused, 403, "interactive_session_required").await;
    }
    // Reading is what it is for.
    assert_eq!(account_status(&app, &api_token).await, 200);
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM api_token WHERE revoked_at IS NULL")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(live, 1, "nothing was created or revoked");
}

#[sqlx::test(migrations = "../../migrations")]
async fn making_a_token_needs_a_recent_sign_in_and_it_always_expires(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.register_verified_client("sri@example.test").await;
    let token = access(&app.login("sri@example.test", PASSWORD).await);

    // Fresh sign-in: the default expiry, capped at the session's end.
    let created = create_token(&app, &token, serde_json::json!({"name": "sync"})).await;
    assert_eq!(created.status().as_u16(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let expires_at: chrono::DateTime<chrono::Utc> = created["token"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let session_ends: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT max(expires_at) FROM auth_session")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        expires_at <= session_ends,
        "{expires_at} outlives the session ({session_ends})"
    );
    assert!(expires_at > chrono::Utc::now() + chrono::Duration::days(29));
    let too_long = create_token(
        &app,
        &token,
        serde_json::json!({"name": "forever", "expires_in_days": 366}),
    )
    .await;
    let problem = assert_problem(too_long, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"][0]["field"], "expires_in_days",
        "{problem}"
    );
    let short = create_token(
        &app,
        &token,
        serde_json::json!({"name": "week", "expires_in_days": 7}),
    )
    .await;
    let short: serde_json::Value = short.json().await.unwrap();
    let short_expiry: chrono::DateTime<chrono::Utc> = short["token"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(short_expiry < chrono::Utc::now() + chrono::Duration::days(8));

    // Six minutes later: the password again, or no token.
    sqlx::query("UPDATE auth_session SET created_at = now() - interval '6 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let stale = create_token(&app, &token, serde_json::json!({"name": "later"})).await;
    assert_problem(stale, 403, "step_up_required").await;
    let wrong = create_token(
        &app,
        &token,
        serde_json::json!({"name": "later", "current_password": "not-my-password"}),
    )
    .await;
    let problem = assert_problem(wrong, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "current_password");
    let confirmed = create_token(
        &app,
        &token,
        serde_json::json!({"name": "later", "current_password": PASSWORD}),
    )
    .await;
    assert_eq!(confirmed.status().as_u16(), 201);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_password_change_revokes_api_tokens_unless_kept(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.register_verified_client("rina@example.test").await;
    let token = access(&app.login("rina@example.test", PASSWORD).await);
    let secret = |created: serde_json::Value| created["secret"].as_str().unwrap().to_owned();
    let first = secret(
        create_token(&app, &token, serde_json::json!({"name": "one"}))
            .await
            .json()
            .await
            .unwrap(),
    );
    let kept = app
        .authed(
            Method::POST,
            "/api/v1/account/password",
            &token,
            Some(serde_json::json!({"current_password": PASSWORD, "new_password": "kata-sandi-baru-456", "keep_api_tokens": true})),
        )
        .await;
    assert_eq!(kept.status().as_u16(), 204);
    assert_eq!(account_status(&app, &first).await, 200, "kept on request");

    let changed = app
        .authed(
            Method::POST,
            "/api/v1/account/password",
            &token,
            Some(serde_json::json!({"current_password": "kata-sandi-baru-456", "new_password": "kata-sandi-baru-789"})),
        )
        .await;
    assert_eq!(changed.status().as_u16(), 204);
    assert_eq!(
        account_status(&app, &first).await,
        401,
        "revoked by default"
    );
    assert_eq!(
        account_status(&app, &token).await,
        200,
        "this session stays"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_owner_sees_and_revokes_staff_tokens_and_is_alerted(pool: PgPool) {
    let app = spawn_app(pool).await;
    let replica = spawn_replica(&app).await;
    let owner_id = app.create_user("owner@juragan.test", &["owner"]).await;
    let finance_id = app.create_user("fin@juragan.test", &["finance"]).await;
    let sysadmin_id = app.create_user("ops@juragan.test", &["sysadmin"]).await;
    let owner = access(&app.login("owner@juragan.test", PASSWORD).await);
    let finance = access(&app.login("fin@juragan.test", PASSWORD).await);
    let created: serde_json::Value =
        create_token(&app, &finance, serde_json::json!({"name": "ledger"}))
            .await
            .json()
            .await
            .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let token_id = created["token"]["id"].as_str().unwrap().to_owned();

    let alerts: Vec<String> =
        sqlx::query_scalar("SELECT source FROM owner_alert WHERE kind = 'change' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(
        alerts.contains(&"api_token.created".to_owned()),
        "{alerts:?}"
    );

    let listed: Vec<serde_json::Value> = replica
        .authed(
            Method::GET,
            &format!("/api/v1/staff/{finance_id}/api-tokens"),
            &owner,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], token_id.as_str());
    assert!(listed[0].get("secret").is_none());
    let not_staff = app
        .authed(
            Method::GET,
            &format!("/api/v1/staff/{}/api-tokens", uuid::Uuid::now_v7()),
            &owner,
            None,
        )
        .await;
    assert_problem(not_staff, 404, "not_found").await;

    // The two ids must belong together.
    let mismatched = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/{sysadmin_id}/api-tokens/{token_id}"),
            &owner,
            None,
        )
        .await;
    assert_problem(mismatched, 404, "not_found").await;
    assert_eq!(account_status(&app, &secret).await, 200);

    let revoked = replica
        .authed(
            Method::DELETE,
            &format!("/api/v1/staff/{finance_id}/api-tokens/{token_id}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 204);
    assert_eq!(account_status(&app, &secret).await, 401);
    assert_eq!(account_status(&replica, &secret).await, 401);

    let audit: Vec<(String, Option<uuid::Uuid>)> = sqlx::query_as(
        "SELECT action, actor_id FROM audit_log WHERE entity_type = 'api_token' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audit,
        vec![
            ("api_token.created".to_owned(), Some(finance_id)),
            ("api_token.revoked".to_owned(), Some(owner_id)),
        ]
    );
    let alerts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM owner_alert WHERE source IN ('api_token.created', 'api_token.revoked')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(alerts, 2);
}
