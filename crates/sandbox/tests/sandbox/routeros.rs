//! The MikroTik RouterOS fake: its binary API spoken by a tiny client
//! written here from the protocol table (independent of the fake's own
//! framing), API-SSL with a pinned fingerprint, REST with reqwest, the HTTP
//! test controls, and a third-party client (librouteros) unchanged.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use md5::Digest as _;
use sandbox::routeros::{
    LoginStyle, RouterOsFake, RouterOsFakeConfig, RouterOsFakeHandle, RouterOsSecret,
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{WAIT, http_client, spawn_sandbox};

async fn start(config: RouterOsFakeConfig) -> RouterOsFakeHandle {
    let any = "127.0.0.1:0".parse().unwrap();
    RouterOsFake::start(any, any, config).await.unwrap()
}

async fn router() -> RouterOsFakeHandle {
    start(RouterOsFakeConfig::default()).await
}

/// A deliberately naive API client: one request, read until `!done`.
struct Api<S> {
    stream: S,
}

fn encode_length(length: usize, out: &mut Vec<u8>) {
    let length = u32::try_from(length).unwrap();
    match length {
        0..0x80 => out.push(length as u8),
        0x80..0x4000 => out.extend_from_slice(&((length | 0x8000) as u16).to_be_bytes()),
        0x4000..0x20_0000 => out.extend_from_slice(&(length | 0xC0_0000).to_be_bytes()[1..]),
        _ => out.extend_from_slice(&(length | 0xE000_0000).to_be_bytes()),
    }
}

impl Api<TcpStream> {
    async fn connect(addr: SocketAddr) -> Self {
        Api {
            stream: TcpStream::connect(addr).await.unwrap(),
        }
    }

    async fn logged_in(router: &RouterOsFakeHandle) -> Self {
        let mut api = Api::connect(router.api_addr()).await;
        api.login(router.username(), router.password()).await;
        api
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Api<S> {
    async fn send(&mut self, words: &[&str]) {
        let mut bytes = Vec::new();
        for word in words {
            encode_length(word.len(), &mut bytes);
            bytes.extend_from_slice(word.as_bytes());
        }
        bytes.push(0);
        self.stream.write_all(&bytes).await.unwrap();
    }

    async fn word(&mut self) -> Option<String> {
        let first = self.stream.read_u8().await.ok()?;
        let (extra, mut length) = match first {
            0x00..=0x7F => (0, usize::from(first)),
            0x80..=0xBF => (1, usize::from(first & 0x3F)),
            0xC0..=0xDF => (2, usize::from(first & 0x1F)),
            0xE0..=0xEF => (3, usize::from(first & 0x0F)),
            other => panic!("the fake sent control byte {other:#x}"),
        };
        for _ in 0..extra {
            length = (length << 8) | usize::from(self.stream.read_u8().await.ok()?);
        }
        let mut word = vec![0; length];
        self.stream.read_exact(&mut word).await.ok()?;
        Some(String::from_utf8(word).unwrap())
    }

    /// The next sentence; `None` when the fake closed the connection.
    async fn sentence(&mut self) -> Option<Vec<String>> {
        tokio::time::timeout(WAIT, async {
            let mut words = Vec::new();
            loop {
                let word = self.word().await?;
                if word.is_empty() {
                    return Some(words);
                }
                words.push(word);
            }
        })
        .await
        .expect("the fake answers in time")
    }

    /// Sends a request and reads up to its `!done` (or a `!fatal`).
    async fn talk(&mut self, words: &[&str]) -> Vec<Vec<String>> {
        self.send(words).await;
        let mut sentences = Vec::new();
        loop {
            let sentence = self.sentence().await.expect("a reply before the close");
            let last = matches!(sentence[0].as_str(), "!done" | "!fatal");
            sentences.push(sentence);
            if last {
                return sentences;
            }
        }
    }

    async fn login(&mut self, name: &str, password: &str) {
        let reply = self
            .talk(&[
                "/login",
                &format!("=name={name}"),
                &format!("=password={password}"),
            ])
            .await;
        assert_eq!(reply, [["!done"]], "login as {name}");
    }

    async fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(WAIT, self.stream.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

fn words(sentence: &[&str]) -> Vec<String> {
    sentence.iter().map(|word| (*word).to_owned()).collect()
}

/// The `=key=value` attributes of `!re` sentences.
fn rows(reply: &[Vec<String>]) -> Vec<Vec<(String, String)>> {
    reply
        .iter()
        .filter(|sentence| sentence[0] == "!re")
        .map(|sentence| {
            sentence[1..]
                .iter()
                .filter_map(|word| {
                    let (key, value) = word.strip_prefix('=')?.split_once('=')?;
                    Some((key.to_owned(), value.to_owned()))
                })
                .collect()
        })
        .collect()
}

fn get<'a>(row: &'a [(String, String)], key: &str) -> Option<&'a str> {
    row.iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

fn trap(message: &str) -> Vec<Vec<String>> {
    vec![
        words(&["!trap", &format!("=message={message}")]),
        words(&["!done"]),
    ]
}

// ---- login ----

#[tokio::test]
async fn modern_login_then_identity() {
    let router = router().await;
    let mut api = Api::logged_in(&router).await;
    let reply = api.talk(&["/system/identity/print"]).await;
    assert_eq!(
        reply,
        [words(&["!re", "=name=Juragan-Sandbox"]), words(&["!done"])]
    );
}

#[tokio::test]
async fn commands_before_login_trap_not_logged_in() {
    let router = router().await;
    let mut api = Api::connect(router.api_addr()).await;
    assert_eq!(
        api.talk(&["/ppp/active/print"]).await,
        trap("not logged in")
    );
    // The connection stays usable for the login.
    api.login(router.username(), router.password()).await;
}

#[tokio::test]
async fn bad_credentials_trap_and_the_third_failure_is_fatal() {
    let router = router().await;
    let mut api = Api::connect(router.api_addr()).await;
    let wrong = trap("invalid user name or password (6)");
    assert_eq!(
        api.talk(&["/login", "=name=juragan", "=password=nope"])
            .await,
        wrong
    );
    // A name without a password (a pre-6.43 client) fails the same way.
    assert_eq!(api.talk(&["/login", "=name=juragan"]).await, wrong);
    assert_eq!(
        api.talk(&["/login", "=name=nobody", "=password=x"]).await,
        wrong
    );
    let fatal = api.sentence().await.expect("a !fatal before the close");
    assert_eq!(fatal[0], "!fatal");
    assert!(api.is_closed().await);
}

fn legacy_response(password: &str, challenge_hex: &str) -> String {
    let challenge = hex::decode(challenge_hex).unwrap();
    let mut hasher = md5::Md5::new();
    hasher.update([0u8]);
    hasher.update(password.as_bytes());
    hasher.update(&challenge);
    format!("00{}", hex::encode(hasher.finalize()))
}

#[tokio::test]
async fn legacy_login_answers_a_challenge_and_checks_the_md5() {
    let router = start(RouterOsFakeConfig {
        login_style: LoginStyle::Legacy,
        ..RouterOsFakeConfig::default()
    })
    .await;
    let mut api = Api::connect(router.api_addr()).await;

    let challenge = |reply: &[Vec<String>]| -> String {
        assert_eq!(reply.len(), 1);
        assert_eq!(reply[0][0], "!done");
        let ret = reply[0][1].strip_prefix("=ret=").unwrap().to_owned();
        assert_eq!(ret.len(), 32);
        assert!(ret.bytes().all(|byte| byte.is_ascii_hexdigit()));
        ret
    };
    // A wrong password's response is refused with the old router's text.
    let first = challenge(&api.talk(&["/login"]).await);
    let wrong = legacy_response("not-the-password", &first);
    assert_eq!(
        api.talk(&["/login", "=name=juragan", &format!("=response={wrong}")])
            .await,
        trap("cannot log in")
    );
    // A challenge is good for one response only.
    let right_for_used = legacy_response(router.password(), &first);
    assert_eq!(
        api.talk(&[
            "/login",
            "=name=juragan",
            &format!("=response={right_for_used}")
        ])
        .await,
        trap("cannot log in")
    );
    // The 6.43 form gets a challenge from an old router: the fallback.
    let second = challenge(
        &api.talk(&["/login", "=name=juragan", "=password=sandbox-router-pass"])
            .await,
    );
    assert_ne!(first, second);
    let response = legacy_response(router.password(), &second);
    assert_eq!(
        api.talk(&["/login", "=name=juragan", &format!("=response={response}")])
            .await,
        [["!done"]]
    );
    assert_eq!(rows(&api.talk(&["/system/identity/print"]).await).len(), 1);
}

#[tokio::test]
async fn quit_is_fatal_and_closes() {
    let router = router().await;
    let mut api = Api::logged_in(&router).await;
    assert_eq!(
        api.talk(&["/quit"]).await,
        [["!fatal", "session terminated on request"]]
    );
    assert!(api.is_closed().await);
}

// ---- prints ----

#[tokio::test]
async fn empty_prints_answer_empty_then_done_unless_playing_7_17() {
    let router = router().await;
    let mut api = Api::logged_in(&router).await;
    assert_eq!(
        api.talk(&["/ppp/active/print"]).await,
        [["!empty"], ["!done"]]
    );
    assert_eq!(
        api.talk(&["/ppp/active/print", ".tag=9"]).await,
        [["!empty", ".tag=9"], ["!done", ".tag=9"]]
    );

    let old = start(RouterOsFakeConfig {
        empty_reply: false,
        ..RouterOsFakeConfig::default()
    })
    .await;
    let mut api = Api::logged_in(&old).await;
    assert_eq!(api.talk(&["/ppp/secret/print"]).await, [["!done"]]);
}

#[tokio::test]
async fn active_rows_carry_the_router_attributes() {
    let router = router().await;
    router
        .log_in(
            "budi.santoso",
            Some("10.10.10.2"),
            Some("00:11:22:aa:bb:cc"),
        )
        .unwrap();
    let mut api = Api::logged_in(&router).await;
    let reply = api.talk(&["/ppp/active/print"]).await;
    let rows = rows(&reply);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let keys: Vec<&str> = row.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(
        keys,
        [
            ".id",
            "name",
            "service",
            "caller-id",
            "address",
            "uptime",
            "encoding",
            "session-id",
            "limit-bytes-in",
            "limit-bytes-out",
            "radius"
        ]
    );
    assert_eq!(get(row, ".id"), Some("*80000001"));
    assert_eq!(get(row, "service"), Some("pppoe"));
    assert_eq!(get(row, "caller-id"), Some("00:11:22:AA:BB:CC"));
    assert_eq!(get(row, "address"), Some("10.10.10.2"));
    assert!(get(row, "uptime").unwrap().ends_with('s'));
    assert!(get(row, "session-id").unwrap().starts_with("0x81"));
    assert_eq!(get(row, "radius"), Some("false"));
}

#[tokio::test]
async fn queries_match_exactly_and_proplist_narrows() {
    let router = router().await;
    router.log_in("budi.santoso", None, None).unwrap();
    router.log_in("sitirahma", None, None).unwrap();
    router.log_in("warungkopi", None, None).unwrap();
    let mut api = Api::logged_in(&router).await;

    let reply = api
        .talk(&[
            "/ppp/active/print",
            "?name=sitirahma",
            "=.proplist=name,address",
        ])
        .await;
    let found = rows(&reply);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0]
            .iter()
            .map(|(key, _)| key.as_str())
            .collect::<Vec<_>>(),
        ["name", "address"]
    );
    assert_eq!(get(&found[0], "name"), Some("sitirahma"));

    // Case-sensitive, as the router: the client folds case itself.
    assert_eq!(
        api.talk(&["/ppp/active/print", "?name=SitiRahma"]).await,
        [["!empty"], ["!done"]]
    );
    // librouteros' form and the stack operators.
    let either = api
        .talk(&[
            "/ppp/active/print",
            "?=name=budi.santoso",
            "?=name=warungkopi",
            "?#|",
            "=.proplist=name",
        ])
        .await;
    assert_eq!(
        rows(&either),
        [
            vec![("name".to_owned(), "budi.santoso".to_owned())],
            vec![("name".to_owned(), "warungkopi".to_owned())]
        ]
    );
    assert_eq!(
        api.talk(&["/ppp/active/print", "=count-only="]).await,
        [["!done", "=ret=3"]]
    );
    // A proplist naming nothing the rows have gives empty `!re`s.
    let bare = api.talk(&["/ppp/active/print", "=.proplist=comment"]).await;
    assert_eq!(
        bare.iter()
            .filter(|s| s == &&vec!["!re".to_owned()])
            .count(),
        3
    );
}

#[tokio::test]
async fn resource_print_looks_like_a_chr() {
    let router = router().await;
    let mut api = Api::logged_in(&router).await;
    let reply = api.talk(&["/system/resource/print"]).await;
    let row = &rows(&reply)[0];
    assert_eq!(get(row, "version"), Some("7.18.2 (stable)"));
    assert_eq!(get(row, "board-name"), Some("CHR"));
    assert_eq!(get(row, "architecture-name"), Some("x86_64"));
    for key in ["uptime", "cpu-load", "free-memory", "total-memory"] {
        assert!(get(row, key).is_some(), "{key}");
    }
}

// ---- tags, concurrency, cancel, delay ----

#[tokio::test]
async fn concurrent_tagged_commands_get_their_own_tags() {
    let router = router().await;
    router.log_in("budi.santoso", None, None).unwrap();
    let mut api = Api::logged_in(&router).await;
    router.set_reply_delay(Duration::from_millis(200));
    api.send(&["/ppp/active/print", ".tag=1"]).await;
    api.send(&["/system/identity/print", ".tag=2"]).await;
    let mut by_tag: std::collections::HashMap<String, Vec<String>> = Default::default();
    for _ in 0..4 {
        let sentence = api.sentence().await.unwrap();
        assert!(sentence[1].starts_with(".tag="), "{sentence:?}");
        by_tag
            .entry(sentence[1].clone())
            .or_default()
            .push(sentence[0].clone());
    }
    assert_eq!(by_tag[".tag=1"], ["!re", "!done"]);
    assert_eq!(by_tag[".tag=2"], ["!re", "!done"]);
}

#[tokio::test]
async fn cancel_interrupts_a_slow_command_in_the_router_order() {
    let router = router().await;
    let mut api = Api::logged_in(&router).await;
    router.set_reply_delay(Duration::from_secs(5));
    api.send(&["/ppp/active/print", ".tag=10"]).await;
    api.send(&["/cancel", "=tag=10", ".tag=20"]).await;
    assert_eq!(
        api.sentence().await.unwrap(),
        ["!trap", ".tag=10", "=category=2", "=message=interrupted"]
    );
    assert_eq!(api.sentence().await.unwrap(), ["!done", ".tag=20"]);
    assert_eq!(api.sentence().await.unwrap(), ["!done", ".tag=10"]);
}

#[tokio::test]
async fn a_reply_delay_holds_the_answer_back() {
    let router = router().await;
    let mut api = Api::logged_in(&router).await;
    router.set_reply_delay(Duration::from_millis(300));
    let started = std::time::Instant::now();
    api.talk(&["/system/identity/print"]).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
}

// ---- writes ----

#[tokio::test]
async fn disabling_a_secret_leaves_the_session_up_until_removed() {
    let router = router().await;
    let secret = router.add_secret("egisetiawansempu", "10mbps").unwrap();
    assert_eq!(secret, "*1");
    let session = router.log_in("egisetiawansempu", None, None).unwrap();
    let mut api = Api::logged_in(&router).await;

    let set = api
        .talk(&[
            "/ppp/secret/set",
            &format!("=.id={secret}"),
            "=disabled=yes",
            "=profile=isolir",
        ])
        .await;
    assert_eq!(set, [["!done"]]);
    let secrets = rows(
        &api.talk(&["/ppp/secret/print", "?name=egisetiawansempu"])
            .await,
    );
    assert_eq!(get(&secrets[0], "disabled"), Some("true"));
    assert_eq!(get(&secrets[0], "profile"), Some("isolir"));
    assert_eq!(get(&secrets[0], "password"), None);
    // Still online: the router does not end a live session on set.
    assert_eq!(router.sessions().len(), 1);
    // ... but a new login is refused.
    router.log_out("egisetiawansempu");
    assert!(router.log_in("egisetiawansempu", None, None).is_err());
    router.set_secret_disabled("egisetiawansempu", false);
    let session = router
        .log_in("egisetiawansempu", None, None)
        .unwrap_or(session);

    let removed = api
        .talk(&["/ppp/active/remove", &format!("=.id={}", session.id)])
        .await;
    assert_eq!(removed, [["!done"]]);
    assert!(router.sessions().is_empty());
    assert!(
        router
            .secret("egisetiawansempu")
            .unwrap()
            .last_logged_out
            .is_some()
    );

    // `numbers` takes names too; `no` and `false` both re-enable.
    assert_eq!(
        api.talk(&[
            "/ppp/secret/set",
            "=numbers=egisetiawansempu",
            "=disabled=false"
        ])
        .await,
        [["!done"]]
    );
    assert!(!router.secret("egisetiawansempu").unwrap().disabled);
    assert_eq!(router.calls_named("/ppp/secret/set"), 2);
    assert_eq!(router.calls_named("/ppp/active/remove"), 1);
    let calls = router.calls();
    assert_eq!(calls[0].user, "juragan");
    assert_eq!(
        calls[0].attributes,
        [
            (".id".to_owned(), "*1".to_owned()),
            ("disabled".to_owned(), "yes".to_owned()),
            ("profile".to_owned(), "isolir".to_owned())
        ]
    );
}

#[tokio::test]
async fn unknown_ids_commands_and_parameters_trap() {
    let router = router().await;
    router.add_secret("sitirahma", "default").unwrap();
    let mut api = Api::logged_in(&router).await;
    assert_eq!(
        api.talk(&["/ppp/active/remove", "=.id=*80000099"]).await,
        trap("no such item")
    );
    assert_eq!(
        api.talk(&["/ppp/secret/set", "=.id=*99", "=disabled=yes"])
            .await,
        trap("no such item")
    );
    assert_eq!(
        api.talk(&["/ppp/secret/set", "=.id=*1", "=disabled=maybe"])
            .await,
        trap("value of disabled must be yes or no")
    );
    assert_eq!(
        api.talk(&["/ppp/secret/set", "=.id=*1", "=speed=fast"])
            .await,
        trap("unknown parameter speed")
    );
    assert_eq!(
        api.talk(&["/interface/print"]).await,
        trap("no such command prefix")
    );
    assert_eq!(
        api.talk(&["/ppp/secret/frobnicate"]).await,
        trap("no such command")
    );
    // Traps carry the tag too.
    assert_eq!(
        api.talk(&["/ppp/active/remove", "=.id=*1", ".tag=t"]).await,
        [
            words(&["!trap", ".tag=t", "=message=no such item"]),
            words(&["!done", ".tag=t"])
        ]
    );
}

#[tokio::test]
async fn a_read_only_user_reads_but_cannot_write() {
    let router = router().await;
    router.add_secret("budi.santoso", "default").unwrap();
    let session = router.log_in("budi.santoso", None, None).unwrap();
    let mut api = Api::connect(router.api_addr()).await;
    api.login("monitor", "sandbox-monitor-pass").await;
    assert_eq!(rows(&api.talk(&["/ppp/active/print"]).await).len(), 1);
    let denied = trap("not enough permissions (9)");
    assert_eq!(
        api.talk(&["/ppp/active/remove", &format!("=.id={}", session.id)])
            .await,
        denied
    );
    assert_eq!(
        api.talk(&["/ppp/secret/set", "=.id=*1", "=disabled=yes"])
            .await,
        denied
    );
    assert_eq!(router.sessions().len(), 1);
    assert!(!router.secret("budi.santoso").unwrap().disabled);
    assert!(router.calls().iter().all(|call| call.user == "monitor"));
}

// ---- hostile clients, service state, TLS ----

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[tokio::test]
async fn a_hostile_length_prefix_is_fatal_without_allocating() {
    let router = router().await;
    let before = resident_kib();
    for hostile in [
        &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF][..],
        &[0xEF, 0xFF, 0xFF, 0xFF],
        &[0xF8],
    ] {
        let mut api = Api::connect(router.api_addr()).await;
        api.stream.write_all(hostile).await.unwrap();
        let started = std::time::Instant::now();
        let fatal = api.sentence().await.expect("a !fatal");
        assert_eq!(fatal[0], "!fatal", "{hostile:?}");
        assert!(api.is_closed().await);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    if let (Some(before), Some(after)) = (before, resident_kib()) {
        assert!(
            after < before + 64 * 1024,
            "grew from {before} to {after} KiB"
        );
    }
    // The fake still serves others.
    Api::logged_in(&router).await;
}

#[tokio::test]
async fn a_disabled_api_service_refuses_and_drops_connections() {
    let router = router().await;
    let mut open = Api::logged_in(&router).await;
    assert_eq!(router.connections(), 1);
    router.set_api_enabled(false).await;
    assert!(open.is_closed().await, "open sessions are dropped");
    // The port is closed, as at a router: the connect itself is refused.
    let refused = tokio::net::TcpStream::connect(router.api_addr())
        .await
        .expect_err("the port is closed");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    assert_eq!(router.connections(), 1);

    router.set_api_enabled(true).await;
    let mut api = Api::logged_in(&router).await;
    // One connection serves many commands.
    for _ in 0..3 {
        api.talk(&["/system/identity/print"]).await;
    }
    assert_eq!(router.connections(), 2);
}

/// Accepts exactly the certificate with this SHA-256, as a pinning client.
#[derive(Debug)]
struct Pinned([u8; 32], Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use sha2::Digest as _;
        if <[u8; 32]>::from(sha2::Sha256::digest(end_entity.as_ref())) == self.0 {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("fingerprint mismatch".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.1.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.1.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

#[tokio::test]
async fn api_ssl_serves_the_pinned_certificate() {
    let router = router().await;
    let addr = router.api_tls_addr().expect("API-SSL on by default");
    assert_eq!(
        router.tls_fingerprint_hex(),
        hex::encode(router.tls_fingerprint())
    );
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned(router.tls_fingerprint(), provider)))
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let stream = connector
        .connect("127.0.0.1".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let mut api = Api { stream };
    api.login(router.username(), router.password()).await;
    assert_eq!(
        rows(&api.talk(&["/system/identity/print"]).await)[0][0].1,
        "Juragan-Sandbox"
    );
}

#[tokio::test]
async fn ten_thousand_sessions_log_in_at_once() {
    let router = router().await;
    let names: Vec<String> = (0..10_000).map(|n| format!("pelanggan{n:05}")).collect();
    assert_eq!(router.log_in_many(names.clone()).unwrap(), 10_000);
    assert!(router.log_in_many(["pelanggan00001"]).is_err());
    let mut api = Api::logged_in(&router).await;
    assert_eq!(
        api.talk(&["/ppp/active/print", "=count-only="]).await,
        [["!done", "=ret=10000"]]
    );
    let all = api
        .talk(&["/ppp/active/print", "=.proplist=.id,name"])
        .await;
    assert_eq!(rows(&all).len(), 10_000);
    let addresses: std::collections::HashSet<String> = router
        .sessions()
        .into_iter()
        .map(|session| session.address)
        .collect();
    assert_eq!(addresses.len(), 10_000);
}

// ---- REST ----

fn rest(
    router: &RouterOsFakeHandle,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    http_client()
        .request(method, format!("{}{path}", router.rest_base_url()))
        .basic_auth(router.username(), Some(router.password()))
}

#[tokio::test]
async fn rest_requires_basic_auth() {
    let router = router().await;
    for auth in [None, Some(("juragan", "wrong"))] {
        let mut request = http_client().get(format!("{}/ppp/active", router.rest_base_url()));
        if let Some((user, password)) = auth {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"error": 401, "message": "Unauthorized"})
        );
    }
}

#[tokio::test]
async fn rest_serves_every_route_with_string_values() {
    use reqwest::Method;
    let router = router().await;
    router.add_secret("budi.santoso", "10mbps").unwrap();
    router.add_secret("sitirahma", "default").unwrap();
    let budi = router
        .log_in("budi.santoso", Some("10.10.10.7"), None)
        .unwrap();
    router.log_in("sitirahma", None, None).unwrap();

    let identity: Value = rest(&router, Method::GET, "/system/identity")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identity, json!({"name": "Juragan-Sandbox"}));
    let resource: Value = rest(&router, Method::GET, "/system/resource")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resource["board-name"], "CHR");
    assert!(resource.as_object().unwrap().values().all(Value::is_string));

    let all: Vec<Value> = rest(&router, Method::GET, "/ppp/active")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].as_object().unwrap().values().all(Value::is_string));
    assert_eq!(all[0]["radius"], "false");
    assert_eq!(all[0]["limit-bytes-in"], "0");

    let one: Vec<Value> = rest(
        &router,
        Method::GET,
        "/ppp/active?name=budi.santoso&.proplist=.id,address",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(one, [json!({".id": budi.id, "address": "10.10.10.7"})]);
    let none: Vec<Value> = rest(&router, Method::GET, "/ppp/active?name=Budi.Santoso")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(none.is_empty());

    // Ids percent-encoded, as clients send them.
    let encoded = budi.id.replace('*', "%2A");
    let by_id: Value = rest(&router, Method::GET, &format!("/ppp/active/{encoded}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["name"], "budi.santoso");
    let missing = rest(&router, Method::GET, "/ppp/active/%2A80000099")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"error": 404, "message": "Not Found"})
    );

    let deleted = rest(&router, Method::DELETE, &format!("/ppp/active/{encoded}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let again = rest(&router, Method::DELETE, &format!("/ppp/active/{encoded}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);

    let siti = router.sessions()[0].id.clone();
    let removed = rest(&router, Method::POST, "/ppp/active/remove")
        .json(&json!({".id": siti}))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert!(router.sessions().is_empty());
    let unknown = rest(&router, Method::POST, "/ppp/active/remove")
        .json(&json!({".id": siti}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({"error": 400, "message": "Bad Request", "detail": "no such item"})
    );

    let secrets: Vec<Value> = rest(&router, Method::GET, "/ppp/secret?name=sitirahma")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["disabled"], "false");
    assert!(secrets[0].get("password").is_none());
    let id = secrets[0][".id"].as_str().unwrap().replace('*', "%2A");
    let patched: Value = rest(&router, Method::PATCH, &format!("/ppp/secret/{id}"))
        .json(&json!({"disabled": "true", "profile": "isolir"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["disabled"], "true");
    assert_eq!(patched["profile"], "isolir");
    assert!(router.secret("sitirahma").unwrap().disabled);
    let bad = rest(&router, Method::PATCH, &format!("/ppp/secret/{id}"))
        .json(&json!({"bogus": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["detail"],
        "unknown parameter bogus"
    );

    let unknown_menu = rest(&router, Method::GET, "/interface")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_menu.status(), 404);
    assert_eq!(router.calls_named("/ppp/active/remove"), 4);
    assert_eq!(router.calls_named("/ppp/secret/set"), 2);

    // A read-only user is refused writes over REST too.
    let denied = http_client()
        .patch(format!("{}/ppp/secret/{id}", router.rest_base_url()))
        .basic_auth("monitor", Some("sandbox-monitor-pass"))
        .json(&json!({"disabled": "false"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 400);
    assert_eq!(
        denied.json::<Value>().await.unwrap()["detail"],
        "not enough permissions (9)"
    );
    assert!(router.secret("sitirahma").unwrap().disabled);
}

// ---- HTTP controls ----

#[tokio::test]
async fn http_controls_log_subscribers_in_and_out() {
    let router = router().await;
    let base = router.http_url();
    let client = http_client();

    let created = client
        .post(format!("{base}/sandbox/ppp/secret"))
        .json(&json!({"name": "egisetiawansempu", "password": "rahasia", "profile": "10mbps"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.json::<Value>().await.unwrap()["id"], "*1");
    let duplicate = client
        .post(format!("{base}/sandbox/ppp/secret"))
        .json(&json!({"name": "egisetiawansempu"}))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), 409);

    let online = client
        .post(format!("{base}/sandbox/ppp/active"))
        .json(&json!({"name": "egisetiawansempu", "address": "10.10.10.2", "caller_id": "00:11:22:33:44:55"}))
        .send()
        .await
        .unwrap();
    assert_eq!(online.status(), 201);
    let row: Value = online.json().await.unwrap();
    assert_eq!(row["address"], "10.10.10.2");
    assert_eq!(row["caller_id"], "00:11:22:33:44:55");
    let generated: Value = client
        .post(format!("{base}/sandbox/ppp/active"))
        .json(&json!({"name": "tanpa.secret"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(generated["address"].as_str().unwrap().starts_with("10.10."));
    let listed: Vec<Value> = client
        .get(format!("{base}/sandbox/ppp/active"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);

    // A disabled secret cannot dial in.
    router.set_secret_disabled("egisetiawansempu", true);
    let gone = client
        .delete(format!("{base}/sandbox/ppp/active/egisetiawansempu"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    let refused = client
        .post(format!("{base}/sandbox/ppp/active"))
        .json(&json!({"name": "egisetiawansempu"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let not_online = client
        .delete(format!("{base}/sandbox/ppp/active/EgiSetiawanSempu"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_online.status(), 404);

    let secrets: Vec<Value> = client
        .get(format!("{base}/sandbox/ppp/secret"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(secrets[0]["disabled"], true);

    let mut api = Api::logged_in(&router).await;
    api.talk(&["/ppp/secret/set", "=.id=*1", "=disabled=no"])
        .await;
    let calls: Vec<Value> = client
        .get(format!("{base}/sandbox/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        calls,
        [json!({
            "command": "/ppp/secret/set",
            "attributes": [[".id", "*1"], ["disabled", "no"]],
            "user": "juragan"
        })]
    );

    let disabled = client
        .put(format!("{base}/sandbox/api-service"))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 204);
    assert!(api.is_closed().await);
}

#[tokio::test]
async fn the_sandbox_starts_the_router_with_no_subscribers() {
    let sandbox = spawn_sandbox().await;
    let router = sandbox.routeros();
    assert!(router.sessions().is_empty());
    assert!(router.secrets().is_empty());
    let mut api = Api::logged_in(router).await;
    assert_eq!(rows(&api.talk(&["/system/identity/print"]).await).len(), 1);
}

#[test]
fn the_demo_router_has_subscribers_two_of_them_online() {
    let demo = RouterOsFakeConfig::demo();
    let names: Vec<&str> = demo
        .secrets
        .iter()
        .map(|secret| secret.name.as_str())
        .collect();
    assert!(names.contains(&"egisetiawansempu"));
    let online: Vec<&str> = demo
        .online
        .iter()
        .map(|session| session.name.as_str())
        .collect();
    assert_eq!(online, ["budi.santoso", "warungkopi"]);
    let _ = RouterOsSecret::new("x", "y", "default");
}

// ---- a third-party client ----

/// librouteros, a widely used Python client, drives the fake unchanged:
/// both logins, prints, a query, an update, traps. Skipped, saying why,
/// only when python3 or librouteros is missing.
#[tokio::test]
async fn librouteros_works_unchanged() {
    let probe = tokio::process::Command::new("python3")
        .args(["-c", "import librouteros"])
        .output()
        .await;
    match probe {
        Ok(output) if output.status.success() => {}
        _ => {
            eprintln!(
                "SKIPPED: python3 with librouteros is not available (pip install librouteros)"
            );
            return;
        }
    }
    let modern = router().await;
    modern.add_secret("egisetiawansempu", "10mbps").unwrap();
    modern.add_secret("budi.santoso", "10mbps").unwrap();
    modern.log_in("egisetiawansempu", None, None).unwrap();
    modern.log_in("budi.santoso", None, None).unwrap();
    let legacy = start(RouterOsFakeConfig {
        login_style: LoginStyle::Legacy,
        ..RouterOsFakeConfig::default()
    })
    .await;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/routeros_compat.py");
    let output = tokio::time::timeout(
        WAIT * 3,
        tokio::process::Command::new("python3")
            .arg(script)
            .env("ROS_MODERN", modern.api_addr().to_string())
            .env("ROS_LEGACY", legacy.api_addr().to_string())
            .env("ROS_USER", modern.username())
            .env("ROS_PASSWORD", modern.password())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        output.status.success(),
        "librouteros script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // What the script did is what the router saw.
    assert!(modern.secret("egisetiawansempu").unwrap().disabled);
    assert_eq!(modern.sessions().len(), 1);
    assert_eq!(modern.calls_named("/ppp/secret/set"), 1);
    assert_eq!(modern.calls_named("/ppp/active/remove"), 2);
}
