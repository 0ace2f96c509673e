//! What orders, invoices, payments, promo codes and the wallet can fail
//! with; the API maps each to HTTP in one place (`api::error`).

use domain::ValidationErrors;

use crate::catalog::CatalogError;
use crate::payment::gateway::GatewayError;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error("{0}")]
    NotFound(&'static str),
    /// The request is well formed but the shop's state refuses it (a 409).
    #[error("{}", .0.detail())]
    Refused(Refusal),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A payment gateway refused or could not be reached; a webhook that
    /// does not verify is `GatewayError::Unauthenticated`.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    IllegalTransition(#[from] domain::IllegalTransition),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Jobs(#[from] jobs::Error),
    #[error(transparent)]
    Notify(#[from] notify::NotifyError),
    #[error(transparent)]
    Sealing(#[from] domain::SealingError),
    /// Stored data that does not read back (a broken invariant); a 500.
    #[error("stored billing data does not read back: {0}")]
    Corrupt(String),
}

/// Why the shop said no; each has a stable code the client can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The promo code's total use limit is reached.
    PromoExhausted,
    /// This client has used the code as often as it allows.
    PromoLimitReached,
    OutOfStock,
    InsufficientFunds,
    /// The `Idempotency-Key` was used before with a different request.
    IdempotencyKeyReused,
    /// The invoice is paid, cancelled or refunded.
    InvoiceNotPayable,
    /// The payment method is switched off (or not configured).
    MethodDisabled,
    /// The gateway does not take the invoice's currency.
    CurrencyNotSupported,
    /// Only an unpaid order can be cancelled by its client.
    OrderNotCancellable,
    /// The payment attempt was decided already.
    AttemptDecided,
    /// A refund larger than what was paid and not yet refunded.
    RefundTooLarge,
    /// The digital item was shown once already; it is in the client's email.
    ItemAlreadyShown,
    /// Still used by orders; deactivate it instead.
    PromoInUse,
    /// Only an active or suspended service can be cancelled.
    ServiceNotCancellable,
    /// The cancellation is being carried out; it cannot change now.
    CancellationUnderway,
    /// Only an active recurring VPS, hosting or internet service without a
    /// pending cancellation moves to another plan.
    PlanNotChangeable,
    /// The service's due date has come: its renewal is paid first.
    RenewalDue,
    /// Another plan change waits for its payment.
    PlanChangePending,
    /// Part of the change's invoice is paid; it cannot be withdrawn.
    PlanChangePaidInPart,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::PromoExhausted => "promo_exhausted",
            Refusal::PromoLimitReached => "promo_limit_reached",
            Refusal::OutOfStock => "out_of_stock",
            Refusal::InsufficientFunds => "insufficient_funds",
            Refusal::IdempotencyKeyReused => "idempotency_key_reused",
            Refusal::InvoiceNotPayable => "invoice_not_payable",
            Refusal::MethodDisabled => "payment_method_disabled",
            Refusal::CurrencyNotSupported => "currency_not_supported",
            Refusal::OrderNotCancellable => "order_not_cancellable",
            Refusal::AttemptDecided => "attempt_decided",
            Refusal::RefundTooLarge => "refund_too_large",
            Refusal::ItemAlreadyShown => "item_already_shown",
            Refusal::PromoInUse => "promo_in_use",
            Refusal::ServiceNotCancellable => "service_not_cancellable",
            Refusal::CancellationUnderway => "cancellation_underway",
            Refusal::PlanNotChangeable => "plan_not_changeable",
            Refusal::RenewalDue => "renewal_due",
            Refusal::PlanChangePending => "plan_change_pending",
            Refusal::PlanChangePaidInPart => "plan_change_paid_in_part",
        }
    }

    pub fn detail(self) -> &'static str {
        match self {
            Refusal::PromoExhausted => "this promo code has been used up",
            Refusal::PromoLimitReached => "you have used this promo code as often as it allows",
            Refusal::OutOfStock => "this product is out of stock",
            Refusal::InsufficientFunds => "the wallet balance does not cover this amount",
            Refusal::IdempotencyKeyReused => {
                "this Idempotency-Key was used with a different request"
            }
            Refusal::InvoiceNotPayable => "this invoice is not open for payment",
            Refusal::MethodDisabled => "this payment method is not available",
            Refusal::CurrencyNotSupported => {
                "this payment method does not take the invoice's currency"
            }
            Refusal::OrderNotCancellable => "only an unpaid order can be cancelled",
            Refusal::AttemptDecided => "this payment was decided already",
            Refusal::RefundTooLarge => "the refund is larger than what is left to refund",
            Refusal::ItemAlreadyShown => {
                "the item was shown once already; it is in the email we sent"
            }
            Refusal::PromoInUse => "orders used this code; deactivate it instead",
            Refusal::ServiceNotCancellable => {
                "only an active or suspended service can be cancelled"
            }
            Refusal::CancellationUnderway => {
                "the cancellation is being carried out and cannot change now"
            }
            Refusal::PlanNotChangeable => {
                "only an active VPS, hosting or internet service that renews, with no cancellation pending, can change its plan"
            }
            Refusal::RenewalDue => "the service is due for renewal; pay the renewal invoice first",
            Refusal::PlanChangePending => {
                "another plan change waits for its payment; pay or withdraw it first"
            }
            Refusal::PlanChangePaidInPart => {
                "part of this plan change's invoice is paid; pay the rest or ask finance for a refund"
            }
        }
    }
}

impl From<Refusal> for BillingError {
    fn from(refusal: Refusal) -> Self {
        BillingError::Refused(refusal)
    }
}

impl From<domain::MoneyError> for BillingError {
    fn from(error: domain::MoneyError) -> Self {
        BillingError::Corrupt(error.to_string())
    }
}
