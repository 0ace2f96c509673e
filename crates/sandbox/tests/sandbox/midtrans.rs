//! The Midtrans fake as a raw HTTP client and a customer's browser see it:
//! Snap and Core API shapes, the checkout page, and the notifications it
//! signs.

use std::time::Duration;

use base64::Engine as _;
use reqwest::{StatusCode, header};
use sandbox::{
    FailureMode, PaymentFakeError,
    midtrans::{MidtransFakeHandle, NotificationOptions, TransactionStatus},
    receiver::Receiver,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha512};

use crate::helpers::{WAIT, http_client, spawn_sandbox};

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

fn snap_body(order_id: &str) -> Value {
    json!({
        "transaction_details": {"order_id": order_id, "gross_amount": 150000},
        "item_details": [{"id": "HOST", "price": 75000, "quantity": 2, "name": "Hosting"}],
        "customer_details": {"first_name": "Budi", "email": "budi@example.test"},
        "expiry": {"unit": "minute", "duration": 60},
        "callbacks": {"finish": "http://shop.test/invoices/1?tab=pay"},
    })
}

async fn create(fake: &MidtransFakeHandle, key: &str, body: &Value) -> (StatusCode, Value) {
    let response = http_client()
        .post(format!("{}/transactions", fake.snap_base_url()))
        .header(header::AUTHORIZATION, basic(key))
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn core_status(fake: &MidtransFakeHandle, key: &str, order_id: &str) -> (StatusCode, Value) {
    let response = http_client()
        .get(format!("{}/v2/{order_id}/status", fake.core_base_url()))
        .header(header::AUTHORIZATION, basic(key))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn signature(order_id: &str, status_code: &str, gross_amount: &str, key: &str) -> String {
    hex::encode(Sha512::digest(
        format!("{order_id}{status_code}{gross_amount}{key}").as_bytes(),
    ))
}

#[tokio::test]
async fn snap_and_the_core_api_refuse_another_key_in_their_own_shapes() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.midtrans();

    let (status, body) = create(fake, "SB-Mid-server-wrong", &snap_body("INV-1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error_messages"][0]
            .as_str()
            .unwrap()
            .contains("unauthorized")
    );

    let (status, body) = core_status(fake, "SB-Mid-server-wrong", "INV-1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["status_code"], "401");
    assert!(fake.charges().is_empty());
}

#[tokio::test]
async fn snap_creates_once_per_order_id_and_checks_the_item_sum() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.midtrans();
    let key = fake.server_key().to_owned();

    let (status, body) = create(fake, &key, &snap_body("INV-2")).await;
    assert_eq!(status, StatusCode::CREATED);
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        body["redirect_url"],
        format!("{}/snap/v4/redirection/{token}", fake.core_base_url())
    );

    let (status, body) = create(fake, &key, &snap_body("INV-2")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error_messages"],
        json!(["transaction_details.order_id has already been taken"])
    );

    let mut uneven = snap_body("INV-3");
    uneven["transaction_details"]["gross_amount"] = json!(160_000);
    let (status, body) = create(fake, &key, &uneven).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error_messages"],
        json!(["transaction_details.gross_amount is not equal to the sum of item_details"])
    );
    assert_eq!(fake.charges().len(), 1);
}

#[tokio::test]
async fn the_core_api_does_not_know_an_order_until_a_method_is_chosen() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.midtrans();
    let key = fake.server_key().to_owned();
    create(fake, &key, &snap_body("INV-4")).await;

    let (status, body) = core_status(fake, &key, "INV-4").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["status_code"], "404");
    assert_eq!(body["status_message"], "Transaction doesn't exist.");
    fake.set_errors_in_body(true);
    let (status, body) = core_status(fake, &key, "INV-4").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status_code"], "404");

    fake.choose_payment_method("INV-4").await.unwrap();
    let (status, body) = core_status(fake, &key, "INV-4").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["transaction_status"], "pending");
    assert_eq!(body["status_code"], "201");
    assert_eq!(body["gross_amount"], "150000.00");
    assert_eq!(body["va_numbers"][0]["bank"], "bca");
}

