//! Staff Telegram chats through the outbox against the sandbox's fake Bot
//! API: delivery, a chat that blocked the bot, and Telegram's flood limit.

use std::time::{Duration, Instant};

use identity::Role;
use reqwest::Method;
use sandbox::telegram::RateLimit;
use sandbox::{TelegramFake, TelegramFakeConfig, TelegramFakeHandle};
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_problem, spawn_app_with};

async fn app_with_telegram(pool: PgPool) -> (TestApp, TelegramFakeHandle) {
    let fake = TelegramFake::start(
        "127.0.0.1:0".parse().unwrap(),
        TelegramFakeConfig::default(),
    )
    .await
    .unwrap();
    let base_url = fake.base_url();
    let token = fake.token().to_owned();
    let app = spawn_app_with(
        pool,
        &[
            ("TELEGRAM_API_BASE_URL", &base_url),
            ("TELEGRAM_BOT_TOKEN", &token),
        ],
    )
    .await;
    (app, fake)
}

/// Waits until the newest outbox message to `chat_id` has `expected` status.
async fn wait_status(pool: &PgPool, chat_id: i64, expected: &str) {
    let started = Instant::now();
    loop {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM outbox_message WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(chat_id.to_string())
        .fetch_optional(pool)
        .await
        .unwrap();
        if status.as_deref() == Some(expected) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "outbox to {chat_id} is {status:?}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn staff_chats_get_messages_and_a_blocking_chat_is_marked(pool: PgPool) {
    let (app, fake) = app_with_telegram(pool.clone()).await;
    let owner_id = app.create_user("owner@juragan.test", &["owner"]).await;
    let owner = app
        .identity
        .keys()
        .issue(owner_id, &[Role::Owner], uuid::Uuid::now_v7())
        .unwrap();
    for (chat, label) in [(1001, "Owner"), (1002, "Admin yang memblokir")] {
        let added = app
            .authed(
                Method::POST,
                "/api/v1/notifications/staff-chats",
                &owner,
                Some(serde_json::json!({"chat_id": chat, "label": label})),
            )
            .await;
        assert_eq!(added.status().as_u16(), 200);
    }
    let bad = app
        .authed(
            Method::POST,
            "/api/v1/notifications/staff-chats",
            &owner,
            Some(serde_json::json!({"chat_id": 0, "label": ""})),
        )
        .await;
    assert_problem(bad, 422, "validation_failed").await;

    fake.block_chat(1002);
    for chat in [1001, 1002] {
        let queued = app
            .authed(
                Method::POST,
                &format!("/api/v1/notifications/staff-chats/{chat}/test"),
                &owner,
                None,
            )
            .await;
        assert_eq!(queued.status().as_u16(), 202);
    }
    let delivered = fake
        .wait_for_sent(|message| message.chat_id == 1001, Duration::from_secs(15))
        .await
        .unwrap();
    assert!(delivered.content().contains("Pesan uji"));
    wait_status(&pool, 1001, "sent").await;
    wait_status(&pool, 1002, "blocked").await;

    let chats: Vec<serde_json::Value> = app
        .authed(
            Method::GET,
            "/api/v1/notifications/staff-chats",
            &owner,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let blocked = chats.iter().find(|chat| chat["chat_id"] == 1002).unwrap();
    assert!(
        blocked["blocked_at"].is_string(),
        "the chat is marked blocked"
    );

    // Nothing more is sent to a blocked chat, not even an attempt.
    fake.unblock_chat(1002);
    app.authed(
        Method::POST,
        "/api/v1/notifications/staff-chats/1002/test",
        &owner,
        None,
    )
    .await;
    wait_status(&pool, 1002, "blocked").await;
    assert!(fake.sent_to(1002).is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_flood_limit_is_waited_out_and_the_message_still_arrives(pool: PgPool) {
    let (app, fake) = app_with_telegram(pool.clone()).await;
    let owner_id = app.create_user("owner@juragan.test", &["owner"]).await;
    let owner = app
        .identity
        .keys()
        .issue(owner_id, &[Role::Owner], uuid::Uuid::now_v7())
        .unwrap();
    app.authed(
        Method::POST,
        "/api/v1/notifications/staff-chats",
        &owner,
        Some(serde_json::json!({"chat_id": 2001, "label": "Owner"})),
    )
    .await;
    // Every send is over the limit until it is lifted: Telegram answers 429 retry_after 1.
    fake.set_rate_limit(Some(RateLimit::new(0, 1)));
    let asked = Instant::now();
    app.authed(
        Method::POST,
        "/api/v1/notifications/staff-chats/2001/test",
        &owner,
        None,
    )
    .await;
    wait_status(&pool, 2001, "failed").await;
    let error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM outbox_message WHERE recipient = '2001'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(error.unwrap_or_default().contains("retry after 1"));
    fake.set_rate_limit(None);
    fake.wait_for_sent(|message| message.chat_id == 2001, Duration::from_secs(15))
        .await
        .unwrap();
    assert!(
        asked.elapsed() >= Duration::from_secs(1),
        "not before retry_after"
    );
    wait_status(&pool, 2001, "sent").await;
}

/// Like [`app_with_telegram`], polling getUpdates every second.
async fn app_polling_telegram(pool: PgPool) -> (TestApp, TelegramFakeHandle) {
    let fake = TelegramFake::start(
        "127.0.0.1:0".parse().unwrap(),
        TelegramFakeConfig::default(),
    )
    .await
    .unwrap();
    let base_url = fake.base_url();
    let token = fake.token().to_owned();
    let overrides = [
        ("TELEGRAM_API_BASE_URL", base_url.as_str()),
        ("TELEGRAM_BOT_TOKEN", token.as_str()),
        ("TELEGRAM_POLL_INTERVAL_SECONDS", "1"),
    ];
    let app = spawn_app_with(pool, &overrides).await;
    (app, fake)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_client_links_telegram_and_receives_a_telegram_broadcast(pool: PgPool) {
    let (app, fake) = app_polling_telegram(pool.clone()).await;
    app.register_verified_client("rina@example.test").await;
    let client = app
        .login("rina@example.test", crate::helpers::PASSWORD)
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let status: serde_json::Value = app
        .authed(Method::GET, "/api/v1/account/telegram", &client, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        status,
        serde_json::json!({ "available": true, "chat": null })
    );

    let response = app
        .authed(
            Method::POST,
            "/api/v1/account/telegram/link-code",
            &client,
            None,
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        201,
        "{:?}",
        response.text().await
    );
    let link: serde_json::Value = app
        .authed(
            Method::POST,
            "/api/v1/account/telegram/link-code",
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let code = link["code"].as_str().unwrap();
    assert_eq!(
        link["deep_link"],
        format!(
            "https://t.me/{}?start={code}",
            link["bot_username"].as_str().unwrap()
        )
    );
    assert!(!link["bot_username"].as_str().unwrap().is_empty());

    // The user opens the deep link: Telegram sends `/start <code>`.
    fake.push_update(&sandbox::telegram::IncomingMessage::start(4_242_001, code));
    let linked = fake
        .wait_for_sent(
            |message| message.chat_id == 4_242_001,
            Duration::from_secs(15),
        )
        .await
        .expect("a welcome in the chat");
    assert!(
        linked.content().contains("Budi Santoso"),
        "{}",
        linked.content()
    );
    let status: serde_json::Value = app
        .authed(Method::GET, "/api/v1/account/telegram", &client, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["chat"]["chat_id"], 4_242_001);

    let owner_id = app.create_user("owner@example.test", &["owner"]).await;
    let owner = app
        .identity
        .keys()
        .issue(owner_id, &[Role::Owner], uuid::Uuid::now_v7())
        .unwrap();
    let body = serde_json::json!({ "channel": "telegram", "body": "Promo domain .id Rp 99.000", "photo_url": "https://cdn.example.id/promo.png" });
    let response = app
        .authed(
            Method::POST,
            "/api/v1/notifications/broadcasts",
            &owner,
            Some(body),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let photo = fake
        .wait_for_sent(
            |message| message.chat_id == 4_242_001 && message.content().contains("Rp 99.000"),
            Duration::from_secs(15),
        )
        .await
        .expect("the broadcast reaches the linked chat");
    assert_eq!(photo.kind, sandbox::telegram::MessageKind::Photo);

    let response = app
        .authed(Method::DELETE, "/api/v1/account/telegram", &client, None)
        .await;
    assert_eq!(response.status().as_u16(), 204);
    assert_problem(
        app.authed(Method::DELETE, "/api/v1/account/telegram", &client, None)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn without_a_bot_linking_and_telegram_broadcasts_are_refused(pool: PgPool) {
    let app = crate::helpers::spawn_app(pool).await;
    let client = app.token_with_roles(&[Role::Client]);
    let status: serde_json::Value = app
        .authed(Method::GET, "/api/v1/account/telegram", &client, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["available"], false);
    assert_problem(
        app.authed(
            Method::POST,
            "/api/v1/account/telegram/link-code",
            &client,
            None,
        )
        .await,
        422,
        "telegram_unavailable",
    )
    .await;
    let owner = app.token_with_roles(&[Role::Owner]);
    let body = serde_json::json!({ "channel": "telegram", "body": "Halo" });
    assert_problem(
        app.authed(
            Method::POST,
            "/api/v1/notifications/broadcasts",
            &owner,
            Some(body),
        )
        .await,
        422,
        "telegram_unavailable",
    )
    .await;
    let broadcasts: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcast")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(broadcasts, 0, "nothing written");
}

#[sqlx::test(migrations = "../../migrations")]
async fn important_changes_alert_the_owners_chat(pool: PgPool) {
    let (app, fake) = app_with_telegram(pool.clone()).await;
    let owner_id = app.create_user("owner@example.test", &["owner"]).await;
    let owner = app
        .identity
        .keys()
        .issue(owner_id, &[Role::Owner], uuid::Uuid::now_v7())
        .unwrap();
    let chat = serde_json::json!({ "chat_id": 777_001, "label": "Owner", "receives_alerts": true });
    let response = app
        .authed(
            Method::POST,
            "/api/v1/notifications/staff-chats",
            &owner,
            Some(chat),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["receives_alerts"],
        true
    );

    let template = serde_json::json!({ "subject": "Kode masuk", "body": "Kode Anda: {code}" });
    let response = app
        .authed(
            Method::PUT,
            "/api/v1/notifications/templates/auth.login_code/id",
            &owner,
            Some(template),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let alert = fake
        .wait_for_sent(
            |message| message.chat_id == 777_001 && message.content().contains("template.edited"),
            Duration::from_secs(15),
        )
        .await
        .expect("the template edit alerts the owner's chat");
    assert!(
        alert.content().contains("owner@example.test"),
        "{}",
        alert.content()
    );

    let alerts: serde_json::Value = app
        .authed(Method::GET, "/api/v1/notifications/alerts", &owner, None)
        .await
        .json()
        .await
        .unwrap();
    let sources: Vec<&str> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources[..2], ["template.edited", "staff_chat.saved"]);
}
