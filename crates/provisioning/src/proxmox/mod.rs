//! The Proxmox VE client of VPS provisioning: `/api2/json` over HTTPS with
//! an API token or a password (ticket plus CSRF token, renewed after an
//! hour or on a 401), the node's certificate trusted by the web PKI or
//! pinned by fingerprint, and the calls a VPS delivery needs — pick a node,
//! clone a template, set cloud-init, resize, power, wait for tasks (with
//! bpg's tolerance of a task not yet known), adopt a VM found by name,
//! destroy. Errors are sorted for retry and adoption decisions
//! ([`ProxmoxError`]); no error, log or `Debug` output carries a secret.
//!
//! Tested against the sandbox's faithful fake (`sandbox::proxmox`).

mod client;
mod error;
mod types;
mod upid;

use std::time::Duration;

pub use client::ProxmoxClient;
pub use error::ProxmoxError;
pub use pinned_tls::Fingerprint;
pub use types::{
    CloneRequest, IpConfig, NodeStatus, PowerAction, PveVersion, TaskStatus, VmConfig, VmStatus,
    VmSummary, decode_ssh_keys, encode_ssh_keys,
};
pub use upid::{InvalidUpid, Upid};

/// Where and how to reach a PVE cluster.
#[derive(Clone)]
pub struct ProxmoxConfig {
    /// `https://host:8006` (the client adds `/api2/json`); plain `http://`
    /// only for the sandbox.
    pub base_url: String,
    pub auth: ProxmoxAuth,
    pub tls: TlsTrust,
    /// Per request: connect, send and the whole answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for ProxmoxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxmoxConfig")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How the client logs in.
#[derive(Clone, PartialEq, Eq)]
pub enum ProxmoxAuth {
    /// `token_id` is `user@realm!tokenid`; the secret a UUID.
    Token { token_id: String, secret: String },
    /// `username` is `user@realm`.
    Password { username: String, password: String },
}

impl std::fmt::Debug for ProxmoxAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxmoxAuth::Token { token_id, .. } => f
                .debug_struct("Token")
                .field("token_id", token_id)
                .field("secret", &"***")
                .finish(),
            ProxmoxAuth::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"***")
                .finish(),
        }
    }
}

/// Which certificate the client accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsTrust {
    /// A certificate of the web PKI (Mozilla's roots) for the host name.
    PublicRoots,
    /// Exactly the certificate with this SHA-256 fingerprint (any case, with
    /// or without colons), as the node's GUI shows it.
    Fingerprint(String),
}
