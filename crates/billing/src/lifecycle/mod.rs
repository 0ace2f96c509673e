//! The billing lifecycle of a recurring service (SPEC C5; seed 001: suspend
//! 3 days and terminate 15 days after the due date).
//!
//! A service paid for a recurring cycle carries its terms
//! ([`crate::service::terms`]): the
//! cycle, price and currency, the recurring promo, the anchor day (the day
//! of month it was paid on) and the day it is next due. The sweep
//! ([`sweep`]), a periodic job, does for the shop's today:
//! - invoices the next period N days before it is due (per product, 7 by
//!   default), with the recurring promo's discount, paid at once from the
//!   wallet when the client opted in and the balance covers it;
//! - reminds 3 days before the due date, on it, and once overdue, and adds
//!   the product's late fee once to an overdue invoice;
//! - suspends a service still unpaid 3 days after the due date and
//!   terminates it 15 days after (per product, overridable per service; a
//!   staff extension holds both off until its day);
//! - ends services whose cancellation is due.
//!
//! Every decision is a `lifecycle_event` row keyed by service, period and
//! kind, inserted in the transaction that carries it out: running the
//! sweep again does nothing, a sweep after missed days catches up with
//! only the latest reminder, and replicas sweeping at once decide each
//! thing once. Remote work (stop, suspend, delete) is not done here: the
//! sweep enqueues a [`SERVICE_ACTION_JOB`], which `provisioning` handles —
//! the same kind of handoff as a paid order's delivery.
//!
//! Paying a renewal invoice ([`crate::service::terms::renewal_paid`]) moves the due date on
//! by exactly one period (a second payment, or one racing the sweep, finds
//! it moved already) and unsuspends a service suspended for not paying.

pub mod cancellation;
pub mod notices;
pub mod settings;
pub mod sweep;
pub mod view;
pub mod watchdog;

pub(crate) use crate::service::action::enqueue as enqueue_action;
pub use crate::service::action::{
    Cause, LifecycleAction, SERVICE_ACTION_JOB, ServiceActionJob, still_warranted,
};
