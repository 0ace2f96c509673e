//! The Xendit fake as a raw HTTP client and a customer's browser see it:
//! the Invoice API's shapes and errors, the invoice page, and callbacks
//! with their token and retries.

use std::time::Duration;

use base64::Engine as _;
use reqwest::{StatusCode, header};
use sandbox::{
    DeliveryOutcome,
    receiver::Receiver,
    xendit::{InvoiceStatus, XenditFake, XenditFakeConfig, XenditFakeHandle},
};
use serde_json::{Value, json};

use crate::helpers::{WAIT, http_client};

async fn fake() -> XenditFakeHandle {
    XenditFake::start(
        "127.0.0.1:0".parse().unwrap(),
        XenditFakeConfig {
            callback_retry_delays: vec![Duration::from_millis(20); 6],
            ..XenditFakeConfig::default()
        },
    )
    .await
    .unwrap()
}

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

async fn call(
    fake: &XenditFakeHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http_client()
        .request(method, format!("{}{path}", fake.base_url()))
        .header(header::AUTHORIZATION, basic(fake.secret_key()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

fn invoice_request(external_id: &str) -> Value {
    json!({
        "external_id": external_id,
        "amount": 150000,
        "currency": "IDR",
        "payer_email": "budi@example.test",
        "description": "Hosting Bisnis",
        "invoice_duration": 3600,
        "success_redirect_url": "http://shop.test/invoices/1?paid=1",
        "failure_redirect_url": "http://shop.test/invoices/1?failed=1",
    })
}

async fn create(fake: &XenditFakeHandle, external_id: &str) -> Value {
    let (status, body) = call(
        fake,
        reqwest::Method::POST,
        "/v2/invoices",
        Some(invoice_request(external_id)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn errors_come_in_xendits_shape() {
    let fake = fake().await;

    let unauthorized = http_client()
        .get(format!("{}/v2/invoices/abc", fake.base_url()))
        .header(header::AUTHORIZATION, basic("xnd_development_wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let body: Value = unauthorized.json().await.unwrap();
    assert_eq!(body["error_code"], "INVALID_API_KEY");
    assert!(body["message"].is_string());

    let (status, body) = call(&fake, reqwest::Method::GET, "/v2/invoices/abc", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error_code"], "INVOICE_NOT_FOUND_ERROR");

    let mut euro = invoice_request("INV-1");
    euro["currency"] = json!("EUR");
    let (status, body) = call(&fake, reqwest::Method::POST, "/v2/invoices", Some(euro)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "UNSUPPORTED_CURRENCY");

    let mut nameless = invoice_request("INV-1");
    nameless["payer_email"] = json!("budi");
    let (status, body) = call(&fake, reqwest::Method::POST, "/v2/invoices", Some(nameless)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "EMAIL_FORMAT_ERROR");
    assert!(fake.invoices().is_empty());
}

#[tokio::test]
async fn external_ids_are_not_unique_and_can_be_listed() {
    let fake = fake().await;

    let first = create(&fake, "INV-2").await;
    let second = create(&fake, "INV-2").await;
    create(&fake, "INV-3").await;

    assert_eq!(first["status"], "PENDING");
    assert_eq!(first["amount"], 150000);
    assert_eq!(first["id"].as_str().unwrap().len(), 24);
    assert_eq!(
        first["invoice_url"],
        format!("{}/web/{}", fake.base_url(), first["id"].as_str().unwrap())
    );
    assert_ne!(first["id"], second["id"]);
    let (status, listed) = call(
        &fake,
        reqwest::Method::GET,
        "/v2/invoices?external_id=INV-2",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|invoice| invoice["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&first["id"].as_str().unwrap()));
    assert!(ids.contains(&second["id"].as_str().unwrap()));
}

#[tokio::test]
async fn paying_on_the_invoice_page_calls_back_with_the_token_then_returns_to_the_shop() {
    let fake = fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/xendit"));
    let invoice = create(&fake, "INV-4").await;
    let page_url = invoice["invoice_url"].as_str().unwrap();

    let html = http_client()
        .get(page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Rp 150.000"), "{html}");
    assert!(html.contains(r#"id="pay">Bayar</button>"#), "{html}");
    assert!(html.contains(r#"id="fail""#), "{html}");
    let paid = http_client()
        .post(format!("{page_url}/pay"))
        .send()
        .await
        .unwrap();

    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        paid.headers()[header::LOCATION],
        "http://shop.test/invoices/1?paid=1"
    );
    let callback = receiver.requests().remove(0);
    assert_eq!(
        callback.header("x-callback-token"),
        Some(fake.callback_token())
    );
    let body = callback.json();
    assert_eq!(body["id"], invoice["id"]);
    assert_eq!(body["external_id"], "INV-4");
    assert_eq!(body["status"], "PAID");
    assert_eq!(body["paid_amount"], 150000);
    assert_eq!(body["payment_channel"], "BCA");
    assert!(body["payment_id"].is_string());
    let id = invoice["id"].as_str().unwrap();
    let (_, fetched) = call(
        &fake,
        reqwest::Method::GET,
        &format!("/v2/invoices/{id}"),
        None,
    )
    .await;
    assert_eq!(fetched["status"], "PAID");
    assert_eq!(fetched["paid_amount"], 150000);
}

#[tokio::test]
async fn a_callback_is_retried_while_the_shop_answers_non_2xx() {
    let fake = fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/xendit"));
    let first = create(&fake, "INV-5").await;
    let second = create(&fake, "INV-6").await;

    receiver.answer_next_with(&[500, 503]);
    let answered = fake.pay(first["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(answered, Some(200));
    let outcomes: Vec<DeliveryOutcome> = fake
        .deliveries()
        .into_iter()
        .map(|delivery| delivery.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [500, 503, 200].map(DeliveryOutcome::Answered).to_vec()
    );

    // Six retries, then Xendit gives up.
    receiver.answer_next_with(&[500; 7]);
    let answered = fake.pay(second["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(answered, Some(500));
    assert_eq!(fake.deliveries().len(), 3 + 7);
    assert_eq!(receiver.requests().len(), 3 + 7);
}

#[tokio::test]
async fn the_page_returns_the_browser_at_once_and_retries_on_its_own() {
    let fake = fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/xendit"));
    let invoice = create(&fake, "INV-7").await;
    receiver.answer_next_with(&[500]);

    let failed = http_client()
        .post(format!("{}/fail", invoice["invoice_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();

    assert_eq!(failed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        failed.headers()[header::LOCATION],
        "http://shop.test/invoices/1?failed=1"
    );
    let callbacks = receiver.wait_for_requests(2, WAIT).await.unwrap();
    assert_eq!(callbacks[1].json()["status"], "EXPIRED");
    assert_eq!(callbacks[1].answered, 200);
}

#[tokio::test]
async fn expire_ends_a_pending_invoice_but_not_a_paid_one() {
    let fake = fake().await;
    let pending = create(&fake, "INV-8").await;
    let paid = create(&fake, "INV-9").await;
    let paid_id = paid["id"].as_str().unwrap();
    fake.pay(paid_id).await.unwrap();

    let pending_id = pending["id"].as_str().unwrap();
    let (status, body) = call(
        &fake,
        reqwest::Method::POST,
        &format!("/invoices/{pending_id}/expire!"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "EXPIRED");
    assert_eq!(
        fake.invoice(pending_id).unwrap().status,
        InvoiceStatus::Expired
    );

    let (status, body) = call(
        &fake,
        reqwest::Method::POST,
        &format!("/invoices/{paid_id}/expire!"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "API_VALIDATION_ERROR");
    let (status, body) = call(
        &fake,
        reqwest::Method::POST,
        "/invoices/000000000000000000000000/expire!",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error_code"], "INVOICE_NOT_FOUND_ERROR");
}
