//! Value types and rules of Juragan, with no I/O: money, validation errors and
//! (as features arrive) emails, phone numbers, hostnames, ports and the state
//! machines of orders, invoices and services. Everything here is parsed once at
//! the edge and trusted inside.

pub mod calendar;
pub mod domain_name;
pub mod email;
pub mod money;
pub mod order_status;
pub mod phone;
pub mod sealing;
pub mod secret_display;
pub mod tax;
pub mod validation;

pub use calendar::{BillingPeriod, Clock, ShopCalendar, UnknownTimeZone};
pub use domain_name::{DomainLabel, DomainName, DomainQuery, InvalidDomain, LabelProblem};
pub use email::{Email, InvalidEmail};
pub use money::{Currency, Money, MoneyError};
pub use order_status::{IllegalTransition, OrderStatus};
pub use phone::{InvalidPhone, PhoneId};
pub use sealing::{Sealed, Sealer, SealingError};
pub use secret_display::{mask_secret, normalise_fingerprint};
pub use tax::{TaxRule, Taxed};
pub use validation::{FieldError, ValidationErrors};

/// The most items one page of a cursor-paged list holds: a larger `limit`
/// is clamped to it, and the OpenAPI document shows it as the maximum.
pub const PAGE_SIZE_MAX: i64 = 100;
