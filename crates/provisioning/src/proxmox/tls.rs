//! TLS towards a PVE node: the public web PKI, or the node's self-signed
//! certificate pinned by its SHA-256 fingerprint (as the PVE GUI shows it).
//! Pinning compares the end-entity certificate's digest and still checks the
//! handshake signature with ring, so only the key's holder passes. Both use
//! the ring provider explicitly: no process-wide default is needed.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::CryptoProvider,
    pki_types::{CertificateDer, ServerName, UnixTime},
};
use sha2::{Digest as _, Sha256};

use super::ProxmoxError;

/// A SHA-256 fingerprint: 32 bytes, parsed from hex in any case, with or
/// without colons.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn parse(text: &str) -> Result<Self, ProxmoxError> {
        let hex_digits: String = text
            .chars()
            .filter(|c| !matches!(c, ':' | ' ' | '-'))
            .collect();
        let bytes = hex::decode(&hex_digits)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| {
                ProxmoxError::Protocol(
                    "the pinned fingerprint is not a SHA-256 fingerprint (64 hex digits)".into(),
                )
            })?;
        Ok(Fingerprint(bytes))
    }

    pub fn of_certificate(der: &[u8]) -> Self {
        Fingerprint(Sha256::digest(der).into())
    }
}

impl std::fmt::Display for Fingerprint {
    /// `AB:CD:…`, as PVE shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: Vec<String> = self.0.iter().map(|byte| format!("{byte:02X}")).collect();
        f.write_str(&text.join(":"))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// The fingerprint a refused server presented, kept for the error message
/// (rustls' error travels through hyper as text).
#[derive(Debug, Default)]
pub(crate) struct SeenFingerprint(Mutex<Option<Fingerprint>>);

impl SeenFingerprint {
    pub(crate) fn last(&self) -> Option<Fingerprint> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
struct PinnedVerifier {
    expected: Fingerprint,
    seen: Arc<SeenFingerprint>,
    provider: Arc<CryptoProvider>,
}

#[derive(Debug, thiserror::Error)]
#[error("certificate fingerprint {seen} is not the pinned one")]
struct FingerprintMismatch {
    seen: Fingerprint,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = Fingerprint::of_certificate(end_entity.as_ref());
        if seen == self.expected {
            return Ok(ServerCertVerified::assertion());
        }
        *self.seen.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(seen);
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Other(rustls::OtherError(Arc::new(FingerprintMismatch {
                seen,
            }))),
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn builder()
-> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>, ProxmoxError> {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| ProxmoxError::Tls(error.to_string()))
}

/// Trusts the web PKI (Mozilla's roots).
pub(crate) fn public_roots() -> Result<rustls::ClientConfig, ProxmoxError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(builder()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Trusts exactly the certificate with this fingerprint.
pub(crate) fn pinned(
    expected: Fingerprint,
    seen: Arc<SeenFingerprint>,
) -> Result<rustls::ClientConfig, ProxmoxError> {
    let verifier = PinnedVerifier {
        expected,
        seen,
        provider: Arc::new(rustls::crypto::ring::default_provider()),
    };
    Ok(builder()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fingerprints_parse_in_any_case_with_or_without_colons() {
        let colons = "45:56:0C:FA:38:06:83:16:80:EB:EE:0D:57:46:68:27:CB:AD:1B:56:42:66:C5:42:BA:23:6D:10:50:1B:9B:1C";
        let bare = colons.replace(':', "").to_lowercase();
        assert_eq!(
            Fingerprint::parse(colons).unwrap(),
            Fingerprint::parse(&bare).unwrap()
        );
        assert_eq!(Fingerprint::parse(&bare).unwrap().to_string(), colons);
        assert!(Fingerprint::parse("AB:CD").is_err());
        assert!(Fingerprint::parse(&"zz".repeat(32)).is_err());
    }
}
