//! What the payment fakes (Midtrans, Xendit, Pakasir) share: starting their
//! server, the failures tests inject into charge creation, the errors of
//! their test helpers, and the look of the checkout pages a customer's
//! browser is sent to.

use std::{fmt::Write as _, io, net::SocketAddr, time::Duration};

use actix_web::{App, HttpResponse, HttpServer, http::StatusCode, web};
use tokio::task::JoinHandle;

use crate::{delivery::DeliveryError, error::SandboxError, web::html};

/// How the next charge creations fail, for tests of a client's error
/// handling and of a caller's retry logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// The gateway answers 500 in its error shape; nothing is created.
    ServerError,
    /// The charge *is* created, but the answer comes only after the fake's
    /// `slow_answer_delay`, so a client gives up first: the lost-answer case
    /// that makes a retry create a duplicate.
    Timeout,
}

/// A countdown of injected creation failures.
#[derive(Debug, Default)]
pub(crate) struct CreateFailures {
    remaining: u32,
    mode: Option<FailureMode>,
}

impl CreateFailures {
    pub(crate) fn set(&mut self, count: u32, mode: FailureMode) {
        self.remaining = count;
        self.mode = Some(mode);
    }

    /// The failure this creation suffers, if any.
    pub(crate) fn take(&mut self) -> Option<FailureMode> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        self.mode
    }
}

/// Why a payment fake's test helper could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentFakeError {
    #[error("the fake holds no charge `{0}`")]
    UnknownCharge(String),
    #[error("charge `{reference}` is {status}; that cannot happen to it now")]
    WrongState { reference: String, status: String },
    #[error("amount {given} does not match charge `{reference}` ({expected})")]
    AmountMismatch {
        reference: String,
        expected: i64,
        given: i64,
    },
    #[error("this fake is not a sandbox project; simulation is refused")]
    NotSandbox,
    #[error("no notification URL is set")]
    NoNotificationUrl,
    #[error("the notification could not be delivered: {0}")]
    Delivery(#[from] DeliveryError),
}

/// Binds `addr` for a fake and learns the port it got.
pub(crate) fn bind(
    addr: SocketAddr,
    service: &'static str,
) -> Result<(std::net::TcpListener, SocketAddr), SandboxError> {
    let listener = std::net::TcpListener::bind(addr).map_err(|source| SandboxError::Bind {
        service,
        addr,
        source,
    })?;
    let bound = listener
        .local_addr()
        .map_err(|source| SandboxError::LocalAddr { service, source })?;
    Ok((listener, bound))
}

/// Serves `routes` with `state` on `listener` until the task is dropped.
pub(crate) fn serve<T: Send + Sync + 'static>(
    listener: std::net::TcpListener,
    service: &'static str,
    state: web::Data<T>,
    routes: fn(&mut web::ServiceConfig),
) -> Result<ServerTask, SandboxError> {
    let addr = listener
        .local_addr()
        .map_err(|source| SandboxError::LocalAddr { service, source })?;
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(routes))
        // One worker is plenty: it serves requests concurrently, so a
        // checkout page awaiting the shop's answer to a notification does
        // not block the status call the shop makes meanwhile.
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .map_err(|source| SandboxError::Bind {
            service,
            addr,
            source,
        })?
        .run();
    Ok(ServerTask(tokio::spawn(server)))
}

#[derive(Debug)]
pub(crate) struct ServerTask(JoinHandle<io::Result<()>>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        // Dropping actix's server future stops its workers too.
        self.0.abort();
    }
}

/// `None` for an empty URL: "no notification URL".
pub(crate) fn non_empty(url: impl Into<String>) -> Option<String> {
    let url = url.into();
    let url = url.trim();
    (!url.is_empty()).then(|| url.to_owned())
}

/// A checkout page of the gateway called `brand` around `body` (markup
/// built with [`html::escape`] for every outside value).
pub(crate) fn page(brand: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<header><span class="brand">{brand}</span> <span class="muted">sandbox</span></header>
<main>
{body}
</main>
</body>
</html>
"#,
        title = html::escape(title),
        brand = html::escape(brand),
    )
}

/// A checkout page response. Unlike the sandbox's own pages it sets no
/// `form-action`: paying ends in a redirect to the shop, which that
/// directive would block in browsers that apply it to redirects.
pub(crate) fn page_response(status: StatusCode, page: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-store"))
        .body(page)
}

/// A form with one button posting to `action`.
pub(crate) fn button(action: &str, id: &str, label: &str) -> String {
    format!(
        r#"<form method="post" action="{action}"><button type="submit" id="{id}">{label}</button></form>"#,
        action = html::escape(action),
        id = html::escape(id),
        label = html::escape(label),
    )
}

/// 303 to `location`: the browser follows with a GET.
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// `url` with `pairs` appended to its query string.
pub(crate) fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let mut out = base.to_owned();
    for (name, value) in pairs {
        let separator = if out.contains('?') { '&' } else { '?' };
        let _ = write!(out, "{separator}{}={}", encode(name), encode(value));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `Rp 150.000`.
pub(crate) fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}Rp {grouped}")
}

/// How long a fake answers a [`FailureMode::Timeout`] creation after the
/// fact, unless configured: longer than any client waits.
pub(crate) const DEFAULT_SLOW_ANSWER: Duration = Duration::from_secs(30);
/// How long a fake waits for the shop to answer a notification.
pub(crate) const DEFAULT_NOTIFICATION_TIMEOUT: Duration = Duration::from_secs(10);

const STYLE: &str = "
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #eef1f5; }
header { background: #0a2540; color: #fff; padding: .7rem 1.2rem; }
.brand { font-weight: 700; }
main { max-width: 34rem; margin: 2rem auto; background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 1rem 1.5rem 1.5rem; }
h1 { font-size: 1.3rem; }
.amount { font-size: 1.8rem; font-weight: 700; margin: .3rem 0 1rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #e6e9ee; }
code { font: 13px/1.4 ui-monospace, monospace; word-break: break-all; }
.muted { color: #7a8391; }
.notice { background: #fff7e0; border: 1px solid #f0d48a; padding: .5rem .8rem; border-radius: 6px; }
.actions { display: flex; gap: 1rem; }
button { font: inherit; padding: .5rem 1.4rem; cursor: pointer; border-radius: 6px; border: 1px solid #0a2540; }
button#pay { background: #0a2540; color: #fff; }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_appended_and_encoded() {
        assert_eq!(
            with_query(
                "http://shop.test/done",
                &[("order_id", "INV 1"), ("s", "200")]
            ),
            "http://shop.test/done?order_id=INV%201&s=200"
        );
        assert_eq!(
            with_query("http://shop.test/done?x=1#top", &[("a", "b&c")]),
            "http://shop.test/done?x=1&a=b%26c#top"
        );
    }

    #[test]
    fn rupiah_is_grouped_with_dots() {
        assert_eq!(rupiah(150_000), "Rp 150.000");
        assert_eq!(rupiah(1_050), "Rp 1.050");
        assert_eq!(rupiah(999), "Rp 999");
    }

    #[test]
    fn failures_count_down() {
        let mut failures = CreateFailures::default();
        assert_eq!(failures.take(), None);
        failures.set(2, FailureMode::ServerError);
        assert_eq!(failures.take(), Some(FailureMode::ServerError));
        assert_eq!(failures.take(), Some(FailureMode::ServerError));
        assert_eq!(failures.take(), None);
    }
}
