//! The SMTP dialogue over a raw socket: the replies, sequencing rules and
//! edge cases a library client would never exercise on purpose.

use std::time::Duration;

use sandbox::SmtpSinkConfig;

use crate::helpers::{RawSmtp, WAIT, spawn_sandbox, spawn_sandbox_with};

const SIMPLE_MAIL: &str =
    "From: shop@juragan.test\r\nTo: budi@example.test\r\nSubject: Halo\r\n\r\nIsi pesan.\r\n";

#[tokio::test]
async fn ehlo_advertises_size_8bitmime_smtputf8_and_auth_but_not_starttls() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::connect(sandbox.smtp().addr()).await;

    let reply = client.expect("EHLO client.test", 250).await;

    assert!(reply.lines[0].contains("client.test"), "{reply:?}");
    let keywords = &reply.lines[1..];
    assert!(
        keywords.contains(&"SIZE 10485760".to_owned()),
        "{keywords:?}"
    );
    for keyword in ["8BITMIME", "SMTPUTF8", "AUTH PLAIN LOGIN"] {
        assert!(
            keywords.iter().any(|line| line == keyword),
            "{keyword} missing: {keywords:?}"
        );
    }
    assert!(!reply.text().contains("STARTTLS"));
    client.expect("HELO other.test", 250).await;
}

#[tokio::test]
async fn commands_out_of_order_get_503() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::connect(sandbox.smtp().addr()).await;

    client.expect("MAIL FROM:<shop@juragan.test>", 503).await;
    client.expect("EHLO client.test", 250).await;
    client.expect("RCPT TO:<budi@example.test>", 503).await;
    client.expect("DATA", 503).await;
    client.expect("MAIL FROM:<shop@juragan.test>", 250).await;
    client.expect("MAIL FROM:<shop@juragan.test>", 503).await;
    client.expect("DATA", 503).await;
    client.expect("RCPT TO:<budi@example.test>", 250).await;
    client.expect("DATA", 354).await;
}

#[tokio::test]
async fn unknown_and_unoffered_commands_are_refused_and_the_session_goes_on() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    client.expect("FROB the widget", 500).await;
    client.expect("STARTTLS", 502).await;
    client.expect("VRFY budi", 252).await;
    client.expect("HELP", 214).await;
    client.expect("NOOP", 250).await;
    client.expect("MAIL FROM shop@juragan.test", 501).await;
    client
        .expect("MAIL FROM:<shop@juragan.test> RET=HDRS", 555)
        .await;
    client.expect("MAIL FROM:<shop@juragan.test>", 250).await;
    client.expect("RCPT TO:<budi>", 501).await;
}

#[tokio::test]
async fn data_is_dot_unstuffed_and_ends_at_the_lone_dot() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;
    let data = "Subject: titik\r\n\r\n\
                ..baris yang diawali titik\r\n\
                ...\r\n\
                .\tbukan akhir\r\n\
                akhir.\r\n";

    let reply = client
        .send_mail("shop@juragan.test", &["budi@example.test"], data)
        .await;

    assert_eq!(reply.code, 250, "{reply:?}");
    let mail = sandbox
        .smtp()
        .wait_for_message_to("budi@example.test", WAIT)
        .await
        .unwrap();
    assert!(
        reply.text().contains(&mail.id.to_string()),
        "the queue id is the mail id"
    );
    assert_eq!(
        mail.text_body.as_deref(),
        Some(".baris yang diawali titik\r\n..\r\n\tbukan akhir\r\nakhir.\r\n")
    );
    client.expect("NOOP", 250).await;
}

#[tokio::test]
async fn one_transaction_takes_many_recipients_and_one_session_many_mails() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    let first = client
        .send_mail(
            "shop@juragan.test",
            &["a@example.test", "B@example.test", "c@example.test"],
            SIMPLE_MAIL,
        )
        .await;
    let second = client.send_mail("", &["d@example.test"], SIMPLE_MAIL).await;
    client.expect("QUIT", 221).await;

    assert_eq!((first.code, second.code), (250, 250));
    let mails = sandbox.smtp().messages();
    assert_eq!(mails.len(), 2);
    assert_eq!(
        mails[0].envelope_to,
        ["a@example.test", "B@example.test", "c@example.test"]
    );
    assert!(mails[0].is_addressed_to("b@EXAMPLE.test"));
    assert_eq!(
        mails[1].envelope_from, "",
        "the null reverse-path is kept as empty"
    );
    assert_eq!(mails[1].envelope_to, ["d@example.test"]);
}

#[tokio::test]
async fn too_many_recipients_get_452() {
    let sandbox = spawn_sandbox_with(SmtpSinkConfig {
        max_recipients: 2,
        ..SmtpSinkConfig::default()
    })
    .await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    client.expect("MAIL FROM:<shop@juragan.test>", 250).await;
    client.expect("RCPT TO:<a@example.test>", 250).await;
    client.expect("RCPT TO:<b@example.test>", 250).await;
    client.expect("RCPT TO:<c@example.test>", 452).await;
}

