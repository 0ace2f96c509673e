//! The HTTP plumbing the three clients share: sending one request with a
//! deadline, reading a bounded body, and turning transport failures and
//! HTTP statuses into [`GatewayError`]s without ever echoing a URL (Pakasir
//! puts its API key in the query string) or a credential.

use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::{StatusCode, header::HeaderValue};

use super::{GatewayError, GatewayKind};

/// Gateway answers are a few KB; anything far larger is not one.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The most of a gateway's error message we repeat.
const MAX_MESSAGE_CHARS: usize = 300;

/// A complete answer.
pub(super) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Answer {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// `Basic base64(key + ":")`, marked sensitive so that no debug output of a
/// request shows it.
pub(super) fn basic_auth(key: &str) -> HeaderValue {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
        // Base64 output is always a valid header value.
        .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    value.set_sensitive(true);
    value
}

/// `base` with `segments` appended, each percent-encoded as one path
/// segment.
pub(super) fn endpoint(
    gateway: GatewayKind,
    base: &str,
    segments: &[&str],
) -> Result<reqwest::Url, GatewayError> {
    let mut url = reqwest::Url::parse(base).map_err(|_| {
        GatewayError::Unavailable(format!(
            "{} base URL is not a valid URL",
            gateway.display_name()
        ))
    })?;
    url.path_segments_mut()
        .map_err(|()| {
            GatewayError::Unavailable(format!(
                "{} base URL cannot take a path",
                gateway.display_name()
            ))
        })?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Sends `request` with `timeout` as its deadline (connect, send and the
/// whole body) and reads the answer, whatever its status.
pub(super) async fn send(
    gateway: GatewayKind,
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<Answer, GatewayError> {
    let started = Instant::now();
    let exchange = async {
        let mut response = request
            .timeout(timeout)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(Exchange::Transport)?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Exchange::Transport)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Exchange::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    };
    // reqwest's own timeout covers the body too; this one also bounds a
    // server that trickles bytes forever.
    let outcome = tokio::time::timeout(timeout + Duration::from_millis(250), exchange)
        .await
        .map_err(|_| timed_out(gateway, timeout))?;
    match outcome {
        Ok((status, body)) => Ok(Answer {
            status,
            body,
            elapsed: started.elapsed(),
        }),
        Err(Exchange::TooLarge) => Err(GatewayError::Malformed(format!(
            "{} answered with more than {MAX_BODY_BYTES} bytes",
            gateway.display_name()
        ))),
        Err(Exchange::Transport(error)) => Err(transport_error(gateway, &error, timeout)),
    }
}

enum Exchange {
    Transport(reqwest::Error),
    TooLarge,
}

fn timed_out(gateway: GatewayKind, timeout: Duration) -> GatewayError {
    GatewayError::Unavailable(format!(
        "{} did not answer within the timeout of {} ms",
        gateway.display_name(),
        timeout.as_millis()
    ))
}

/// A transport failure, described from its causes (never from reqwest's
/// `Display`, which includes the URL).
fn transport_error(
    gateway: GatewayKind,
    error: &reqwest::Error,
    timeout: Duration,
) -> GatewayError {
    let name = gateway.display_name();
    if error.is_timeout() {
        return timed_out(gateway, timeout);
    }
    if let Some(io) = io_cause(error) {
        use std::io::ErrorKind;
        let what = match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused",
            ErrorKind::ConnectionReset => "connection reset",
            ErrorKind::ConnectionAborted => "connection aborted",
            ErrorKind::TimedOut => "timeout while connecting",
            ErrorKind::UnexpectedEof => "connection closed before the answer",
            _ => "network error",
        };
        return GatewayError::Unavailable(format!("{name}: {what} ({})", io.kind()));
    }
    if error.is_connect() {
        // DNS failures and TLS handshake failures land here.
        return GatewayError::Unavailable(format!(
            "{name}: cannot connect (DNS, TLS or network): {}",
            root_cause(error)
        ));
    }
    if error.is_redirect() {
        return GatewayError::Malformed(format!("{name}: too many redirects"));
    }
    if error.is_decode() || error.is_body() {
        return GatewayError::Unavailable(format!(
            "{name}: the answer broke off: {}",
            root_cause(error)
        ));
    }
    GatewayError::Unavailable(format!("{name}: request failed: {}", root_cause(error)))
}

fn io_cause(error: &reqwest::Error) -> Option<&std::io::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = cause.source();
    }
    None
}

