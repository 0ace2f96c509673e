//! The Pakasir fake as a raw HTTP client and a customer's browser see it:
//! project, key and amount checks on every call, fees, the hosted page with
//! its simulation button, and the unsigned webhook.

use reqwest::{StatusCode, header};
use sandbox::{
    PaymentFakeError,
    pakasir::{PakasirFake, PakasirFakeConfig, PakasirFakeHandle, PakasirStatus},
    receiver::Receiver,
};
use serde_json::{Value, json};

use crate::helpers::{WAIT, http_client};

async fn fake_with(config: PakasirFakeConfig) -> PakasirFakeHandle {
    PakasirFake::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

async fn fake() -> PakasirFakeHandle {
    fake_with(PakasirFakeConfig::default()).await
}

fn body(fake: &PakasirFakeHandle, order_id: &str, amount: i64) -> Value {
    json!({
        "project": fake.project(),
        "order_id": order_id,
        "amount": amount,
        "api_key": fake.api_key(),
    })
}

async fn post(fake: &PakasirFakeHandle, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = http_client()
        .post(format!("{}{path}", fake.base_url()))
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn detail(
    fake: &PakasirFakeHandle,
    order_id: &str,
    amount: i64,
    api_key: &str,
) -> (StatusCode, Value) {
    let response = http_client()
        // Every value here is URL-safe as it is.
        .get(format!(
            "{}/api/transactiondetail?project={}&amount={amount}&order_id={order_id}&api_key={api_key}",
            fake.base_url(),
            fake.project(),
        ))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_created_transaction_carries_fee_total_and_qris_string() {
    let fake = fake().await;

    let (status, created) = post(
        &fake,
        "/api/transactioncreate/qris",
        &body(&fake, "INV-1", 150_000),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    let payment = &created["payment"];
    assert_eq!(payment["order_id"], "INV-1");
    assert_eq!(payment["amount"], 150_000);
    assert_eq!(payment["fee"], 1_050);
    assert_eq!(payment["total_payment"], 151_050);
    assert_eq!(payment["payment_method"], "qris");
    assert!(
        payment["payment_number"]
            .as_str()
            .unwrap()
            .starts_with("000201")
    );
    // RFC 3339 with nanoseconds, as Pakasir writes it.
    let expired_at = payment["expired_at"].as_str().unwrap();
    assert!(
        expired_at.ends_with('Z') && expired_at.split('.').nth(1).unwrap().len() == 10,
        "{expired_at}"
    );

    let (status, virtual_account) = post(
        &fake,
        "/api/transactioncreate/bni_va",
        &body(&fake, "INV-2", 150_000),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(virtual_account["payment"]["fee"], 4_000);
    let (status, unknown) = post(
        &fake,
        "/api/transactioncreate/bitcoin",
        &body(&fake, "INV-3", 150_000),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(unknown["message"].is_string());
}

#[tokio::test]
async fn every_call_checks_project_key_and_amount() {
    let fake = fake().await;
    post(
        &fake,
        "/api/transactioncreate/qris",
        &body(&fake, "INV-4", 150_000),
    )
    .await;

    let (status, found) = detail(&fake, "INV-4", 150_000, fake.api_key()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["transaction"]["status"], "pending");
    assert_eq!(found["transaction"]["is_sandbox"], true);
    assert_eq!(found["transaction"]["project"], fake.project());

    let (status, refused) = detail(&fake, "INV-4", 150_000, "wrong-key").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(refused["message"].is_string());
    let (status, mismatch) = detail(&fake, "INV-4", 149_000, fake.api_key()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(mismatch["message"], "Amount does not match the transaction");
    let (status, missing) = detail(&fake, "INV-none", 150_000, fake.api_key()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing["message"].is_string());

    for path in ["/api/transactioncancel", "/api/paymentsimulation"] {
        let (status, _) = post(&fake, path, &body(&fake, "INV-4", 1)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
    }
    let (status, _) = post(
        &fake,
        "/api/transactioncreate/qris",
        &json!({"project": "other", "order_id": "INV-5", "amount": 1000, "api_key": fake.api_key()}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(fake.charges().len(), 1);
}

#[tokio::test]
async fn simulation_completes_and_sends_an_unsigned_webhook() {
    let fake = fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/pakasir/secret-token"));
    post(
        &fake,
        "/api/transactioncreate/qris",
        &body(&fake, "INV-6", 150_000),
    )
    .await;

    let (status, answer) = post(
        &fake,
        "/api/paymentsimulation",
        &body(&fake, "INV-6", 150_000),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["success"], true);
    let webhook = receiver.requests().remove(0);
    assert_eq!(webhook.path, "/hooks/pakasir/secret-token");
    assert!(
        webhook
            .headers
            .iter()
            .all(|(name, _)| !name.contains("signature")),
        "{:?}",
        webhook.headers
    );
    let sent = webhook.json();
    assert_eq!(sent["order_id"], "INV-6");
    assert_eq!(sent["amount"], 150_000);
    assert_eq!(sent["project"], fake.project());
    assert_eq!(sent["status"], "completed");
    assert_eq!(sent["payment_method"], "qris");
    assert!(sent["completed_at"].as_str().unwrap().ends_with("+07:00"));
    let (_, found) = detail(&fake, "INV-6", 150_000, fake.api_key()).await;
    assert_eq!(found["transaction"]["status"], "completed");
    // Completed once: a second simulation is refused.
    let (status, _) = post(
        &fake,
        "/api/paymentsimulation",
        &body(&fake, "INV-6", 150_000),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_live_project_refuses_simulation() {
    let fake = fake_with(PakasirFakeConfig {
        is_sandbox: false,
        ..PakasirFakeConfig::default()
    })
    .await;
    post(
        &fake,
        "/api/transactioncreate/qris",
        &body(&fake, "INV-7", 150_000),
    )
    .await;

    let (status, refused) = post(
        &fake,
        "/api/paymentsimulation",
        &body(&fake, "INV-7", 150_000),
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["message"].as_str().unwrap().contains("sandbox"));
    assert_eq!(
        fake.simulate("INV-7", 150_000).await,
        Err(PaymentFakeError::NotSandbox)
    );
    let (_, found) = detail(&fake, "INV-7", 150_000, fake.api_key()).await;
    assert_eq!(found["transaction"]["is_sandbox"], false);
    // A real customer can still pay.
    fake.pay("INV-7").await.unwrap();
    assert_eq!(
        fake.transaction("INV-7").unwrap().status,
        PakasirStatus::Completed
    );
}

#[tokio::test]
async fn the_hosted_page_shows_the_qris_string_and_simulates_payment() {
    let fake = fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/pakasir/t"));
    let page_url = format!(
        "{}/pay/{}/150000?order_id=INV-8&redirect=http%3A%2F%2Fshop.test%2Fdone&qris_only=1",
        fake.base_url(),
        fake.project()
    );

    let page = http_client().get(&page_url).send().await.unwrap();

    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let transaction = fake.transaction("INV-8").unwrap();
    assert!(html.contains(&transaction.payment_number), "{html}");
    assert!(html.contains("Simulasi bayar"), "{html}");
    assert!(html.contains("Rp 151.050"), "{html}");
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let paid = http_client()
        .post(format!("{}{action}", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        paid.headers()[header::LOCATION],
        "http://shop.test/done?order_id=INV-8"
    );
    let webhook = receiver.wait_for_requests(1, WAIT).await.unwrap().remove(0);
    assert_eq!(webhook.json()["order_id"], "INV-8");
    // Visiting the page again shows the same, completed transaction.
    let again = http_client()
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("Pembayaran berhasil"), "{again}");
    assert_eq!(fake.charges().len(), 1);
    // Another amount for the same order is refused.
    let other = http_client()
        .get(page_url.replace("/150000?", "/1000?"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cancel_ends_a_pending_transaction_once() {
    let fake = fake().await;
    post(
        &fake,
        "/api/transactioncreate/qris",
        &body(&fake, "INV-9", 150_000),
    )
    .await;

    let (status, cancelled) = post(
        &fake,
        "/api/transactioncancel",
        &body(&fake, "INV-9", 150_000),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["transaction"]["status"], "canceled");
    let (status, again) = post(
        &fake,
        "/api/transactioncancel",
        &body(&fake, "INV-9", 150_000),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(again["message"].is_string());
}

#[tokio::test]
async fn forged_webhooks_go_out_as_asked() {
    let fake = fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/pakasir/t"));
    post(
        &fake,
        "/api/transactioncreate/qris",
        &body(&fake, "INV-10", 150_000),
    )
    .await;

    fake.send_webhook("INV-10", Some(1)).await.unwrap();
    fake.send_webhook("INV-unknown", Some(150_000))
        .await
        .unwrap();

    let sent: Vec<Value> = receiver
        .requests()
        .iter()
        .map(|request| request.json())
        .collect();
    assert_eq!(sent[0]["amount"], 1);
    assert_eq!(sent[1]["order_id"], "INV-unknown");
    assert_eq!(
        fake.send_webhook("INV-unknown", None).await,
        Err(PaymentFakeError::UnknownCharge("INV-unknown".into()))
    );
    // Nothing changed at the fake.
    assert_eq!(
        fake.transaction("INV-10").unwrap().status,
        PakasirStatus::Pending
    );
}
