//! The Xendit Invoice fake: `POST /v2/invoices`, `GET /v2/invoices/{id}`,
//! `GET /v2/invoices?external_id=`, `POST /invoices/{id}/expire!`, with the
//! Basic-auth check (401 `INVALID_API_KEY`), Xendit's
//! `{"error_code","message"}` errors (404 `INVOICE_NOT_FOUND_ERROR`, …) and
//! an invoice page for the customer's browser.
//!
//! As at Xendit, `external_id` is **not** unique: a retried create makes a
//! second invoice. Paying on the page marks the invoice `PAID`, POSTs the
//! callback with `x-callback-token` and returns the browser to
//! `success_redirect_url`; a callback the shop does not answer with 2xx is
//! retried up to six times, after the configured delays (short ones in
//! tests, instead of Xendit's minutes and hours).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sandbox::xendit::{CallbackOptions, XenditFake, XenditFakeConfig};
//! let xendit = XenditFake::start("127.0.0.1:0".parse()?, XenditFakeConfig::default()).await?;
//! xendit.set_notification_url("http://127.0.0.1:8080/api/v1/payments/webhooks/xendit");
//! // ... the shop creates an invoice at xendit.base_url() ...
//! let id = xendit.invoices()[0].id.clone();
//! xendit.pay(&id).await?;
//! let status = xendit
//!     .send_callback(&id, CallbackOptions { token: Some("wrong".into()), ..Default::default() })
//!     .await?;
//! assert_eq!(status, 401);
//! # Ok(()) }
//! ```

mod server;
mod state;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use self::state::XenditState;
use crate::{
    checkout::{self, FailureMode, PaymentFakeError, ServerTask},
    delivery::Delivery,
    error::SandboxError,
};

pub const DEFAULT_SECRET_KEY: &str = "xnd_development_juragan_sandbox";
pub const DEFAULT_CALLBACK_TOKEN: &str = "juragan-xendit-callback-token";

/// The fake business account.
#[derive(Clone)]
pub struct XenditFakeConfig {
    /// The one secret API key accepted.
    pub secret_key: String,
    /// Sent as `x-callback-token` with every callback.
    pub callback_token: String,
    /// The invoice callback URL of the dashboard; `None` sends none.
    pub callback_url: Option<String>,
    /// The waits before each retry of a callback the shop did not accept;
    /// Xendit retries up to six times.
    pub callback_retry_delays: Vec<Duration>,
    /// How long one callback waits for the shop's answer.
    pub callback_timeout: Duration,
    /// How late a [`FailureMode::Timeout`] creation answers.
    pub slow_answer_delay: Duration,
    pub merchant_name: String,
}

impl std::fmt::Debug for XenditFakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XenditFakeConfig")
            .field("secret_key", &"***")
            .field("callback_token", &"***")
            .field("callback_url", &self.callback_url)
            .field("callback_retry_delays", &self.callback_retry_delays)
            .field("callback_timeout", &self.callback_timeout)
            .field("slow_answer_delay", &self.slow_answer_delay)
            .field("merchant_name", &self.merchant_name)
            .finish()
    }
}

impl Default for XenditFakeConfig {
    fn default() -> Self {
        XenditFakeConfig {
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            callback_token: DEFAULT_CALLBACK_TOKEN.to_owned(),
            callback_url: None,
            callback_retry_delays: [1, 2, 4, 8, 16, 32].map(Duration::from_secs).to_vec(),
            callback_timeout: checkout::DEFAULT_NOTIFICATION_TIMEOUT,
            slow_answer_delay: checkout::DEFAULT_SLOW_ANSWER,
            merchant_name: "Juragan Sandbox".to_owned(),
        }
    }
}

/// An invoice's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InvoiceStatus {
    Pending,
    Paid,
    Settled,
    Expired,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Pending => "PENDING",
            InvoiceStatus::Paid => "PAID",
            InvoiceStatus::Settled => "SETTLED",
            InvoiceStatus::Expired => "EXPIRED",
        }
    }
}

/// An invoice as the fake holds it. Amounts are minor units of `currency`
/// (rupiah, or cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XenditInvoice {
    pub id: String,
    pub external_id: String,
    pub status: InvoiceStatus,
    /// `IDR` or `USD`.
    pub currency: String,
    pub amount_minor: i64,
    pub payer_email: Option<String>,
    pub description: Option<String>,
    pub invoice_url: String,
    pub success_redirect_url: Option<String>,
    pub failure_redirect_url: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub expiry_date: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub paid_amount_minor: Option<i64>,
    pub payment_method: Option<String>,
    pub payment_channel: Option<String>,
    pub payment_destination: Option<String>,
    pub payment_id: Option<String>,
}

