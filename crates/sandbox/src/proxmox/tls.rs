//! HTTPS for the Proxmox fake, as a PVE node serves its API on 8006 with a
//! self-signed certificate: a TLS terminator in front of the plain fake, so
//! that a client's fingerprint pinning meets a real handshake. The
//! certificate (ECDSA P-256, for `127.0.0.1`, `localhost` and
//! `pve-jkt-1.sandbox.test`, valid for a century) and its key are committed
//! test material, never used anywhere else.

use std::{net::SocketAddr, sync::Arc};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest as _, Sha256};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::error::SandboxError;

const SERVICE: &str = "Proxmox (TLS)";
const CERTIFICATE: &[u8] = include_bytes!("fake-pve-cert.der");
const PRIVATE_KEY: &[u8] = include_bytes!("fake-pve-key.der");

/// The certificate's SHA-256 fingerprint as PVE shows it:
/// colon-separated upper-case hex.
pub(crate) fn certificate_fingerprint() -> String {
    Sha256::digest(CERTIFICATE)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Accepts TLS on its address and relays each connection to the plain
/// fake; dropping it stops accepting.
#[derive(Debug)]
pub(crate) struct TlsTerminator {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl TlsTerminator {
    pub(crate) async fn start(
        addr: SocketAddr,
        upstream: SocketAddr,
    ) -> Result<Self, SandboxError> {
        Self::start_named(SERVICE, addr, upstream).await
    }

    /// The same for another fake's HTTPS (`service` names it in errors).
    pub(crate) async fn start_named(
        service: &'static str,
        addr: SocketAddr,
        upstream: SocketAddr,
    ) -> Result<Self, SandboxError> {
        let bind_error = |source| SandboxError::Bind {
            service,
            addr,
            source,
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| {
                builder.with_no_client_auth().with_single_cert(
                    vec![CertificateDer::from(CERTIFICATE.to_vec())],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(PRIVATE_KEY.to_vec())),
                )
            })
            .map_err(|error| bind_error(std::io::Error::other(error)))?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
        let bound = listener
            .local_addr()
            .map_err(|source| SandboxError::LocalAddr { service, source })?;
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut client) = acceptor.accept(client).await else {
                        return;
                    };
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Ok(TlsTerminator { addr: bound, task })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for TlsTerminator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