#[tokio::test]
async fn paying_on_the_checkout_page_notifies_signed_then_returns_to_the_shop() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.midtrans();
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/midtrans"));
    let key = fake.server_key().to_owned();
    let (_, created) = create(fake, &key, &snap_body("INV-5")).await;
    let page_url = created["redirect_url"].as_str().unwrap().to_owned();

    let page = http_client().get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
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
        "http://shop.test/invoices/1?tab=pay&order_id=INV-5&status_code=200&transaction_status=settlement"
    );
    // The shop had its notification before the browser came back.
    let notification = receiver.requests().remove(0).json();
    assert_eq!(notification["order_id"], "INV-5");
    assert_eq!(notification["transaction_status"], "settlement");
    assert_eq!(notification["payment_type"], "bank_transfer");
    assert_eq!(notification["gross_amount"], "150000.00");
    assert_eq!(notification["status_code"], "200");
    assert_eq!(
        notification["signature_key"],
        signature("INV-5", "200", "150000.00", &key)
    );
    let charge = fake.charge("INV-5").unwrap();
    assert_eq!(charge.status, Some(TransactionStatus::Settlement));
    assert_eq!(
        notification["transaction_id"],
        charge.transaction_id.as_str()
    );
    // Paid once; the page offers no second payment.
    let again = http_client().get(&page_url).send().await.unwrap();
    assert!(!again.text().await.unwrap().contains(r#"id="pay""#));
    assert_eq!(
        fake.pay("INV-5").await,
        Err(PaymentFakeError::WrongState {
            reference: "INV-5".into(),
            status: "settlement".into()
        })
    );
}

#[tokio::test]
async fn the_fail_button_expires_the_order_with_its_notification() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.midtrans();
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/midtrans"));
    let key = fake.server_key().to_owned();
    let (_, created) = create(fake, &key, &snap_body("INV-6")).await;

    let failed = http_client()
        .post(format!(
            "{}/fail",
            created["redirect_url"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();

    assert_eq!(failed.status(), StatusCode::SEE_OTHER);
    let location = failed.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        location.ends_with("transaction_status=expire"),
        "{location}"
    );
    let notification = receiver.requests().remove(0).json();
    assert_eq!(notification["transaction_status"], "expire");
    assert_eq!(notification["status_code"], "407");
    assert_eq!(
        notification["signature_key"],
        signature("INV-6", "407", "150000.00", &key)
    );
}

#[tokio::test]
async fn crafted_notifications_report_the_shops_answer() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.midtrans();
    let receiver = Receiver::start().await.unwrap();
    let key = fake.server_key().to_owned();
    create(fake, &key, &snap_body("INV-7")).await;
    assert_eq!(
        fake.send_notification("INV-7", NotificationOptions::default())
            .await,
        Err(PaymentFakeError::NoNotificationUrl)
    );
    fake.set_notification_url(receiver.url("/hooks/midtrans"));
    receiver.answer_next_with(&[401]);

    let status = fake
        .send_notification(
            "INV-7",
            NotificationOptions {
                tamper_signature: true,
                status: Some(TransactionStatus::Settlement),
                gross_amount: Some("1.00".to_owned()),
            },
        )
        .await
        .unwrap();

    assert_eq!(status, 401);
    let sent = receiver.requests().remove(0).json();
    assert_eq!(sent["gross_amount"], "1.00");
    assert_ne!(
        sent["signature_key"],
        signature("INV-7", "200", "1.00", &key)
    );
    assert_eq!(sent["signature_key"].as_str().unwrap().len(), 128);
    // A crafted notification changes nothing at the fake.
    assert_eq!(fake.charge("INV-7").unwrap().status, None);
    let deliveries = fake.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].outcome.status(), Some(401));
}

#[tokio::test]
async fn a_slow_answer_comes_after_the_transaction_exists() {
    let sandbox = spawn_sandbox().await;
    let fake = sandbox.midtrans();
    let key = fake.server_key().to_owned();
    fake.fail_next_creates(1, FailureMode::Timeout);

    let attempt = tokio::time::timeout(
        Duration::from_millis(500),
        create(fake, &key, &snap_body("INV-8")),
    )
    .await;

    assert!(attempt.is_err(), "the answer should come late");
    let exists = async {
        while fake.charge("INV-8").is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(WAIT, exists).await.unwrap();
    // The failure was for one call only.
    let (status, _) = create(fake, &key, &snap_body("INV-9")).await;
    assert_eq!(status, StatusCode::CREATED);
}
