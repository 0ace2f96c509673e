//! Payments: the gateways behind one trait ([`gateway`]), their settings
//! and secrets ([`methods`]), starting a payment of an invoice
//! ([`attempt`]), gateway notifications ([`webhook`]), asking gateways
//! about payments that went quiet ([`reconcile`]), the one place an invoice
//! becomes paid ([`settle`]), manual bank transfers confirmed by finance
//! ([`manual`]) and refunds as credit notes ([`refund`]); what each tells
//! the client and staff is in `crate::invoice::messages`.

pub mod attempt;
pub mod finance;
pub mod gateway;
pub mod manual;
pub mod methods;
pub mod reconcile;
pub mod refund;
pub mod settle;
pub mod webhook;

use domain::{Sealer, ShopCalendar};
use sqlx::PgPool;

/// What payment code needs from its surroundings.
#[derive(Clone)]
pub struct PaymentContext {
    pub pool: PgPool,
    pub sealer: std::sync::Arc<Sealer>,
    pub http: reqwest::Client,
    pub clock: domain::Clock,
}

impl PaymentContext {
    pub fn calendar(&self) -> ShopCalendar {
        self.clock.calendar()
    }
}
