//! The REST client against a scripted HTTP server.

use std::time::Duration;

use routeros::{
    Fingerprint, PppRouter as _, Router, RouterOsError, SecretChange, Transport, rest::RestClient,
};

use crate::support::{CERTIFICATE, HttpRequest, HttpServer, config};

const BASIC_ADMIN_SECRET: &str = "Basic YWRtaW46c2VjcmV0";

/// A small RouterOS v7: answers the documented paths, checks Basic auth.
fn router_v7(request: &HttpRequest) -> (u16, String) {
    if request.header("authorization") != Some(BASIC_ADMIN_SECRET) {
        return (401, r#"{"error":401,"message":"Unauthorized"}"#.into());
    }
    match (request.method.as_str(), request.target.as_str()) {
        ("GET", "/rest/system/identity") => (200, r#"{"name":"core-jkt-1"}"#.into()),
        ("GET", "/rest/system/resource") => (
            200,
            r#"{"architecture-name":"arm64","board-name":"CCR2004-1G-12S+2XS","cpu-load":"3","uptime":"1w2d3h4m5s","version":"7.18.2 (stable)"}"#
                .into(),
        ),
        ("GET", "/rest/ppp/active") => (
            200,
            r#"[{".id":"*80000001","name":"alice","service":"pppoe","caller-id":"AA:BB:CC:DD:EE:01","address":"10.0.0.2","uptime":"1h2m3s","encoding":"","session-id":"0x81000001","limit-bytes-in":"0","limit-bytes-out":"0","radius":"false"}]"#
                .into(),
        ),
        ("GET", "/rest/ppp/secret?name=alice") => (
            200,
            r#"[{".id":"*1A","name":"alice","profile":"10mbps","service":"pppoe","disabled":"true"}]"#
                .into(),
        ),
        ("PATCH", "/rest/ppp/secret/%2A1A") => (
            200,
            r#"{".id":"*1A","name":"alice","profile":"isolir","disabled":"true"}"#.into(),
        ),
        ("DELETE", "/rest/ppp/active/%2A80000001") => (204, String::new()),
        _ => (
            404,
            r#"{"error":404,"message":"Not Found","detail":"no such item"}"#.into(),
        ),
    }
}

fn plain_client(server: &HttpServer) -> RestClient {
    RestClient::with_plain_http(&config(server.addr, Transport::Rest), true).unwrap()
}

#[tokio::test]
async fn prints_map_string_valued_records() {
    let server = HttpServer::start(false, router_v7).await;
    let client = plain_client(&server);

    assert_eq!(client.identity().await.unwrap(), "core-jkt-1");
    let resource = client.resource().await.unwrap();
    assert_eq!(resource.version, "7.18.2 (stable)");
    assert_eq!(resource.architecture, "arm64");
    assert_eq!(resource.cpu_load, Some(3));

    let sessions = client.active_sessions().await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].id, "*80000001");
    assert_eq!(sessions[0].session_id, "0x81000001");
    assert_eq!(sessions[0].uptime, Some(Duration::from_secs(3_723)));
    assert_eq!(sessions[0].uptime_text, "1h2m3s");

    let secrets = client.secrets(Some("alice")).await.unwrap();
    assert_eq!(secrets.len(), 1);
    assert!(secrets[0].disabled);
    assert_eq!(secrets[0].id, "*1A");
}

#[tokio::test]
async fn set_and_remove_use_patch_and_delete_on_encoded_ids() {
    let server = HttpServer::start(false, router_v7).await;
    let client = plain_client(&server);

    let change = SecretChange {
        disabled: Some(true),
        profile: Some("isolir".into()),
    };
    client.set_secret("*1A", &change).await.unwrap();
    client.remove_active("*80000001").await.unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].method, "PATCH");
    let body: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"disabled": "yes", "profile": "isolir"})
    );
    assert_eq!(requests[1].method, "DELETE");
    assert_eq!(requests[1].target, "/rest/ppp/active/%2A80000001");
}

#[tokio::test]
async fn unauthorized_is_bad_credentials_and_errors_carry_the_detail() {
    let server = HttpServer::start(false, router_v7).await;
    let mut wrong = config(server.addr, Transport::Rest);
    wrong.password = "wrong".into();
    let client = RestClient::with_plain_http(&wrong, true).unwrap();
    assert_eq!(client.identity().await, Err(RouterOsError::BadCredentials));

    let client = plain_client(&server);
    assert_eq!(
        client.remove_active("*99").await,
        Err(RouterOsError::Http {
            status: 404,
            message: "Not Found: no such item".into()
        })
    );
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    let client = RestClient::with_plain_http(&config(addr, Transport::Rest), true).unwrap();
    assert_eq!(client.identity().await, Err(RouterOsError::Refused));
}

#[tokio::test]
async fn https_with_a_pinned_certificate_through_router_connect() {
    let server = HttpServer::start(true, router_v7).await;
    let mut config = config(server.addr, Transport::Rest);
    config.pinned_sha256 = Some(Fingerprint::of_certificate(CERTIFICATE));
    let router = Router::connect(&config).await.unwrap();
    assert_eq!(router.identity().await.unwrap(), "core-jkt-1");

    config.pinned_sha256 = Some(Fingerprint::from([0x11; 32]));
    let router = Router::connect(&config).await.unwrap();
    let error = router.identity().await.unwrap_err();
    let RouterOsError::Tls(message) = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("not the pinned one"), "{message}");
}
