//! What can go wrong talking to Proxmox, sorted so that callers can decide:
//! retry ([`ProxmoxError::is_transient`]), adopt (`AlreadyExists`), give up,
//! or show the operator a stable [`ProxmoxError::kind`]. No variant ever
//! holds a URL, a secret, a password or a ticket.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxmoxError {
    /// The host name does not resolve.
    #[error("Proxmox host name does not resolve: {0}")]
    Dns(String),
    /// Nothing listens on the port.
    #[error("Proxmox refused the connection: {0}")]
    Refused(String),
    /// The handshake failed; with fingerprint pinning the message names the
    /// fingerprint the server presented (it is public).
    #[error("TLS with Proxmox failed: {0}")]
    Tls(String),
    /// No answer within the timeout (the request may still have been done).
    #[error("Proxmox did not answer in time")]
    Timeout,
    /// The connection broke before a complete answer (the request may still
    /// have been done).
    #[error("the connection to Proxmox broke before the answer: {0}")]
    ConnectionLost(String),
    /// 401: wrong token, password or ticket.
    #[error("Proxmox refused the credentials")]
    Unauthorized,
    /// 403: the token or user lacks a privilege.
    #[error("Proxmox denied the permission: {0}")]
    Forbidden(String),
    /// 404, or a 500 saying "does not exist".
    #[error("not found on Proxmox: {0}")]
    NotFound(String),
    /// A 500 saying "already exists" (a VMID taken).
    #[error("already exists on Proxmox: {0}")]
    AlreadyExists(String),
    /// 400 `Parameter verification failed.` with the offending parameters.
    #[error("Proxmox rejected parameters: {message} {errors:?}")]
    Parameter {
        message: String,
        errors: BTreeMap<String, String>,
    },
    /// The VM's config lock is held ("got timeout", "VM is locked").
    #[error("the VM is locked on Proxmox: {0}")]
    Locked(String),
    /// Any other error status (595-599 are PVE's proxy failures between
    /// nodes).
    #[error("Proxmox answered {status}: {message}")]
    Server { status: u16, message: String },
    /// The task ended with an error exit status.
    #[error("Proxmox task {upid} failed: {exitstatus}")]
    TaskFailed { upid: String, exitstatus: String },
    /// An answer that is not what PVE sends, or a configuration that cannot
    /// work (a bad base URL or fingerprint).
    #[error("unexpected exchange with Proxmox: {0}")]
    Protocol(String),
}

impl ProxmoxError {
    /// Worth trying again later, the same way.
    pub fn is_transient(&self) -> bool {
        match self {
            ProxmoxError::Timeout
            | ProxmoxError::Refused(_)
            | ProxmoxError::ConnectionLost(_)
            | ProxmoxError::Locked(_) => true,
            ProxmoxError::Server { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// A stable name for the UI and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ProxmoxError::Dns(_) => "dns",
            ProxmoxError::Refused(_) => "refused",
            ProxmoxError::Tls(_) => "tls",
            ProxmoxError::Timeout => "timeout",
            ProxmoxError::ConnectionLost(_) => "connection_lost",
            ProxmoxError::Unauthorized => "unauthorized",
            ProxmoxError::Forbidden(_) => "forbidden",
            ProxmoxError::NotFound(_) => "not_found",
            ProxmoxError::AlreadyExists(_) => "already_exists",
            ProxmoxError::Parameter { .. } => "parameter",
            ProxmoxError::Locked(_) => "locked",
            ProxmoxError::Server { .. } => "server",
            ProxmoxError::TaskFailed { .. } => "task_failed",
            ProxmoxError::Protocol(_) => "protocol",
        }
    }

    /// Sorts an error answer as bpg does: "does not exist" is not found,
    /// "already exists" a taken ID, a held lock transient.
    pub(crate) fn from_status(
        status: u16,
        message: String,
        errors: BTreeMap<String, String>,
    ) -> Self {
        let lower = message.to_lowercase();
        match status {
            401 => ProxmoxError::Unauthorized,
            403 => ProxmoxError::Forbidden(message),
            400 => ProxmoxError::Parameter { message, errors },
            404 => ProxmoxError::NotFound(message),
            _ if lower.contains("does not exist") => ProxmoxError::NotFound(message),
            _ if lower.contains("already exists") => ProxmoxError::AlreadyExists(message),
            _ if lower.contains("got timeout") || lower.contains("is locked") => {
                ProxmoxError::Locked(message)
            }
            _ => ProxmoxError::Server { status, message },
        }
    }
}