#[tokio::test]
async fn rset_discards_the_transaction_but_keeps_the_greeting() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    client.expect("MAIL FROM:<shop@juragan.test>", 250).await;
    client.expect("RCPT TO:<forgotten@example.test>", 250).await;
    client.expect("RSET", 250).await;
    client.expect("DATA", 503).await;
    let reply = client
        .send_mail("shop@juragan.test", &["kept@example.test"], SIMPLE_MAIL)
        .await;

    assert_eq!(reply.code, 250);
    let mails = sandbox.smtp().messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].envelope_to, ["kept@example.test"]);
}

#[tokio::test]
async fn an_overlong_command_line_gets_500_and_the_session_goes_on() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    let reply = client
        .command(&format!("NOOP {}", "x".repeat(100_000)))
        .await;

    assert_eq!(reply.code, 500, "{reply:?}");
    client.expect("NOOP", 250).await;
}

#[tokio::test]
async fn a_declared_size_over_the_limit_gets_552_and_a_long_data_line_is_refused_too() {
    let sandbox = spawn_sandbox_with(SmtpSinkConfig {
        max_message_size: 1000,
        ..SmtpSinkConfig::default()
    })
    .await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    client
        .expect("MAIL FROM:<shop@juragan.test> SIZE=5000", 552)
        .await;
    let data = format!("Subject: besar\r\n\r\n{}\r\n", "y".repeat(50_000));
    let reply = client
        .send_mail("shop@juragan.test", &["budi@example.test"], &data)
        .await;

    assert_eq!(reply.code, 552, "{reply:?}");
    assert!(sandbox.smtp().messages().is_empty());
    let reply = client
        .send_mail("shop@juragan.test", &["budi@example.test"], SIMPLE_MAIL)
        .await;
    assert_eq!(reply.code, 250, "the session recovers: {reply:?}");
}

#[tokio::test]
async fn auth_plain_and_auth_login_accept_any_credentials() {
    let sandbox = spawn_sandbox().await;
    let addr = sandbox.smtp().addr();

    let mut plain = RawSmtp::greeted(addr).await;
    // "\0budi\0secret"
    plain.expect("AUTH PLAIN AGJ1ZGkAc2VjcmV0", 235).await;
    plain.expect("AUTH PLAIN AGJ1ZGkAc2VjcmV0", 503).await;
    plain
        .send_mail("budi@example.test", &["a@example.test"], SIMPLE_MAIL)
        .await;

    let mut login = RawSmtp::greeted(addr).await;
    let prompt = login.expect("AUTH LOGIN", 334).await;
    assert_eq!(prompt.text(), "VXNlcm5hbWU6", "base64 of Username:");
    login.expect("c2l0aQ==", 334).await; // "siti"
    login.expect("cGFzc3dvcmQ=", 235).await;
    login
        .send_mail("siti@example.test", &["b@example.test"], SIMPLE_MAIL)
        .await;

    let mut cancelled = RawSmtp::greeted(addr).await;
    cancelled.expect("AUTH PLAIN", 334).await;
    cancelled.expect("*", 501).await;
    cancelled.expect("AUTH CRAM-MD5", 504).await;

    let users: Vec<_> = sandbox
        .smtp()
        .messages()
        .iter()
        .map(|mail| mail.auth_user.clone())
        .collect();
    assert_eq!(users, [Some("budi".to_owned()), Some("siti".to_owned())]);
}

#[tokio::test]
async fn quit_says_bye_and_closes_the_connection() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    client.expect("QUIT", 221).await;

    assert!(client.is_closed().await);
}

#[tokio::test]
async fn a_client_that_keeps_erring_is_disconnected() {
    let sandbox = spawn_sandbox().await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    let mut last = client.command("FROB").await;
    for _ in 0..30 {
        if last.code == 421 {
            break;
        }
        last = client.command("FROB").await;
    }

    assert_eq!(last.code, 421, "{last:?}");
    assert!(client.is_closed().await);
}

#[tokio::test]
async fn an_idle_client_is_disconnected_with_421() {
    let sandbox = spawn_sandbox_with(SmtpSinkConfig {
        idle_timeout: Duration::from_millis(200),
        ..SmtpSinkConfig::default()
    })
    .await;
    let mut client = RawSmtp::greeted(sandbox.smtp().addr()).await;

    let reply = client.reply().await;

    assert_eq!(reply.code, 421, "{reply:?}");
    assert!(client.is_closed().await);
}

#[tokio::test]
async fn connections_over_the_limit_are_refused_with_421() {
    let sandbox = spawn_sandbox_with(SmtpSinkConfig {
        max_connections: 1,
        ..SmtpSinkConfig::default()
    })
    .await;
    let _first = RawSmtp::greeted(sandbox.smtp().addr()).await;

    let mut second = RawSmtp::connect_unchecked(sandbox.smtp().addr()).await;

    assert_eq!(second.reply().await.code, 421);
}
