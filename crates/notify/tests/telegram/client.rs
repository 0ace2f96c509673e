//! The Bot API client against the fake: what each Telegram answer becomes,
//! and the splitting and fallback that make any text arrive.

use std::time::{Duration, Instant};

use notify::telegram::{InputFile, ParseMode, TelegramError, split_text};
use sandbox::telegram::{FileSource, MessageKind, RateLimit, TelegramFakeConfig};

use crate::helpers::{WAIT, client_for, client_with, spawn_fake, spawn_fake_with};

const BUDI: i64 = 700_100_200;
const SITI: i64 = 700_100_300;

#[tokio::test]
async fn get_me_names_the_bot() {
    let fake = spawn_fake().await;

    let me = client_for(&fake).get_me().await.unwrap();

    assert_eq!(me.id, 123_456);
    assert!(me.is_bot);
    assert_eq!(me.username.as_deref(), Some("juragan_sandbox_bot"));
}

#[tokio::test]
async fn send_message_returns_the_message_id_telegram_assigned_per_chat() {
    let fake = spawn_fake().await;
    let client = client_for(&fake);

    let first = client
        .send_message(BUDI, "Tagihan <b>INV-1</b> terbit", Some(ParseMode::Html))
        .await
        .unwrap();
    let second = client.send_message(BUDI, "Pengingat", None).await.unwrap();
    let other = client.send_message(SITI, "Halo Siti", None).await.unwrap();

    assert_eq!(
        (first.message_id, second.message_id, other.message_id),
        (1, 2, 1)
    );
    assert_eq!(first.chat_id, BUDI);
    assert_eq!(
        first.text.as_deref(),
        Some("Tagihan INV-1 terbit"),
        "Telegram returns the parsed text"
    );
    assert!((chrono::Utc::now() - first.date).num_seconds().abs() < 60);
    let sent = fake.sent_to(BUDI);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text.as_deref(), Some("Tagihan <b>INV-1</b> terbit"));
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(sent[1].parse_mode, None);
}

