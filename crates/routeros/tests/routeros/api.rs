//! The binary API client against a scripted router.

use std::time::{Duration, Instant};

use md5::{Digest as _, Md5};
use routeros::{
    Fingerprint, PppRouter as _, Router, RouterOsError, SecretChange, Transport, api::ApiClient,
};

use crate::support::{CERTIFICATE, config, scripted_router, scripted_tls_router};

#[tokio::test]
async fn a_modern_login_then_identity_through_router_connect() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        let (_, tag) = conn.expect("/system/identity/print").await;
        conn.send(&["!re", "=name=core-jkt-1", &tag]).await;
        conn.send(&["!done", &tag]).await;
    })
    .await;

    let router = Router::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    assert_eq!(router.identity().await.unwrap(), "core-jkt-1");
    server.await.unwrap();
}

#[tokio::test]
async fn a_legacy_router_gets_the_md5_challenge_response() {
    let challenge = [0x5Au8, 0x01, 0xFF, 0x10, 0x77, 0x00, 0x42, 0x99];
    let (addr, server) = scripted_router(move |mut conn| async move {
        let (_, tag) = conn.expect("/login").await;
        let hex: String = challenge.iter().map(|b| format!("{b:02x}")).collect();
        conn.send(&["!done", &format!("=ret={hex}"), &tag]).await;

        let (words, tag) = conn.expect("/login").await;
        let mut md5 = Md5::new();
        md5.update([0u8]);
        md5.update(b"secret");
        md5.update(challenge);
        let expected: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert!(words.contains(&"=name=admin".to_owned()), "{words:?}");
        assert!(
            words.contains(&format!("=response=00{expected}")),
            "{words:?}"
        );
        assert!(!words.iter().any(|word| word.contains("secret")));
        conn.send(&["!done", &tag]).await;
    })
    .await;

    ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_is_bad_credentials() {
    let (addr, server) = scripted_router(|mut conn| async move {
        let (_, tag) = conn.expect("/login").await;
        conn.send(&["!trap", "=message=invalid user name or password (6)", &tag])
            .await;
        conn.send(&["!done", &tag]).await;
    })
    .await;

    let error = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap_err();
    assert_eq!(error, RouterOsError::BadCredentials);
    assert!(!error.is_transient());
    server.await.unwrap();
}

#[tokio::test]
async fn an_empty_print_with_the_7_18_empty_reply_is_no_sessions() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        let (words, tag) = conn.expect("/ppp/active/print").await;
        assert!(
            words.contains(
                &"=.proplist=.id,name,service,caller-id,address,uptime,session-id".to_owned()
            ),
            "{words:?}"
        );
        conn.send(&["!empty", &tag]).await;
        conn.send(&["!done", &tag]).await;
    })
    .await;

    let client = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    assert_eq!(client.active_sessions().await.unwrap(), []);
    server.await.unwrap();
}

