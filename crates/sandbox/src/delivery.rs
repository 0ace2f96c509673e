//! How the payment fakes notify the shop: one JSON POST over plain HTTP,
//! answered by a status code, and a log of every attempt for tests and
//! pages. The target must be this machine or a private network (the shop in
//! a neighbouring container): the sandbox never sends anything to the
//! internet.

use std::{
    collections::VecDeque,
    net::IpAddr,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};

/// Attempts kept per fake; the oldest go first.
const MAX_KEPT: usize = 500;

/// One POST a fake made, with what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub at: DateTime<Utc>,
    pub url: String,
    /// The headers the gateway adds (`x-callback-token`), not the framing.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub outcome: DeliveryOutcome,
}

impl Delivery {
    /// The body as JSON (every fake sends JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The receiver answered with this HTTP status.
    Answered(u16),
    /// No answer: refused, reset, timed out, or a target the sandbox does
    /// not send to.
    Failed(String),
}

impl DeliveryOutcome {
    pub fn status(&self) -> Option<u16> {
        match self {
            DeliveryOutcome::Answered(status) => Some(*status),
            DeliveryOutcome::Failed(_) => None,
        }
    }

    /// A 2xx: what gateways count as delivered.
    pub fn is_success(&self) -> bool {
        self.status()
            .is_some_and(|status| (200..300).contains(&status))
    }
}

/// Why a POST got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error(
        "the sandbox sends only to http:// URLs on this machine or a private network, not {0:?}"
    )]
    NotLocal(String),
    #[error("{0}")]
    Io(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// The attempts of one fake, oldest first.
#[derive(Debug, Default)]
pub(crate) struct DeliveryLog {
    kept: Mutex<VecDeque<Delivery>>,
}

impl DeliveryLog {
    pub(crate) fn all(&self) -> Vec<Delivery> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn record(&self, delivery: Delivery) {
        let mut kept = self.lock();
        if kept.len() == MAX_KEPT {
            kept.pop_front();
        }
        kept.push_back(delivery);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Delivery>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// POSTs `body` as JSON to `url` with `headers`, records the attempt in
/// `log`, and returns the receiver's status.
pub(crate) async fn post_json(
    log: &DeliveryLog,
    url: &str,
    headers: &[(String, String)],
    body: &str,
    timeout: Duration,
) -> Result<u16, DeliveryError> {
    let outcome = tokio::time::timeout(timeout, post(url, headers, body))
        .await
        .unwrap_or(Err(DeliveryError::Timeout(timeout)));
    log.record(Delivery {
        at: Utc::now(),
        url: url.to_owned(),
        headers: headers.to_vec(),
        body: body.to_owned(),
        outcome: match &outcome {
            Ok(status) => DeliveryOutcome::Answered(*status),
            Err(error) => DeliveryOutcome::Failed(error.to_string()),
        },
    });
    outcome
}

async fn post(url: &str, headers: &[(String, String)], body: &str) -> Result<u16, DeliveryError> {
    let not_local = || DeliveryError::NotLocal(url.to_owned());
    let rest = url.strip_prefix("http://").ok_or_else(not_local)?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(end) if rest[end..].starts_with('?') => (&rest[..end], format!("/{}", &rest[end..])),
        Some(end) => (&rest[..end], rest[end..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => {
            (host, port.parse::<u16>().map_err(|_| not_local())?)
        }
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || authority.contains('@') {
        return Err(not_local());
    }
    let io = |error: std::io::Error| DeliveryError::Io(error.to_string());
    let addresses: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(io)?
        .collect();
    if addresses.is_empty() || !addresses.iter().all(|address| is_local(address.ip())) {
        return Err(not_local());
    }
    let mut stream = TcpStream::connect(addresses.as_slice()).await.map_err(io)?;
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nUser-Agent: juragan-sandbox\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        // Header values come from tests; a line break would forge framing.
        if name.contains(['\r', '\n', ':']) || value.contains(['\r', '\n']) {
            return Err(DeliveryError::Io(format!("invalid header {name:?}")));
        }
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 512];
    while !head.windows(2).any(|window| window == b"\r\n") && head.len() < 8192 {
        let read = stream.read(&mut buffer).await.map_err(io)?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| DeliveryError::Io("the receiver sent no HTTP status line".to_owned()))
}

/// Loopback, or a private network (RFC 1918, IPv6 unique local).
fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_loopback() || ip.is_private(),
        IpAddr::V6(ip) => {
            ip.is_loopback()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_private())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_and_private_networks_are_local() {
        for local in [
            "127.0.0.1",
            "10.1.2.3",
            "172.18.0.5",
            "192.168.1.1",
            "::1",
            "fd00::1",
        ] {
            assert!(is_local(local.parse().expect("an address")), "{local}");
        }
        for remote in ["8.8.8.8", "103.208.23.1", "2001:db8::1", "169.254.169.254"] {
            assert!(!is_local(remote.parse().expect("an address")), "{remote}");
        }
    }

    #[tokio::test]
    async fn refuses_https_and_public_targets_and_logs_the_attempt() {
        let log = DeliveryLog::default();
        for url in [
            "https://127.0.0.1/x",
            "http://8.8.8.8/x",
            "http://user@127.0.0.1/x",
        ] {
            let outcome = post_json(&log, url, &[], "{}", Duration::from_secs(1)).await;
            assert!(
                matches!(outcome, Err(DeliveryError::NotLocal(_))),
                "{url}: {outcome:?}"
            );
        }
        assert_eq!(log.all().len(), 3);
        assert!(!log.all()[0].outcome.is_success());
    }

    #[tokio::test]
    async fn reads_the_receivers_status() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("one connection");
            let mut received = Vec::new();
            let mut buffer = [0u8; 1024];
            while !String::from_utf8_lossy(&received).ends_with("{\"a\":1}") {
                let read = socket.read(&mut buffer).await.expect("readable");
                if read == 0 {
                    break;
                }
                received.extend_from_slice(&buffer[..read]);
            }
            socket
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                .await
                .expect("writable");
            String::from_utf8_lossy(&received).into_owned()
        });
        let log = DeliveryLog::default();
        let headers = [("x-callback-token".to_owned(), "t0k3n".to_owned())];
        let status = post_json(
            &log,
            &format!("http://{addr}/hook?x=1"),
            &headers,
            "{\"a\":1}",
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(status, Ok(202));
        let request = server.await.expect("the server ran");
        assert!(
            request.starts_with("POST /hook?x=1 HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(request.contains("x-callback-token: t0k3n\r\n"), "{request}");
        assert_eq!(log.all()[0].outcome, DeliveryOutcome::Answered(202));
    }
}
