//! The owner manages staff; every change lands in the audit log.

use reqwest::Method;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, assert_problem, spawn_app};

#[sqlx::test(migrations = "../../migrations")]
async fn the_owner_invites_staff_who_accept_and_sign_in(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_user("owner@juragan.test", &["owner"]).await;
    let owner = app.login("owner@juragan.test", PASSWORD).await;
    let token = owner["access_token"].as_str().unwrap();

    let bad = app
        .authed(
            Method::POST,
            "/api/v1/staff/invitations",
            token,
            Some(serde_json::json!({"email": "x@juragan.test", "name": "X", "roles": ["client"]})),
        )
        .await;
    assert_problem(bad, 422, "validation_failed").await;

    let invited = app
        .authed(Method::POST, "/api/v1/staff/invitations", token, Some(serde_json::json!({"email": "sari@juragan.test", "name": "Sari", "roles": ["sysadmin"]})))
        .await;
    assert_eq!(invited.status().as_u16(), 201);
    let member: serde_json::Value = invited.json().await.unwrap();
    assert_eq!(member["status"], "invited");

    let mail = app
        .mail
        .wait_for_message(
            |mail| {
                mail.subject
                    .as_deref()
                    .unwrap_or_default()
                    .contains("Undangan")
            },
            std::time::Duration::from_secs(10),
        )
        .await
        .unwrap();
    let text = mail.text_body.clone().unwrap_or_default();
    let invitation = text
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let accepted = app.post_json("/api/v1/auth/invitations/accept", serde_json::json!({"token": invitation, "name": "Sari Wulandari", "password": PASSWORD})).await;
    assert_eq!(accepted.status().as_u16(), 204);
    let again = app
        .post_json(
            "/api/v1/auth/invitations/accept",
            serde_json::json!({"token": invitation, "name": "Sari", "password": PASSWORD}),
        )
        .await;
    assert_problem(again, 410, "token_expired").await;

    let sari = app.login("sari@juragan.test", PASSWORD).await;
    let account: serde_json::Value = app
        .authed(
            Method::GET,
            "/api/v1/account",
            sari["access_token"].as_str().unwrap(),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(account["roles"], serde_json::json!(["sysadmin"]));
    assert_eq!(account["otp_required"], true);
}

#[sqlx::test(migrations = "../../migrations")]
async fn role_changes_and_disabling_are_audited_and_take_effect(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner_id = app.create_user("owner@juragan.test", &["owner"]).await;
    let finance_id = app.create_user("fin@juragan.test", &["finance"]).await;
    let owner = app.login("owner@juragan.test", PASSWORD).await;
    let token = owner["access_token"].as_str().unwrap();
    let finance = app.login("fin@juragan.test", PASSWORD).await;

    let changed = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/{finance_id}/roles"),
            token,
            Some(serde_json::json!({"roles": ["business"]})),
        )
        .await;
    let member: serde_json::Value = changed.json().await.unwrap();
    assert_eq!(member["roles"], serde_json::json!(["business"]));
    let stale = app
        .post_json(
            "/api/v1/auth/refresh",
            serde_json::json!({"refresh_token": finance["refresh_token"]}),
        )
        .await;
    assert_problem(stale, 401, "unauthorized").await;

    let last_owner = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/{owner_id}/roles"),
            token,
            Some(serde_json::json!({"roles": ["sysadmin"]})),
        )
        .await;
    assert_problem(last_owner, 409, "last_owner").await;
    let self_disable = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/{owner_id}/disable"),
            token,
            None,
        )
        .await;
    assert_problem(self_disable, 403, "forbidden").await;

    let disabled: serde_json::Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/{finance_id}/disable"),
            token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(disabled["status"], "disabled");
    let refused = app
        .post_json(
            "/api/v1/auth/login",
            serde_json::json!({"email": "fin@juragan.test", "password": PASSWORD}),
        )
        .await;
    assert_problem(refused, 403, "account_disabled").await;
    let enabled: serde_json::Value = app
        .authed(
            Method::POST,
            &format!("/api/v1/staff/{finance_id}/enable"),
            token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enabled["status"], "active");

    let page: serde_json::Value = app
        .authed(
            Method::GET,
            "/api/v1/audit-log?entity_type=user&limit=2",
            token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["action"], "staff.enabled");
    assert_eq!(page["items"][0]["actor_email"], "owner@juragan.test");
    let cursor = page["next_cursor"].as_str().unwrap();
    let older: serde_json::Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/audit-log?entity_type=user&limit=2&cursor={cursor}"),
            token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(older["items"][0]["action"], "staff.roles_changed");
    assert_eq!(
        older["items"][0]["before"],
        serde_json::json!({"roles": ["finance"]})
    );
    assert_eq!(
        older["items"][0]["after"],
        serde_json::json!({"roles": ["business"]})
    );

    let filtered: serde_json::Value = app
        .authed(
            Method::GET,
            "/api/v1/audit-log?action=staff.disabled",
            token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    let bad_cursor = app
        .authed(Method::GET, "/api/v1/audit-log?cursor=abc", token, None)
        .await;
    assert_problem(bad_cursor, 400, "bad_request").await;
}
