//! Domain availability end to end: the real RDAP client over HTTP against
//! the sandbox's RDAP fake (bootstrap file and registries) on loopback, and
//! the answer cache against a real Redis (`REDIS_URL`, default
//! `redis://127.0.0.1:6379`) under a fresh key prefix per test. Every wait
//! is bounded.

#![allow(clippy::unwrap_used)]

use std::{net::SocketAddr, time::Duration};

use billing::domain_check::{Availability, DomainCheckConfig, DomainChecker, UnknownReason};
use chrono::Utc;
use domain::DomainName;
use sandbox::rdap::{RdapFake, RdapFakeConfig, RdapFakeHandle};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpListener,
    time::Instant,
};

/// Upper bound of every wait in these tests.
const WAIT: Duration = Duration::from_secs(10);
/// What a check may overrun its deadline by: scheduling, not work.
const MARGIN: Duration = Duration::from_millis(400);

async fn spawn_fake() -> RdapFakeHandle {
    RdapFake::start("127.0.0.1:0".parse().unwrap(), RdapFakeConfig::default())
        .await
        .expect("the RDAP fake starts on a free loopback port")
}

async fn redis() -> redis::aio::ConnectionManager {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = redis::Client::open(url).unwrap();
    tokio::time::timeout(WAIT, redis::aio::ConnectionManager::new(client))
        .await
        .expect("Redis answers in time")
        .expect("Redis is reachable at REDIS_URL")
}

/// Settings for a checker on the fake, with a key prefix no other test (or
/// earlier run) uses and no fallback that could leave this machine.
fn config_for(fake: &RdapFakeHandle) -> DomainCheckConfig {
    DomainCheckConfig {
        bootstrap_url: fake.bootstrap_url(),
        deadline: Duration::from_secs(3),
        key_prefix: format!("test:domain-check:{}:", uuid::Uuid::new_v4().simple()),
        fallback_servers: Vec::new(),
        ..DomainCheckConfig::default()
    }
}

async fn checker(config: DomainCheckConfig) -> DomainChecker {
    // reqwest is built without a TLS provider of its own and wants one
    // installed even for plain HTTP. Already-installed is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    DomainChecker::new(config, redis().await).unwrap()
}

fn name(input: &str) -> DomainName {
    DomainName::parse(input).unwrap()
}

fn unknown(reason: UnknownReason) -> Availability {
    Availability::unknown(reason)
}

/// A loopback port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A server that accepts connections and never answers.
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// A server that answers every request with `response` (a whole HTTP/1.1
/// response; `{addr}` is replaced by its own address) and closes.
async fn fixed_server(response: &str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let response = response.replace("{addr}", &addr.to_string());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0_u8; 1024];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

