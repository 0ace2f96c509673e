//! Message templates and the outbox.

use std::time::{Duration, Instant};

use reqwest::Method;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, assert_problem, code_from_mail, spawn_app, spawn_app_with};

async fn owner_token(app: &crate::helpers::TestApp) -> String {
    app.create_user("owner@juragan.test", &["owner"]).await;
    app.login("owner@juragan.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[sqlx::test(migrations = "../../migrations")]
async fn invalid_templates_are_refused_field_by_field_and_nothing_is_saved(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = owner_token(&app).await;
    let path = "/api/v1/notifications/templates/auth.account_locked/id";
    let bad = app.authed(Method::PUT, path, &token, Some(serde_json::json!({"subject": "Akun {order_id}", "body": "Dikunci sebentar. {name"}))).await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    let codes: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["field"].as_str().unwrap().to_owned(),
                error["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        codes.contains(&("subject".to_owned(), "unknown_placeholder".to_owned())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("body".to_owned(), "unbalanced_brace".to_owned())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("body".to_owned(), "missing_placeholder".to_owned())),
        "{codes:?}"
    );
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM message_template_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(versions, 0);
    let unknown = app
        .authed(
            Method::PUT,
            "/api/v1/notifications/templates/no.such_event/id",
            &token,
            Some(serde_json::json!({"subject": "x", "body": "y"})),
        )
        .await;
    assert_problem(unknown, 404, "not_found").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn templates_are_versioned_previewed_rolled_back_and_audited(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = owner_token(&app).await;
    let base = "/api/v1/notifications/templates/auth.account_locked/en";

    let preview: serde_json::Value = app
        .authed(Method::POST, &format!("{base}/preview"), &token, Some(serde_json::json!({"subject": "Locked", "body": "Hi {name}, wait {minutes} min <now>"})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["text"], "Hi Budi Santoso, wait 15 min <now>");
    assert!(
        preview["html"].as_str().unwrap().contains("&lt;now&gt;"),
        "HTML is escaped"
    );

    for body in [
        "First edit: {minutes} minutes",
        "Second edit: {minutes} minutes",
    ] {
        let saved = app
            .authed(
                Method::PUT,
                base,
                &token,
                Some(serde_json::json!({"subject": "Locked", "body": body})),
            )
            .await;
        assert_eq!(saved.status().as_u16(), 200);
    }
    let history: Vec<serde_json::Value> = app
        .authed(Method::GET, base, &token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.len(), 3, "two versions and the built-in text");
    assert_eq!(history[0]["body"], "Second edit: {minutes} minutes");
    assert_eq!(history[2]["source"], "builtin");
    let first = history[1]["id"].as_i64().unwrap();

    let restored: serde_json::Value = app
        .authed(
            Method::POST,
            &format!("{base}/rollback"),
            &token,
            Some(serde_json::json!({"version_id": first})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (restored["body"].as_str(), restored["source"].as_str()),
        (Some("First edit: {minutes} minutes"), Some("rollback"))
    );
    let builtin: serde_json::Value = app
        .authed(
            Method::POST,
            &format!("{base}/rollback"),
            &token,
            Some(serde_json::json!({})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(builtin["source"], "default");
    assert!(
        builtin["body"]
            .as_str()
            .unwrap()
            .contains("{minutes} minutes")
    );
    let wrong_version = app
        .authed(
            Method::POST,
            &format!("{base}/rollback"),
            &token,
            Some(serde_json::json!({"version_id": 999_999})),
        )
        .await;
    assert_problem(wrong_version, 404, "not_found").await;

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE entity_type = 'message_template' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "template.edited",
            "template.edited",
            "template.rolled_back",
            "template.rolled_back"
        ]
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_edited_template_is_what_the_event_sends(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = owner_token(&app).await;
    let saved = app
        .authed(
            Method::PUT,
            "/api/v1/notifications/templates/auth.login_code/id",
            &token,
            Some(serde_json::json!({"subject": "Kode masuk toko kami", "body": "Halo! KODE-RAHASIA {code} (5 menit)"})),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 200);
    app.create_user("fin@juragan.test", &["finance"]).await;
    app.post_json(
        "/api/v1/auth/login",
        serde_json::json!({"email": "fin@juragan.test", "password": PASSWORD}),
    )
    .await;
    let code = code_from_mail(&app, "fin@juragan.test", "Kode masuk toko kami").await;
    let mail = app.mail.messages_to("fin@juragan.test").pop().unwrap();
    assert!(
        mail.text_body
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("KODE-RAHASIA {code}"))
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_lockout_notice_goes_through_the_outbox(pool: PgPool) {
    // The account-wide notice comes after 20 failures; one place is shut
    // after 5, so they come from four places behind the trusted proxy.
    let app =
        crate::helpers::spawn_app_with(pool.clone(), &[("HTTP_TRUSTED_PROXIES", "127.0.0.1/32")])
            .await;
    app.register_verified_client("rina@example.test").await;
    for attempt in 0..20 {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", format!("198.51.100.{}", attempt / 5 + 1))
            .json(
                &serde_json::json!({"email": "rina@example.test", "password": "wrong-password-1"}),
            )
            .send()
            .await
            .unwrap();
    }
    app.mail
        .wait_for_message(
            |mail| {
                mail.subject
                    .as_deref()
                    .unwrap_or_default()
                    .contains("dikunci")
            },
            Duration::from_secs(15),
        )
        .await
        .expect("the job delivers the notice");
    let token = owner_token(&app).await;
    let started = Instant::now();
    let page = loop {
        let page: serde_json::Value = app
            .authed(
                Method::GET,
                "/api/v1/notifications/outbox?status=sent",
                &token,
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        if !page["items"].as_array().unwrap().is_empty()
            || started.elapsed() > Duration::from_secs(10)
        {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let message = &page["items"][0];
    assert_eq!(
        (message["event"].as_str(), message["recipient"].as_str()),
        (Some("auth.account_locked"), Some("rina@example.test"))
    );
    assert_eq!(message["attempts"], 1);
    let again = app
        .authed(
            Method::POST,
            &format!("/api/v1/notifications/outbox/{}/resend", message["id"]),
            &token,
            None,
        )
        .await;
    assert_problem(again, 404, "not_found").await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn undeliverable_mail_is_marked_failed_and_can_be_queued_again(pool: PgPool) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = spawn_app_with(pool.clone(), &[("SMTP_URL", &format!("smtp://{closed}"))]).await;
    let message =
        notify::template::preview("auth.account_locked", "Dikunci", "Dikunci {minutes} menit")
            .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let id = notify::outbox::enqueue_email(
        &mut tx,
        &domain::Email::parse("rina@example.test").unwrap(),
        "auth.account_locked",
        &message,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let started = Instant::now();
    loop {
        let status: String = sqlx::query_scalar("SELECT status FROM outbox_message WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        if status == "failed" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "still {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM outbox_message WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        error.is_some_and(|error| !error.is_empty()),
        "the error is kept for staff"
    );

    let token = app.token_with_roles(&[identity::Role::Sysadmin]);
    let resent = app
        .authed(
            Method::POST,
            &format!("/api/v1/notifications/outbox/{id}/resend"),
            &token,
            None,
        )
        .await;
    assert_eq!(resent.status().as_u16(), 200);
    let resent: serde_json::Value = resent.json().await.unwrap();
    assert_eq!(resent["status"], "pending");
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = 'notify.deliver'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 2, "a new delivery job beside the retrying one");
}

#[sqlx::test(migrations = "../../migrations")]
async fn business_staff_broadcast_an_email_to_every_verified_client(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    app.register_verified_client("a@example.test").await;
    app.register_verified_client("b@example.test").await;
    let unverified = app
        .post_json(
            "/api/v1/auth/register",
            serde_json::json!({"email": "c@example.test", "password": PASSWORD, "name": "C"}),
        )
        .await;
    assert_eq!(unverified.status().as_u16(), 201);
    app.create_user("biz@juragan.test", &["business"]).await;
    let token = app.login("biz@juragan.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let bad = app
        .authed(
            Method::POST,
            "/api/v1/notifications/broadcasts",
            &token,
            Some(serde_json::json!({"channel": "email", "body": "Promo"})),
        )
        .await;
    assert_problem(bad, 422, "validation_failed").await;

    let created = app
        .authed(Method::POST, "/api/v1/notifications/broadcasts", &token, Some(serde_json::json!({"channel": "email", "subject": "Promo Desember", "body": "Diskon 20% untuk semua VPS."})))
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(
        created["progress"]["total"], 2,
        "verified clients only, no staff"
    );

    let started = Instant::now();
    let done = loop {
        let broadcast: serde_json::Value = app
            .authed(
                Method::GET,
                &format!("/api/v1/notifications/broadcasts/{}", created["id"]),
                &token,
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        if broadcast["status"] == "done" {
            break broadcast;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "{broadcast}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done["progress"]["sent"], 2);
    for client in ["a@example.test", "b@example.test"] {
        let promos = app
            .mail
            .messages_to(client)
            .into_iter()
            .filter(|mail| mail.subject.as_deref() == Some("Promo Desember"))
            .count();
        assert_eq!(promos, 1, "{client}");
    }
    assert!(
        app.mail
            .messages_to("c@example.test")
            .iter()
            .all(|mail| mail.subject.as_deref() != Some("Promo Desember"))
    );
    let cancel_done = app
        .authed(
            Method::POST,
            &format!("/api/v1/notifications/broadcasts/{}/cancel", created["id"]),
            &token,
            None,
        )
        .await;
    assert_problem(cancel_done, 404, "not_found").await;
}
