//! The payment gateway clients end to end: the real Midtrans, Xendit and
//! Pakasir clients over HTTP against the sandbox's faithful fakes on
//! loopback, the notifications those fakes really send caught by a loopback
//! receiver and verified by the clients, and the transport failures (closed
//! port, silent server) a gateway can show. Every wait is bounded.

#![allow(clippy::unwrap_used)]

use std::{net::SocketAddr, time::Duration};

use billing::payment::gateway::{
    ChargeCustomer, ChargeItem, ChargeRequest, GatewayError, GatewayKind, IncomingNotification,
    MidtransConfig, MidtransGateway, PakasirConfig, PakasirGateway, PaymentGateway, PaymentState,
    XenditConfig, XenditGateway,
};
use domain::money::{Currency, Money};
use sandbox::{
    FailureMode,
    midtrans::{
        MidtransFake, MidtransFakeConfig, MidtransFakeHandle, NotificationOptions,
        TransactionStatus,
    },
    pakasir::{PakasirFake, PakasirFakeConfig, PakasirFakeHandle},
    receiver::{ReceivedRequest, Receiver},
    xendit::{CallbackOptions, InvoiceStatus, XenditFake, XenditFakeConfig, XenditFakeHandle},
};
use tokio::{net::TcpListener, time::Instant};

/// Upper bound of every wait in these tests.
const WAIT: Duration = Duration::from_secs(10);
/// The clients' deadline: short, so the timeout test is quick.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);
const PAKASIR_WEBHOOK_TOKEN: &str = "pakasir-path-token-3f9a";

fn http() -> reqwest::Client {
    // reqwest is built without a TLS provider of its own and wants one
    // installed even for plain HTTP. Already-installed is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn rupiah(amount: i64) -> Money {
    Money::new(amount, Currency::Idr)
}

/// A payment attempt of Rp 150.000: two items of Rp 75.000.
fn charge_request(reference: &str) -> ChargeRequest {
    ChargeRequest {
        reference: reference.to_owned(),
        amount: rupiah(150_000),
        description: "Hosting Bisnis, 1 bulan".to_owned(),
        customer: ChargeCustomer {
            name: "Budi Santoso".to_owned(),
            email: "budi@example.test".to_owned(),
            phone: Some("+6281234567890".to_owned()),
        },
        items: vec![ChargeItem {
            id: "HOST-BIZ".to_owned(),
            name: "Hosting Bisnis".to_owned(),
            unit_minor: 75_000,
            quantity: 2,
        }],
        finish_url: "http://shop.test/invoices/INV-1".to_owned(),
        expires_in: Duration::from_secs(3600),
    }
}

fn incoming(request: &ReceivedRequest) -> IncomingNotification<'_> {
    IncomingNotification {
        headers: &request.headers,
        path_token: Some(request.last_path_segment()),
        body: &request.body,
    }
}

/// A loopback port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A server that accepts connections and never answers.
async fn silent_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (addr, task)
}

// ---------------------------------------------------------------- Midtrans

async fn midtrans_fake() -> MidtransFakeHandle {
    MidtransFake::start(
        "127.0.0.1:0".parse().unwrap(),
        MidtransFakeConfig::default(),
    )
    .await
    .unwrap()
}

fn midtrans_at(snap: String, core: String, server_key: &str) -> MidtransGateway {
    MidtransGateway::new(
        MidtransConfig {
            snap_base_url: snap,
            core_base_url: core,
            server_key: server_key.to_owned(),
            timeout: CLIENT_TIMEOUT,
        },
        http(),
    )
}

fn midtrans(fake: &MidtransFakeHandle) -> MidtransGateway {
    midtrans_at(
        fake.snap_base_url(),
        fake.core_base_url(),
        fake.server_key(),
    )
}