/// A callback crafted by a test; the defaults send the invoice as it is,
/// once, with the right token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackOptions {
    /// Claim this status instead of the invoice's (which is unchanged).
    pub status: Option<InvoiceStatus>,
    /// Send this `x-callback-token` instead of the configured one.
    pub token: Option<String>,
    /// Claim this `paid_amount` (minor units) instead of the invoice's.
    pub paid_amount_minor: Option<i64>,
    /// Retry while the shop answers non-2xx, as Xendit does.
    pub with_retries: bool,
}

/// Starts Xendit fakes; see [`XenditFakeHandle`].
pub struct XenditFake;

impl XenditFake {
    /// Binds `addr` (port 0 picks a free port) and serves the Invoice API and
    /// the invoice pages until the last handle is dropped.
    pub async fn start(
        addr: SocketAddr,
        config: XenditFakeConfig,
    ) -> Result<XenditFakeHandle, SandboxError> {
        let (listener, addr) = checkout::bind(addr, "Xendit")?;
        let state = XenditState::new(config);
        let server = checkout::serve(
            listener,
            "Xendit",
            web::Data::new(state.clone()),
            server::routes,
        )?;
        Ok(XenditFakeHandle {
            addr,
            state,
            _server: Arc::new(server),
        })
    }
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct XenditFakeHandle {
    addr: SocketAddr,
    state: XenditState,
    _server: Arc<ServerTask>,
}

impl XenditFakeHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`: what replaces `https://api.xendit.co`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn secret_key(&self) -> &str {
        &self.state.config().secret_key
    }

    pub fn callback_token(&self) -> &str {
        &self.state.config().callback_token
    }

    /// Where callbacks go from now on; an empty URL sends none.
    pub fn set_notification_url(&self, url: impl Into<String>) {
        self.state.set_callback_url(checkout::non_empty(url));
    }

    pub fn notification_url(&self) -> Option<String> {
        self.state.callback_url()
    }

    /// The next `count` invoice creations fail as `mode` says.
    pub fn fail_next_creates(&self, count: u32, mode: FailureMode) {
        self.state.fail_next_creates(count, mode);
    }

    /// Every invoice created, oldest first.
    pub fn invoices(&self) -> Vec<XenditInvoice> {
        self.state.invoices()
    }

    /// The same as [`XenditFakeHandle::invoices`], under the name every
    /// payment fake shares.
    pub fn charges(&self) -> Vec<XenditInvoice> {
        self.state.invoices()
    }

    pub fn invoice(&self, id: &str) -> Option<XenditInvoice> {
        self.state.invoice(id)
    }

    /// The customer pays by BCA virtual account: `PAID`, then the callback,
    /// retried while the shop answers non-2xx (this waits for the retries).
    /// Returns the last answer (`None`: no callback URL). The payment stands
    /// whatever the callback's fate.
    pub async fn pay(&self, id: &str) -> Result<Option<u16>, PaymentFakeError> {
        let invoice = self.state.pay(id)?;
        self.state.callback_if_configured(&invoice, true).await
    }

    /// The invoice expires unpaid: `EXPIRED`, then its callback (retried).
    pub async fn expire(&self, id: &str) -> Result<Option<u16>, PaymentFakeError> {
        let invoice = self.state.expire(id)?;
        self.state.callback_if_configured(&invoice, true).await
    }

    /// Xendit moves a paid invoice to `SETTLED` when the money reaches the
    /// balance; no callback.
    pub fn settle(&self, id: &str) -> Result<(), PaymentFakeError> {
        self.state.settle(id).map(drop)
    }

    /// POSTs a callback about the invoice, crafted by `options`, without
    /// changing it; returns the shop's (last) HTTP status.
    pub async fn send_callback(
        &self,
        id: &str,
        options: CallbackOptions,
    ) -> Result<u16, PaymentFakeError> {
        let invoice = self
            .state
            .invoice(id)
            .ok_or_else(|| PaymentFakeError::UnknownCharge(id.to_owned()))?;
        self.state.send_callback(&invoice, &options).await
    }

    /// Every callback attempt, oldest first, with the shop's answer.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state.deliveries()
    }

    /// Forgets invoices, deliveries and injected failures.
    pub fn reset(&self) {
        self.state.reset();
    }
}