#[tokio::test]
async fn concurrent_commands_get_their_own_replies_when_answered_out_of_order() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        let mut tags = std::collections::HashMap::new();
        for _ in 0..3 {
            let words = conn.recv().await.unwrap();
            let tag = words
                .iter()
                .find(|w| w.starts_with(".tag="))
                .unwrap()
                .clone();
            if words[0] == "/ppp/secret/print" {
                assert!(words.contains(&"?name=alice".to_owned()), "{words:?}");
            }
            tags.insert(words[0].clone(), tag);
        }
        let active = &tags["/ppp/active/print"];
        let secret = &tags["/ppp/secret/print"];
        let identity = &tags["/system/identity/print"];
        // Interleaved rows, finished in the reverse order of the requests.
        conn.send(&[
            "!re",
            "=.id=*80000001",
            "=name=alice",
            "=service=pppoe",
            "=caller-id=AA:BB:CC:DD:EE:01",
            "=address=10.0.0.2",
            "=uptime=1h2m3s",
            "=session-id=0x81000001",
            active,
        ])
        .await;
        conn.send(&[
            "!re",
            "=.id=*5",
            "=name=alice",
            "=profile=10mbps",
            "=service=pppoe",
            "=disabled=false",
            secret,
        ])
        .await;
        conn.send(&[
            "!re",
            "=.id=*80000002",
            "=name=bob",
            "=service=pppoe",
            "=uptime=2d03:04:05",
            active,
        ])
        .await;
        conn.send(&["!re", "=name=core-jkt-1", identity]).await;
        conn.send(&["!done", identity]).await;
        conn.send(&["!done", secret]).await;
        conn.send(&["!done", active]).await;
    })
    .await;

    let client = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    let (sessions, secrets, identity) = tokio::join!(
        client.active_sessions(),
        client.secrets(Some("alice")),
        client.identity()
    );
    let sessions = sessions.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].id, "*80000001");
    assert_eq!(sessions[0].caller_id, "AA:BB:CC:DD:EE:01");
    assert_eq!(sessions[0].uptime, Some(Duration::from_secs(3_723)));
    assert_eq!(
        sessions[1].uptime,
        Some(Duration::from_secs(2 * 86_400 + 11_045))
    );
    let secrets = secrets.unwrap();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].profile, "10mbps");
    assert!(!secrets[0].disabled);
    assert_eq!(identity.unwrap(), "core-jkt-1");
    server.await.unwrap();
}

#[tokio::test]
async fn set_and_remove_send_the_documented_words_and_traps_are_errors() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        let (words, tag) = conn.expect("/ppp/secret/set").await;
        assert_eq!(
            words[1..words.len() - 1],
            ["=.id=*1A", "=disabled=yes", "=profile=isolir"]
        );
        conn.send(&["!done", &tag]).await;
        let (words, tag) = conn.expect("/ppp/active/remove").await;
        assert_eq!(words[1], "=.id=*99");
        conn.send(&["!trap", "=message=no such item", &tag]).await;
        conn.send(&["!done", &tag]).await;
    })
    .await;

    let client = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    let change = SecretChange {
        disabled: Some(true),
        profile: Some("isolir".into()),
    };
    client.set_secret("*1A", &change).await.unwrap();
    client
        .set_secret("*1A", &SecretChange::default())
        .await
        .unwrap(); // nothing to change: nothing sent
    assert_eq!(
        client.remove_active("*99").await,
        Err(RouterOsError::Trap {
            message: "no such item".into(),
            category: None
        })
    );
    server.await.unwrap();
}

#[tokio::test]
async fn a_fatal_fails_the_waiting_command_and_every_later_one() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        conn.expect("/system/identity/print").await;
        conn.send(&["!fatal", "session terminated on request"])
            .await;
    })
    .await;

    let client = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    let fatal = RouterOsError::Fatal("session terminated on request".into());
    assert_eq!(client.identity().await, Err(fatal.clone()));
    assert_eq!(client.identity().await, Err(fatal));
    server.await.unwrap();
}

#[tokio::test]
async fn a_closed_connection_fails_the_waiting_command() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        conn.expect("/system/resource/print").await;
    })
    .await;

    let client = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    let error = client.resource().await.unwrap_err();
    assert!(matches!(error, RouterOsError::Io(_)), "{error:?}");
    assert!(error.is_transient());
    server.await.unwrap();
}

