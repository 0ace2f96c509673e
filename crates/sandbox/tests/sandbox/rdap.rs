//! The RDAP fake as any HTTP client sees it: the RFC 9224 bootstrap file,
//! RFC 9083 domain objects and errors, the faults a test injects through
//! the handle, and the same steering through `/api/rdap/...`.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, header};
use sandbox::SandboxHandle;
use serde_json::{Value, json};

use crate::helpers::{http_client, spawn_sandbox};

async fn get(url: &str) -> (StatusCode, Option<String>, Value) {
    let response = http_client()
        .get(url)
        .header(header::ACCEPT, "application/rdap+json")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, body)
}

async fn lookup(sandbox: &SandboxHandle, registry: &str, name: &str) -> (StatusCode, Value) {
    let base = sandbox.rdap().registry_url(registry).unwrap();
    let (status, _, body) = get(&format!("{base}domain/{name}")).await;
    (status, body)
}

#[tokio::test]
async fn the_bootstrap_points_every_tld_at_the_fakes_own_registries() {
    let sandbox = spawn_sandbox().await;
    let rdap = sandbox.rdap();

    let (status, _, file) = get(&rdap.bootstrap_url()).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["version"], json!("1.0"));
    let services = file["services"].as_array().unwrap();
    let com = services
        .iter()
        .find(|service| service[0].as_array().unwrap().contains(&json!("com")))
        .expect("com is listed");
    assert_eq!(
        com[1],
        json!([format!("http://{}/rdap/verisign/", rdap.addr())])
    );
    let id = services
        .iter()
        .find(|service| service[0] == json!(["id"]))
        .expect("id is listed");
    assert_eq!(
        id[1],
        json!([format!("http://{}/rdap/pandi/", rdap.addr())])
    );
    assert!(
        !services
            .iter()
            .any(|service| service[0].as_array().unwrap().contains(&json!("de"))),
        "like IANA's file, not every ccTLD has RDAP"
    );

    rdap.hide_from_bootstrap("id");
    let (_, _, without_id) = get(&rdap.bootstrap_url()).await;
    assert!(
        !without_id["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|service| service[0] == json!(["id"]))
    );
    assert_eq!(rdap.bootstrap_fetches(), 2);
}

