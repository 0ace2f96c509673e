//! The Midtrans fake: Snap (`POST /snap/v1/transactions`) and the Core API
//! (`GET /v2/{order_id}/status`, `POST /v2/{order_id}/cancel`) on one
//! loopback port, with Basic-auth checks, Midtrans' error shapes (Snap's
//! `error_messages`, the Core API's `status_code` in the body), and a Snap
//! checkout page for the customer's browser.
//!
//! As at Midtrans, an order id is taken for good (a second create is 400
//! `transaction_details.order_id has already been taken`) and the Core API
//! does not know a Snap order (404) until the customer picks a payment
//! method. Paying on the page settles by bank transfer, POSTs the
//! notification signed with `SHA512(order_id + status_code + gross_amount +
//! server_key)` to the notification URL and returns the browser to the
//! finish URL. Tests craft notifications too: duplicates, out of order, a
//! tampered signature, another amount.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sandbox::midtrans::{MidtransFake, MidtransFakeConfig, NotificationOptions, TransactionStatus};
//! let midtrans = MidtransFake::start("127.0.0.1:0".parse()?, MidtransFakeConfig::default()).await?;
//! midtrans.set_notification_url("http://127.0.0.1:8080/api/v1/payments/webhooks/midtrans");
//! // ... the shop creates INV-1 at midtrans.snap_base_url() ...
//! midtrans.pay("INV-1").await?;
//! let status = midtrans
//!     .send_notification("INV-1", NotificationOptions { tamper_signature: true, ..Default::default() })
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

pub(crate) use self::state::MidtransState;
use crate::{
    checkout::{self, FailureMode, PaymentFakeError, ServerTask},
    delivery::Delivery,
    error::SandboxError,
};

/// The sandbox merchant's server key unless told otherwise.
pub const DEFAULT_SERVER_KEY: &str = "SB-Mid-server-juragan-sandbox";

/// The fake merchant.
#[derive(Clone)]
pub struct MidtransFakeConfig {
    /// The one server key Snap and the Core API accept.
    pub server_key: String,
    /// `merchant_id` in notifications.
    pub merchant_id: String,
    /// The "Payment Notification URL" of the dashboard; `None` sends none.
    pub notification_url: Option<String>,
    /// How long a notification waits for the shop's answer.
    pub notification_timeout: Duration,
    /// How late a [`FailureMode::Timeout`] creation answers.
    pub slow_answer_delay: Duration,
}

impl std::fmt::Debug for MidtransFakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MidtransFakeConfig")
            .field("server_key", &"***")
            .field("merchant_id", &self.merchant_id)
            .field("notification_url", &self.notification_url)
            .field("notification_timeout", &self.notification_timeout)
            .field("slow_answer_delay", &self.slow_answer_delay)
            .finish()
    }
}

impl Default for MidtransFakeConfig {
    fn default() -> Self {
        MidtransFakeConfig {
            server_key: DEFAULT_SERVER_KEY.to_owned(),
            merchant_id: "G000000000".to_owned(),
            notification_url: None,
            notification_timeout: checkout::DEFAULT_NOTIFICATION_TIMEOUT,
            slow_answer_delay: checkout::DEFAULT_SLOW_ANSWER,
        }
    }
}

/// Midtrans' `transaction_status` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionStatus {
    Authorize,
    Capture,
    Settlement,
    Pending,
    Deny,
    Cancel,
    Expire,
    Failure,
    Refund,
    PartialRefund,
    Chargeback,
}

impl TransactionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionStatus::Authorize => "authorize",
            TransactionStatus::Capture => "capture",
            TransactionStatus::Settlement => "settlement",
            TransactionStatus::Pending => "pending",
            TransactionStatus::Deny => "deny",
            TransactionStatus::Cancel => "cancel",
            TransactionStatus::Expire => "expire",
            TransactionStatus::Failure => "failure",
            TransactionStatus::Refund => "refund",
            TransactionStatus::PartialRefund => "partial_refund",
            TransactionStatus::Chargeback => "chargeback",
        }
    }

    /// The `status_code` Midtrans sends with this status.
    pub fn status_code(self) -> &'static str {
        match self {
            TransactionStatus::Pending => "201",
            TransactionStatus::Deny | TransactionStatus::Failure => "202",
            TransactionStatus::Expire => "407",
            TransactionStatus::Authorize
            | TransactionStatus::Capture
            | TransactionStatus::Settlement
            | TransactionStatus::Cancel
            | TransactionStatus::Refund
            | TransactionStatus::PartialRefund
            | TransactionStatus::Chargeback => "200",
        }
    }

    /// No payment can happen any more.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            TransactionStatus::Pending | TransactionStatus::Authorize
        )
    }
}

/// One line of `item_details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MidtransItem {
    pub id: Option<String>,
    pub name: String,
    pub price: i64,
    pub quantity: i64,
}

