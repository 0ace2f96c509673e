//! The Pakasir fake: `POST /api/transactioncreate/{method}`,
//! `GET /api/transactiondetail`, `POST /api/transactioncancel` and
//! `POST /api/paymentsimulation`, each checking that `project`, `api_key`
//! and (for an existing transaction) `amount` match, in the JSON body or
//! the query string; failures are non-2xx `{"message": …}`. Plus the hosted
//! page `/pay/{project}/{amount}?order_id=` with the QRIS string and a
//! "Simulasi bayar" button.
//!
//! A created transaction carries the fake's `fee` and `total_payment`; a
//! detail answer carries `is_sandbox`. Completing one (simulation, or a
//! test's [`PakasirFakeHandle::pay`]) POSTs the webhook, which Pakasir does
//! not sign: [`PakasirFakeHandle::send_webhook`] forges one just as easily,
//! which is why the shop must confirm every webhook with a detail call.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sandbox::pakasir::{PakasirFake, PakasirFakeConfig};
//! let pakasir = PakasirFake::start("127.0.0.1:0".parse()?, PakasirFakeConfig::default()).await?;
//! pakasir.set_notification_url("http://127.0.0.1:8080/api/v1/payments/webhooks/pakasir/s3cret");
//! // ... the shop creates INV-1 for Rp 150.000 at pakasir.base_url() ...
//! pakasir.simulate("INV-1", 150_000).await?;
//! // A forged webhook: right order id, wrong amount.
//! pakasir.send_webhook("INV-1", Some(1_000)).await?;
//! # Ok(()) }
//! ```

mod server;
mod state;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use self::state::PakasirState;
use crate::{
    checkout::{self, FailureMode, PaymentFakeError, ServerTask},
    delivery::Delivery,
    error::SandboxError,
};

pub const DEFAULT_PROJECT: &str = "juragan-sandbox";
pub const DEFAULT_API_KEY: &str = "pakasir-juragan-sandbox-key";

/// The payment methods Pakasir creates transactions for.
pub const PAYMENT_METHODS: [&str; 11] = [
    "qris",
    "bni_va",
    "bri_va",
    "cimb_niaga_va",
    "permata_va",
    "maybank_va",
    "sampoerna_va",
    "bnc_va",
    "atm_bersama_va",
    "artha_graha_va",
    "retail",
];

/// The fake project.
#[derive(Clone)]
pub struct PakasirFakeConfig {
    /// The project's slug.
    pub project: String,
    pub api_key: String,
    /// The project's webhook URL; `None` sends none.
    pub webhook_url: Option<String>,
    /// Sandbox projects may simulate payments; live ones may not.
    pub is_sandbox: bool,
    /// How long a transaction may be paid.
    pub transaction_lifetime: Duration,
    /// How long a webhook waits for the shop's answer.
    pub webhook_timeout: Duration,
    /// How late a [`FailureMode::Timeout`] creation answers.
    pub slow_answer_delay: Duration,
}

impl std::fmt::Debug for PakasirFakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PakasirFakeConfig")
            .field("project", &self.project)
            .field("api_key", &"***")
            .field("webhook_url", &self.webhook_url)
            .field("is_sandbox", &self.is_sandbox)
            .field("transaction_lifetime", &self.transaction_lifetime)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("slow_answer_delay", &self.slow_answer_delay)
            .finish()
    }
}

impl Default for PakasirFakeConfig {
    fn default() -> Self {
        PakasirFakeConfig {
            project: DEFAULT_PROJECT.to_owned(),
            api_key: DEFAULT_API_KEY.to_owned(),
            webhook_url: None,
            is_sandbox: true,
            transaction_lifetime: Duration::from_secs(3600),
            webhook_timeout: checkout::DEFAULT_NOTIFICATION_TIMEOUT,
            slow_answer_delay: checkout::DEFAULT_SLOW_ANSWER,
        }
    }
}

/// A transaction's `status`, spelled as Pakasir (and its Go SDK) spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PakasirStatus {
    Pending,
    Completed,
    Expired,
    Canceled,
}

impl PakasirStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PakasirStatus::Pending => "pending",
            PakasirStatus::Completed => "completed",
            PakasirStatus::Expired => "expired",
            PakasirStatus::Canceled => "canceled",
        }
    }
}

