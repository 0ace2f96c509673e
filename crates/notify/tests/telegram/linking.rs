//! A client links their chat: the code from the client area arrives as
//! `/start <code>` through getUpdates from the fake, and the poll links the
//! chat once, whatever else users write.

use std::time::Duration;

use notify::telegram_link::{self, Handled};
use sandbox::telegram::IncomingMessage;
use sqlx::PgPool;
use uuid::Uuid;

use super::helpers::{client_for, spawn_fake};

async fn client_user(pool: &PgPool, email: &str, name: &str) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO app_user (id, email, password_hash, email_verified_at, roles) VALUES ($1, $2, 'x', now(), ARRAY['client'])")
        .bind(id)
        .bind(email)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO user_profile (user_id, full_name) VALUES ($1, $2)")
        .bind(id)
        .bind(name)
        .execute(pool)
        .await
        .unwrap();
    id
}

async fn code_for(pool: &PgPool, user: Uuid) -> String {
    let mut tx = pool.begin().await.unwrap();
    let code = telegram_link::create_code(&mut tx, user).await.unwrap();
    tx.commit().await.unwrap();
    code.code
}

async fn queued_replies(pool: &PgPool, chat_id: i64) -> Vec<(String, String)> {
    sqlx::query_as("SELECT event, body FROM outbox_message WHERE channel = 'telegram' AND recipient = $1 ORDER BY id")
        .bind(chat_id.to_string())
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn start_with_a_fresh_code_links_the_chat_and_greets_by_name(pool: PgPool) {
    let fake = spawn_fake().await;
    let client = client_for(&fake);
    let user = client_user(&pool, "sari@example.test", "Sari Wulandari").await;
    let code = code_for(&pool, user).await;

    let mut start = IncomingMessage::start(5_550_001, &code);
    start.username = Some("sariw".to_owned());
    fake.push_update(&start);
    assert_eq!(
        telegram_link::poll_once(&pool, &client, Duration::ZERO)
            .await
            .unwrap(),
        1
    );

    let linked = telegram_link::linked_chat(&pool, user)
        .await
        .unwrap()
        .expect("linked");
    assert_eq!(linked.chat_id, 5_550_001);
    assert_eq!(linked.label, "@sariw");
    let replies = queued_replies(&pool, 5_550_001).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].0, "telegram.linked");
    assert!(replies[0].1.contains("Sari Wulandari"), "{}", replies[0].1);

    // The update was confirmed: polling again handles nothing new.
    assert_eq!(
        telegram_link::poll_once(&pool, &client, Duration::ZERO)
            .await
            .unwrap(),
        0
    );

    // The code works once: someone else replaying it links nothing.
    fake.push_update(&IncomingMessage::start(5_550_002, &code));
    telegram_link::poll_once(&pool, &client, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        telegram_link::linked_chat(&pool, user)
            .await
            .unwrap()
            .unwrap()
            .chat_id,
        5_550_001
    );
    assert_eq!(
        queued_replies(&pool, 5_550_002).await[0].0,
        "telegram.bad_code"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_new_code_replaces_the_old_and_expired_codes_are_refused(pool: PgPool) {
    let user = client_user(&pool, "agus@example.test", "Agus").await;
    let first = code_for(&pool, user).await;
    let second = code_for(&pool, user).await;
    let fake = spawn_fake().await;
    let client = client_for(&fake);

    fake.push_update(&IncomingMessage::start(7_001, &first));
    telegram_link::poll_once(&pool, &client, Duration::ZERO)
        .await
        .unwrap();
    assert!(
        telegram_link::linked_chat(&pool, user)
            .await
            .unwrap()
            .is_none(),
        "the replaced code still linked"
    );

    sqlx::query("UPDATE telegram_link_code SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    fake.push_update(&IncomingMessage::start(7_001, &second));
    telegram_link::poll_once(&pool, &client, Duration::ZERO)
        .await
        .unwrap();
    assert!(
        telegram_link::linked_chat(&pool, user)
            .await
            .unwrap()
            .is_none(),
        "an expired code linked"
    );
    let events: Vec<_> = queued_replies(&pool, 7_001)
        .await
        .into_iter()
        .map(|(event, _)| event)
        .collect();
    assert_eq!(events, ["telegram.bad_code", "telegram.bad_code"]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn linking_again_moves_the_link_and_other_text_gets_help(pool: PgPool) {
    let user = client_user(&pool, "dewi@example.test", "Dewi").await;
    let fake = spawn_fake().await;
    let client = client_for(&fake);

    fake.push_update(&IncomingMessage::new(8_001, "halo"));
    let first = code_for(&pool, user).await;
    fake.push_update(&IncomingMessage::start(8_001, &first));
    assert_eq!(
        telegram_link::poll_once(&pool, &client, Duration::ZERO)
            .await
            .unwrap(),
        2
    );
    let events: Vec<_> = queued_replies(&pool, 8_001)
        .await
        .into_iter()
        .map(|(event, _)| event)
        .collect();
    assert_eq!(events, ["telegram.help", "telegram.linked"]);

    // The client switches to another Telegram account.
    let second = code_for(&pool, user).await;
    fake.push_update(&IncomingMessage::start(8_002, &second));
    telegram_link::poll_once(&pool, &client, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        telegram_link::linked_chat(&pool, user)
            .await
            .unwrap()
            .unwrap()
            .chat_id,
        8_002
    );
    let chats: i64 = sqlx::query_scalar("SELECT count(*) FROM telegram_chat WHERE kind = 'client'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(chats, 1);

    let mut tx = pool.begin().await.unwrap();
    assert!(telegram_link::unlink(&mut tx, user).await.unwrap());
    tx.commit().await.unwrap();
    assert!(
        telegram_link::linked_chat(&pool, user)
            .await
            .unwrap()
            .is_none()
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn group_messages_are_ignored(pool: PgPool) {
    let message: notify::telegram::IncomingMessage = serde_json::from_value(serde_json::json!({
        "message_id": 1,
        "chat": { "id": -100_123, "type": "supergroup", "title": "Grup" },
        "from": { "id": 9, "first_name": "Iwan", "is_bot": false },
        "text": "/start abc"
    }))
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        telegram_link::handle_message(&mut tx, &message)
            .await
            .unwrap(),
        Handled::Ignored
    );
}