#[tokio::test]
async fn a_text_over_4096_characters_arrives_as_several_messages_in_order() {
    let fake = spawn_fake().await;
    let lines: Vec<String> = (0..300)
        .map(|i| format!("Baris {i:03}: layanan VPS aktif sampai 5 Mei, tagihan Rp 150.000"))
        .collect();
    let text = lines.join("\n");
    assert!(text.chars().count() > 2 * 4096);

    let sent = client_for(&fake)
        .send_text(BUDI, &text, None)
        .await
        .unwrap();

    assert_eq!(sent.len(), split_text(&text, None).len());
    assert_eq!(sent.len(), 5);
    let ids: Vec<i64> = sent.iter().map(|message| message.message_id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    let delivered = fake.sent_to(BUDI);
    assert!(
        delivered
            .iter()
            .all(|message| message.content().chars().count() <= 4096)
    );
    let joined: Vec<&str> = delivered.iter().map(|message| message.content()).collect();
    assert_eq!(
        joined.join("\n"),
        text,
        "every line arrives once, whole and in order"
    );
}

#[tokio::test]
async fn long_html_is_split_into_parts_that_each_parse() {
    let fake = spawn_fake().await;
    let text = format!(
        "<b>Ringkasan</b>\n<i>{}</i>\n<code>selesai</code>",
        (0..200)
            .map(|i| format!("layanan-{i} &amp; domain-{i}.id"))
            .collect::<Vec<_>>()
            .join("\n")
    );

    let sent = client_for(&fake)
        .send_text(BUDI, &text, Some(ParseMode::Html))
        .await
        .unwrap();

    assert!(sent.len() >= 2);
    let delivered = fake.sent_to(BUDI);
    assert!(
        delivered
            .iter()
            .all(|message| message.parse_mode.as_deref() == Some("HTML")),
        "no part needed the plain-text fallback"
    );
    let visible: String = sent
        .iter()
        .map(|message| message.text.clone().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(visible.starts_with("Ringkasan\nlayanan-0 & domain-0.id"));
    assert!(visible.ends_with("layanan-199 & domain-199.id\nselesai"));
}

#[tokio::test]
async fn html_telegram_cannot_parse_is_delivered_as_plain_text() {
    let fake = spawn_fake().await;

    let sent = client_for(&fake)
        .send_text(
            BUDI,
            "<b>Total</b> &amp; <blink>promo</blink> a < b",
            Some(ParseMode::Html),
        )
        .await
        .unwrap();

    assert_eq!(sent.len(), 1);
    let delivered = fake.sent_to(BUDI);
    assert_eq!(delivered.len(), 1, "the refused attempt delivered nothing");
    assert_eq!(delivered[0].text.as_deref(), Some("Total & promo a < b"));
    assert_eq!(delivered[0].parse_mode, None);
}

#[tokio::test]
async fn a_chat_that_blocked_the_bot_is_blocked_and_not_retryable() {
    let fake = spawn_fake().await;
    fake.block_chat(BUDI);

    let error = client_for(&fake)
        .send_message(BUDI, "Halo", None)
        .await
        .unwrap_err();

    assert_eq!(
        error,
        TelegramError::Blocked("Forbidden: bot was blocked by the user".into())
    );
    assert!(!error.is_retryable());
    assert!(fake.sent().is_empty());
}

#[tokio::test]
async fn the_flood_limit_becomes_retry_after_with_telegrams_exact_seconds() {
    let fake = spawn_fake().await;
    fake.set_rate_limit(Some(RateLimit::new(2, 7)));
    let client = client_for(&fake);

    client.send_message(BUDI, "1", None).await.unwrap();
    client.send_message(SITI, "2", None).await.unwrap();
    let error = client.send_message(BUDI, "3", None).await.unwrap_err();

    assert_eq!(error, TelegramError::RetryAfter(Duration::from_secs(7)));
    assert!(error.is_retryable());
    // While the limit holds, the whole bot is refused.
    let again = client.send_message(700_999, "4", None).await.unwrap_err();
    assert!(
        matches!(again, TelegramError::RetryAfter(wait) if wait <= Duration::from_secs(7) && wait >= Duration::from_secs(6))
    );
    assert_eq!(fake.sent().len(), 2);
}

#[tokio::test]
async fn server_errors_and_gateway_pages_are_transient() {
    let fake = spawn_fake().await;
    let client = client_for(&fake);

    fake.fail_next(1, 500);
    let internal = client.send_message(BUDI, "x", None).await.unwrap_err();
    fake.fail_next(1, 502);
    let gateway = client.send_message(BUDI, "x", None).await.unwrap_err();
    let recovered = client.send_message(BUDI, "x", None).await;

    assert_eq!(
        internal,
        TelegramError::Transient("HTTP 500: Internal Server Error".into())
    );
    assert_eq!(
        gateway,
        TelegramError::Transient("HTTP 502: Bad Gateway".into())
    );
    assert!(internal.is_retryable() && gateway.is_retryable());
    assert_eq!(recovered.unwrap().message_id, 1);
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_never_shown() {
    let fake = spawn_fake().await;
    let secret = "999999:AAH-very-secret-token";
    let client = client_with(&fake, secret, WAIT);

    let error = client.send_message(BUDI, "x", None).await.unwrap_err();

    assert_eq!(error, TelegramError::Unauthorized);
    assert!(!error.is_retryable());
    assert!(!error.to_string().contains(secret));
    assert!(
        !format!("{client:?}").contains(secret),
        "Debug redacts the token"
    );
}

#[tokio::test]
async fn timeouts_and_connection_failures_are_transient_without_the_token_in_the_message() {
    let fake = spawn_fake().await;
    let token = fake.token().to_owned();
    fake.set_delay(Duration::from_secs(3));
    let impatient = client_with(&fake, &token, Duration::from_millis(300));

    let started = Instant::now();
    let timeout = impatient.send_message(BUDI, "x", None).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(&timeout, TelegramError::Transient(message) if message.starts_with("timed out")),
        "{timeout}"
    );
    assert!(!timeout.to_string().contains(&token), "{timeout}");
    assert!(!format!("{timeout:?}").contains(&token));

    // Nothing listens on the fake's port once it is gone.
    let base_url = fake.base_url();
    drop(fake);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let orphan = notify::telegram::TelegramClient::new(&base_url, &token, WAIT).unwrap();
    let refused = orphan.send_message(BUDI, "x", None).await.unwrap_err();
    assert!(refused.is_retryable(), "{refused}");
    assert!(!refused.to_string().contains(&token), "{refused}");
}

#[tokio::test]
async fn other_bad_requests_are_not_retryable() {
    let fake = spawn_fake_with(TelegramFakeConfig {
        known_chats: Some(vec![BUDI]),
        ..TelegramFakeConfig::default()
    })
    .await;
    let client = client_for(&fake);

    let unknown = client.send_message(SITI, "x", None).await.unwrap_err();
    let too_long = client
        .send_message(BUDI, &"a".repeat(4097), None)
        .await
        .unwrap_err();
    let caption = client
        .send_photo(
            BUDI,
            InputFile::Url("https://cdn.juragan.test/qris.png".into()),
            Some(&"c".repeat(1025)),
            None,
        )
        .await
        .unwrap_err();

    assert_eq!(
        unknown,
        TelegramError::BadRequest("Bad Request: chat not found".into())
    );
    assert_eq!(
        too_long,
        TelegramError::BadRequest("Bad Request: message is too long".into())
    );
    assert_eq!(
        caption,
        TelegramError::BadRequest("Bad Request: message caption is too long".into())
    );
    assert!(
        ![unknown, too_long, caption]
            .iter()
            .any(TelegramError::is_retryable)
    );
}

#[tokio::test]
async fn photos_go_by_url_by_upload_and_by_file_id() {
    let fake = spawn_fake().await;
    let client = client_for(&fake);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake qris".to_vec();

    let by_url = client
        .send_photo(
            BUDI,
            InputFile::Url("https://cdn.juragan.test/qris.png".into()),
            Some("Scan <b>QRIS</b>"),
            Some(ParseMode::Html),
        )
        .await
        .unwrap();
    let uploaded = client
        .send_photo(
            BUDI,
            InputFile::Bytes {
                name: "qris.png".into(),
                bytes: png.clone(),
            },
            Some("QRIS INV-7"),
            None,
        )
        .await
        .unwrap();
    let again = client
        .send_photo(
            SITI,
            InputFile::FileId(uploaded.file_id.clone().unwrap()),
            None,
            None,
        )
        .await
        .unwrap();

    assert_eq!(by_url.caption.as_deref(), Some("Scan QRIS"));
    assert!(uploaded.file_id.is_some());
    assert_eq!(again.file_id, uploaded.file_id);
    let sent = fake.sent();
    assert!(
        sent.iter()
            .all(|message| message.kind == MessageKind::Photo)
    );
    let url_file = sent[0].file.as_ref().unwrap();
    assert_eq!(url_file.source, FileSource::Url);
    assert_eq!(
        url_file.url.as_deref(),
        Some("https://cdn.juragan.test/qris.png")
    );
    let upload = sent[1].file.as_ref().unwrap();
    assert_eq!(upload.source, FileSource::Upload);
    assert_eq!(upload.file_name.as_deref(), Some("qris.png"));
    assert_eq!(upload.size, Some(png.len()));
    assert_eq!(sent[1].caption.as_deref(), Some("QRIS INV-7"));
    assert_eq!(sent[2].file.as_ref().unwrap().source, FileSource::FileId);
}

#[tokio::test]
async fn documents_go_by_url_and_by_upload() {
    let fake = spawn_fake().await;
    let client = client_for(&fake);
    let pdf = b"%PDF-1.7\n% invoice INV-2025-0001\n%%EOF\n".to_vec();

    let by_url = client
        .send_document(
            BUDI,
            InputFile::Url("https://files.juragan.test/snk.pdf".into()),
            Some("SNK layanan"),
            None,
        )
        .await
        .unwrap();
    let uploaded = client
        .send_document(
            BUDI,
            InputFile::Bytes {
                name: "INV-2025-0001.pdf".into(),
                bytes: pdf.clone(),
            },
            None,
            None,
        )
        .await
        .unwrap();

    assert_eq!((by_url.message_id, uploaded.message_id), (1, 2));
    assert!(uploaded.file_id.is_some());
    let sent = fake.sent_to(BUDI);
    assert!(
        sent.iter()
            .all(|message| message.kind == MessageKind::Document)
    );
    assert_eq!(sent[0].file.as_ref().unwrap().source, FileSource::Url);
    let upload = sent[1].file.as_ref().unwrap();
    assert_eq!(upload.source, FileSource::Upload);
    assert_eq!(upload.file_name.as_deref(), Some("INV-2025-0001.pdf"));
    assert_eq!(upload.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(upload.size, Some(pdf.len()));
}
