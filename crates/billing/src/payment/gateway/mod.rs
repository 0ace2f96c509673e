//! The payment gateways a customer can pay through — Midtrans (Snap),
//! Xendit (Invoice) and Pakasir (QRIS) — as one [`PaymentGateway`] trait:
//! create a charge, read its state, cancel it, verify a notification the
//! gateway sent, and check that our credentials work. Each client speaks the
//! gateway's real HTTP API (see `external-apis.md` §3–5); the sandbox crate
//! holds faithful fakes of all three for tests and `make dev`.
//!
//! What the gateways disagree on is settled here, so callers see one model:
//! every amount is a [`Money`] (never a float), every status is a
//! [`PaymentState`], every failure is a [`GatewayError`] that says whether a
//! retry can help, and no secret ever reaches a log line or an error text.

mod amount;
mod http;
mod midtrans;
mod pakasir;
mod xendit;

use std::{fmt, str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use domain::money::{Currency, Money};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub use self::midtrans::{MidtransConfig, MidtransGateway};
pub use self::pakasir::{PakasirConfig, PakasirGateway};
pub use self::xendit::{XenditConfig, XenditGateway};

/// Which gateway a charge went through; stored beside every payment attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GatewayKind {
    Midtrans,
    Xendit,
    Pakasir,
}

impl GatewayKind {
    pub const ALL: [GatewayKind; 3] = [
        GatewayKind::Midtrans,
        GatewayKind::Xendit,
        GatewayKind::Pakasir,
    ];

    /// The lower-case name used in URLs, configuration and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayKind::Midtrans => "midtrans",
            GatewayKind::Xendit => "xendit",
            GatewayKind::Pakasir => "pakasir",
        }
    }

    /// The gateway's own spelling, for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            GatewayKind::Midtrans => "Midtrans",
            GatewayKind::Xendit => "Xendit",
            GatewayKind::Pakasir => "Pakasir",
        }
    }
}

impl fmt::Display for GatewayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`GatewayKind`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown payment gateway `{0}` (known: midtrans, xendit, pakasir)")]
pub struct UnknownGateway(pub String);

impl FromStr for GatewayKind {
    type Err = UnknownGateway;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let wanted = input.trim();
        GatewayKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownGateway(wanted.to_owned()))
    }
}

/// Who pays, as the gateway's checkout page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeCustomer {
    pub name: String,
    pub email: String,
    /// Passed on when the gateway accepts it; Xendit only takes E.164
    /// (`+62…`), so other spellings are left out there.
    pub phone: Option<String>,
}

/// One line of what is being paid for, in minor units of the charge's
/// currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeItem {
    pub id: String,
    pub name: String,
    pub unit_minor: i64,
    pub quantity: u32,
}

/// One payment attempt to create at a gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Our unique id of this attempt, e.g. `INV-2026-000123-2`: at most 50
    /// characters of `[A-Za-z0-9._-]`. Midtrans and Pakasir refuse a second
    /// charge with the same id, so a retry after an unclear outcome needs a
    /// new attempt id (see [`PaymentGateway::find_charges`]).
    pub reference: String,
    /// What the customer owes; the items sum to exactly this (the caller
    /// guarantees it).
    pub amount: Money,
    pub description: String,
    pub customer: ChargeCustomer,
    pub items: Vec<ChargeItem>,
    /// Where the customer's browser goes back to after paying.
    pub finish_url: String,
    /// How long the charge may be paid; gateways round it (Midtrans to whole
    /// minutes) or ignore it (Pakasir sets its own expiry).
    pub expires_in: Duration,
}