#[tokio::test]
async fn midtrans_charge_is_unknown_until_a_method_is_chosen_then_paid_exactly() {
    let fake = midtrans_fake().await;
    let gateway = midtrans(&fake);

    let charge = gateway
        .create_charge(&charge_request("INV-1-1"))
        .await
        .unwrap();
    assert_eq!(charge.gateway_reference, "INV-1-1");
    assert_eq!(charge.total_payable, rupiah(150_000));
    assert_eq!(charge.qr_string, None);
    let redirect = charge.redirect_url.unwrap();
    assert!(redirect.starts_with(&fake.core_base_url()), "{redirect}");
    assert_eq!(redirect, fake.charge("INV-1-1").unwrap().redirect_url);
    assert!(charge.expires_at.is_some());

    let status = gateway.status("INV-1-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::NotFound);

    fake.choose_payment_method("INV-1-1").await.unwrap();
    let status = gateway.status("INV-1-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::Pending);
    assert_eq!(status.paid_amount, None);

    fake.pay("INV-1-1").await.unwrap();
    let status = gateway.status("INV-1-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::Paid);
    assert_eq!(status.paid_amount, Some(rupiah(150_000)));
    assert_eq!(
        status.transaction_id.as_deref(),
        Some(fake.charge("INV-1-1").unwrap().transaction_id.as_str())
    );
    assert_eq!(status.payment_method.as_deref(), Some("bank_transfer"));
    assert!(status.paid_at.is_some());

    let snap = fake.charge("INV-1-1").unwrap();
    assert_eq!(snap.gross_amount, 150_000);
    assert_eq!(snap.items.len(), 1);
    assert_eq!(
        snap.finish_url.as_deref(),
        Some("http://shop.test/invoices/INV-1")
    );
}

#[tokio::test]
async fn midtrans_notifications_verify_only_with_the_real_signature() {
    let fake = midtrans_fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/api/v1/payments/webhooks/midtrans"));
    let gateway = midtrans(&fake);
    gateway
        .create_charge(&charge_request("INV-2-1"))
        .await
        .unwrap();

    assert_eq!(fake.pay("INV-2-1").await.unwrap(), Some(200));
    let settled = &receiver.requests()[0];
    let notification = gateway.verify_notification(&incoming(settled)).unwrap();
    let transaction_id = fake.charge("INV-2-1").unwrap().transaction_id;
    assert!(notification.trusted);
    assert_eq!(notification.gateway_reference, "INV-2-1");
    assert_eq!(
        notification.event_key,
        format!("INV-2-1|settlement|{transaction_id}")
    );
    assert_eq!(notification.claimed.state, PaymentState::Paid);
    assert_eq!(notification.claimed.paid_amount, Some(rupiah(150_000)));

    // The same notification again: the same event.
    fake.send_notification("INV-2-1", NotificationOptions::default())
        .await
        .unwrap();
    // Out of order: a late `pending`, a different event.
    fake.send_notification(
        "INV-2-1",
        NotificationOptions {
            status: Some(TransactionStatus::Pending),
            ..NotificationOptions::default()
        },
    )
    .await
    .unwrap();
    // Tampered.
    fake.send_notification(
        "INV-2-1",
        NotificationOptions {
            tamper_signature: true,
            ..NotificationOptions::default()
        },
    )
    .await
    .unwrap();
    // Genuinely signed, about another amount.
    fake.send_notification(
        "INV-2-1",
        NotificationOptions {
            gross_amount: Some("1000.00".to_owned()),
            ..NotificationOptions::default()
        },
    )
    .await
    .unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 5);

    let duplicate = gateway
        .verify_notification(&incoming(&requests[1]))
        .unwrap();
    assert_eq!(duplicate.event_key, notification.event_key);
    let late = gateway
        .verify_notification(&incoming(&requests[2]))
        .unwrap();
    assert_eq!(late.claimed.state, PaymentState::Pending);
    assert_ne!(late.event_key, notification.event_key);
    assert!(matches!(
        gateway.verify_notification(&incoming(&requests[3])),
        Err(GatewayError::Unauthenticated(_))
    ));
    let other_amount = gateway
        .verify_notification(&incoming(&requests[4]))
        .unwrap();
    assert_eq!(other_amount.claimed.paid_amount, Some(rupiah(1000)));

    // A merchant with another server key trusts none of them.
    let stranger = midtrans_at(
        fake.snap_base_url(),
        fake.core_base_url(),
        "SB-Mid-server-other",
    );
    assert!(matches!(
        stranger.verify_notification(&incoming(settled)),
        Err(GatewayError::Unauthenticated(_))
    ));
    // Not JSON at all.
    let garbage = IncomingNotification {
        headers: &[],
        path_token: None,
        body: b"order_id=INV-2-1",
    };
    assert!(matches!(
        gateway.verify_notification(&garbage),
        Err(GatewayError::Malformed(_))
    ));
}

#[tokio::test]
async fn midtrans_refuses_a_second_charge_with_the_same_order_id() {
    let fake = midtrans_fake().await;
    let gateway = midtrans(&fake);
    gateway
        .create_charge(&charge_request("INV-3-1"))
        .await
        .unwrap();

    let error = gateway
        .create_charge(&charge_request("INV-3-1"))
        .await
        .unwrap_err();

    match error {
        GatewayError::Rejected { status, message } => {
            assert_eq!(status, 400);
            assert!(message.contains("has already been taken"), "{message}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(fake.charges().len(), 1);
}

#[tokio::test]
async fn midtrans_reports_a_wrong_server_key_as_bad_credentials() {
    let fake = midtrans_fake().await;
    let gateway = midtrans_at(
        fake.snap_base_url(),
        fake.core_base_url(),
        "SB-Mid-server-wrong",
    );

    let create = gateway.create_charge(&charge_request("INV-4-1")).await;
    assert!(
        matches!(create, Err(GatewayError::BadCredentials(_))),
        "{create:?}"
    );
    let status = gateway.status("INV-4-1", rupiah(150_000)).await;
    assert!(
        matches!(status, Err(GatewayError::BadCredentials(_))),
        "{status:?}"
    );
    let probe = gateway.test_connection().await;
    assert!(
        matches!(probe, Err(GatewayError::BadCredentials(_))),
        "{probe:?}"
    );
    // Also when the Core API puts the 401 in the body of an HTTP 200.
    fake.set_errors_in_body(true);
    let probe = gateway.test_connection().await;
    assert!(
        matches!(probe, Err(GatewayError::BadCredentials(_))),
        "{probe:?}"
    );
    assert!(fake.charges().is_empty());

    let report = midtrans(&fake).test_connection().await.unwrap();
    assert!(report.detail.contains("Midtrans"), "{}", report.detail);
}

#[tokio::test]
async fn midtrans_not_found_in_the_body_of_an_http_200_is_not_found() {
    let fake = midtrans_fake().await;
    fake.set_errors_in_body(true);
    let gateway = midtrans(&fake);
    gateway
        .create_charge(&charge_request("INV-5-1"))
        .await
        .unwrap();

    let status = gateway.status("INV-5-1", rupiah(150_000)).await.unwrap();

    assert_eq!(status.state, PaymentState::NotFound);
}

#[tokio::test]
async fn midtrans_cancel_ends_a_pending_charge_and_cannot_undo_a_payment() {
    let fake = midtrans_fake().await;
    let gateway = midtrans(&fake);
    for reference in ["INV-6-1", "INV-6-2"] {
        gateway
            .create_charge(&charge_request(reference))
            .await
            .unwrap();
    }

    // Unknown to the Core API: nothing to cancel.
    gateway.cancel("INV-6-1", rupiah(150_000)).await.unwrap();
    fake.choose_payment_method("INV-6-1").await.unwrap();
    gateway.cancel("INV-6-1", rupiah(150_000)).await.unwrap();
    let status = gateway.status("INV-6-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::Failed);
    assert_eq!(
        fake.charge("INV-6-1").unwrap().status,
        Some(TransactionStatus::Cancel)
    );

    fake.pay("INV-6-2").await.unwrap();
    let error = gateway
        .cancel("INV-6-2", rupiah(150_000))
        .await
        .unwrap_err();
    assert!(
        matches!(error, GatewayError::Rejected { status: 412, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn midtrans_expiry_is_a_failed_charge() {
    let fake = midtrans_fake().await;
    let gateway = midtrans(&fake);
    gateway
        .create_charge(&charge_request("INV-7-1"))
        .await
        .unwrap();

    fake.expire("INV-7-1").await.unwrap();

    let status = gateway.status("INV-7-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::Failed);
}

#[tokio::test]
async fn midtrans_a_lost_answer_leaves_a_charge_behind_that_blocks_the_same_order_id() {
    let fake = MidtransFake::start(
        "127.0.0.1:0".parse().unwrap(),
        MidtransFakeConfig {
            slow_answer_delay: Duration::from_secs(3),
            ..MidtransFakeConfig::default()
        },
    )
    .await
    .unwrap();
    let gateway = midtrans(&fake);
    fake.fail_next_creates(1, FailureMode::Timeout);

    let started = Instant::now();
    let error = gateway
        .create_charge(&charge_request("INV-8-1"))
        .await
        .unwrap_err();

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(&error, GatewayError::Unavailable(text) if text.contains("timeout")),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(fake.charges().len(), 1);
    // Retrying with the same order id cannot work: a new attempt id must.
    let retry = gateway.create_charge(&charge_request("INV-8-1")).await;
    assert!(matches!(
        retry,
        Err(GatewayError::Rejected { status: 400, .. })
    ));
    gateway
        .create_charge(&charge_request("INV-8-2"))
        .await
        .unwrap();
}

#[tokio::test]
async fn midtrans_server_errors_are_worth_retrying() {
    let fake = midtrans_fake().await;
    let gateway = midtrans(&fake);
    fake.fail_next_creates(1, FailureMode::ServerError);

    let error = gateway
        .create_charge(&charge_request("INV-9-1"))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, GatewayError::Unavailable(text) if text.contains("500")),
        "{error:?}"
    );
    assert!(fake.charges().is_empty());
    gateway
        .create_charge(&charge_request("INV-9-1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn midtrans_takes_only_rupiah_and_asks_nothing_otherwise() {
    let fake = midtrans_fake().await;
    let gateway = midtrans(&fake);
    let mut request = charge_request("INV-10-1");
    request.amount = Money::new(1250, Currency::Usd);

    let error = gateway.create_charge(&request).await.unwrap_err();

    assert_eq!(error, GatewayError::UnsupportedCurrency(Currency::Usd));
    assert!(!gateway.supports(Currency::Usd));
    assert!(gateway.supports(Currency::Idr));
    assert_eq!(gateway.kind(), GatewayKind::Midtrans);
    assert!(fake.charges().is_empty());
}

// ------------------------------------------------------------------ Xendit

async fn xendit_fake() -> XenditFakeHandle {
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

fn xendit_with(fake: &XenditFakeHandle, secret_key: &str, callback_token: &str) -> XenditGateway {
    XenditGateway::new(
        XenditConfig {
            base_url: fake.base_url(),
            secret_key: secret_key.to_owned(),
            callback_token: callback_token.to_owned(),
            timeout: CLIENT_TIMEOUT,
        },
        http(),
    )
}

fn xendit(fake: &XenditFakeHandle) -> XenditGateway {
    xendit_with(fake, fake.secret_key(), fake.callback_token())
}

#[tokio::test]
async fn xendit_invoice_is_pending_then_paid_exactly() {
    let fake = xendit_fake().await;
    let gateway = xendit(&fake);

    let charge = gateway
        .create_charge(&charge_request("INV-11-1"))
        .await
        .unwrap();

    let invoice = fake.invoice(&charge.gateway_reference).unwrap();
    assert_eq!(invoice.external_id, "INV-11-1");
    assert_eq!(invoice.amount_minor, 150_000);
    assert_eq!(invoice.payer_email.as_deref(), Some("budi@example.test"));
    assert_eq!(
        invoice.success_redirect_url.as_deref(),
        Some("http://shop.test/invoices/INV-1")
    );
    assert_eq!(
        charge.redirect_url.as_deref(),
        Some(invoice.invoice_url.as_str())
    );
    assert_eq!(charge.total_payable, rupiah(150_000));
    assert!(charge.expires_at.is_some());

    let status = gateway
        .status(&charge.gateway_reference, rupiah(150_000))
        .await
        .unwrap();
    assert_eq!(status.state, PaymentState::Pending);

    fake.pay(&charge.gateway_reference).await.unwrap();
    let status = gateway
        .status(&charge.gateway_reference, rupiah(150_000))
        .await
        .unwrap();
    let paid = fake.invoice(&charge.gateway_reference).unwrap();
    assert_eq!(status.state, PaymentState::Paid);
    assert_eq!(status.paid_amount, Some(rupiah(150_000)));
    assert_eq!(status.transaction_id, paid.payment_id);
    assert_eq!(status.payment_method.as_deref(), Some("BCA"));
    assert!(status.paid_at.is_some());

    // SETTLED is paid too.
    fake.settle(&charge.gateway_reference).unwrap();
    let status = gateway
        .status(&charge.gateway_reference, rupiah(150_000))
        .await
        .unwrap();
    assert_eq!(status.state, PaymentState::Paid);
}

#[tokio::test]
async fn xendit_creates_a_second_invoice_for_the_same_external_id_and_finds_both() {
    let fake = xendit_fake().await;
    let gateway = xendit(&fake);

    let first = gateway
        .create_charge(&charge_request("INV-12-1"))
        .await
        .unwrap();
    let second = gateway
        .create_charge(&charge_request("INV-12-1"))
        .await
        .unwrap();

    assert_ne!(first.gateway_reference, second.gateway_reference);
    assert_eq!(fake.invoices().len(), 2);
    let found = gateway
        .find_charges("INV-12-1", rupiah(150_000))
        .await
        .unwrap();
    let mut ids: Vec<_> = found
        .iter()
        .map(|found| found.gateway_reference.clone())
        .collect();
    ids.sort();
    let mut expected = vec![first.gateway_reference, second.gateway_reference];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(
        found
            .iter()
            .all(|found| found.status.state == PaymentState::Pending)
    );
    assert!(
        gateway
            .find_charges("INV-12-none", rupiah(150_000))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn xendit_callbacks_verify_only_with_the_callback_token() {
    let fake = xendit_fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/api/v1/payments/webhooks/xendit"));
    let gateway = xendit(&fake);
    let charge = gateway
        .create_charge(&charge_request("INV-13-1"))
        .await
        .unwrap();

    assert_eq!(
        fake.pay(&charge.gateway_reference).await.unwrap(),
        Some(200)
    );
    let wrong = fake
        .send_callback(
            &charge.gateway_reference,
            CallbackOptions {
                token: Some("not-the-token".to_owned()),
                ..CallbackOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(wrong, 200, "the receiver answers 200 to everything");
    let requests = receiver.requests();

    let notification = gateway
        .verify_notification(&incoming(&requests[0]))
        .unwrap();
    assert!(notification.trusted);
    assert_eq!(notification.gateway_reference, charge.gateway_reference);
    assert_eq!(
        notification.event_key,
        format!("{}|PAID", charge.gateway_reference)
    );
    assert_eq!(notification.claimed.state, PaymentState::Paid);
    assert_eq!(notification.claimed.paid_amount, Some(rupiah(150_000)));
    assert!(matches!(
        gateway.verify_notification(&incoming(&requests[1])),
        Err(GatewayError::Unauthenticated(_))
    ));
    let without_token = IncomingNotification {
        headers: &[],
        path_token: None,
        body: &requests[0].body,
    };
    assert!(matches!(
        gateway.verify_notification(&without_token),
        Err(GatewayError::Unauthenticated(_))
    ));
    // A shop configured with another token trusts none of them.
    let stranger = xendit_with(&fake, fake.secret_key(), "another-token");
    assert!(matches!(
        stranger.verify_notification(&incoming(&requests[0])),
        Err(GatewayError::Unauthenticated(_))
    ));
}

#[tokio::test]
async fn xendit_an_expired_invoice_calls_back_expired() {
    let fake = xendit_fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/hooks/xendit"));
    let gateway = xendit(&fake);
    let charge = gateway
        .create_charge(&charge_request("INV-14-1"))
        .await
        .unwrap();

    fake.expire(&charge.gateway_reference).await.unwrap();

    let notification = gateway
        .verify_notification(&incoming(&receiver.requests()[0]))
        .unwrap();
    assert_eq!(notification.claimed.state, PaymentState::Failed);
    assert_eq!(notification.claimed.paid_amount, None);
    assert_eq!(
        notification.event_key,
        format!("{}|EXPIRED", charge.gateway_reference)
    );
}

#[tokio::test]
async fn xendit_unknown_invoice_is_not_found() {
    let fake = xendit_fake().await;

    let status = xendit(&fake)
        .status("5f4708b7bd394b0400b96276", rupiah(150_000))
        .await
        .unwrap();

    assert_eq!(status.state, PaymentState::NotFound);
}

#[tokio::test]
async fn xendit_reports_a_wrong_secret_key_as_bad_credentials() {
    let fake = xendit_fake().await;
    let gateway = xendit_with(&fake, "xnd_development_wrong", fake.callback_token());

    let create = gateway.create_charge(&charge_request("INV-15-1")).await;
    match create {
        Err(GatewayError::BadCredentials(message)) => {
            assert!(message.starts_with("INVALID_API_KEY: "), "{message}");
        }
        other => panic!("expected BadCredentials, got {other:?}"),
    }
    let probe = gateway.test_connection().await;
    assert!(
        matches!(probe, Err(GatewayError::BadCredentials(_))),
        "{probe:?}"
    );
    assert!(fake.invoices().is_empty());
    xendit(&fake).test_connection().await.unwrap();
}

#[tokio::test]
async fn xendit_cancel_expires_a_pending_invoice_but_not_a_paid_one() {
    let fake = xendit_fake().await;
    let gateway = xendit(&fake);
    let pending = gateway
        .create_charge(&charge_request("INV-16-1"))
        .await
        .unwrap();
    let paid = gateway
        .create_charge(&charge_request("INV-16-2"))
        .await
        .unwrap();
    fake.pay(&paid.gateway_reference).await.unwrap();

    gateway
        .cancel(&pending.gateway_reference, rupiah(150_000))
        .await
        .unwrap();
    let error = gateway
        .cancel(&paid.gateway_reference, rupiah(150_000))
        .await
        .unwrap_err();

    assert_eq!(
        fake.invoice(&pending.gateway_reference).unwrap().status,
        InvoiceStatus::Expired
    );
    let status = gateway
        .status(&pending.gateway_reference, rupiah(150_000))
        .await
        .unwrap();
    assert_eq!(status.state, PaymentState::Failed);
    assert!(
        matches!(error, GatewayError::Rejected { status: 400, .. }),
        "{error:?}"
    );
    // An id Xendit does not know is already unpayable.
    gateway
        .cancel("000000000000000000000000", rupiah(150_000))
        .await
        .unwrap();
}

#[tokio::test]
async fn xendit_dollar_invoices_keep_their_cents() {
    let fake = xendit_fake().await;
    let gateway = xendit(&fake);
    let mut request = charge_request("INV-17-1");
    request.amount = Money::new(1999, Currency::Usd);
    request.items = vec![ChargeItem {
        id: "DOM".to_owned(),
        name: "budi.com".to_owned(),
        unit_minor: 1999,
        quantity: 1,
    }];

    let charge = gateway.create_charge(&request).await.unwrap();
    fake.pay(&charge.gateway_reference).await.unwrap();
    let status = gateway
        .status(&charge.gateway_reference, request.amount)
        .await
        .unwrap();

    assert_eq!(charge.total_payable, Money::new(1999, Currency::Usd));
    let invoice = fake.invoice(&charge.gateway_reference).unwrap();
    assert_eq!(
        (invoice.currency.as_str(), invoice.amount_minor),
        ("USD", 1999)
    );
    assert_eq!(status.paid_amount, Some(Money::new(1999, Currency::Usd)));
}

// ----------------------------------------------------------------- Pakasir

async fn pakasir_fake() -> PakasirFakeHandle {
    PakasirFake::start("127.0.0.1:0".parse().unwrap(), PakasirFakeConfig::default())
        .await
        .unwrap()
}

fn pakasir_with(fake: &PakasirFakeHandle, api_key: &str) -> PakasirGateway {
    PakasirGateway::new(
        PakasirConfig {
            base_url: fake.base_url(),
            project: fake.project().to_owned(),
            api_key: api_key.to_owned(),
            webhook_token: PAKASIR_WEBHOOK_TOKEN.to_owned(),
            hosted_page_base: fake.base_url(),
            timeout: CLIENT_TIMEOUT,
        },
        http(),
    )
}

fn pakasir(fake: &PakasirFakeHandle) -> PakasirGateway {
    pakasir_with(fake, fake.api_key())
}

#[tokio::test]
async fn pakasir_charge_adds_the_fee_and_simulation_sends_an_unsigned_webhook() {
    let fake = pakasir_fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url(&format!(
        "/api/v1/payments/webhooks/pakasir/{PAKASIR_WEBHOOK_TOKEN}"
    )));
    let gateway = pakasir(&fake);

    let charge = gateway
        .create_charge(&charge_request("INV-18-1"))
        .await
        .unwrap();

    let transaction = fake.transaction("INV-18-1").unwrap();
    assert_eq!(charge.gateway_reference, "INV-18-1");
    assert_eq!(charge.total_payable, rupiah(150_000 + transaction.fee));
    assert!(transaction.fee > 0);
    assert_eq!(
        charge.qr_string.as_deref(),
        Some(transaction.payment_number.as_str())
    );
    let page = charge.redirect_url.unwrap();
    assert!(
        page.starts_with(&format!(
            "{}/pay/{}/150000?order_id=INV-18-1",
            fake.base_url(),
            fake.project()
        )),
        "{page}"
    );
    assert!(charge.expires_at.is_some());
    let status = gateway.status("INV-18-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::Pending);

    gateway
        .simulate_payment("INV-18-1", rupiah(150_000))
        .await
        .unwrap();

    let webhook = receiver.wait_for_requests(1, WAIT).await.unwrap().remove(0);
    assert_eq!(webhook.last_path_segment(), PAKASIR_WEBHOOK_TOKEN);
    assert!(
        webhook
            .headers
            .iter()
            .all(|(name, _)| !name.contains("signature") && !name.contains("token")),
        "{:?}",
        webhook.headers
    );
    let notification = gateway.verify_notification(&incoming(&webhook)).unwrap();
    assert!(!notification.trusted);
    assert_eq!(notification.gateway_reference, "INV-18-1");
    assert_eq!(notification.claimed.state, PaymentState::Paid);
    assert!(notification.event_key.starts_with("INV-18-1|completed|"));
    let status = gateway.status("INV-18-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::Paid);
    assert_eq!(status.paid_amount, Some(rupiah(150_000)));
    assert_eq!(status.transaction_id.as_deref(), Some("INV-18-1"));
    assert_eq!(status.payment_method.as_deref(), Some("qris"));
    assert!(status.paid_at.is_some());
}

#[tokio::test]
async fn pakasir_webhooks_without_the_path_token_are_refused_and_forgeries_are_found_out() {
    let fake = pakasir_fake().await;
    let receiver = Receiver::start().await.unwrap();
    fake.set_notification_url(receiver.url("/api/v1/payments/webhooks/pakasir/guessed-token"));
    let gateway = pakasir(&fake);
    gateway
        .create_charge(&charge_request("INV-19-1"))
        .await
        .unwrap();

    // Someone who knows the order id claims it was paid with Rp 1.000.
    fake.send_webhook("INV-19-1", Some(1_000)).await.unwrap();
    fake.send_webhook("INV-19-unknown", Some(150_000))
        .await
        .unwrap();
    let requests = receiver.requests();

    assert!(matches!(
        gateway.verify_notification(&incoming(&requests[0])),
        Err(GatewayError::Unauthenticated(_))
    ));
    // Even with the right path token the claim is only a claim: the
    // detail call tells the truth.
    let forged = IncomingNotification {
        headers: &requests[0].headers,
        path_token: Some(PAKASIR_WEBHOOK_TOKEN),
        body: &requests[0].body,
    };
    let claim = gateway.verify_notification(&forged).unwrap();
    assert!(!claim.trusted);
    assert_eq!(claim.claimed.paid_amount, Some(rupiah(1_000)));
    let truth = gateway.status("INV-19-1", rupiah(150_000)).await.unwrap();
    assert_eq!(truth.state, PaymentState::Pending);
    let unknown = gateway
        .status("INV-19-unknown", rupiah(150_000))
        .await
        .unwrap();
    assert_eq!(unknown.state, PaymentState::NotFound);
}

#[tokio::test]
async fn pakasir_detail_with_another_amount_is_an_error() {
    let fake = pakasir_fake().await;
    let gateway = pakasir(&fake);
    gateway
        .create_charge(&charge_request("INV-20-1"))
        .await
        .unwrap();

    let error = gateway
        .status("INV-20-1", rupiah(149_999))
        .await
        .unwrap_err();

    match error {
        GatewayError::Rejected { status, message } => {
            assert_eq!(status, 400);
            assert!(message.contains("Amount"), "{message}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    // Simulating with another amount is refused too.
    let simulate = gateway.simulate_payment("INV-20-1", rupiah(1)).await;
    assert!(matches!(
        simulate,
        Err(GatewayError::Rejected { status: 400, .. })
    ));
    let duplicate = gateway.create_charge(&charge_request("INV-20-1")).await;
    assert!(matches!(
        duplicate,
        Err(GatewayError::Rejected { status: 400, .. })
    ));
}

#[tokio::test]
async fn pakasir_reports_a_wrong_api_key_as_bad_credentials() {
    let fake = pakasir_fake().await;
    let gateway = pakasir_with(&fake, "not-the-key");

    let create = gateway.create_charge(&charge_request("INV-21-1")).await;
    assert!(
        matches!(create, Err(GatewayError::BadCredentials(_))),
        "{create:?}"
    );
    let probe = gateway.test_connection().await;
    assert!(
        matches!(probe, Err(GatewayError::BadCredentials(_))),
        "{probe:?}"
    );
    assert!(fake.charges().is_empty());

    let report = pakasir(&fake).test_connection().await.unwrap();
    assert!(report.detail.contains(fake.project()), "{}", report.detail);
}

#[tokio::test]
async fn pakasir_cancel_ends_a_pending_transaction() {
    let fake = pakasir_fake().await;
    let gateway = pakasir(&fake);
    gateway
        .create_charge(&charge_request("INV-22-1"))
        .await
        .unwrap();

    gateway.cancel("INV-22-1", rupiah(150_000)).await.unwrap();

    let status = gateway.status("INV-22-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::Failed);
    // Unknown: nothing to cancel.
    gateway
        .cancel("INV-22-none", rupiah(150_000))
        .await
        .unwrap();
    // Cancelled: cannot be paid any more.
    let simulate = gateway.simulate_payment("INV-22-1", rupiah(150_000)).await;
    assert!(matches!(
        simulate,
        Err(GatewayError::Rejected { status: 400, .. })
    ));
}

#[tokio::test]
async fn pakasir_expiry_is_a_failed_charge() {
    let fake = pakasir_fake().await;
    let gateway = pakasir(&fake);
    gateway
        .create_charge(&charge_request("INV-23-1"))
        .await
        .unwrap();

    fake.expire("INV-23-1").unwrap();

    let status = gateway.status("INV-23-1", rupiah(150_000)).await.unwrap();
    assert_eq!(status.state, PaymentState::Failed);
}

// --------------------------------------------------------------- transport

/// Each gateway's client, pointed at `base` for every call.
fn gateways_at(base: &str) -> Vec<Box<dyn PaymentGateway>> {
    vec![
        Box::new(midtrans_at(
            format!("{base}/snap/v1"),
            base.to_owned(),
            "SB-Mid-server-x",
        )),
        Box::new(XenditGateway::new(
            XenditConfig {
                base_url: base.to_owned(),
                secret_key: "xnd_development_x".to_owned(),
                callback_token: "token".to_owned(),
                timeout: CLIENT_TIMEOUT,
            },
            http(),
        )),
        Box::new(PakasirGateway::new(
            PakasirConfig {
                base_url: base.to_owned(),
                project: "p".to_owned(),
                api_key: "k".to_owned(),
                webhook_token: "t".to_owned(),
                hosted_page_base: base.to_owned(),
                timeout: CLIENT_TIMEOUT,
            },
            http(),
        )),
    ]
}

#[tokio::test]
async fn a_closed_port_is_unavailable_with_connection_refused() {
    let base = format!("http://{}", closed_port().await);

    for gateway in gateways_at(&base) {
        let create = gateway.create_charge(&charge_request("INV-24-1")).await;
        let status = gateway.status("INV-24-1", rupiah(150_000)).await;
        for outcome in [create.map(drop), status.map(drop)] {
            match outcome {
                Err(GatewayError::Unavailable(text)) => {
                    assert!(
                        text.contains("connection refused"),
                        "{}: {text}",
                        gateway.kind()
                    );
                }
                other => panic!("{}: expected Unavailable, got {other:?}", gateway.kind()),
            }
        }
    }
}

#[tokio::test]
async fn a_silent_gateway_is_unavailable_after_the_timeout() {
    let (addr, _server) = silent_server().await;
    let base = format!("http://{addr}");

    for gateway in gateways_at(&base) {
        let started = Instant::now();
        let outcome = gateway.create_charge(&charge_request("INV-25-1")).await;
        let waited = started.elapsed();
        assert!(
            waited >= CLIENT_TIMEOUT && waited < Duration::from_secs(2),
            "{}: {waited:?}",
            gateway.kind()
        );
        match outcome {
            Err(GatewayError::Unavailable(text)) => {
                assert!(text.contains("timeout"), "{}: {text}", gateway.kind());
            }
            other => panic!("{}: expected Unavailable, got {other:?}", gateway.kind()),
        }
    }
}

#[tokio::test]
async fn server_errors_of_every_gateway_are_unavailable_and_secrets_stay_out_of_errors() {
    let midtrans_fake = midtrans_fake().await;
    let xendit_fake = xendit_fake().await;
    let pakasir_fake = pakasir_fake().await;
    midtrans_fake.fail_next_creates(1, FailureMode::ServerError);
    xendit_fake.fail_next_creates(1, FailureMode::ServerError);
    pakasir_fake.fail_next_creates(1, FailureMode::ServerError);
    let gateways: Vec<(Box<dyn PaymentGateway>, &str)> = vec![
        (
            Box::new(midtrans(&midtrans_fake)),
            midtrans_fake.server_key(),
        ),
        (Box::new(xendit(&xendit_fake)), xendit_fake.secret_key()),
        (Box::new(pakasir(&pakasir_fake)), pakasir_fake.api_key()),
    ];

    for (gateway, secret) in &gateways {
        let error = gateway
            .create_charge(&charge_request("INV-26-1"))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, GatewayError::Unavailable(_)),
            "{}: {error:?}",
            gateway.kind()
        );
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(secret), "{}: {shown}", gateway.kind());
    }
    // Pakasir carries its key in the query string: a failing detail call
    // must not echo the URL.
    let (addr, _server) = silent_server().await;
    let pakasir_silent = gateways_at(&format!("http://{addr}")).remove(2);
    let error = pakasir_silent
        .status("INV-26-1", rupiah(150_000))
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("api_key"), "{shown}");
}