/// A transaction as the fake holds it; amounts in whole rupiah.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PakasirTransaction {
    pub order_id: String,
    pub project: String,
    pub amount: i64,
    pub fee: i64,
    pub total_payment: i64,
    pub payment_method: String,
    /// The QRIS string, virtual account number or retail code.
    pub payment_number: String,
    pub status: PakasirStatus,
    pub created_at: DateTime<Utc>,
    pub expired_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Starts Pakasir fakes; see [`PakasirFakeHandle`].
pub struct PakasirFake;

impl PakasirFake {
    /// Binds `addr` (port 0 picks a free port) and serves the API and the
    /// hosted page until the last handle is dropped.
    pub async fn start(
        addr: SocketAddr,
        config: PakasirFakeConfig,
    ) -> Result<PakasirFakeHandle, SandboxError> {
        let (listener, addr) = checkout::bind(addr, "Pakasir")?;
        let state = PakasirState::new(config);
        let server = checkout::serve(
            listener,
            "Pakasir",
            web::Data::new(state.clone()),
            server::routes,
        )?;
        Ok(PakasirFakeHandle {
            addr,
            state,
            _server: Arc::new(server),
        })
    }
}

/// A running fake. Clones share it; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct PakasirFakeHandle {
    addr: SocketAddr,
    state: PakasirState,
    _server: Arc<ServerTask>,
}

impl PakasirFakeHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`: what replaces `https://app.pakasir.com`, for
    /// the API and the hosted page alike.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn project(&self) -> &str {
        &self.state.config().project
    }

    pub fn api_key(&self) -> &str {
        &self.state.config().api_key
    }

    /// Where webhooks go from now on; an empty URL sends none.
    pub fn set_notification_url(&self, url: impl Into<String>) {
        self.state.set_webhook_url(checkout::non_empty(url));
    }

    pub fn notification_url(&self) -> Option<String> {
        self.state.webhook_url()
    }

    /// The next `count` transaction creations fail as `mode` says.
    pub fn fail_next_creates(&self, count: u32, mode: FailureMode) {
        self.state.fail_next_creates(count, mode);
    }

    /// Every transaction created (by the API or the hosted page), oldest
    /// first.
    pub fn charges(&self) -> Vec<PakasirTransaction> {
        self.state.transactions()
    }

    pub fn transaction(&self, order_id: &str) -> Option<PakasirTransaction> {
        self.state.transaction(order_id)
    }

    /// The customer pays: `completed`, then the webhook. Returns the shop's
    /// answer (`None`: no webhook URL). Allowed in live projects too, where
    /// it stands for a real payment.
    pub async fn pay(&self, order_id: &str) -> Result<Option<u16>, PaymentFakeError> {
        let amount = self
            .state
            .transaction(order_id)
            .ok_or_else(|| PaymentFakeError::UnknownCharge(order_id.to_owned()))?
            .amount;
        let transaction = self.state.complete(order_id, amount)?;
        self.state.webhook_if_configured(&transaction).await
    }

    /// What `POST /api/paymentsimulation` does: sandbox projects only, the
    /// amount must match, then `completed` and the webhook.
    pub async fn simulate(
        &self,
        order_id: &str,
        amount: i64,
    ) -> Result<Option<u16>, PaymentFakeError> {
        let transaction = self.state.simulate(order_id, amount)?;
        self.state.webhook_if_configured(&transaction).await
    }

    /// The transaction expires unpaid (Pakasir sends no webhook for that).
    pub fn expire(&self, order_id: &str) -> Result<(), PaymentFakeError> {
        self.state.expire(order_id).map(drop)
    }

    /// POSTs a `completed` webhook for `order_id` without changing anything:
    /// the transaction's own data, or a forgery with `amount` (for an
    /// unknown order id too). Returns the shop's HTTP status.
    pub async fn send_webhook(
        &self,
        order_id: &str,
        amount: Option<i64>,
    ) -> Result<u16, PaymentFakeError> {
        self.state.send_webhook(order_id, amount).await
    }

    /// Every webhook POSTed, oldest first, with the shop's answer.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state.deliveries()
    }

    /// Forgets transactions, deliveries and injected failures.
    pub fn reset(&self) {
        self.state.reset();
    }
}
