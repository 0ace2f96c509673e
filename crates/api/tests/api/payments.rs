//! Paying through the gateways, with the real clients against the sandbox's
//! fakes: notifications that do not verify write nothing, a replay changes
//! nothing, late or out-of-order events never move an invoice backwards, a
//! wrong amount is flagged instead of paid, Pakasir's unsigned webhook is
//! only a hint, and the browser's return racing the webhook (on another
//! replica) still makes one payment.

use std::time::Duration;

use reqwest::Method;
use sandbox::midtrans::{NotificationOptions, TransactionStatus};
use sandbox::xendit::CallbackOptions;
use sandbox::{
    MidtransFake, MidtransFakeConfig, PakasirFake, PakasirFakeConfig, XenditFake, XenditFakeConfig,
};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{
    TestApp, assert_problem, spawn_app, spawn_app_with, spawn_replica, test_settings,
};
use crate::orders::{assert_ledger_balances, digital_product, ready_client, vps_product};

async fn save_gateway(app: &TestApp, owner: &str, gateway: &str, body: Value) -> Value {
    let saved = app
        .authed(
            Method::PUT,
            &format!("/api/v1/staff/payment-gateways/{gateway}"),
            owner,
            Some(body),
        )
        .await;
    assert_eq!(
        saved.status().as_u16(),
        200,
        "{}",
        saved.text().await.unwrap()
    );
    saved.json().await.unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn invoice_of(app: &TestApp, token: &str, invoice: i64) -> Value {
    app.authed(
        Method::GET,
        &format!("/api/v1/invoices/{invoice}"),
        token,
        None,
    )
    .await
    .json()
    .await
    .unwrap()
}

async fn order_of(app: &TestApp, token: &str, order: i64) -> Value {
    app.authed(Method::GET, &format!("/api/v1/orders/{order}"), token, None)
        .await
        .json()
        .await
        .unwrap()
}

async fn place(app: &TestApp, token: &str, body: Value) -> (i64, i64) {
    let placed = app
        .authed(Method::POST, "/api/v1/orders", token, Some(body))
        .await;
    assert_eq!(
        placed.status().as_u16(),
        201,
        "{}",
        placed.text().await.unwrap()
    );
    let placed: Value = placed.json().await.unwrap();
    (
        placed["order"]["id"].as_i64().unwrap(),
        placed["invoice"]["id"].as_i64().unwrap(),
    )
}

async fn pay(app: &TestApp, token: &str, invoice: i64, method: &str) -> Value {
    let attempt = app
        .authed(
            Method::POST,
            &format!("/api/v1/invoices/{invoice}/payments"),
            token,
            Some(json!({ "method": method })),
        )
        .await;
    assert_eq!(
        attempt.status().as_u16(),
        200,
        "{}",
        attempt.text().await.unwrap()
    );
    attempt.json().await.unwrap()
}

/// Billing's side of the app, for running its jobs' functions directly:
/// the same database and the test settings' sealing key.
fn payment_context(pool: &PgPool) -> billing::payment::PaymentContext {
    billing::payment::PaymentContext {
        pool: pool.clone(),
        sealer: std::sync::Arc::new(api::app::sealer(&test_settings(&[])).unwrap()),
        http: api::app::gateway_http_client().unwrap(),
        clock: domain::Clock::default(),
    }
}

/// Midtrans settings pointing at the fake, with `key` as server key.
fn midtrans_settings(midtrans: &sandbox::MidtransFakeHandle, key: &str) -> Value {
    json!({"enabled": true, "base_url": midtrans.core_base_url(),
           "checkout_base_url": midtrans.snap_base_url(), "api_key": key})
}

fn vps_order(product: i64) -> Value {
    json!({"product_id": product, "cycle": "monthly", "region": "jkt", "os_template": "ubuntu-24.04"})
}

#[sqlx::test(migrations = "../../migrations")]
async fn midtrans_notifications_are_verified_deduplicated_and_never_move_an_invoice_backwards(
    pool: PgPool,
) {
    let app = spawn_app(pool.clone()).await;
    // Notifications arrive at another replica than the one the client uses.
    let other = spawn_replica(&app).await;
    let midtrans = MidtransFake::start(
        "127.0.0.1:0".parse().unwrap(),
        MidtransFakeConfig::default(),
    )
    .await
    .unwrap();
    midtrans.set_notification_url(other.url("/api/v1/payments/webhooks/midtrans"));
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    let view = save_gateway(
        &app,
        &owner,
        "midtrans",
        midtrans_settings(&midtrans, midtrans.server_key()),
    )
    .await;
    // The key is sealed and shown masked, never returned.
    assert!(!view.to_string().contains(midtrans.server_key()));
    assert_eq!(
        view["secrets"]["api_key"],
        format!(
            "••••{}",
            &midtrans.server_key()[midtrans.server_key().len() - 4..]
        )
    );
    let tested: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/payment-gateways/midtrans/test",
            &owner,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tested["ok"], true, "{tested}");

    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let (order, invoice) = place(&app, &client, vps_order(product)).await;
    let attempt = pay(&app, &client, invoice, "midtrans").await;
    let redirect = attempt["redirect_url"].as_str().unwrap();
    assert!(
        redirect.starts_with(&midtrans.snap_base_url().replace("/snap/v1", "")),
        "{redirect}"
    );
    // A second click answers the same payment, not a second charge.
    let again = pay(&app, &client, invoice, "midtrans").await;
    assert_eq!(again["id"], attempt["id"]);
    assert_eq!(midtrans.charges().len(), 1);
    let reference = midtrans.charges()[0].order_id.clone();
    assert_eq!(midtrans.charges()[0].gross_amount, 125_000);

    // A forged notification: refused, nothing written.
    let forged = midtrans
        .send_notification(
            &reference,
            NotificationOptions {
                status: Some(TransactionStatus::Settlement),
                tamper_signature: true,
                ..NotificationOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(forged, 401);
    assert_eq!(count(&pool, "SELECT count(*) FROM gateway_event").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0);
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "unpaid");

    // The customer pays on the gateway's page: the signed notification lands.
    assert_eq!(midtrans.pay(&reference).await.unwrap(), Some(200));
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "paid");
    assert_paid(&pool, order).await;

    // The browser's return checks on the other replica while replays and an
    // out-of-order expiry arrive: still one payment, still paid.
    let check_path = format!("/api/v1/payments/{}/check", attempt["id"]);
    let check = other.authed(Method::POST, &check_path, &client, None);
    let replay = midtrans.send_notification(&reference, NotificationOptions::default());
    let expire = midtrans.send_notification(
        &reference,
        NotificationOptions {
            status: Some(TransactionStatus::Expire),
            ..NotificationOptions::default()
        },
    );
    let (checked, replayed, expired) = tokio::join!(check, replay, expire);
    assert_eq!(checked.status().as_u16(), 200);
    assert_eq!((replayed.unwrap(), expired.unwrap()), (200, 200));
    let pending_late = midtrans
        .send_notification(
            &reference,
            NotificationOptions {
                status: Some(TransactionStatus::Pending),
                ..NotificationOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(pending_late, 200);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "paid");
    let attempt_now: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/payments/{}", attempt["id"]),
            &client,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(attempt_now["status"], "paid");
    let delivery_jobs = count(
        &pool,
        "SELECT count(*) FROM job WHERE kind = 'order.deliver'",
    )
    .await;
    assert_eq!(delivery_jobs, 1, "one delivery for one payment");

    // A genuine-looking notification for the wrong amount is flagged, not paid.
    let (_, second_invoice) = place(&app, &client, vps_order(product)).await;
    pay(&app, &client, second_invoice, "midtrans").await;
    let second_reference = midtrans.charges()[1].order_id.clone();
    let short = midtrans
        .send_notification(
            &second_reference,
            NotificationOptions {
                status: Some(TransactionStatus::Settlement),
                gross_amount: Some("1000.00".to_owned()),
                ..NotificationOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(short, 200);
    let second = invoice_of(&app, &client, second_invoice).await;
    assert_eq!(second["status"], "unpaid");
    assert_eq!(second["amount_paid_minor"], 1_000);
    assert_eq!(second["balance_due_minor"], 124_000);
    let (_, finance) = app.user_token("finance@shop.test", &["finance"]).await;
    let flags: Value = app
        .authed(Method::GET, "/api/v1/staff/payment-flags", &finance, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(flags[0]["kind"], "partial_payment");
    assert_ledger_balances(&pool).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_pakasir_webhook_is_only_a_hint_and_the_detail_api_decides(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let pakasir = PakasirFake::start("127.0.0.1:0".parse().unwrap(), PakasirFakeConfig::default())
        .await
        .unwrap();
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let view = save_gateway(
        &app,
        &owner,
        "pakasir",
        json!({"enabled": true, "base_url": pakasir.base_url(), "checkout_base_url": pakasir.base_url(),
               "project": pakasir.project(), "api_key": pakasir.api_key()}),
    )
    .await;
    let webhook_path = view["webhook_path"].as_str().unwrap().to_owned();
    pakasir.set_notification_url(app.url(&webhook_path));
    let product = digital_product(&app, &owner, 2).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let (order, invoice) = place(
        &app,
        &client,
        json!({"product_id": product, "cycle": "one_time"}),
    )
    .await;
    let attempt = pay(&app, &client, invoice, "pakasir").await;
    assert!(!attempt["qr_string"].as_str().unwrap().is_empty());
    let reference = pakasir.charges()[0].order_id.clone();
    // The fee is the client's to pay on top.
    assert_eq!(attempt["amount_minor"], pakasir.charges()[0].total_payment);

    // Forgeries: an unknown order, and our order before it is paid (the
    // detail API says pending), and a wrong path secret.
    assert_eq!(
        pakasir
            .send_webhook("INV-2099-000001-1", Some(35_000))
            .await
            .unwrap(),
        200
    );
    assert_eq!(
        pakasir.send_webhook(&reference, Some(1)).await.unwrap(),
        200
    );
    assert_eq!(pakasir.send_webhook(&reference, None).await.unwrap(), 200);
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "unpaid");
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0);
    let wrong_path = app
        .client
        .post(app.url("/api/v1/payments/webhooks/pakasir/not-the-secret-token-at-all"))
        .json(&json!({"order_id": reference, "amount": 35000, "project": pakasir.project(), "status": "completed"}))
        .send()
        .await
        .unwrap();
    assert_problem(wrong_path, 401, "invalid_signature").await;

    // The simulated payment: webhook → detail API → paid → delivered.
    assert_eq!(
        pakasir.simulate(&reference, 35_000).await.unwrap(),
        Some(200)
    );
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "paid");
    let mut delivered = Value::Null;
    for _ in 0..200 {
        delivered = order_of(&app, &client, order).await;
        if delivered["status"] == "active" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivered["status"], "active");
    assert_eq!(delivered["item_ready"], true);
    // The same webhook again pays nothing twice.
    assert_eq!(pakasir.send_webhook(&reference, None).await.unwrap(), 200);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_ledger_balances(&pool).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_xendit_callback_needs_its_token_and_an_overpayment_goes_to_the_wallet(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let xendit = XenditFake::start("127.0.0.1:0".parse().unwrap(), XenditFakeConfig::default())
        .await
        .unwrap();
    xendit.set_notification_url(app.url("/api/v1/payments/webhooks/xendit"));
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    save_gateway(
        &app,
        &owner,
        "xendit",
        json!({"enabled": true, "base_url": xendit.base_url(), "api_key": xendit.secret_key(),
               "callback_token": xendit.callback_token()}),
    )
    .await;
    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let (order, invoice) = place(&app, &client, vps_order(product)).await;
    let attempt = pay(&app, &client, invoice, "xendit").await;
    assert!(
        attempt["redirect_url"]
            .as_str()
            .unwrap()
            .starts_with(&xendit.base_url())
    );
    let id = xendit.invoices()[0].id.clone();

    let wrong = xendit
        .send_callback(
            &id,
            CallbackOptions {
                status: Some(sandbox::xendit::InvoiceStatus::Paid),
                token: Some("not-the-token".to_owned()),
                ..CallbackOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(wrong, 401);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0);

    let over = xendit
        .send_callback(
            &id,
            CallbackOptions {
                status: Some(sandbox::xendit::InvoiceStatus::Paid),
                paid_amount_minor: Some(150_000),
                ..CallbackOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(over, 200);
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "paid");
    assert_paid(&pool, order).await;
    let wallet: Value = app
        .authed(Method::GET, "/api/v1/wallet", &client, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wallet[0]["balance_minor"], 25_000);
    assert_ledger_balances(&pool).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn reconciliation_settles_a_payment_whose_notification_never_came(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    // No notification URL: the gateway never tells us.
    let midtrans = MidtransFake::start(
        "127.0.0.1:0".parse().unwrap(),
        MidtransFakeConfig::default(),
    )
    .await
    .unwrap();
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    save_gateway(
        &app,
        &owner,
        "midtrans",
        midtrans_settings(&midtrans, midtrans.server_key()),
    )
    .await;
    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let (_, invoice) = place(&app, &client, vps_order(product)).await;
    pay(&app, &client, invoice, "midtrans").await;
    let reference = midtrans.charges()[0].order_id.clone();
    assert_eq!(midtrans.pay(&reference).await.unwrap(), None);

    let ctx = payment_context(&pool);
    // Too young to ask about: nothing happens.
    let early = billing::payment::reconcile::run(&ctx).await.unwrap();
    assert_eq!(early.asked, 0);
    sqlx::query("UPDATE payment_attempt SET created_at = now() - interval '20 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let report = billing::payment::reconcile::run(&ctx).await.unwrap();
    assert_eq!((report.asked, report.settled), (1, 1));
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "paid");
    // Asked once; not again within ten minutes.
    let again = billing::payment::reconcile::run(&ctx).await.unwrap();
    assert_eq!(again.asked, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_bad_gateway_key_is_reported_precisely_and_refuses_the_charge_cleanly(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let midtrans = MidtransFake::start(
        "127.0.0.1:0".parse().unwrap(),
        MidtransFakeConfig::default(),
    )
    .await
    .unwrap();
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    save_gateway(
        &app,
        &owner,
        "midtrans",
        midtrans_settings(&midtrans, "SB-Mid-server-wrong"),
    )
    .await;
    let tested: Value = app
        .authed(
            Method::POST,
            "/api/v1/staff/payment-gateways/midtrans/test",
            &owner,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tested["ok"], false);
    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let (_, invoice) = place(&app, &client, vps_order(product)).await;
    let refused = app
        .authed(
            Method::POST,
            &format!("/api/v1/invoices/{invoice}/payments"),
            &client,
            Some(json!({"method": "midtrans"})),
        )
        .await;
    let problem = assert_problem(refused, 502, "gateway_error").await;
    assert!(!problem.to_string().contains("SB-Mid-server-wrong"));
    // A disabled gateway is not offered, and refuses payments.
    save_gateway(&app, &owner, "midtrans", json!({"enabled": false})).await;
    let methods: Value = app
        .get("/api/v1/payment-methods")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        methods
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["method"] != "midtrans")
    );
    let disabled = app
        .authed(
            Method::POST,
            &format!("/api/v1/invoices/{invoice}/payments"),
            &client,
            Some(json!({"method": "midtrans"})),
        )
        .await;
    assert_problem(disabled, 409, "payment_method_disabled").await;
    // Only owner and sysadmin change gateways.
    let (_, finance) = app.user_token("finance@shop.test", &["finance"]).await;
    let forbidden = app
        .authed(
            Method::PUT,
            "/api/v1/staff/payment-gateways/midtrans",
            &finance,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(forbidden.status().as_u16(), 403);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_charge_whose_answer_was_lost_is_found_and_adopted_by_reconciliation(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    // The fake creates the invoice but answers after our 10 s timeout.
    let xendit = XenditFake::start(
        "127.0.0.1:0".parse().unwrap(),
        XenditFakeConfig {
            slow_answer_delay: Duration::from_secs(12),
            ..XenditFakeConfig::default()
        },
    )
    .await
    .unwrap();
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    save_gateway(
        &app,
        &owner,
        "xendit",
        json!({"enabled": true, "base_url": xendit.base_url(), "api_key": xendit.secret_key(),
               "callback_token": xendit.callback_token()}),
    )
    .await;
    let product = vps_product(&app, &sysadmin).await;
    let (_, client) = ready_client(&app, "budi@pelanggan.test").await;
    let (_, invoice) = place(&app, &client, vps_order(product)).await;
    xendit.fail_next_creates(1, sandbox::FailureMode::Timeout);
    // The app gives up on the gateway after 10 s; this client waits longer.
    let lost = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/invoices/{invoice}/payments")))
        .bearer_auth(&client)
        .json(&json!({"method": "xendit"}))
        .send()
        .await
        .unwrap();
    assert_problem(lost, 503, "service_unavailable").await;
    let (status, reference): (String, Option<String>) =
        sqlx::query_as("SELECT status, gateway_reference FROM payment_attempt")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), reference), ("creating", None));
    // The customer paid the invoice the gateway did create.
    let id = xendit.invoices()[0].id.clone();
    assert_eq!(xendit.pay(&id).await.unwrap(), None);

    sqlx::query("UPDATE payment_attempt SET created_at = now() - interval '20 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let ctx = payment_context(&pool);
    let report = billing::payment::reconcile::run(&ctx).await.unwrap();
    assert_eq!((report.asked, report.settled), (1, 1));
    let adopted: Option<String> =
        sqlx::query_scalar("SELECT gateway_reference FROM payment_attempt")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(adopted.as_deref(), Some(id.as_str()));
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "paid");
    assert_ledger_balances(&pool).await;
}

/// A shop with Midtrans and one client with an unpaid VPS order per
/// reference: the orders, invoices and Midtrans order ids.
async fn midtrans_shop(
    app: &TestApp,
    midtrans: &sandbox::MidtransFakeHandle,
    orders: usize,
) -> (String, Vec<(i64, i64, String)>) {
    let (_, owner) = app.user_token("owner@shop.test", &["owner"]).await;
    let (_, sysadmin) = app.user_token("sysadmin@shop.test", &["sysadmin"]).await;
    save_gateway(
        app,
        &owner,
        "midtrans",
        midtrans_settings(midtrans, midtrans.server_key()),
    )
    .await;
    let product = vps_product(app, &sysadmin).await;
    let (_, client) = ready_client(app, "budi@pelanggan.test").await;
    let mut placed = Vec::new();
    for _ in 0..orders {
        let (order, invoice) = place(app, &client, vps_order(product)).await;
        pay(app, &client, invoice, "midtrans").await;
        let reference = midtrans.charges().last().unwrap().order_id.clone();
        placed.push((order, invoice, reference));
    }
    (client, placed)
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_notification_that_failed_to_apply_is_applied_when_the_gateway_retries(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let midtrans = MidtransFake::start(
        "127.0.0.1:0".parse().unwrap(),
        MidtransFakeConfig::default(),
    )
    .await
    .unwrap();
    midtrans.set_notification_url(app.url("/api/v1/payments/webhooks/midtrans"));
    let (client, placed) = midtrans_shop(&app, &midtrans, 1).await;
    let (order, invoice, reference) = placed[0].clone();

    // The database refuses the payment once, after the notification was
    // verified and its event read.
    sqlx::query(
        "CREATE FUNCTION test_refuse_payment() RETURNS trigger LANGUAGE plpgsql
         AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "CREATE TRIGGER test_refuse_payment BEFORE INSERT ON payment
         FOR EACH ROW EXECUTE FUNCTION test_refuse_payment()",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(midtrans.pay(&reference).await.unwrap(), Some(500));
    assert_eq!(
        count(&pool, "SELECT count(*) FROM gateway_event").await,
        0,
        "a notification that was not applied is not recorded as received"
    );
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "unpaid");

    // Midtrans retries the same notification: applied, not taken for a replay.
    sqlx::query("DROP TRIGGER test_refuse_payment ON payment")
        .execute(&pool)
        .await
        .unwrap();
    let retried = midtrans
        .send_notification(&reference, NotificationOptions::default())
        .await
        .unwrap();
    assert_eq!(retried, 200);
    assert_eq!(invoice_of(&app, &client, invoice).await["status"], "paid");
    assert_paid(&pool, order).await;
    // A later replay changes nothing.
    let replayed = midtrans
        .send_notification(&reference, NotificationOptions::default())
        .await
        .unwrap();
    assert_eq!(replayed, 200);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM gateway_event").await, 1);
    assert_ledger_balances(&pool).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_burst_of_notifications_on_a_small_connection_pool_is_applied(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    // The replica receiving the burst has 3 database connections and the
    // app's 5 s wait for one: a handler that held one while asking for a
    // second would leave 3 of them holding all and waiting, then answer 500.
    let small_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(3)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let small = spawn_app_with(small_pool, &[("JOBS_ENABLED", "false")]).await;
    let midtrans = MidtransFake::start(
        "127.0.0.1:0".parse().unwrap(),
        MidtransFakeConfig::default(),
    )
    .await
    .unwrap();
    let (client, placed) = midtrans_shop(&app, &midtrans, 8).await;

    midtrans.set_notification_url(small.url("/api/v1/payments/webhooks/midtrans"));
    let answers = futures::future::join_all(
        placed
            .iter()
            .map(|(_, _, reference)| midtrans.pay(reference)),
    )
    .await;
    let answers: Vec<Option<u16>> = answers.into_iter().map(Result::unwrap).collect();
    assert_eq!(answers, vec![Some(200); placed.len()]);
    for (order, invoice, _) in &placed {
        assert_eq!(invoice_of(&app, &client, *invoice).await["status"], "paid");
        assert_paid(&pool, *order).await;
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM payment").await,
        placed.len() as i64
    );
}

/// The order was moved to PAID by the payment. Its delivery job may have
/// moved it on already (to PROVISIONING, or FAILED in a shop without a
/// cluster): what it is now depends on the job runner's timing.
async fn assert_paid(pool: &PgPool, order: i64) {
    let paid: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_event WHERE order_id = $1 AND to_status = 'paid'",
    )
    .bind(order)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(paid, 1, "the order was paid once");
    let now: String = sqlx::query_scalar("SELECT status FROM customer_order WHERE id = $1")
        .bind(order)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(
        ["paid", "provisioning", "failed"].contains(&now.as_str()),
        "paid, or on to delivery: {now}"
    );
}
