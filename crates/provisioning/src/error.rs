//! What provisioning can fail with; the API maps each to HTTP in one place
//! (`api::error`).

use domain::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum ProvisioningError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error("{0}")]
    NotFound(&'static str),
    /// The request is well formed but the current state refuses it (a 409).
    #[error("{detail}")]
    Refused { code: &'static str, detail: String },
    /// Something that could be had once and was (a 410).
    #[error("{detail}")]
    Gone { code: &'static str, detail: String },
    #[error(transparent)]
    Billing(#[from] billing::BillingError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Jobs(#[from] jobs::Error),
    #[error(transparent)]
    Notify(#[from] notify::NotifyError),
    #[error(transparent)]
    Sealing(#[from] domain::SealingError),
    /// A remote system (Proxmox, WHM, the registrar) refused or could not be
    /// reached; `kind` is the client's classification (dns, refused, tls,
    /// unauthorized, timeout, …).
    #[error("{system}: {message}")]
    Remote {
        system: &'static str,
        kind: &'static str,
        message: String,
        transient: bool,
    },
    /// Stored data that does not read back (a broken invariant); a 500.
    #[error("stored provisioning data does not read back: {0}")]
    Corrupt(String),
}

impl ProvisioningError {
    pub fn refused(code: &'static str, detail: impl Into<String>) -> Self {
        ProvisioningError::Refused {
            code,
            detail: detail.into(),
        }
    }

    /// Whether trying the same thing later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ProvisioningError::Remote { transient, .. } => *transient,
            ProvisioningError::Database(_) | ProvisioningError::Jobs(_) => true,
            _ => false,
        }
    }
}
