//! The Telegram Bot API fake as any HTTP client sees it: the envelope and
//! status codes, parameters by query, form, JSON and multipart, length and
//! markup checks, `getUpdates` with acknowledgement and long polling, the
//! webhook methods and delivery, and the simulations steered through
//! `/api/telegram/...`.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sandbox::{
    SandboxHandle,
    telegram::{IncomingMessage, TelegramFake, TelegramFakeConfig},
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{WAIT, http_client, spawn_sandbox};

const BUDI: i64 = 610_000_001;

fn bot_url(sandbox: &SandboxHandle, method: &str) -> String {
    format!(
        "{}/bot{}/{method}",
        sandbox.telegram().base_url(),
        sandbox.telegram().token()
    )
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

async fn call(sandbox: &SandboxHandle, method: &str, params: Value) -> (StatusCode, Value) {
    read(
        http_client()
            .post(bot_url(sandbox, method))
            .json(&params)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn assert_error(answer: &(StatusCode, Value), code: u16, description: &str) {
    assert_eq!(answer.0.as_u16(), code, "{:?}", answer.1);
    assert_eq!(answer.1["ok"], json!(false));
    assert_eq!(answer.1["error_code"], json!(code));
    assert_eq!(answer.1["description"], json!(description));
}

#[tokio::test]
async fn get_me_answers_in_the_ok_result_envelope_by_get_and_post() {
    let sandbox = spawn_sandbox().await;

    let by_get = read(
        http_client()
            .get(bot_url(&sandbox, "getMe"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let by_post = call(&sandbox, "getMe", json!({})).await;

    assert_eq!(by_get.0, StatusCode::OK);
    assert_eq!(by_get.1["ok"], json!(true));
    assert_eq!(by_get.1["result"]["id"], json!(123_456));
    assert_eq!(by_get.1["result"]["is_bot"], json!(true));
    assert_eq!(by_get.1["result"]["username"], json!("juragan_sandbox_bot"));
    assert_eq!(by_get, by_post);
}

#[tokio::test]
async fn a_wrong_token_is_401_and_an_unknown_method_404() {
    let sandbox = spawn_sandbox().await;
    let wrong = format!(
        "{}/bot123456:wrong/sendMessage",
        sandbox.telegram().base_url()
    );

    let unauthorized = read(
        http_client()
            .post(wrong)
            .json(&json!({"chat_id": BUDI, "text": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let unknown = call(&sandbox, "sendTelepathy", json!({})).await;

    assert_error(&unauthorized, 401, "Unauthorized");
    assert!(unauthorized.1.get("result").is_none());
    assert_error(&unknown, 404, "Not Found");
}

#[tokio::test]
async fn send_message_takes_query_form_and_json_and_numbers_messages_per_chat() {
    let sandbox = spawn_sandbox().await;
    let client = http_client();

    let by_query = read(
        client
            .get(format!(
                "{}?chat_id={BUDI}&text=satu",
                bot_url(&sandbox, "sendMessage")
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let by_form = read(
        client
            .post(bot_url(&sandbox, "sendMessage"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("chat_id={BUDI}&text=dua+%26+tiga&parse_mode=HTML"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let by_json = call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": BUDI.to_string(), "text": "<b>empat</b>", "parse_mode": "HTML"}),
    )
    .await;
    let other_chat = call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": 42, "text": "lain"}),
    )
    .await;

    let message = &by_json.1["result"];
    assert_eq!(by_json.0, StatusCode::OK);
    assert_eq!(message["message_id"], json!(3));
    assert_eq!(
        message["chat"],
        json!({"id": BUDI, "first_name": "Budi", "type": "private"})
    );
    assert_eq!(message["text"], json!("empat"), "the text as users see it");
    assert_eq!(message["from"]["is_bot"], json!(true));
    let date = message["date"].as_i64().unwrap();
    assert!((chrono::Utc::now().timestamp() - date).abs() < 60);
    assert_eq!(by_query.1["result"]["message_id"], json!(1));
    assert_eq!(by_form.1["result"]["text"], json!("dua & tiga"));
    assert_eq!(other_chat.1["result"]["message_id"], json!(1));
    let sent = sandbox.telegram().sent_to(BUDI);
    let texts: Vec<_> = sent.iter().map(|message| message.content()).collect();
    assert_eq!(texts, ["satu", "dua & tiga", "<b>empat</b>"]);
    assert_eq!(sent[2].parse_mode.as_deref(), Some("HTML"));
}

#[tokio::test]
async fn texts_and_captions_are_measured_after_markup_in_utf16_units() {
    let sandbox = spawn_sandbox().await;
    let send = |text: String, parse_mode: Option<&str>| {
        let sandbox = &sandbox;
        let parse_mode = parse_mode.map(str::to_owned);
        async move {
            call(
                sandbox,
                "sendMessage",
                json!({"chat_id": BUDI, "text": text, "parse_mode": parse_mode}),
            )
            .await
        }
    };

    let exactly = send("a".repeat(4096), None).await;
    let over = send("a".repeat(4097), None).await;
    let tagged = send(format!("<b>{}</b>", "a".repeat(4096)), Some("HTML")).await;
    let emoji = send("😀".repeat(2049), None).await;
    let empty = send(String::new(), None).await;
    let blank_after_markup = send("<b> </b>".to_owned(), Some("HTML")).await;
    let caption = call(
        &sandbox,
        "sendPhoto",
        json!({"chat_id": BUDI, "photo": "https://cdn.test/a.png", "caption": "c".repeat(1025)}),
    )
    .await;
    let caption_ok = call(
        &sandbox,
        "sendPhoto",
        json!({"chat_id": BUDI, "photo": "https://cdn.test/a.png", "caption": "c".repeat(1024)}),
    )
    .await;

    assert_eq!(exactly.0, StatusCode::OK);
    assert_error(&over, 400, "Bad Request: message is too long");
    assert_eq!(tagged.0, StatusCode::OK, "tags do not count");
    assert_error(&emoji, 400, "Bad Request: message is too long");
    assert_error(&empty, 400, "Bad Request: message text is empty");
    assert_error(
        &blank_after_markup,
        400,
        "Bad Request: message text is empty",
    );
    assert_error(&caption, 400, "Bad Request: message caption is too long");
    assert_eq!(caption_ok.0, StatusCode::OK);
    assert_eq!(caption_ok.1["result"]["photo"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn malformed_html_cannot_be_parsed() {
    let sandbox = spawn_sandbox().await;

    let unclosed = call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": BUDI, "text": "<b>Total", "parse_mode": "HTML"}),
    )
    .await;
    let unknown = call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": BUDI, "text": "<blink>x</blink>", "parse_mode": "HTML"}),
    )
    .await;
    let as_plain = call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": BUDI, "text": "<blink>x</blink>"}),
    )
    .await;

    assert_error(
        &unclosed,
        400,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    );
    assert_error(
        &unknown,
        400,
        "Bad Request: can't parse entities: Unsupported start tag \"blink\" at byte offset 0",
    );
    assert_eq!(as_plain.0, StatusCode::OK);
    assert_eq!(sandbox.telegram().sent().len(), 1);
}

#[tokio::test]
async fn unknown_chats_are_not_found_when_chats_are_configured() {
    let telegram = TelegramFake::start(
        "127.0.0.1:0".parse().unwrap(),
        TelegramFakeConfig {
            known_chats: Some(vec![BUDI]),
            ..TelegramFakeConfig::default()
        },
    )
    .await
    .unwrap();
    let url = format!(
        "{}/bot{}/sendMessage",
        telegram.base_url(),
        telegram.token()
    );
    let send = |chat: Value| {
        let url = url.clone();
        async move {
            read(
                http_client()
                    .post(url)
                    .json(&json!({"chat_id": chat, "text": "x"}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };

    let known = send(json!(BUDI)).await;
    let unknown = send(json!(77)).await;
    let by_username = send(json!("@someone")).await;
    telegram.push_update(&IncomingMessage::start(77, "LINK-1"));
    let after_start = send(json!(77)).await;

    assert_eq!(known.0, StatusCode::OK);
    assert_error(&unknown, 400, "Bad Request: chat not found");
    assert_error(&by_username, 400, "Bad Request: chat not found");
    assert_eq!(
        after_start.0,
        StatusCode::OK,
        "a user who wrote to the bot is known"
    );
    assert_eq!(
        after_start.1["result"]["message_id"],
        json!(2),
        "the /start was message 1"
    );
}

#[tokio::test]
async fn simulations_are_steered_through_the_sandbox_json_api() {
    let sandbox = spawn_sandbox().await;
    let client = http_client();
    let api = |path: &str| format!("{}/api/telegram{path}", sandbox.http_url());

    client
        .put(api(&format!("/chats/{BUDI}/blocked")))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let blocked = call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": BUDI, "text": "x"}),
    )
    .await;
    client
        .delete(api(&format!("/chats/{BUDI}/blocked")))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    client
        .put(api("/rate-limit"))
        .json(&json!({"per_second": 1, "retry_after": 5}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let first = call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": BUDI, "text": "1"}),
    )
    .await;
    let limited = call(&sandbox, "sendMessage", json!({"chat_id": 99, "text": "2"})).await;
    client
        .delete(api("/rate-limit"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    client
        .post(api("/fail-next"))
        .json(&json!({"count": 2, "status": 502}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let gateway = http_client()
        .post(bot_url(&sandbox, "getMe"))
        .send()
        .await
        .unwrap();
    let gateway_status = gateway.status();
    let gateway_body = gateway.text().await.unwrap();
    let _second_failure = http_client()
        .post(bot_url(&sandbox, "getMe"))
        .send()
        .await
        .unwrap();
    let recovered = call(&sandbox, "getMe", json!({})).await;

    client
        .put(api("/delay"))
        .json(&json!({"millis": 400}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let started = Instant::now();
    call(&sandbox, "getMe", json!({})).await;
    let slow = started.elapsed();
    let too_slow = client
        .put(api("/delay"))
        .json(&json!({"millis": 600_000}))
        .send()
        .await
        .unwrap();
    let settings: Value = client
        .get(api(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_error(&blocked, 403, "Forbidden: bot was blocked by the user");
    assert_eq!(first.0, StatusCode::OK);
    assert_error(&limited, 429, "Too Many Requests: retry after 5");
    assert_eq!(limited.1["parameters"], json!({"retry_after": 5}));
    assert_eq!(gateway_status, StatusCode::BAD_GATEWAY);
    assert!(
        gateway_body.contains("<center><h1>502 Bad Gateway</h1></center>"),
        "{gateway_body}"
    );
    assert_eq!(recovered.0, StatusCode::OK);
    assert!(slow >= Duration::from_millis(400), "{slow:?}");
    assert_eq!(too_slow.status(), StatusCode::BAD_REQUEST);
    assert_eq!(settings["token"], json!("123456:sandbox-token"));
    assert_eq!(settings["settings"]["delay_ms"], json!(400));
}

#[tokio::test]
async fn sent_messages_are_listed_and_cleared_through_the_json_api() {
    let sandbox = spawn_sandbox().await;
    call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": BUDI, "text": "satu"}),
    )
    .await;
    call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": 5, "text": "dua", "parse_mode": "MarkdownV2"}),
    )
    .await;
    let client = http_client();
    let messages = format!("{}/api/telegram/messages", sandbox.http_url());

    let all: Value = client
        .get(&messages)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let budi: Value = client
        .get(format!("{messages}?chat_id={BUDI}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deleted: Value = client
        .delete(&messages)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(all["count"], json!(2));
    assert_eq!(all["messages"][0]["text"], json!("dua"), "newest first");
    assert_eq!(all["messages"][0]["parse_mode"], json!("MarkdownV2"));
    assert_eq!(all["messages"][0]["chat_id"], json!(5));
    assert!(all["messages"][0]["sent_at"].is_string());
    assert_eq!(budi["count"], json!(1));
    assert_eq!(deleted, json!({"deleted": 2}));
    assert!(sandbox.telegram().sent().is_empty());
}

#[tokio::test]
async fn get_updates_acknowledges_by_offset_and_respects_the_limit() {
    let sandbox = spawn_sandbox().await;
    let pushed: Value = http_client()
        .post(format!("{}/api/telegram/updates", sandbox.http_url()))
        .json(&json!({"chat_id": BUDI, "text": "/start LINK-42", "username": "budi_s"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = sandbox
        .telegram()
        .push_update(&IncomingMessage::new(BUDI, "halo"));
    let third = sandbox
        .telegram()
        .push_update(&IncomingMessage::new(7, "katalog"));
    let first = pushed["update_id"].as_i64().unwrap();

    let limited = call(&sandbox, "getUpdates", json!({"limit": 2})).await;
    let again = call(&sandbox, "getUpdates", json!({})).await;
    let acknowledged = call(&sandbox, "getUpdates", json!({"offset": second + 1})).await;
    let drained = call(&sandbox, "getUpdates", json!({"offset": third + 1})).await;

    assert_eq!((second, third), (first + 1, first + 2));
    let updates = limited.1["result"].as_array().unwrap();
    assert_eq!(updates.len(), 2);
    let start = &updates[0]["message"];
    assert_eq!(updates[0]["update_id"], json!(first));
    assert_eq!(start["text"], json!("/start LINK-42"));
    assert_eq!(start["from"]["username"], json!("budi_s"));
    assert_eq!(start["chat"]["type"], json!("private"));
    assert_eq!(
        start["entities"],
        json!([{"offset": 0, "length": 6, "type": "bot_command"}])
    );
    assert_eq!(
        again.1["result"].as_array().unwrap().len(),
        3,
        "nothing is acknowledged without an offset"
    );
    let left: Vec<i64> = acknowledged.1["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(left, vec![third]);
    assert_eq!(drained.1["result"], json!([]));
}

#[tokio::test]
async fn get_updates_long_polls_until_an_update_arrives_or_the_timeout() {
    let sandbox = spawn_sandbox().await;
    let telegram = sandbox.telegram().clone();

    let started = Instant::now();
    let empty = call(&sandbox, "getUpdates", json!({"timeout": 1})).await;
    let empty_after = started.elapsed();
    let pusher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        telegram.push_update(&IncomingMessage::start(BUDI, "LINK-7"))
    });
    let started = Instant::now();
    let woken = call(&sandbox, "getUpdates", json!({"timeout": 8})).await;
    let woken_after = started.elapsed();
    let update_id = pusher.await.unwrap();

    assert_eq!(empty.1["result"], json!([]));
    assert!(
        empty_after >= Duration::from_millis(950) && empty_after < Duration::from_secs(3),
        "{empty_after:?}"
    );
    assert_eq!(woken.1["result"][0]["update_id"], json!(update_id));
    assert!(
        woken_after >= Duration::from_millis(250) && woken_after < Duration::from_secs(3),
        "{woken_after:?}"
    );
}

#[tokio::test]
async fn a_second_poller_terminates_the_first_with_409() {
    let sandbox = spawn_sandbox().await;
    let url = bot_url(&sandbox, "getUpdates");
    let first = tokio::spawn(async move {
        read(
            http_client()
                .post(url)
                .json(&json!({"timeout": 5}))
                .send()
                .await
                .unwrap(),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let second = call(&sandbox, "getUpdates", json!({"timeout": 0})).await;
    let first = tokio::time::timeout(WAIT, first).await.unwrap().unwrap();

    assert_eq!(second.0, StatusCode::OK);
    assert_error(
        &first,
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    );
}

#[tokio::test]
async fn get_updates_conflicts_while_a_webhook_is_set() {
    let sandbox = spawn_sandbox().await;

    let set = call(&sandbox, "setWebhook", json!({"url": "https://bot.juragan.test/telegram/webhook", "secret_token": "s3cr3t_-X", "max_connections": 10})).await;
    let info = call(&sandbox, "getWebhookInfo", json!({})).await;
    let conflict = call(&sandbox, "getUpdates", json!({})).await;
    let bad_port = call(
        &sandbox,
        "setWebhook",
        json!({"url": "https://bot.juragan.test:9000/hook"}),
    )
    .await;
    let bad_secret = call(
        &sandbox,
        "setWebhook",
        json!({"url": "https://bot.juragan.test/hook", "secret_token": "no spaces"}),
    )
    .await;
    let deleted = call(&sandbox, "deleteWebhook", json!({})).await;
    let deleted_again = call(&sandbox, "deleteWebhook", json!({})).await;
    let polling = call(&sandbox, "getUpdates", json!({})).await;

    assert_eq!(set.1, json!({"ok": true, "result": true}));
    assert_eq!(
        info.1["result"]["url"],
        json!("https://bot.juragan.test/telegram/webhook")
    );
    assert_eq!(info.1["result"]["max_connections"], json!(10));
    assert_eq!(info.1["result"]["pending_update_count"], json!(0));
    assert_error(
        &conflict,
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
    assert_error(
        &bad_port,
        400,
        "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
    );
    assert_error(
        &bad_secret,
        400,
        "Bad Request: secret token contains unallowed characters",
    );
    assert_eq!(
        deleted.1,
        json!({"ok": true, "result": true, "description": "Webhook was deleted"})
    );
    assert_eq!(
        deleted_again.1["description"],
        json!("Webhook is already deleted")
    );
    assert_eq!(polling.0, StatusCode::OK);
}

#[tokio::test]
async fn pending_updates_are_delivered_to_the_webhook_with_the_secret_header() {
    let sandbox = spawn_sandbox().await;
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/telegram/webhook", receiver.local_addr().unwrap());
    call(
        &sandbox,
        "setWebhook",
        json!({"url": hook, "secret_token": "rahasia_123"}),
    )
    .await;
    let update_id = sandbox
        .telegram()
        .push_update(&IncomingMessage::start(BUDI, "LINK-9"));
    let received = tokio::spawn(async move {
        let (mut stream, _) = receiver.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !String::from_utf8_lossy(&request).contains("LINK-9") {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the request ended early");
            request.extend_from_slice(&buffer[..read]);
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        String::from_utf8(request).unwrap()
    });

    let delivered = sandbox
        .telegram()
        .deliver_webhook_updates(WAIT)
        .await
        .unwrap();
    let request = tokio::time::timeout(WAIT, received).await.unwrap().unwrap();
    let info = call(&sandbox, "getWebhookInfo", json!({})).await;

    assert_eq!(delivered, 1);
    assert!(
        request.starts_with("POST /telegram/webhook HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains("X-Telegram-Bot-Api-Secret-Token: rahasia_123\r\n"),
        "{request}"
    );
    assert!(
        request.contains(&format!("\"update_id\":{update_id}")),
        "{request}"
    );
    assert_eq!(info.1["result"]["pending_update_count"], json!(0));
}

#[tokio::test]
async fn uploads_arrive_as_multipart_and_their_file_id_can_be_reused() {
    let sandbox = spawn_sandbox().await;
    let pdf = b"%PDF-1.7\n% INV-2025-0042\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("chat_id", BUDI.to_string())
        .text("caption", "Faktur <b>INV-2025-0042</b>")
        .text("parse_mode", "HTML")
        .part(
            "document",
            reqwest::multipart::Part::bytes(pdf.clone()).file_name("INV-2025-0042.pdf"),
        );

    let uploaded = read(
        http_client()
            .post(bot_url(&sandbox, "sendDocument"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let file_id = uploaded.1["result"]["document"]["file_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resent = call(
        &sandbox,
        "sendDocument",
        json!({"chat_id": 5, "document": file_id}),
    )
    .await;
    let unknown_id = call(
        &sandbox,
        "sendDocument",
        json!({"chat_id": 5, "document": "BQACAgUAAxkDAAI-nope"}),
    )
    .await;
    let missing = call(&sandbox, "sendPhoto", json!({"chat_id": 5})).await;

    assert_eq!(uploaded.0, StatusCode::OK, "{}", uploaded.1);
    let document = &uploaded.1["result"]["document"];
    assert_eq!(document["file_name"], json!("INV-2025-0042.pdf"));
    assert_eq!(document["mime_type"], json!("application/pdf"));
    assert_eq!(document["file_size"], json!(pdf.len()));
    assert_eq!(
        uploaded.1["result"]["caption"],
        json!("Faktur INV-2025-0042")
    );
    assert_eq!(resent.1["result"]["document"]["file_id"], json!(file_id));
    assert_error(
        &unknown_id,
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    );
    assert_error(
        &missing,
        400,
        "Bad Request: there is no photo in the request",
    );
    let stored = sandbox.telegram().sent_to(BUDI);
    assert_eq!(stored[0].file.as_ref().unwrap().size, Some(pdf.len()));
}

#[tokio::test]
async fn wait_for_sent_sees_a_message_sent_later() {
    let sandbox = spawn_sandbox().await;
    let url = bot_url(&sandbox, "sendMessage");
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        http_client()
            .post(url)
            .json(&json!({"chat_id": BUDI, "text": "Kode: 123456"}))
            .send()
            .await
            .unwrap();
    });

    let message = sandbox
        .telegram()
        .wait_for_sent(|message| message.chat_id == BUDI, WAIT)
        .await
        .unwrap();
    let timeout = sandbox
        .telegram()
        .wait_for_sent(|message| message.chat_id == 1, Duration::from_millis(100))
        .await
        .unwrap_err();

    assert_eq!(message.content(), "Kode: 123456");
    assert!(timeout.to_string().contains("Kode: 123456"), "{timeout}");
}

#[tokio::test]
async fn the_index_page_lists_sent_messages_escaped() {
    let sandbox = spawn_sandbox().await;
    call(
        &sandbox,
        "sendMessage",
        json!({"chat_id": BUDI, "text": "<script>alert(1)</script> Tagihan INV-9"}),
    )
    .await;

    let page = http_client()
        .get(sandbox.http_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert!(page.contains("<h2>Telegram Bot API</h2>"));
    assert!(page.contains(&sandbox.telegram().base_url()));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; Tagihan INV-9"));
    assert!(!page.contains("<script>"));
    assert!(page.contains(&BUDI.to_string()));
}