/// A charge the gateway created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// What [`PaymentGateway::status`] and [`PaymentGateway::cancel`] take:
    /// the Midtrans `order_id` (our reference), the Xendit invoice `id`, the
    /// Pakasir `order_id` (our reference).
    pub gateway_reference: String,
    /// The page to send the customer to: Midtrans `redirect_url`, Xendit
    /// `invoice_url`, the Pakasir hosted page.
    pub redirect_url: Option<String>,
    /// The QRIS payload to render as a QR code (Pakasir).
    pub qr_string: Option<String>,
    /// What the customer will actually pay: Pakasir adds its fee
    /// (`total_payment`); the others charge exactly the amount.
    pub total_payable: Money,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Where a charge stands, in the shop's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Not paid yet, or held for review (Midtrans `challenge`).
    Pending,
    /// The money is ours: Midtrans `settlement` or accepted `capture`, Xendit
    /// `PAID`/`SETTLED`, Pakasir `completed`.
    Paid,
    /// Will never be paid: denied, cancelled, expired or failed.
    Failed,
    /// Was paid, then given back: refund, partial refund, chargeback.
    Reversed,
    /// The gateway does not know the charge. A Midtrans Snap charge stays
    /// unknown until the customer picks a payment method.
    NotFound,
}

impl PaymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Paid => "paid",
            PaymentState::Failed => "failed",
            PaymentState::Reversed => "reversed",
            PaymentState::NotFound => "not_found",
        }
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a gateway says about one charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub state: PaymentState,
    /// The gateway's id of the money movement, the unique key of a payment:
    /// Midtrans `transaction_id`; Xendit `payment_id`, else the invoice id;
    /// Pakasir `order_id`.
    pub transaction_id: Option<String>,
    /// What was actually paid, parsed exactly from the gateway's decimal
    /// text or number; set when the state is `Paid` or `Reversed`.
    pub paid_amount: Option<Money>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The gateway's name of how it was paid: `bank_transfer` (Midtrans
    /// `payment_type`), `BCA`/`QRIS` (Xendit `payment_channel`), `qris`.
    pub payment_method: Option<String>,
}

impl StatusReport {
    /// A charge the gateway does not know.
    pub fn not_found() -> Self {
        StatusReport {
            state: PaymentState::NotFound,
            transaction_id: None,
            paid_amount: None,
            paid_at: None,
            payment_method: None,
        }
    }
}

/// A charge found by our reference; see [`PaymentGateway::find_charges`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCharge {
    pub gateway_reference: String,
    pub status: StatusReport,
}

/// A notification (webhook, callback) after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Which of our attempts it is about: the Midtrans `order_id`, the
    /// Xendit invoice `id`, the Pakasir `order_id`.
    pub gateway_reference: String,
    /// Gateways repeat notifications and send them out of order; one event
    /// has one key: Midtrans `order_id|transaction_status|transaction_id`,
    /// Xendit `id|status`, Pakasir `order_id|status|completed_at`.
    pub event_key: String,
    /// What the notification claims.
    pub claimed: StatusReport,
    /// The gateway vouched for it (Midtrans signature, Xendit callback
    /// token). Pakasir signs nothing: its webhook only proves that someone
    /// knows our path token, so the caller must confirm with
    /// [`PaymentGateway::status`] before believing it.
    pub trusted: bool,
}

/// A notification as our HTTP endpoint received it.
#[derive(Debug, Clone, Copy)]
pub struct IncomingNotification<'a> {
    /// Header names in lower case.
    pub headers: &'a [(String, String)],
    /// The secret segment of the webhook URL, for gateways that sign nothing
    /// (Pakasir: `/payments/webhooks/pakasir/{token}`).
    pub path_token: Option<&'a str>,
    pub body: &'a [u8],
}

impl IncomingNotification<'_> {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Our credentials worked, and how fast the gateway answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    pub latency_ms: u64,
    pub detail: String,
}

/// Why a gateway call or a notification failed. No variant carries a
/// secret: texts come from the gateway's own error message or are ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// A notification whose signature, callback token or path token does
    /// not verify; the endpoint answers 401.
    #[error("notification not authenticated: {0}")]
    Unauthenticated(String),
    /// A notification or gateway answer we cannot read.
    #[error("malformed gateway message: {0}")]
    Malformed(String),
    /// The gateway refused the request (4xx): a duplicate order id, a
    /// validation error. Retrying the same request will not help.
    #[error("gateway rejected the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    /// The gateway refused our key (401/403): configuration, not the
    /// customer.
    #[error("gateway refused our credentials: {0}")]
    BadCredentials(String),
    /// Connection refused, DNS, TLS, timeout, 5xx or 429: worth retrying
    /// later.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    #[error("the gateway does not take {0}")]
    UnsupportedCurrency(Currency),
}