#[tokio::test]
async fn a_registered_name_is_an_rfc_9083_domain_object() {
    let sandbox = spawn_sandbox().await;
    let base = sandbox.rdap().registry_url("pandi").unwrap();

    let (status, content_type, object) = get(&format!("{base}domain/Budi.CO.ID")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/rdap+json"));
    assert_eq!(object["objectClassName"], json!("domain"));
    assert_eq!(object["ldhName"], json!("budi.co.id"));
    assert!(object["status"].as_array().is_some_and(|s| !s.is_empty()));
    let events = object["events"].as_array().unwrap();
    let date = |action: &str| {
        events
            .iter()
            .find(|event| event["eventAction"] == json!(action))
            .and_then(|event| event["eventDate"].as_str())
            .map(|date| chrono::DateTime::parse_from_rfc3339(date).unwrap())
            .unwrap_or_else(|| panic!("{action} event"))
    };
    let now = chrono::Utc::now();
    assert!(date("registration") < now);
    assert!(date("expiration") > now);
    assert_eq!(object["entities"][0]["roles"], json!(["registrar"]));
    assert_eq!(object["entities"][0]["objectClassName"], json!("entity"));
}

#[tokio::test]
async fn free_malformed_and_foreign_names_get_rdap_errors() {
    let sandbox = spawn_sandbox().await;

    let (free, free_body) = lookup(&sandbox, "com", "tokobudi.com").await;
    let (bad, bad_body) = lookup(&sandbox, "com", "-budi.com").await;
    let (foreign, _) = lookup(&sandbox, "com", "budi.id").await;

    assert_eq!(free, StatusCode::NOT_FOUND);
    assert_eq!(free_body["errorCode"], json!(404));
    assert!(free_body["description"].is_array());
    assert_eq!(bad, StatusCode::BAD_REQUEST);
    assert_eq!(bad_body["errorCode"], json!(400));
    assert_eq!(
        foreign,
        StatusCode::NOT_FOUND,
        "Verisign does not answer for .id"
    );
    let statuses: Vec<u16> = sandbox.rdap().queries().iter().map(|q| q.status).collect();
    assert_eq!(statuses, [404, 400, 404]);
}

#[tokio::test]
async fn names_registered_at_run_time_are_taken_until_released() {
    let sandbox = spawn_sandbox().await;
    let rdap = sandbox.rdap();

    assert_eq!(rdap.register("Bücher.id").unwrap(), "xn--bcher-kva.id");
    let (taken, object) = lookup(&sandbox, "id", "xn--bcher-kva.id").await;
    assert!(rdap.unregister("xn--bcher-kva.id"));
    let (free, _) = lookup(&sandbox, "id", "xn--bcher-kva.id").await;

    assert_eq!(taken, StatusCode::OK);
    assert_eq!(object["unicodeName"], json!("bücher.id"));
    assert_eq!(free, StatusCode::NOT_FOUND);
    assert_eq!(rdap.queries_for("bücher.id"), 2);
    assert!(
        rdap.register("budi.de").is_err(),
        "no registry of the fake serves .de"
    );
    assert!(rdap.register("not a name").is_err());
}

#[tokio::test]
async fn a_rate_limited_registry_answers_429_with_retry_after_until_the_window_ends() {
    let sandbox = spawn_sandbox().await;
    let rdap = sandbox.rdap();
    rdap.rate_limit("verisign", Duration::from_secs(10))
        .unwrap();

    let response = http_client()
        .get(format!(
            "{}domain/google.com",
            rdap.registry_url("com").unwrap()
        ))
        .send()
        .await
        .unwrap();
    let (other_registry, _) = lookup(&sandbox, "id", "kompas.id").await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert!(
        (9..=10).contains(&retry_after),
        "seconds left, rounded up: {retry_after}"
    );
    assert_eq!(other_registry, StatusCode::OK);

    // A shorter window replaces the long one; after it, answers are normal.
    rdap.rate_limit("com", Duration::from_secs(1)).unwrap();
    let limited_at = Instant::now();
    let (during, body) = lookup(&sandbox, "com", "google.com").await;
    assert_eq!(during, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["errorCode"], json!(429));
    tokio::time::sleep_until((limited_at + Duration::from_millis(1100)).into()).await;
    let (after, _) = lookup(&sandbox, "com", "google.com").await;
    assert_eq!(after, StatusCode::OK);
}

#[tokio::test]
async fn failures_and_delays_are_injected_per_registry() {
    let sandbox = spawn_sandbox().await;
    let rdap = sandbox.rdap();
    rdap.fail("net", 503).unwrap();
    rdap.set_delay("id", Duration::from_millis(300)).unwrap();

    let (failing, body) = lookup(&sandbox, "verisign", "example.net").await;
    let started = Instant::now();
    let (slow, _) = lookup(&sandbox, "pandi", "kompas.id").await;
    let slow_took = started.elapsed();

    assert_eq!(failing, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["errorCode"], json!(503));
    assert_eq!(slow, StatusCode::OK);
    assert!(slow_took >= Duration::from_millis(300), "{slow_took:?}");
    assert!(rdap.fail("nonexistent", 503).is_err());

    rdap.clear_faults();
    let (recovered, _) = lookup(&sandbox, "com", "example.net").await;
    assert_eq!(recovered, StatusCode::OK);
}

#[tokio::test]
async fn the_control_api_registers_names_and_injects_faults() {
    let sandbox = spawn_sandbox().await;
    let api = |path: &str| format!("{}/api/rdap{path}", sandbox.http_url());
    let client = http_client();

    let registered = client
        .put(api("/domains/tokobudi.co.id"))
        .send()
        .await
        .unwrap();
    let rate_limited = client
        .put(api("/registries/id/rate-limit"))
        .json(&json!({ "retry_after_secs": 30 }))
        .send()
        .await
        .unwrap();
    let unknown_registry = client
        .put(api("/registries/nowhere/failure"))
        .json(&json!({ "status": 503 }))
        .send()
        .await
        .unwrap();
    let (limited, _) = lookup(&sandbox, "id", "tokobudi.co.id").await;

    assert_eq!(registered.status(), StatusCode::OK);
    assert_eq!(rate_limited.status(), StatusCode::OK);
    assert_eq!(unknown_registry.status(), StatusCode::NOT_FOUND);
    assert_eq!(limited, StatusCode::TOO_MANY_REQUESTS);

    let info: Value = client
        .get(api(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["bootstrap_url"], json!(sandbox.rdap().bootstrap_url()));
    assert!(
        info["registered"]
            .as_array()
            .unwrap()
            .iter()
            .any(|domain| domain["ldh_name"] == json!("tokobudi.co.id"))
    );
    assert_eq!(info["settings"]["faults"][0]["registry"], json!("pandi"));

    let cleared = client.delete(api("/faults")).send().await.unwrap();
    let (answered, _) = lookup(&sandbox, "id", "tokobudi.co.id").await;
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert_eq!(answered, StatusCode::OK);

    let queries: Value = client
        .get(api("/queries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queries["count"], json!(2));
    assert_eq!(queries["queries"][0]["status"], json!(200), "newest first");

    let reset = client.post(api("/reset")).send().await.unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    let (free_again, _) = lookup(&sandbox, "id", "tokobudi.co.id").await;
    assert_eq!(free_again, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_index_page_shows_the_rdap_lookups() {
    let sandbox = spawn_sandbox().await;
    lookup(&sandbox, "com", "google.com").await;

    let page = http_client()
        .get(format!("{}/", sandbox.http_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert!(page.contains("<h2>RDAP</h2>"));
    assert!(page.contains("google.com"));
    assert!(page.contains(&sandbox.rdap().bootstrap_url()));
}
