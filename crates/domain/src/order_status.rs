//! The order's life as a state machine: which moves are legal is decided
//! here, once, and every writer of an order asks before it moves one.
//!
//! ```text
//! PENDING_PAYMENT ──paid──▶ PAID ──▶ PROVISIONING ──▶ ACTIVE
//!        │                   │            │
//!        └──▶ CANCELLED ◀────┘            └──▶ FAILED ──retry──▶ PROVISIONING
//!                 ▲                                 │
//!                 └─────────────(refunded)──────────┘
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Provisioning,
    Active,
    Cancelled,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status `{0}`")]
pub struct UnknownOrderStatus(pub String);

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Provisioning,
        OrderStatus::Active,
        OrderStatus::Cancelled,
        OrderStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Provisioning => "provisioning",
            OrderStatus::Active => "active",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Failed => "failed",
        }
    }

    /// Whether the machine allows `self → to`. Staying put is not a move:
    /// callers that may repeat (a replayed webhook) check the current state
    /// first and do nothing.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (PendingPayment, Paid)
                | (PendingPayment, Cancelled)
                | (Paid, Provisioning)
                // A paid order that will not be delivered is refunded and
                // cancelled, never sent back to unpaid.
                | (Paid, Cancelled)
                | (Provisioning, Active)
                | (Provisioning, Failed)
                | (Failed, Provisioning)
                | (Failed, Cancelled)
        )
    }

    pub fn transition(self, to: OrderStatus) -> Result<OrderStatus, IllegalTransition> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }

    /// No move leaves these.
    pub fn is_final(self) -> bool {
        OrderStatus::ALL.iter().all(|to| !self.can_become(*to))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = UnknownOrderStatus;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
            .ok_or_else(|| UnknownOrderStatus(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_is_legal_step_by_step() {
        let mut status = PendingPayment;
        for next in [Paid, Provisioning, Active] {
            status = status.transition(next).expect("a forward step");
        }
        assert_eq!(status, Active);
    }

    #[test]
    fn nothing_moves_backwards_or_skips_payment() {
        for (from, to) in [
            (Paid, PendingPayment),
            (Active, Paid),
            (Active, PendingPayment),
            (PendingPayment, Provisioning),
            (PendingPayment, Active),
            (Cancelled, Paid),
            (Cancelled, PendingPayment),
            (Active, Cancelled),
            (Paid, Paid),
        ] {
            assert_eq!(
                from.transition(to),
                Err(IllegalTransition { from, to }),
                "{from} → {to}"
            );
        }
    }

    #[test]
    fn active_and_cancelled_are_final_and_a_failed_order_can_be_retried() {
        assert!(Active.is_final());
        assert!(Cancelled.is_final());
        assert!(!Failed.is_final());
        assert_eq!(Failed.transition(Provisioning), Ok(Provisioning));
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
        }
        assert!("PAID".parse::<OrderStatus>().is_err());
    }
}
