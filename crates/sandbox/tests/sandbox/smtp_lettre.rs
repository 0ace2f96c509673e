//! The sink as production sees it: lettre sends, the test reads back through
//! the library API.

use std::{collections::BTreeSet, time::Duration};

use lettre::{AsyncTransport, Message, message::header::ContentType};
use sandbox::{SmtpSink, SmtpSinkConfig};

use crate::helpers::{
    WAIT, invoice_mail, mailer, mailer_with_credentials, spawn_sandbox, spawn_sandbox_with,
};

#[tokio::test]
async fn a_multipart_mail_is_stored_with_decoded_headers_and_bodies() {
    let sandbox = spawn_sandbox().await;
    let subject = "Tagihan INV-2025-0001 — jatuh tempo";

    mailer(sandbox.smtp().addr())
        .send(invoice_mail("Budi Santoso <budi@example.test>", subject))
        .await
        .expect("the sink accepts the mail");

    let mail = sandbox
        .smtp()
        .wait_for_message_to("budi@example.test", WAIT)
        .await
        .expect("the mail is stored");
    assert_eq!(mail.subject.as_deref(), Some(subject));
    assert_eq!(mail.envelope_from, "billing@juragan.test");
    assert_eq!(mail.envelope_to, ["budi@example.test"]);
    assert_eq!(mail.from[0].name.as_deref(), Some("Toko Juragan"));
    assert_eq!(mail.from[0].email, "billing@juragan.test");
    assert_eq!(mail.to[0].to_string(), "Budi Santoso <budi@example.test>");
    let text = mail.text_body.as_deref().expect("a text alternative");
    assert!(
        text.contains("Rp 1.500.000 — bayar sebelum 5 Mei."),
        "text body: {text:?}"
    );
    let html = mail.html_body.as_deref().expect("an HTML alternative");
    assert!(
        html.contains("<b>Tagihan INV-2025-0001 — jatuh tempo</b>"),
        "html body: {html:?}"
    );
    assert!(mail.message_id.is_some());
    assert!(mail.header("MIME-Version").is_some());
    assert!(mail.raw_text().contains("multipart/alternative"));
    assert_eq!(mail.auth_user, None);
    assert!(!mail.client_name.is_empty(), "lettre says EHLO with a name");
}

#[tokio::test]
async fn a_client_with_credentials_authenticates_and_the_user_is_recorded() {
    let sandbox = spawn_sandbox().await;

    mailer_with_credentials(sandbox.smtp().addr(), "juragan-app", "s3cret")
        .send(invoice_mail("budi@example.test", "INV-2"))
        .await
        .expect("any credentials are accepted");

    let mail = sandbox
        .smtp()
        .wait_for_message_to("budi@example.test", WAIT)
        .await
        .unwrap();
    assert_eq!(mail.auth_user.as_deref(), Some("juragan-app"));
}

#[tokio::test]
async fn bcc_recipients_are_in_the_envelope_but_not_the_headers() {
    let sandbox = spawn_sandbox().await;
    let message = Message::builder()
        .from("billing@juragan.test".parse().unwrap())
        .to("budi@example.test".parse().unwrap())
        .cc("siti@example.test".parse().unwrap())
        .bcc("owner@juragan.test".parse().unwrap())
        .subject("Pesanan baru")
        .header(ContentType::TEXT_PLAIN)
        .body("Ada pesanan baru.".to_owned())
        .unwrap();

    mailer(sandbox.smtp().addr()).send(message).await.unwrap();

    let mail = sandbox
        .smtp()
        .wait_for_message_to("OWNER@juragan.test", WAIT)
        .await
        .unwrap();
    let mut envelope = mail.envelope_to.clone();
    envelope.sort();
    assert_eq!(
        envelope,
        [
            "budi@example.test",
            "owner@juragan.test",
            "siti@example.test"
        ]
    );
    assert_eq!(mail.cc[0].email, "siti@example.test");
    assert!(
        !mail.raw_text().contains("owner@juragan.test"),
        "Bcc must not reach the headers"
    );
    assert_eq!(sandbox.smtp().messages_to("siti@example.test").len(), 1);
    assert!(sandbox.smtp().messages_to("nobody@example.test").is_empty());
}

