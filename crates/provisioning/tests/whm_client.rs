//! The WHM client against the sandbox's WHM fake on a loopback port: every
//! function, refusals, auth failures, the legacy-shape guard, a createacct
//! whose answer comes after the client's timeout, and the username rules.

#![allow(clippy::unwrap_used)]

use std::{collections::HashSet, time::Duration};

use provisioning::whm::{
    NewWhmAccount, WhmClient, WhmConfig, WhmError, is_valid_username, pick_username, unique_prefix,
    username_candidates,
};
use sandbox::whm::{WhmFailure, WhmFake, WhmFakeConfig, WhmFakeHandle, WhmFunction};

async fn fake() -> WhmFakeHandle {
    WhmFake::start("127.0.0.1:0".parse().unwrap(), WhmFakeConfig::default())
        .await
        .unwrap()
}

fn client_with(fake: &WhmFakeHandle, token: &str, timeout: Duration) -> WhmClient {
    let _ = rustls::crypto::ring::default_provider().install_default();
    WhmClient::new(WhmConfig {
        base_url: fake.base_url(),
        username: fake.user().to_owned(),
        api_token: token.to_owned(),
        timeout,
    })
    .unwrap()
}

fn client(fake: &WhmFakeHandle) -> WhmClient {
    client_with(fake, fake.api_token(), Duration::from_secs(10))
}

fn new_account(username: &str, domain: &str, plan: &str) -> NewWhmAccount {
    NewWhmAccount {
        username: username.to_owned(),
        domain: domain.to_owned(),
        plan: plan.to_owned(),
        contact_email: "budi@example.test".to_owned(),
        password: "S3cure-Pass!word".to_owned(),
    }
}

#[tokio::test]
async fn version_and_packages() {
    let fake = fake().await;
    let whm = client(&fake);
    assert_eq!(whm.version().await.unwrap(), sandbox::whm::WHM_VERSION);
    let packages = whm.list_packages().await.unwrap();
    let starter = packages
        .iter()
        .find(|p| p.name == "juragan_starter")
        .unwrap();
    assert_eq!(starter.quota_mb, Some(1024));
    assert_eq!(starter.bandwidth_mb, Some(10_240));
    let business = packages
        .iter()
        .find(|p| p.name == "juragan_business")
        .unwrap();
    assert_eq!(
        (business.quota_mb, business.bandwidth_mb),
        (Some(5120), Some(51_200))
    );
    let pro = packages.iter().find(|p| p.name == "juragan_pro").unwrap();
    assert_eq!((pro.quota_mb, pro.bandwidth_mb), (None, None));
    // Every call asked for API 1 and never put the password in the URL.
    assert!(fake.all_calls().iter().all(|call| call.api_version_1));
}

