//! Domain registration at a registrar, as one [`Registrar`] trait: register a
//! name, find a registration (to adopt one whose answer was lost), point it
//! at nameservers. [`ResellerClubRegistrar`] speaks ResellerClub's HTTP API;
//! the sandbox crate holds a fake of it.

mod resellerclub;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use self::resellerclub::{ResellerClubConfig, ResellerClubRegistrar};

/// Who registers the name: the registrant, also used as the admin, tech and
/// billing contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrantContact {
    pub name: String,
    pub email: String,
    /// E.164 (`+62812…`) or a national number (`0812…`, taken as Indonesian).
    pub phone: String,
    /// Street, city and postal code, comma-separated (`Jl. Merdeka 1,
    /// Bandung, 40111`): the last part without digits is taken as the city,
    /// a 5-digit group as the postal code.
    pub address: String,
    /// ISO 3166-1 alpha-2 (`ID`).
    pub country: String,
}

/// One registration to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRequest {
    /// The name, Unicode or A-labels.
    pub domain: String,
    /// 1–10.
    pub years: u8,
    /// At least two; the registry may refuse unknown hosts.
    pub nameservers: Vec<String>,
    pub contact: RegistrantContact,
}

/// A name registered at the registrar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub domain: String,
    /// The registrar's order id: what renewals and changes refer to.
    pub registrar_order_id: String,
    pub expires_at: DateTime<Utc>,
    pub nameservers: Vec<String>,
    /// The registrar's status text (`Active`, …).
    pub status: String,
}

/// A failed registrar call. Transport failures and timeouts are
/// [`RegistrarError::Unavailable`]: for `register` the outcome is then
/// unknown, so [`Registrar::find`] the name before trying again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrarError {
    #[error("the registrar is unavailable: {0}")]
    Unavailable(String),
    #[error("the registrar refused: {0}")]
    Rejected(String),
    #[error("the registrar refused our credentials")]
    Unauthorized,
    #[error("the registrar answered something unexpected: {0}")]
    Protocol(String),
}

impl RegistrarError {
    /// Whether the same call may succeed later unchanged.
    pub fn is_transient(&self) -> bool {
        matches!(self, RegistrarError::Unavailable(_))
    }

    /// A short stable name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            RegistrarError::Unavailable(_) => "unavailable",
            RegistrarError::Rejected(_) => "rejected",
            RegistrarError::Unauthorized => "unauthorized",
            RegistrarError::Protocol(_) => "protocol",
        }
    }
}

/// A domain registrar.
pub trait Registrar: Send + Sync {
    /// Registers the name for `years` with the contact and nameservers.
    fn register<'a>(
        &'a self,
        request: &'a RegistrationRequest,
    ) -> BoxFuture<'a, Result<Registration, RegistrarError>>;

    /// Our registration of `domain`, if we hold one: what to adopt after a
    /// lost `register` answer.
    fn find<'a>(
        &'a self,
        domain: &'a str,
    ) -> BoxFuture<'a, Result<Option<Registration>, RegistrarError>>;

    /// Delegates `domain` to `nameservers`.
    fn set_nameservers<'a>(
        &'a self,
        domain: &'a str,
        nameservers: &'a [String],
    ) -> BoxFuture<'a, Result<(), RegistrarError>>;
}

/// The registrar of a shop that has not configured one: every call is
/// refused with that reason, so a domain order fails visibly (and can be
/// retried once sysadmin configures the registrar) instead of the app
/// refusing to start.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotConfigured;

fn not_configured() -> RegistrarError {
    RegistrarError::Rejected("no domain registrar is configured (REGISTRAR_* settings)".to_owned())
}

impl Registrar for NotConfigured {
    fn register<'a>(
        &'a self,
        _request: &'a RegistrationRequest,
    ) -> BoxFuture<'a, Result<Registration, RegistrarError>> {
        Box::pin(async { Err(not_configured()) })
    }

    fn find<'a>(
        &'a self,
        _domain: &'a str,
    ) -> BoxFuture<'a, Result<Option<Registration>, RegistrarError>> {
        Box::pin(async { Err(not_configured()) })
    }

    fn set_nameservers<'a>(
        &'a self,
        _domain: &'a str,
        _nameservers: &'a [String],
    ) -> BoxFuture<'a, Result<(), RegistrarError>> {
        Box::pin(async { Err(not_configured()) })
    }
}
