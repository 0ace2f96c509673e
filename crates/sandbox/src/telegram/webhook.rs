//! Webhook delivery: POSTs the pending updates, oldest first, to the URL
//! `setWebhook` stored, with `X-Telegram-Bot-Api-Secret-Token`, as Telegram
//! does. Plain HTTP to loopback only: the sandbox never sends anything off
//! this machine.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use super::TelegramState;

/// Why pending updates were not all delivered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookDeliveryError {
    #[error("no webhook is set")]
    NoWebhook,
    #[error("the sandbox delivers only to http:// URLs on loopback, not {0:?}")]
    NotLoopback(String),
    #[error("could not deliver the update: {0}")]
    Io(String),
    #[error("the webhook answered HTTP {status}")]
    Rejected { status: u16 },
}

/// Delivers every pending update; stops at the first failure, which stays
/// pending and is shown by `getWebhookInfo` as Telegram's `last_error_*`.
pub(crate) async fn deliver_pending(
    state: &TelegramState,
    timeout: Duration,
) -> Result<usize, WebhookDeliveryError> {
    let mut delivered = 0;
    loop {
        let webhook = state.webhook().ok_or(WebhookDeliveryError::NoWebhook)?;
        let Some((update_id, update)) = state.oldest_update() else {
            return Ok(delivered);
        };
        let body = update.to_string();
        let outcome = tokio::time::timeout(
            timeout,
            post(&webhook.url, webhook.secret_token.as_deref(), &body),
        )
        .await
        .unwrap_or_else(|_| Err(WebhookDeliveryError::Io("Read timeout expired".to_owned())));
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                state.remove_update(update_id);
                delivered += 1;
            }
            Ok(status) => {
                state.record_webhook_error(format!("Wrong response from the webhook: {status}"));
                return Err(WebhookDeliveryError::Rejected { status });
            }
            Err(error) => {
                state.record_webhook_error(error.to_string());
                return Err(error);
            }
        }
    }
}

async fn post(url: &str, secret: Option<&str>, body: &str) -> Result<u16, WebhookDeliveryError> {
    let not_loopback = || WebhookDeliveryError::NotLoopback(url.to_owned());
    let rest = url.strip_prefix("http://").ok_or_else(not_loopback)?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().map_err(|_| not_loopback())?),
        None => (authority, 80),
    };
    let ip: std::net::IpAddr = match host {
        "localhost" => std::net::Ipv4Addr::LOCALHOST.into(),
        other => other
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| not_loopback())?,
    };
    if !ip.is_loopback() {
        return Err(not_loopback());
    }
    let io = |error: std::io::Error| WebhookDeliveryError::Io(error.to_string());
    let mut stream = TcpStream::connect((ip, port)).await.map_err(io)?;
    let secret_header = secret
        .map(|secret| format!("X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{secret_header}Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 512];
    while !head.windows(2).any(|window| window == b"\r\n") {
        let read = stream.read(&mut buffer).await.map_err(io)?;
        if read == 0 || head.len() > 8192 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let status_line = String::from_utf8_lossy(&head);
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| WebhookDeliveryError::Io("Invalid HTTP response".to_owned()))
}
