//! TLS towards a router (API-SSL on 8729, REST on www-ssl). Routers almost
//! always carry a self-signed certificate, so the usual trust is a pinned
//! SHA-256 fingerprint of the end-entity certificate (as
//! `/certificate print` shows it); without a pin the web PKI roots apply.
//! Pinning still checks the handshake signature with ring, so only the
//! key's holder passes. The ring provider is passed explicitly: nothing
//! depends on a process-wide default provider being installed.
//!
//! A router without any certificate offers anonymous Diffie-Hellman, which
//! rustls rightly does not speak; that shows up as a handshake failure.

use std::sync::Arc;

use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::CryptoProvider,
    pki_types::{CertificateDer, ServerName, UnixTime},
};
use sha2::{Digest as _, Sha256};

use crate::RouterOsError;

/// The SHA-256 fingerprint of a DER certificate.
pub fn certificate_fingerprint(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

/// Parses a fingerprint written as 64 hex digits, in any case, with or
/// without `:`, `-` or space separators.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], RouterOsError> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|byte| !matches!(byte, b':' | b' ' | b'-'))
        .collect();
    let invalid = || {
        RouterOsError::Tls(
            "the pinned fingerprint is not a SHA-256 fingerprint (64 hex digits)".into(),
        )
    };
    if digits.len() != 64 {
        return Err(invalid());
    }
    let mut fingerprint = [0u8; 32];
    for (byte, pair) in fingerprint.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
    }
    Ok(fingerprint)
}

/// `AB:CD:…`, the way RouterOS and browsers show fingerprints.
pub fn format_fingerprint(fingerprint: &[u8; 32]) -> String {
    fingerprint
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[derive(Debug)]
struct PinnedVerifier {
    expected: [u8; 32],
    provider: Arc<CryptoProvider>,
}

/// Travels inside the rustls error so the message can show what the
/// router presented (the operator compares it with `/certificate print`).
#[derive(Debug, thiserror::Error)]
#[error("the router's certificate fingerprint {} is not the pinned one", format_fingerprint(.seen))]
pub(crate) struct FingerprintMismatch {
    seen: [u8; 32],
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
        let seen = certificate_fingerprint(end_entity.as_ref());
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

/// A client configuration trusting exactly `pinned`, or the web PKI.
pub(crate) fn client_config(
    pinned: Option<[u8; 32]>,
) -> Result<rustls::ClientConfig, RouterOsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| RouterOsError::Tls(error.to_string()))?;
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

/// The host as a TLS server name (an IP address is accepted too).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, RouterOsError> {
    ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
    )
    .map_err(|_| RouterOsError::Tls(format!("{host} is not a valid TLS server name")))
}

/// Describes a TLS failure found anywhere in an error's cause chain, with
/// the fingerprint the router presented when pinning refused it.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))) =
            current.downcast_ref::<rustls::Error>()
            && let Some(mismatch) = other.0.downcast_ref::<FingerprintMismatch>()
        {
            return Some(mismatch.to_string());
        }
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
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
    fn fingerprints_parse_in_any_case_with_or_without_colons() {
        let colons = "45:56:0C:FA:38:06:83:16:80:EB:EE:0D:57:46:68:27:CB:AD:1B:56:42:66:C5:42:BA:23:6D:10:50:1B:9B:1C";
        let bare = colons.replace(':', "").to_lowercase();
        let parsed = parse_fingerprint(colons).unwrap();
        assert_eq!(parsed, parse_fingerprint(&bare).unwrap());
        assert_eq!(format_fingerprint(&parsed), colons);
        assert!(parse_fingerprint("AB:CD").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
        assert!(parse_fingerprint(&"é".repeat(32)).is_err());
    }
}
