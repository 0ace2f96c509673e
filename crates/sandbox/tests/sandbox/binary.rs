//! The `sandbox` binary of `make dev`: it binds what it is told, says where,
//! serves, and exits cleanly on SIGTERM.

use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

use crate::helpers::{RawSmtp, WAIT, http_client};

#[tokio::test]
async fn the_binary_serves_on_the_given_addresses_until_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(["--smtp-addr", "127.0.0.1:0"])
        .env("SANDBOX_HTTP_ADDR", "127.0.0.1:0")
        .env("SANDBOX_TELEGRAM_ADDR", "127.0.0.1:0")
        .env("SANDBOX_RDAP_ADDR", "127.0.0.1:0")
        .env("SANDBOX_MIDTRANS_ADDR", "127.0.0.1:0")
        .env("SANDBOX_XENDIT_ADDR", "127.0.0.1:0")
        .env("SANDBOX_PAKASIR_ADDR", "127.0.0.1:0")
        .env("SANDBOX_PROXMOX_ADDR", "127.0.0.1:0")
        .env("SANDBOX_ROUTEROS_API_ADDR", "127.0.0.1:0")
        .env("SANDBOX_ROUTEROS_API_TLS_ADDR", "127.0.0.1:0")
        .env("SANDBOX_ROUTEROS_REST_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the sandbox binary");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();

    let ready = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("sandbox ready") {
                return line;
            }
        }
        panic!("the binary exited before it was ready");
    })
    .await
    .expect("the binary reports readiness");
    let field = |name: &str| -> std::net::SocketAddr {
        let start = ready
            .find(&format!("{name}="))
            .unwrap_or_else(|| panic!("{name} in {ready:?}"));
        ready[start + name.len() + 1..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (smtp_addr, http_addr) = (field("smtp_addr"), field("http_addr"));

    let mut client = RawSmtp::greeted(smtp_addr).await;
    client.expect("QUIT", 221).await;
    let health = http_client()
        .get(format!("http://{http_addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success());
    // The payment fakes are up and check credentials.
    for (name, path) in [
        ("midtrans_addr", "/v2/INV-1/status"),
        ("xendit_addr", "/v2/invoices/abc"),
        (
            "pakasir_addr",
            "/api/transactiondetail?project=x&amount=1&order_id=a&api_key=b",
        ),
    ] {
        let refused = http_client()
            .get(format!("http://{}{path}", field(name)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            reqwest::StatusCode::UNAUTHORIZED,
            "{name}"
        );
    }

    // The router plays the demo ISP: two of its subscribers are online.
    let online: Vec<serde_json::Value> = http_client()
        .get(format!(
            "http://{}/sandbox/ppp/active",
            field("routeros_rest_addr")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(online.len(), 2);
    field("routeros_api_addr");

    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the binary exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}