impl GatewayError {
    /// Whether the same call may succeed later (network, 5xx, 429).
    pub fn is_retryable(&self) -> bool {
        matches!(self, GatewayError::Unavailable(_))
    }
}

/// One payment gateway: what the shop asks of every one of them.
pub trait PaymentGateway: Send + Sync {
    fn kind(&self) -> GatewayKind;

    /// Whether charges in `currency` can be created here.
    fn supports(&self, currency: Currency) -> bool;

    /// Creates the charge and returns where to send the customer.
    fn create_charge<'a>(
        &'a self,
        request: &'a ChargeRequest,
    ) -> BoxFuture<'a, Result<Charge, GatewayError>>;

    /// The charge's state now. `amount` is the charge's amount: Pakasir
    /// cannot find a transaction without it; the others ignore it. A charge
    /// the gateway does not know is `Ok` with [`PaymentState::NotFound`].
    fn status<'a>(
        &'a self,
        gateway_reference: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<StatusReport, GatewayError>>;

    /// Makes the charge unpayable (Midtrans cancel, Xendit expire, Pakasir
    /// cancel). A charge the gateway does not know is already unpayable:
    /// `Ok`. Note that a Midtrans Snap page whose customer has not picked a
    /// payment method is unknown to the Core API, so it stays payable until
    /// it expires: a late payment must still be handled.
    fn cancel<'a>(
        &'a self,
        gateway_reference: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<(), GatewayError>>;

    /// Checks a notification's authenticity and reads it.
    fn verify_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Notification, GatewayError>;

    /// A harmless authenticated read: `Ok` with the latency when our
    /// credentials are accepted, [`GatewayError::BadCredentials`] when not.
    fn test_connection<'a>(&'a self) -> BoxFuture<'a, Result<ConnectionReport, GatewayError>>;

    /// The charges the gateway holds for our `reference`, for when a create
    /// call's outcome was unclear (a timeout, a lost answer). Where the
    /// gateway reference is our reference (Midtrans, Pakasir) this is the
    /// status call; Xendit lists invoices by `external_id`, which it does
    /// not keep unique. Empty when none is known — which for Midtrans
    /// includes a Snap charge whose customer has not picked a method yet, so
    /// a retry there must use a new reference.
    fn find_charges<'a>(
        &'a self,
        reference: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<Vec<FoundCharge>, GatewayError>> {
        Box::pin(async move {
            let status = self.status(reference, amount).await?;
            Ok(match status.state {
                PaymentState::NotFound => Vec::new(),
                _ => vec![FoundCharge {
                    gateway_reference: reference.to_owned(),
                    status,
                }],
            })
        })
    }
}

/// Secrets in `Debug` output: whether one is set, never what it is.
fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() { "<empty>" } else { "***" }
}

/// Compares a received signature or token with the expected one in time
/// that does not depend on where they first differ.
fn secrets_match(received: &[u8], expected: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    // An empty expected secret is a missing configuration, never a match.
    !expected.is_empty() && bool::from(received.ct_eq(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_kinds_round_trip_through_their_names() {
        for kind in GatewayKind::ALL {
            assert_eq!(kind.as_str().parse::<GatewayKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
            assert_eq!(
                serde_json::to_string(&kind).expect("serialises"),
                format!("\"{}\"", kind.as_str())
            );
        }
        assert_eq!(" Xendit ".parse::<GatewayKind>(), Ok(GatewayKind::Xendit));
        assert_eq!(
            "doku".parse::<GatewayKind>(),
            Err(UnknownGateway("doku".to_owned()))
        );
    }

    #[test]
    fn secrets_match_only_when_equal_and_configured() {
        assert!(secrets_match(b"token", b"token"));
        assert!(!secrets_match(b"token", b"tokeN"));
        assert!(!secrets_match(b"tok", b"token"));
        assert!(!secrets_match(b"", b""));
    }

    #[test]
    fn only_unavailability_is_retryable() {
        assert!(GatewayError::Unavailable("timeout".into()).is_retryable());
        assert!(
            !GatewayError::Rejected {
                status: 400,
                message: "taken".into()
            }
            .is_retryable()
        );
        assert!(!GatewayError::BadCredentials("no".into()).is_retryable());
    }
}
