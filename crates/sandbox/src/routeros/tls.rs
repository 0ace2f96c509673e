//! API-SSL's certificate: the fakes' committed self-signed one (ECDSA P-256
//! for `127.0.0.1` and `localhost`), the same the Proxmox fake serves. A
//! real router needs one too: without it API-SSL falls back to anonymous
//! Diffie-Hellman, which rustls does not speak, so clients pin its
//! fingerprint instead.

use std::{net::SocketAddr, sync::Arc};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest as _, Sha256};
use tokio_rustls::TlsAcceptor;

use crate::error::SandboxError;

const CERTIFICATE: &[u8] = include_bytes!("../proxmox/fake-pve-cert.der");
const PRIVATE_KEY: &[u8] = include_bytes!("../proxmox/fake-pve-key.der");

pub(crate) fn certificate_fingerprint() -> [u8; 32] {
    Sha256::digest(CERTIFICATE).into()
}

pub(crate) fn acceptor(addr: SocketAddr) -> Result<TlsAcceptor, SandboxError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| {
            builder.with_no_client_auth().with_single_cert(
                vec![CertificateDer::from(CERTIFICATE.to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(PRIVATE_KEY.to_vec())),
            )
        })
        .map_err(|error| SandboxError::Bind {
            service: "RouterOS API-SSL",
            addr,
            source: std::io::Error::other(error),
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