fn http_response(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_free_name_is_available() {
    let fake = spawn_fake().await;
    let checker = checker(config_for(&fake)).await;

    let answer = checker.check(&name("tokobudi.com")).await;

    assert_eq!(answer, Availability::Available);
    assert_eq!(fake.queries_for("tokobudi.com"), 1);
    assert_eq!(fake.queries()[0].registry, "verisign");
}

#[tokio::test]
async fn a_registered_name_is_taken_with_its_dates() {
    let fake = spawn_fake().await;
    let checker = checker(config_for(&fake)).await;
    let now = Utc::now();

    let answer = checker.check(&name("Google.COM")).await;

    let Availability::Taken {
        registered_at: Some(registered_at),
        expires_at: Some(expires_at),
    } = answer
    else {
        panic!("google.com should be taken with both dates, got {answer:?}");
    };
    assert!(registered_at < now, "{registered_at}");
    assert!(expires_at > now, "{expires_at}");
}

#[tokio::test]
async fn second_level_id_names_are_asked_of_the_id_registry() {
    let fake = spawn_fake().await;
    let checker = checker(config_for(&fake)).await;
    fake.register("tokobudi.my.id").unwrap();

    let taken = checker.check(&name("budi.co.id")).await;
    let registered_now = checker.check(&name("tokobudi.my.id")).await;
    let free = checker.check(&name("tokobudi.co.id")).await;

    assert!(matches!(taken, Availability::Taken { .. }), "{taken:?}");
    assert!(
        matches!(registered_now, Availability::Taken { registered_at: Some(at), .. } if Utc::now() - at < chrono::Duration::minutes(1)),
        "{registered_now:?}"
    );
    assert_eq!(free, Availability::Available);
    let registries: Vec<String> = fake.queries().into_iter().map(|q| q.registry).collect();
    assert_eq!(registries, ["pandi", "pandi", "pandi"]);
}

#[tokio::test]
async fn an_idn_name_is_asked_in_punycode() {
    let fake = spawn_fake().await;
    let checker = checker(config_for(&fake)).await;

    let free = checker.check(&name("Bücher.id")).await;
    fake.register("bücher.com").unwrap();
    let taken = checker.check(&name("bücher.com")).await;

    assert_eq!(free, Availability::Available);
    assert!(matches!(taken, Availability::Taken { .. }), "{taken:?}");
    let asked: Vec<String> = fake.queries().into_iter().map(|q| q.name).collect();
    assert_eq!(asked, ["xn--bcher-kva.id", "xn--bcher-kva.com"]);
}

#[tokio::test]
async fn a_tld_without_rdap_is_unknown_without_asking_anyone() {
    let fake = spawn_fake().await;
    let checker = checker(config_for(&fake)).await;

    let answer = checker.check(&name("budi.de")).await;

    assert_eq!(answer, unknown(UnknownReason::NoRdap));
    assert_eq!(fake.query_count(), 0);
    assert_eq!(fake.bootstrap_fetches(), 1);
}

#[tokio::test]
async fn a_tld_missing_from_the_bootstrap_falls_back_to_the_configured_server() {
    let fake = spawn_fake().await;
    fake.hide_from_bootstrap("id");
    let without_fallback = checker(config_for(&fake)).await;
    let with_fallback = checker(DomainCheckConfig {
        fallback_servers: vec![("id".to_owned(), fake.registry_url("pandi").unwrap())],
        ..config_for(&fake)
    })
    .await;

    let no_rdap = without_fallback.check(&name("budi.co.id")).await;
    let answered = with_fallback.check(&name("budi.co.id")).await;

    assert_eq!(no_rdap, unknown(UnknownReason::NoRdap));
    assert!(
        matches!(answered, Availability::Taken { .. }),
        "{answered:?}"
    );
    assert_eq!(fake.queries_for("budi.co.id"), 1);
}

#[tokio::test]
async fn a_fallback_never_overrides_the_bootstrap() {
    let fake = spawn_fake().await;
    let nowhere = closed_port().await;
    let checker = checker(DomainCheckConfig {
        fallback_servers: vec![("id".to_owned(), format!("http://{nowhere}/rdap/"))],
        ..config_for(&fake)
    })
    .await;

    let answer = checker.check(&name("budi.co.id")).await;

    assert!(matches!(answer, Availability::Taken { .. }), "{answer:?}");
}

#[tokio::test]
async fn a_rate_limited_registry_is_not_asked_again_before_retry_after() {
    let fake = spawn_fake().await;
    let checker = checker(config_for(&fake)).await;
    fake.rate_limit("com", Duration::from_secs(2)).unwrap();
    let limited_at = Instant::now();

    let first = checker.check(&name("tokobudi.com")).await;
    let again = checker.check(&name("tokobudi.com")).await;
    let other_name = checker.check(&name("google.com")).await;

    assert_eq!(first, unknown(UnknownReason::RateLimited));
    assert_eq!(again, unknown(UnknownReason::RateLimited));
    assert_eq!(other_name, unknown(UnknownReason::RateLimited));
    assert_eq!(
        fake.query_count(),
        1,
        "only the first query reached the server"
    );

    tokio::time::sleep_until(limited_at + Duration::from_millis(2100)).await;
    let after = checker.check(&name("tokobudi.com")).await;

    assert_eq!(after, Availability::Available);
    assert_eq!(fake.query_count(), 2);
}

#[tokio::test]
async fn registry_failures_are_unknown_and_not_cached() {
    let fake = spawn_fake().await;
    let checker = checker(config_for(&fake)).await;

    for (status, reason) in [
        (503, UnknownReason::ServerError),
        (500, UnknownReason::ServerError),
        (502, UnknownReason::ServerError),
        (400, UnknownReason::Rejected),
        (403, UnknownReason::Rejected),
    ] {
        fake.fail("verisign", status).unwrap();
        let answer = checker.check(&name("tokobudi.com")).await;
        assert_eq!(answer, unknown(reason), "HTTP {status}");
    }
    fake.clear_faults();
    let recovered = checker.check(&name("tokobudi.com")).await;

    assert_eq!(recovered, Availability::Available);
    assert_eq!(
        fake.queries_for("tokobudi.com"),
        6,
        "an unknown answer is not cached: every check asked"
    );
}

#[tokio::test]
async fn a_slow_registry_is_unknown_within_the_deadline() {
    let fake = spawn_fake().await;
    let deadline = Duration::from_secs(1);
    let checker = checker(DomainCheckConfig {
        deadline,
        ..config_for(&fake)
    })
    .await;
    fake.set_delay("com", Duration::from_secs(10)).unwrap();

    let started = Instant::now();
    let answer = checker.check(&name("tokobudi.com")).await;
    let elapsed = started.elapsed();

    assert_eq!(answer, unknown(UnknownReason::Timeout));
    assert!(
        elapsed >= deadline - Duration::from_millis(50),
        "{elapsed:?}"
    );
    assert!(elapsed < deadline + MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn a_hanging_bootstrap_does_not_stretch_the_deadline() {
    let deadline = Duration::from_secs(1);
    let hanging = silent_server().await;
    let fake = spawn_fake().await;
    let checker = checker(DomainCheckConfig {
        bootstrap_url: format!("http://{hanging}/rdap/dns.json"),
        deadline,
        ..config_for(&fake)
    })
    .await;

    let started = Instant::now();
    let answers = checker
        .check_many(&[name("tokobudi.com"), name("toko-budi.id")])
        .await;
    let elapsed = started.elapsed();

    for (name, answer) in &answers {
        assert_eq!(*answer, unknown(UnknownReason::Timeout), "{name}");
    }
    assert!(elapsed < deadline + MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn an_unreachable_bootstrap_makes_answers_unknown() {
    let fake = spawn_fake().await;
    let nowhere = closed_port().await;
    let checker = checker(DomainCheckConfig {
        bootstrap_url: format!("http://{nowhere}/rdap/dns.json"),
        ..config_for(&fake)
    })
    .await;

    let started = Instant::now();
    let answer = checker.check(&name("google.com")).await;

    assert_eq!(answer, unknown(UnknownReason::BootstrapUnavailable));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(fake.query_count(), 0);
}

#[tokio::test]
async fn a_failed_bootstrap_is_tried_again_only_after_a_pause() {
    let fake = spawn_fake().await;
    let checker = checker(DomainCheckConfig {
        bootstrap_retry_after: Duration::from_millis(300),
        ..config_for(&fake)
    })
    .await;
    fake.fail_bootstrap(Some(503));
    let failed_at = Instant::now();

    let first = checker.check(&name("tokobudi.com")).await;
    let during_pause = checker.check(&name("tokobudi.com")).await;
    assert_eq!(first, unknown(UnknownReason::BootstrapUnavailable));
    assert_eq!(during_pause, unknown(UnknownReason::BootstrapUnavailable));
    assert_eq!(fake.bootstrap_fetches(), 1, "no fetch during the pause");

    fake.fail_bootstrap(None);
    tokio::time::sleep_until(failed_at + Duration::from_millis(400)).await;
    let after_pause = checker.check(&name("tokobudi.com")).await;

    assert_eq!(after_pause, Availability::Available);
    assert_eq!(fake.bootstrap_fetches(), 2);
}

#[tokio::test]
async fn the_bootstrap_is_fetched_once_and_a_stale_copy_outlives_a_failed_refresh() {
    let fake = spawn_fake().await;
    let checker = checker(DomainCheckConfig {
        bootstrap_refresh: Duration::from_millis(300),
        ..config_for(&fake)
    })
    .await;

    let names = [name("a-budi.com"), name("b-budi.id"), name("c-budi.org")];
    for answer in checker.check_many(&names).await {
        assert_eq!(answer.1, Availability::Available, "{}", answer.0);
    }
    assert_eq!(
        fake.bootstrap_fetches(),
        1,
        "concurrent first checks share one fetch"
    );

    fake.fail_bootstrap(Some(500));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let while_refreshing = checker.check(&name("d-budi.com")).await;
    assert_eq!(
        while_refreshing,
        Availability::Available,
        "the stale copy answers"
    );
    let refreshed_by = Instant::now() + WAIT;
    while fake.bootstrap_fetches() < 2 {
        assert!(Instant::now() < refreshed_by, "the refresh was never tried");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after_failed_refresh = checker.check(&name("e-budi.id")).await;

    assert_eq!(after_failed_refresh, Availability::Available);
}

#[tokio::test]
async fn answers_are_shared_through_redis_between_replicas() {
    let fake = spawn_fake().await;
    let config = config_for(&fake);
    let first_replica = checker(config.clone()).await;
    let second_replica = checker(config).await;

    let first = first_replica.check(&name("google.com")).await;
    let second = second_replica.check(&name("google.com")).await;
    let free = first_replica.check(&name("tokobudi.com")).await;
    let free_again = second_replica.check(&name("tokobudi.com")).await;

    assert!(matches!(first, Availability::Taken { .. }), "{first:?}");
    assert_eq!(second, first, "the cached answer, dates included");
    assert_eq!(free, Availability::Available);
    assert_eq!(free_again, Availability::Available);
    assert_eq!(
        fake.queries_for("google.com"),
        1,
        "the second check was a cache hit"
    );
    assert_eq!(fake.queries_for("tokobudi.com"), 1);
}

#[tokio::test]
async fn cached_answers_expire_after_their_ttl() {
    let fake = spawn_fake().await;
    let checker = checker(DomainCheckConfig {
        cache_ttl: Duration::from_millis(300),
        ..config_for(&fake)
    })
    .await;

    assert_eq!(
        checker.check(&name("tokobudi.com")).await,
        Availability::Available
    );
    fake.register("tokobudi.com").unwrap();
    let cached = checker.check(&name("tokobudi.com")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let fresh = checker.check(&name("tokobudi.com")).await;

    assert_eq!(cached, Availability::Available, "still the cached answer");
    assert!(matches!(fresh, Availability::Taken { .. }), "{fresh:?}");
    assert_eq!(fake.queries_for("tokobudi.com"), 2);
}

#[tokio::test]
async fn a_redis_failure_does_not_fail_the_check() {
    let fake = spawn_fake().await;
    let config = config_for(&fake);
    let key = format!("{}domain-check:google.com", config.key_prefix);
    let garbage_key = format!("{}domain-check:tokobudi.com", config.key_prefix);
    let mut redis = redis().await;
    // GET on a list fails with WRONGTYPE: a Redis error on every read.
    redis::cmd("RPUSH")
        .arg(&key)
        .arg("not a string")
        .query_async::<()>(&mut redis)
        .await
        .unwrap();
    redis::cmd("SET")
        .arg(&garbage_key)
        .arg("{not json")
        .arg("EX")
        .arg(60)
        .query_async::<()>(&mut redis)
        .await
        .unwrap();
    let checker = checker(config).await;

    let taken = checker.check(&name("google.com")).await;
    let available = checker.check(&name("tokobudi.com")).await;

    assert!(matches!(taken, Availability::Taken { .. }), "{taken:?}");
    assert_eq!(available, Availability::Available);
    assert_eq!(fake.queries_for("google.com"), 1);
    assert_eq!(fake.queries_for("tokobudi.com"), 1);
    redis::cmd("DEL")
        .arg(&key)
        .arg(&garbage_key)
        .query_async::<()>(&mut redis)
        .await
        .unwrap();
}

#[tokio::test]
async fn check_many_asks_concurrently_under_one_deadline() {
    let fake = spawn_fake().await;
    let deadline = Duration::from_secs(1);
    let checker = checker(DomainCheckConfig {
        deadline,
        ..config_for(&fake)
    })
    .await;
    // Warm the bootstrap so the timing below is the lookups' alone.
    assert_eq!(
        checker.check(&name("warm-up.org")).await,
        Availability::Available
    );
    fake.set_delay("verisign", Duration::from_millis(600))
        .unwrap();
    fake.set_delay("pandi", Duration::from_millis(600)).unwrap();
    let names = [
        name("tokobudi.com"),
        name("google.com"),
        name("toko-budi.id"),
    ];

    let started = Instant::now();
    let answers = checker.check_many(&names).await;
    let elapsed = started.elapsed();

    let codes: Vec<(&str, &str)> = answers
        .iter()
        .map(|(name, answer)| (name.ascii(), answer.code()))
        .collect();
    assert_eq!(
        codes,
        [
            ("tokobudi.com", "available"),
            ("google.com", "taken"),
            ("toko-budi.id", "available")
        ],
        "three lookups of 600 ms each fit in 1 s only side by side"
    );
    assert!(elapsed < deadline, "{elapsed:?}");
}

#[tokio::test]
async fn check_many_answers_what_it_can_when_some_registries_are_slow() {
    let fake = spawn_fake().await;
    let deadline = Duration::from_secs(1);
    let checker = checker(DomainCheckConfig {
        deadline,
        ..config_for(&fake)
    })
    .await;
    fake.set_delay("verisign", Duration::from_secs(10)).unwrap();
    let names = [
        name("tokobudi.com"),
        name("tokobudi.net"),
        name("toko-budi.id"),
        name("tokobudi.de"),
    ];

    let started = Instant::now();
    let answers = checker.check_many(&names).await;
    let elapsed = started.elapsed();

    let answers: Vec<Availability> = answers.into_iter().map(|(_, answer)| answer).collect();
    assert_eq!(
        answers,
        [
            unknown(UnknownReason::Timeout),
            unknown(UnknownReason::Timeout),
            Availability::Available,
            unknown(UnknownReason::NoRdap),
        ]
    );
    assert!(elapsed < deadline + MARGIN, "{elapsed:?}");
}

/// Answers the fake cannot give: a server of the checker's choosing, through
/// the fallback list, for the `test` suffix the fake's bootstrap lacks.
async fn checker_with_server_for_test_tld(
    fake: &RdapFakeHandle,
    server: SocketAddr,
) -> DomainChecker {
    checker(DomainCheckConfig {
        fallback_servers: vec![("test".to_owned(), format!("http://{server}/rdap"))],
        ..config_for(fake)
    })
    .await
}

#[tokio::test]
async fn answers_that_are_not_rdap_are_unknown_bad_response() {
    let fake = spawn_fake().await;
    for (status, headers, body) in [
        (
            "200 OK",
            "content-type: text/html\r\n",
            "<html>Welcome</html>",
        ),
        (
            "200 OK",
            "content-type: application/rdap+json\r\n",
            r#"{"objectClassName":"entity","handle":"X"}"#,
        ),
        (
            "200 OK",
            "content-type: application/rdap+json\r\n",
            "{\"objectClassName\":",
        ),
        ("204 No Content", "", ""),
    ] {
        let server = fixed_server(&http_response(status, headers, body)).await;
        let checker = checker_with_server_for_test_tld(&fake, server).await;

        let answer = checker.check(&name("budi.test")).await;

        assert_eq!(
            answer,
            unknown(UnknownReason::BadResponse),
            "{status} {body}"
        );
    }
}

#[tokio::test]
async fn redirects_to_the_authoritative_server_are_followed() {
    let fake = spawn_fake().await;
    let pandi = fake.registry_url("pandi").unwrap();
    let redirecting = fixed_server(&http_response(
        "301 Moved Permanently",
        &format!("location: {pandi}domain/budi.co.id\r\n"),
        "",
    ))
    .await;
    let looping = fixed_server(&http_response(
        "302 Found",
        "location: http://{addr}/rdap/domain/budi.test\r\n",
        "",
    ))
    .await;
    let via_redirect = checker_with_server_for_test_tld(&fake, redirecting).await;
    let via_loop = checker_with_server_for_test_tld(&fake, looping).await;

    let followed = via_redirect.check(&name("budi.test")).await;
    let looped = via_loop.check(&name("budi.test")).await;

    assert!(
        matches!(followed, Availability::Taken { .. }),
        "{followed:?}"
    );
    assert_eq!(fake.queries_for("budi.co.id"), 1);
    assert_eq!(looped, unknown(UnknownReason::BadResponse));
}

#[tokio::test]
async fn a_registry_that_refuses_connections_is_unreachable() {
    let fake = spawn_fake().await;
    let nowhere = closed_port().await;
    let checker = checker_with_server_for_test_tld(&fake, nowhere).await;

    let answer = checker.check(&name("budi.test")).await;

    assert_eq!(answer, unknown(UnknownReason::Unreachable));
}