#[tokio::test]
async fn a_mail_over_the_size_limit_is_refused_with_552_and_not_stored() {
    let sandbox = spawn_sandbox_with(SmtpSinkConfig {
        max_message_size: 4096,
        ..SmtpSinkConfig::default()
    })
    .await;
    let message = Message::builder()
        .from("billing@juragan.test".parse().unwrap())
        .to("budi@example.test".parse().unwrap())
        .subject("Lampiran besar")
        .header(ContentType::TEXT_PLAIN)
        .body("baris panjang sekali\n".repeat(1000))
        .unwrap();

    let error = mailer(sandbox.smtp().addr())
        .send(message)
        .await
        .expect_err("the mail is bigger than the limit");

    assert!(error.is_permanent(), "{error}");
    assert_eq!(error.status().map(u16::from), Some(552), "{error}");
    assert!(sandbox.smtp().messages().is_empty());
}

#[tokio::test]
async fn a_waiter_wakes_for_a_mail_sent_after_it_started_waiting() {
    let sandbox = spawn_sandbox().await;
    let sink = sandbox.smtp().clone();
    let waiter = tokio::spawn(async move {
        sink.wait_for_message(|mail| mail.subject.as_deref() == Some("OTP 123456"), WAIT)
            .await
    });

    let transport = mailer(sandbox.smtp().addr());
    transport
        .send(invoice_mail("budi@example.test", "something else"))
        .await
        .unwrap();
    transport
        .send(invoice_mail("budi@example.test", "OTP 123456"))
        .await
        .unwrap();

    let mail = waiter
        .await
        .unwrap()
        .expect("the OTP mail wakes the waiter");
    assert_eq!(mail.subject.as_deref(), Some("OTP 123456"));
}

#[tokio::test]
async fn waiting_for_a_mail_that_never_comes_fails_after_the_timeout() {
    let sandbox = spawn_sandbox().await;
    mailer(sandbox.smtp().addr())
        .send(invoice_mail("budi@example.test", "INV-9"))
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let error = sandbox
        .smtp()
        .wait_for_message_to("siti@example.test", Duration::from_millis(200))
        .await
        .expect_err("nothing was sent to siti");

    assert!(started.elapsed() < WAIT);
    let message = error.to_string();
    assert!(
        message.contains("budi@example.test") && message.contains("INV-9"),
        "{message}"
    );
}

#[tokio::test]
async fn concurrent_senders_all_get_their_mail_stored() {
    let sandbox = spawn_sandbox().await;
    let addr = sandbox.smtp().addr();
    let senders: Vec<_> = (0..8)
        .map(|sender| {
            tokio::spawn(async move {
                let transport = mailer(addr);
                for n in 0..3 {
                    let to = format!("client{sender}@example.test");
                    transport
                        .send(invoice_mail(&to, &format!("INV-{sender}-{n}")))
                        .await
                        .expect("concurrent send");
                }
            })
        })
        .collect();
    for sender in senders {
        tokio::time::timeout(WAIT, sender)
            .await
            .expect("sender finished")
            .unwrap();
    }

    let subjects: BTreeSet<_> = sandbox
        .smtp()
        .messages()
        .iter()
        .filter_map(|mail| mail.subject.clone())
        .collect();
    let expected: BTreeSet<_> = (0..8)
        .flat_map(|sender| (0..3).map(move |n| format!("INV-{sender}-{n}")))
        .collect();
    assert_eq!(subjects, expected);
    assert_eq!(sandbox.smtp().messages_to("client3@example.test").len(), 3);
}

#[tokio::test]
async fn clear_forgets_every_stored_mail() {
    let sandbox = spawn_sandbox().await;
    let transport = mailer(sandbox.smtp().addr());
    transport
        .send(invoice_mail("budi@example.test", "INV-1"))
        .await
        .unwrap();
    transport
        .send(invoice_mail("budi@example.test", "INV-2"))
        .await
        .unwrap();

    assert_eq!(sandbox.smtp().clear(), 2);

    assert!(sandbox.smtp().messages().is_empty());
}

#[tokio::test]
async fn only_the_newest_mails_are_kept() {
    let sandbox = spawn_sandbox_with(SmtpSinkConfig {
        max_stored_messages: 3,
        ..SmtpSinkConfig::default()
    })
    .await;
    let transport = mailer(sandbox.smtp().addr());

    for n in 1..=5 {
        transport
            .send(invoice_mail("budi@example.test", &format!("INV-{n}")))
            .await
            .unwrap();
    }

    let subjects: Vec<_> = sandbox
        .smtp()
        .messages()
        .iter()
        .filter_map(|mail| mail.subject.clone())
        .collect();
    assert_eq!(subjects, ["INV-3", "INV-4", "INV-5"]);
}

#[tokio::test]
async fn a_sink_stops_listening_when_its_last_handle_is_dropped() {
    let sink = SmtpSink::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = sink.addr();
    assert_ne!(addr.port(), 0, "the real port is reported");

    drop(sink);

    // The abort lands when the runtime next polls the accept task.
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sink still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