/// The innermost cause's text: hyper's and rustls' messages, which carry no
/// URL.
fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &(dyn std::error::Error + 'static) = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if std::ptr::addr_eq(cause, error as &(dyn std::error::Error + 'static)) {
        // No cause below reqwest's own: its text without the URL.
        return error_kind(error).to_owned();
    }
    limit(&cause.to_string())
}

fn error_kind(error: &reqwest::Error) -> &'static str {
    if error.is_builder() {
        "the request could not be built"
    } else if error.is_request() {
        "the request could not be sent"
    } else {
        "unknown failure"
    }
}

/// A gateway's error message, shortened for logs and error texts.
pub(super) fn limit(message: &str) -> String {
    let message = message.trim();
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

/// The error an HTTP status (or a Midtrans body `status_code`) means, with
/// the gateway's message.
pub(super) fn status_error(gateway: GatewayKind, status: u16, message: &str) -> GatewayError {
    let message = if message.trim().is_empty() {
        format!("{} answered HTTP {status}", gateway.display_name())
    } else {
        limit(message)
    };
    match status {
        401 | 403 => GatewayError::BadCredentials(message),
        429 | 500..=599 => GatewayError::Unavailable(format!(
            "{} answered HTTP {status}: {message}",
            gateway.display_name()
        )),
        400..=499 => GatewayError::Rejected { status, message },
        _ => GatewayError::Malformed(format!(
            "{} answered an unexpected HTTP {status}: {message}",
            gateway.display_name()
        )),
    }
}

/// Milliseconds, saturating.
pub(super) fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_the_key_and_an_empty_password() {
        let value = basic_auth("SB-Mid-server-abc");
        assert!(value.is_sensitive());
        // base64("SB-Mid-server-abc:")
        assert_eq!(value.to_str().ok(), Some("Basic U0ItTWlkLXNlcnZlci1hYmM6"));
    }

    #[test]
    fn endpoints_append_encoded_segments_to_the_base_path() {
        let url = endpoint(
            GatewayKind::Midtrans,
            "https://app.sandbox.midtrans.com/snap/v1/",
            &["transactions"],
        )
        .expect("a valid base");
        assert_eq!(
            url.as_str(),
            "https://app.sandbox.midtrans.com/snap/v1/transactions"
        );
        let url = endpoint(
            GatewayKind::Xendit,
            "http://127.0.0.1:1",
            &["v2", "in voice/1"],
        )
        .expect("a valid base");
        assert_eq!(url.as_str(), "http://127.0.0.1:1/v2/in%20voice%2F1");
        assert!(matches!(
            endpoint(GatewayKind::Pakasir, "not a url", &["api"]),
            Err(GatewayError::Unavailable(_))
        ));
    }

    #[test]
    fn statuses_map_to_what_a_caller_can_do() {
        let kind = GatewayKind::Xendit;
        assert_eq!(
            status_error(kind, 401, "INVALID_API_KEY: bad"),
            GatewayError::BadCredentials("INVALID_API_KEY: bad".into())
        );
        assert!(matches!(
            status_error(kind, 403, "x"),
            GatewayError::BadCredentials(_)
        ));
        assert_eq!(
            status_error(kind, 400, "taken"),
            GatewayError::Rejected {
                status: 400,
                message: "taken".into()
            }
        );
        assert!(matches!(
            status_error(kind, 429, ""),
            GatewayError::Unavailable(_)
        ));
        assert!(matches!(
            status_error(kind, 503, ""),
            GatewayError::Unavailable(_)
        ));
        assert!(matches!(
            status_error(kind, 302, ""),
            GatewayError::Malformed(_)
        ));
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "é".repeat(1000);
        let cut = limit(&long);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