/// A Snap transaction as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MidtransCharge {
    pub order_id: String,
    pub token: String,
    /// Whole rupiah.
    pub gross_amount: i64,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub items: Vec<MidtransItem>,
    /// `callbacks.finish`.
    pub finish_url: Option<String>,
    /// Where the customer pays: `redirect_url` of the create answer.
    pub redirect_url: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub transaction_id: String,
    /// `None` until the customer picks a method; the Core API answers 404
    /// until then.
    pub payment_type: Option<String>,
    pub status: Option<TransactionStatus>,
    pub va_number: Option<String>,
    pub transaction_time: Option<DateTime<Utc>>,
    pub settlement_time: Option<DateTime<Utc>>,
}

/// A notification crafted by a test; the defaults send the charge as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationOptions {
    /// Claim this status instead of the charge's (which is unchanged).
    pub status: Option<TransactionStatus>,
    /// Send a signature that does not verify.
    pub tamper_signature: bool,
    /// Claim this `gross_amount` text (e.g. `"1000.00"`), correctly signed:
    /// a genuine-looking notification about the wrong amount.
    pub gross_amount: Option<String>,
}

/// Starts Midtrans fakes; see [`MidtransFakeHandle`].
pub struct MidtransFake;

impl MidtransFake {
    /// Binds `addr` (port 0 picks a free port) and serves Snap, the Core API
    /// and the checkout pages until the last handle is dropped.
    pub async fn start(
        addr: SocketAddr,
        config: MidtransFakeConfig,
    ) -> Result<MidtransFakeHandle, SandboxError> {
        let (listener, addr) = checkout::bind(addr, "Midtrans")?;
        let state = MidtransState::new(config);
        let server = checkout::serve(
            listener,
            "Midtrans",
            web::Data::new(state.clone()),
            server::routes,
        )?;
        Ok(MidtransFakeHandle {
            addr,
            state,
            _server: Arc::new(server),
        })
    }
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct MidtransFakeHandle {
    addr: SocketAddr,
    state: MidtransState,
    _server: Arc<ServerTask>,
}

impl MidtransFakeHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`: what replaces `https://api.sandbox.midtrans.com`.
    pub fn core_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What replaces `https://app.sandbox.midtrans.com/snap/v1`.
    pub fn snap_base_url(&self) -> String {
        format!("http://{}/snap/v1", self.addr)
    }

    pub fn server_key(&self) -> &str {
        &self.state.config().server_key
    }

    /// Where notifications go from now on; an empty URL sends none.
    pub fn set_notification_url(&self, url: impl Into<String>) {
        self.state.set_notification_url(checkout::non_empty(url));
    }

    pub fn notification_url(&self) -> Option<String> {
        self.state.notification_url()
    }

    /// Core API errors answer HTTP 200 with the error in the body's
    /// `status_code` (as Midtrans does for some), instead of the HTTP status.
    pub fn set_errors_in_body(&self, in_body: bool) {
        self.state.set_errors_in_body(in_body);
    }

    /// The next `count` Snap creations fail as `mode` says.
    pub fn fail_next_creates(&self, count: u32, mode: FailureMode) {
        self.state.fail_next_creates(count, mode);
    }

    /// Every transaction created, oldest first.
    pub fn charges(&self) -> Vec<MidtransCharge> {
        self.state.charges()
    }

    pub fn charge(&self, order_id: &str) -> Option<MidtransCharge> {
        self.state.charge(order_id)
    }

    /// The customer picks bank transfer on the Snap page: the Core API knows
    /// the order from now on (`pending`), and a `pending` notification goes
    /// out. Returns the shop's answer (`None`: no notification URL).
    pub async fn choose_payment_method(
        &self,
        order_id: &str,
    ) -> Result<Option<u16>, PaymentFakeError> {
        let charge = self.state.choose_payment_method(order_id)?;
        self.state.notify_if_configured(&charge).await
    }

    /// The customer pays (as the page's "Bayar" does): `settlement` by bank
    /// transfer, then the notification. The payment stands even when the
    /// notification fails.
    pub async fn pay(&self, order_id: &str) -> Result<Option<u16>, PaymentFakeError> {
        let charge = self.state.settle(order_id)?;
        self.state.notify_if_configured(&charge).await
    }

    /// The transaction expires unpaid, with its `expire` notification.
    pub async fn expire(&self, order_id: &str) -> Result<Option<u16>, PaymentFakeError> {
        let charge = self.state.expire(order_id)?;
        self.state.notify_if_configured(&charge).await
    }

    /// POSTs a notification about the order, crafted by `options`, without
    /// changing the order; returns the shop's HTTP status.
    pub async fn send_notification(
        &self,
        order_id: &str,
        options: NotificationOptions,
    ) -> Result<u16, PaymentFakeError> {
        let charge = self
            .state
            .charge(order_id)
            .ok_or_else(|| PaymentFakeError::UnknownCharge(order_id.to_owned()))?;
        self.state.notify(&charge, &options).await
    }

    /// Every notification POSTed, oldest first, with the shop's answer.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state.deliveries()
    }

    /// Forgets transactions, deliveries and injected failures.
    pub fn reset(&self) {
        self.state.reset();
    }
}