#[tokio::test]
async fn a_slow_command_times_out_is_cancelled_and_the_connection_goes_on() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        let (_, slow_tag) = conn.expect("/system/identity/print").await;
        let (words, cancel_tag) = conn.expect("/cancel").await;
        assert_eq!(words[1], format!("={}", &slow_tag[1..])); // =tag=N
        // What RouterOS answers to a cancel, all of it stale by now.
        conn.send(&["!trap", "=category=2", "=message=interrupted", &slow_tag])
            .await;
        conn.send(&["!done", &slow_tag]).await;
        conn.send(&["!done", &cancel_tag]).await;
        let (_, tag) = conn.expect("/system/resource/print").await;
        conn.send(&[
            "!re",
            "=version=7.18.2 (stable)",
            "=board-name=CCR2004",
            "=architecture-name=arm64",
            "=uptime=3w1d",
            "=cpu-load=7",
            &tag,
        ])
        .await;
        conn.send(&["!done", &tag]).await;
    })
    .await;

    let mut config = config(addr, Transport::Api);
    config.reply_timeout = Duration::from_millis(300);
    let client = ApiClient::connect(&config).await.unwrap();
    assert_eq!(
        client.identity().await,
        Err(RouterOsError::ReplyTimeout {
            command: "/system/identity/print".into()
        })
    );
    let resource = client.resource().await.unwrap();
    assert_eq!(resource.board_name, "CCR2004");
    assert_eq!(resource.cpu_load, Some(7));
    server.await.unwrap();
}

#[tokio::test]
async fn a_four_gigabyte_length_prefix_is_refused_at_once() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        conn.expect("/ppp/active/print").await;
        conn.send_raw(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]).await;
        // Keep the connection open: the client must not wait for 4 GB.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
    })
    .await;

    let mut config = config(addr, Transport::Api);
    config.reply_timeout = Duration::from_secs(8);
    let client = ApiClient::connect(&config).await.unwrap();
    let started = Instant::now();
    let error = client.active_sessions().await.unwrap_err();
    assert!(matches!(error, RouterOsError::Protocol(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    server.await.unwrap();
}

#[tokio::test]
async fn a_control_byte_is_a_protocol_error() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        conn.expect("/system/identity/print").await;
        conn.send_raw(&[0xF8]).await;
    })
    .await;

    let client = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    let error = client.identity().await.unwrap_err();
    assert!(matches!(error, RouterOsError::Protocol(_)), "{error:?}");
    server.await.unwrap();
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    let error = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap_err();
    assert_eq!(error, RouterOsError::Refused);
    assert!(error.to_string().contains("/ip service enable api"));
}

#[tokio::test]
async fn dropping_the_client_closes_the_connection() {
    let (addr, server) = scripted_router(|mut conn| async move {
        conn.accept_login().await;
        assert_eq!(conn.recv().await, None);
    })
    .await;

    let client = ApiClient::connect(&config(addr, Transport::Api))
        .await
        .unwrap();
    drop(client);
    tokio::time::timeout(Duration::from_secs(3), server)
        .await
        .expect("the connection stayed open")
        .unwrap();
}

#[tokio::test]
async fn api_ssl_with_a_pinned_self_signed_certificate() {
    let (addr, server) = scripted_tls_router(|mut conn| async move {
        conn.accept_login().await;
        let (_, tag) = conn.expect("/system/identity/print").await;
        conn.send(&["!re", "=name=edge-tls", &tag]).await;
        conn.send(&["!done", &tag]).await;
    })
    .await;

    let mut config = config(addr, Transport::ApiTls);
    config.pinned_sha256 = Some(Fingerprint::of_certificate(CERTIFICATE));
    let router = Router::connect(&config).await.unwrap();
    assert_eq!(router.identity().await.unwrap(), "edge-tls");
    server.await.unwrap();
}

#[tokio::test]
async fn api_ssl_refuses_a_certificate_that_is_not_the_pinned_one() {
    let (addr, server) = scripted_tls_router(|_conn| async move {}).await;

    let mut config = config(addr, Transport::ApiTls);
    config.pinned_sha256 = Some(Fingerprint::from([0xAB; 32]));
    let error = ApiClient::connect(&config).await.unwrap_err();
    let RouterOsError::Tls(message) = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("not the pinned one"), "{message}");
    assert!(!error.is_transient());
    server.await.unwrap();
}