#[tokio::test]
async fn account_lifecycle() {
    let fake = fake().await;
    let whm = client(&fake);
    assert_eq!(whm.find_account("tokobudi").await.unwrap(), None);

    let created = whm
        .create_account(&new_account(
            "tokobudi",
            "tokobudi.co.id",
            "juragan_starter",
        ))
        .await
        .unwrap();
    assert_eq!(created.ip, "203.0.113.10");
    assert_eq!(
        created.nameservers,
        ["ns1.sandbox.test", "ns2.sandbox.test"]
    );
    assert_eq!(created.package, "juragan_starter");
    let stored = fake.account("tokobudi").unwrap();
    assert_eq!(stored.email, "budi@example.test");
    let call = &fake.calls(WhmFunction::CreateAcct)[0];
    assert!(
        call.params
            .iter()
            .any(|(k, v)| k == "password" && v == "***")
    );

    let account = whm.find_account("tokobudi").await.unwrap().unwrap();
    assert_eq!(account.domain, "tokobudi.co.id");
    assert_eq!(account.plan, "juragan_starter");
    assert!(!account.suspended);
    assert_eq!(account.suspend_reason, None);
    assert_eq!(account.ip.as_deref(), Some("203.0.113.10"));
    let by_domain = whm.find_account_by_domain("TokoBudi.co.id").await.unwrap();
    assert_eq!(by_domain.unwrap().user, "tokobudi");
    // Exact search: a prefix finds nothing.
    assert_eq!(whm.find_account("tokobud").await.unwrap(), None);

    whm.suspend("tokobudi", "Invoice INV-7 unpaid")
        .await
        .unwrap();
    let account = whm.find_account("tokobudi").await.unwrap().unwrap();
    assert!(account.suspended);
    assert_eq!(
        account.suspend_reason.as_deref(),
        Some("Invoice INV-7 unpaid")
    );
    // Suspending twice is harmless.
    whm.suspend("tokobudi", "again").await.unwrap();

    whm.unsuspend("tokobudi").await.unwrap();
    assert!(
        !whm.find_account("tokobudi")
            .await
            .unwrap()
            .unwrap()
            .suspended
    );

    whm.change_package("tokobudi", "juragan_business")
        .await
        .unwrap();
    assert_eq!(
        whm.find_account("tokobudi").await.unwrap().unwrap().plan,
        "juragan_business"
    );

    whm.create_account(&new_account("anisalon", "anisalon.id", "juragan_pro"))
        .await
        .unwrap();
    let all = whm.list_accounts().await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.user.as_str()).collect::<Vec<_>>(),
        ["tokobudi", "anisalon"]
    );

    whm.remove("tokobudi").await.unwrap();
    assert_eq!(whm.find_account("tokobudi").await.unwrap(), None);
    let again = whm.remove("tokobudi").await.unwrap_err();
    assert!(again.is_no_such_account(), "{again:?}");
}

#[tokio::test]
async fn refusals_map_to_rejected() {
    let fake = fake().await;
    let whm = client(&fake);
    whm.create_account(&new_account("tokobudi", "tokobudi.id", "juragan_starter"))
        .await
        .unwrap();

    let same_user = whm
        .create_account(&new_account("tokobudi", "other.id", "juragan_starter"))
        .await
        .unwrap_err();
    assert!(same_user.is_already_exists(), "{same_user:?}");
    assert!(!same_user.is_transient());
    assert_eq!(same_user.kind(), "rejected");
    let WhmError::Rejected { command, reason } = &same_user else {
        panic!("{same_user:?}")
    };
    assert_eq!(command, "createacct");
    assert!(reason.contains("already exists"));

    let same_prefix = whm
        .create_account(&new_account("tokobudionline", "x.id", "juragan_starter"))
        .await
        .unwrap_err();
    assert!(same_prefix.is_already_exists(), "{same_prefix:?}");

    let same_domain = whm
        .create_account(&new_account("anisalon", "tokobudi.id", "juragan_starter"))
        .await
        .unwrap_err();
    assert!(same_domain.is_already_exists(), "{same_domain:?}");

    let no_plan = whm
        .create_account(&new_account("anisalon", "anisalon.id", "gold"))
        .await
        .unwrap_err();
    assert!(matches!(&no_plan, WhmError::Rejected { reason, .. } if reason.contains("gold")));
    assert!(!no_plan.is_already_exists() && !no_plan.is_no_such_account());

    for bad in [
        "1shop",
        "testshop",
        "root",
        "Shop",
        "a_b",
        "abcdefghijklmnopq",
    ] {
        let error = whm
            .create_account(&new_account(
                bad,
                &format!("{}.id", bad.len()),
                "juragan_starter",
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(error, WhmError::Rejected { .. }),
            "{bad}: {error:?}"
        );
    }

    for missing in [
        whm.suspend("ghost", "x").await.unwrap_err(),
        whm.unsuspend("ghost").await.unwrap_err(),
        whm.change_package("ghost", "juragan_pro")
            .await
            .unwrap_err(),
    ] {
        assert!(missing.is_no_such_account(), "{missing:?}");
    }
    let no_package = whm.change_package("tokobudi", "gold").await.unwrap_err();
    assert!(!no_package.is_no_such_account(), "{no_package:?}");

    fake.fail_next(
        WhmFunction::SuspendAcct,
        WhmFailure::Rejected("Suspension is locked by the administrator".into()),
    );
    let injected = whm.suspend("tokobudi", "x").await.unwrap_err();
    assert_eq!(
        injected,
        WhmError::Rejected {
            command: "suspendacct".into(),
            reason: "Suspension is locked by the administrator".into()
        }
    );
    assert!(!fake.account("tokobudi").unwrap().suspended);
}

#[tokio::test]
async fn wrong_or_missing_token_is_unauthorized_and_never_echoed() {
    let fake = fake().await;
    let secret = "WRONGTOKEN0123456789ABCDEFGHIJKL";
    let whm = client_with(&fake, secret, Duration::from_secs(5));
    let error = whm.version().await.unwrap_err();
    assert_eq!(error, WhmError::Unauthorized);
    assert!(!error.is_transient());
    assert!(!format!("{error} {error:?} {whm:?}").contains(secret));
    assert!(!format!("{:?}", client(&fake)).contains(fake.api_token()));

    // A raw call without the header gets cPanel's HTML, not JSON.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .get(format!(
            "{}/json-api/version?api.version=1",
            fake.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("<html>"));
}

