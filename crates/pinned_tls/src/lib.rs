//! TLS to machines the shop runs itself: a Proxmox VE node, a MikroTik
//! router. They almost always carry a self-signed certificate, so the usual
//! trust is its SHA-256 fingerprint (as the PVE GUI or `/certificate print`
//! shows it), pinned; without a pin the web PKI roots apply.
//!
//! Pinning compares the end-entity certificate's digest and still checks
//! the handshake signature with ring, so only the key's holder passes. The
//! ring provider is passed explicitly: nothing depends on a process-wide
//! default provider being installed.

use std::sync::Arc;

use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::CryptoProvider,
    pki_types::{CertificateDer, ServerName, UnixTime},
};
use sha2::{Digest as _, Sha256};

/// A SHA-256 certificate fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the pinned fingerprint is not a SHA-256 fingerprint (64 hex digits)")]
pub struct InvalidFingerprint;

impl Fingerprint {
    /// 64 hex digits, in any case, with or without `:`, `-` or space
    /// separators.
    pub fn parse(text: &str) -> Result<Self, InvalidFingerprint> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|byte| !matches!(byte, b':' | b' ' | b'-'))
            .collect();
        if digits.len() != 64 {
            return Err(InvalidFingerprint);
        }
        let mut fingerprint = [0u8; 32];
        for (byte, pair) in fingerprint.iter_mut().zip(digits.chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| InvalidFingerprint)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| InvalidFingerprint)?;
        }
        Ok(Fingerprint(fingerprint))
    }

    /// The fingerprint of a DER certificate.
    pub fn of_certificate(der: &[u8]) -> Self {
        Fingerprint(Sha256::digest(der).into())
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl From<[u8; 32]> for Fingerprint {
    fn from(bytes: [u8; 32]) -> Self {
        Fingerprint(bytes)
    }
}

impl std::fmt::Display for Fingerprint {
    /// `AB:CD:…`, as PVE, RouterOS and browsers show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Travels inside the rustls error, so the message can show what the
/// server presented (the operator compares it with the machine's own).
#[derive(Debug, thiserror::Error)]
#[error("the server's certificate fingerprint {seen} is not the pinned one")]
pub struct FingerprintMismatch {
    pub seen: Fingerprint,
}

#[derive(Debug)]
struct PinnedVerifier {
    expected: Fingerprint,
    provider: Arc<CryptoProvider>,
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

/// A client configuration trusting exactly the certificate `pinned`, or
/// the web PKI (Mozilla's roots).
pub fn client_config(pinned: Option<Fingerprint>) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    Ok(match pinned {
        Some(expected) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier { expected, provider }))
            .with_no_client_auth(),
        None => builder
            .with_root_certificates(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
            .with_no_client_auth(),
    })
}

/// Describes a TLS failure found anywhere in an error's cause chain
/// (reqwest and tokio-rustls wrap it in an `io::Error`), with the
/// fingerprint the server presented when pinning refused it.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            if let rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) = tls
                && let Some(mismatch) = other.0.downcast_ref::<FingerprintMismatch>()
            {
                return Some(mismatch.to_string());
            }
            return Some(tls.to_string());
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(found) = describe(inner)
        {
            return Some(found);
        }
        cause = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fingerprints_parse_in_any_case_with_or_without_separators() {
        let colons = "45:56:0C:FA:38:06:83:16:80:EB:EE:0D:57:46:68:27:CB:AD:1B:56:42:66:C5:42:BA:23:6D:10:50:1B:9B:1C";
        let bare = colons.replace(':', "").to_lowercase();
        let parsed = Fingerprint::parse(colons).unwrap();
        assert_eq!(parsed, Fingerprint::parse(&bare).unwrap());
        assert_eq!(
            parsed,
            Fingerprint::parse(&colons.replace(':', "-")).unwrap()
        );
        assert_eq!(parsed.to_string(), colons);
        assert_eq!(Fingerprint::parse("AB:CD"), Err(InvalidFingerprint));
        assert_eq!(
            Fingerprint::parse(&"zz".repeat(32)),
            Err(InvalidFingerprint)
        );
        assert_eq!(Fingerprint::parse(&"é".repeat(32)), Err(InvalidFingerprint));
    }

    #[test]
    fn a_refused_pin_is_described_with_what_the_server_presented() {
        let seen = Fingerprint::from([0xAB; 32]);
        let refusal = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(Arc::new(FingerprintMismatch { seen })),
        ));
        let wrapped = std::io::Error::other(refusal);
        let description = describe(&wrapped).unwrap();
        assert!(description.contains(&seen.to_string()), "{description}");
        assert!(description.contains("not the pinned one"), "{description}");
        assert_eq!(describe(&std::io::Error::other("refused")), None);
    }
}