#[tokio::test]
async fn http_failures_and_non_json_are_typed() {
    let fake = fake().await;
    let whm = client(&fake);
    fake.fail_next(WhmFunction::ListAccts, WhmFailure::Http(503));
    let error = whm.list_accounts().await.unwrap_err();
    assert!(matches!(error, WhmError::Unavailable(_)), "{error:?}");
    assert!(error.is_transient());

    fake.fail_next(WhmFunction::Version, WhmFailure::Http(404));
    assert!(matches!(
        whm.version().await.unwrap_err(),
        WhmError::Protocol(_)
    ));

    let nowhere = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let closed = WhmClient::new(WhmConfig {
        base_url: format!("http://{nowhere}"),
        username: "root".into(),
        api_token: "T".into(),
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    let error = closed.version().await.unwrap_err();
    assert!(matches!(error, WhmError::Refused(_)), "{error:?}");
    assert!(error.is_transient());
    assert!(!error.to_string().contains(&nowhere.port().to_string()));
}

#[tokio::test]
async fn the_legacy_shape_is_refused_not_misread() {
    let fake = fake().await;
    // What a client that forgot api.version=1 gets: no `metadata`.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/json-api/createacct", fake.base_url()))
        .header("Authorization", format!("whm root:{}", fake.api_token()))
        .form(&[
            ("username", "legacy"),
            ("domain", "legacy.id"),
            ("plan", "juragan_starter"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("metadata").is_none());
    assert_eq!(body["result"][0]["status"], 1);
    assert!(!fake.calls(WhmFunction::CreateAcct)[0].api_version_1);

    // The client's own guard: a server answering in the legacy shape (as
    // WHM does when the parameter is lost, e.g. by a rewriting proxy) is a
    // protocol error, never a success.
    let legacy = serve_once(r#"{"result":[{"status":1,"statusmsg":"Account Creation Ok"}]}"#).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let whm = WhmClient::new(WhmConfig {
        base_url: legacy,
        username: "root".into(),
        api_token: "T".into(),
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    let error = whm
        .create_account(&new_account("legacy2", "legacy2.id", "juragan_starter"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, WhmError::Protocol(text) if text.contains("metadata")),
        "{error:?}"
    );
}

/// A loopback server that answers one request with `body` (HTTP 200 JSON).
async fn serve_once(body: &'static str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        // Headers and the small form body arrive together or soon after.
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.unwrap();
            if read == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..read]);
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(response.as_bytes()).await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_late_createacct_times_out_and_reconciles_with_listaccts() {
    let fake = fake().await;
    let whm = client_with(&fake, fake.api_token(), Duration::from_millis(500));
    fake.fail_next(
        WhmFunction::CreateAcct,
        WhmFailure::AnswerAfter(Duration::from_secs(3)),
    );
    let error = whm
        .create_account(&new_account("tokobudi", "tokobudi.id", "juragan_starter"))
        .await
        .unwrap_err();
    assert_eq!(error, WhmError::Timeout);
    assert!(error.is_transient());
    assert_eq!(error.kind(), "timeout");
    // The account exists although the answer was lost: adopt it.
    let found = whm.find_account("tokobudi").await.unwrap().unwrap();
    assert_eq!(found.domain, "tokobudi.id");
    // A blind retry would be refused as a duplicate.
    let retry = whm
        .create_account(&new_account("tokobudi", "tokobudi.id", "juragan_starter"))
        .await
        .unwrap_err();
    assert!(retry.is_already_exists());
}

#[tokio::test]
async fn a_slow_createacct_within_the_timeout_succeeds() {
    let fake = fake().await;
    fake.set_createacct_delay(Duration::from_millis(300));
    let whm = client_with(&fake, fake.api_token(), Duration::from_secs(5));
    whm.create_account(&new_account("slowshop", "slowshop.id", "juragan_starter"))
        .await
        .unwrap();
}

#[tokio::test]
async fn picked_usernames_are_accepted_by_the_fake() {
    let fake = fake().await;
    let whm = client(&fake);
    // Several customers whose domains share a first label.
    for (index, domain) in [
        "tokobudi.id",
        "tokobudi.com",
        "tokobudi.co.id",
        "www.tokobudi.net",
        "tokobudionline.id",
    ]
    .iter()
    .enumerate()
    {
        let users: Vec<String> = fake.accounts().into_iter().map(|a| a.user).collect();
        let taken = |prefix: &str| users.iter().any(|user| unique_prefix(user) == prefix);
        let user = pick_username(domain, &taken).unwrap();
        whm.create_account(&new_account(&user, domain, "juragan_starter"))
            .await
            .unwrap_or_else(|error| panic!("{index} {domain} as {user}: {error}"));
    }
    assert_eq!(fake.accounts().len(), 5);
}

const DOMAINS: &[&str] = &[
    "tokobudi.co.id",
    "www.example.com",
    "123shop.id",
    "99.id",
    "testing.com",
    "test.id",
    "root.id",
    "mysql.com",
    "bücher.de",
    "xn--bcher-kva.de",
    "日本.jp",
    "xn--wgv71a.jp",
    "пример.рф",
    "toko-budi-jaya-abadi-sentosa-makmur.com",
    "a.id",
    "--.id",
    "Ünïcödé-Shop.ID",
    "café.fr",
    "x.y.z.example.org",
    "0-0.id",
    "",
];

#[test]
fn every_candidate_follows_the_rules() {
    for domain in DOMAINS {
        let candidates: Vec<String> = username_candidates(domain).collect();
        assert!(candidates.len() > 100, "{domain}: {}", candidates.len());
        let mut prefixes = HashSet::new();
        for candidate in &candidates {
            assert!(is_valid_username(candidate), "{domain}: {candidate}");
            assert!(candidate.len() <= 16);
            assert!(!candidate.starts_with("test"));
            assert!(!candidate.starts_with(|c: char| c.is_ascii_digit()));
            assert!(
                prefixes.insert(unique_prefix(candidate).to_owned()),
                "{domain}: {candidate} repeats a prefix"
            );
        }
    }
}

#[test]
fn usernames_come_from_the_first_label() {
    let first = |domain: &str| username_candidates(domain).next().unwrap();
    assert_eq!(first("tokobudi.co.id"), "tokobudi");
    assert_eq!(first("bücher.de"), first("xn--bcher-kva.de"));
    assert_eq!(first("123shop.id"), "w123shop");
    assert_eq!(first("test.id"), "wtest");
    assert_eq!(first("日本.jp"), "wgv71a");
}

#[test]
fn pick_walks_past_taken_prefixes() {
    let taken_all_but_last = |prefix: &str| prefix != "tokobu42";
    assert_eq!(
        pick_username("tokobudi.id", &taken_all_but_last).as_deref(),
        Some("tokobu42")
    );
    assert_eq!(pick_username("tokobudi.id", &|_| true), None);
}

#[test]
fn validity() {
    for good in ["a", "tokobudi", "abcdefghijklmnop", "w123"] {
        assert!(is_valid_username(good), "{good}");
    }
    for bad in [
        "",
        "1abc",
        "testx",
        "root",
        "Abc",
        "a-b",
        "abcdefghijklmnopq",
        "tést",
    ] {
        assert!(!is_valid_username(bad), "{bad}");
    }
}
