//! ES256 access tokens. Several keys can be active at once: the first signs,
//! all verify, and the JWKS document lists every one of them. Rotating is
//! three deploys: add the new key second (verified everywhere), move it first
//! (it signs), drop the old one once its last tokens (15 min) have expired.
//! Nobody is logged out on the way. A key's `kid` is its RFC 7638 JWK
//! thumbprint, so it needs no name and cannot be mixed up.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::role::Role;

pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
pub const AUDIENCE: &str = "juragan-api";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no JWT signing key configured")]
    NoKeys,
    #[error("JWT key {index} is not a PKCS#8 P-256 private key in PEM: {reason}")]
    InvalidKey { index: usize, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("tokens must be signed with ES256")]
    WrongAlgorithm,
    #[error("the token names no key or an unknown key")]
    UnknownKey,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    pub roles: Vec<Role>,
    /// The session (refresh-token family) the token was issued for.
    pub sid: Uuid,
    /// `iat` in milliseconds: a "not valid before" set in the same second
    /// as a new sign-in must not end the new token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat_ms: Option<i64>,
}

impl AccessClaims {
    pub fn issued_at_ms(&self) -> i64 {
        self.iat_ms.unwrap_or(self.iat.saturating_mul(1000))
    }
}

struct VerifyingKey {
    /// Uncompressed SEC1 point, for ring's verifier.
    public_point: Vec<u8>,
    jwk: serde_json::Value,
}

#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    kid: Option<String>,
}

pub struct KeySet {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, VerifyingKey>,
    order: Vec<String>,
    issuer: String,
}

impl KeySet {
    /// `pems`: PKCS#8 P-256 private keys; the first signs.
    pub fn from_pems(pems: &[String], issuer: &str) -> Result<Self, KeyError> {
        let mut verifying = HashMap::new();
        let mut order = Vec::new();
        let mut signing = None;
        for (index, pem) in pems.iter().enumerate() {
            let invalid = |reason: String| KeyError::InvalidKey { index, reason };
            let secret =
                p256::SecretKey::from_pkcs8_pem(pem).map_err(|error| invalid(error.to_string()))?;
            let point = secret.public_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err(invalid("public key has no coordinates".to_owned()));
            };
            let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
            // RFC 7638: the required members in lexicographic order, no spaces.
            let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
            let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
            let jwk = serde_json::json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256" });
            if signing.is_none() {
                let der = secret
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|error| invalid(error.to_string()))?;
                let encoding = EncodingKey::from_ec_pem(der.as_bytes())
                    .map_err(|error| invalid(error.to_string()))?;
                signing = Some((kid.clone(), encoding));
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = verifying.entry(kid.clone()) {
                order.push(kid);
                slot.insert(VerifyingKey {
                    public_point: point.as_bytes().to_vec(),
                    jwk,
                });
            }
        }
        let (signing_kid, signing) = signing.ok_or(KeyError::NoKeys)?;
        Ok(Self {
            signing_kid,
            signing,
            verifying,
            order,
            issuer: issuer.to_owned(),
        })
    }

    pub fn signing_kid(&self) -> &str {
        &self.signing_kid
    }

    /// The public keys as a JWKS document (RFC 7517).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<&serde_json::Value> = self
            .order
            .iter()
            .filter_map(|kid| self.verifying.get(kid))
            .map(|key| &key.jwk)
            .collect();
        serde_json::json!({ "keys": keys })
    }

    pub fn issue(&self, user: Uuid, roles: &[Role], session: Uuid) -> Result<String, TokenError> {
        let now_ms = Utc::now().timestamp_millis();
        let now = now_ms.div_euclid(1000);
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            sub: user,
            iat: now,
            iat_ms: Some(now_ms),
            exp: now + i64::try_from(ACCESS_TOKEN_TTL.as_secs()).unwrap_or(900),
            jti: Uuid::new_v4(),
            roles: roles.to_vec(),
            sid: session,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.signing_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing)
            .map_err(|error| TokenError::Invalid(error.to_string()))
    }

    /// Accepts only ES256 tokens signed by one of our keys, for our audience
    /// and issuer, not expired. Anything else (`none`, HS256 keyed with our
    /// public key, a foreign `kid`) is refused before any signature math.
    ///
    /// Verification runs on every authenticated request, so it uses ring's
    /// P-256 (about four times faster here than the pure-Rust backend
    /// jsonwebtoken signs with); the checks are the ones RFC 7519 asks for.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: JoseHeader = URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Malformed)?;
        if header.alg != "ES256" {
            return Err(TokenError::WrongAlgorithm);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying.get(kid))
            .ok_or(TokenError::UnknownKey)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let (signed, _) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            &key.public_point,
        )
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| TokenError::Invalid("bad signature".to_owned()))?;
        let claims: AccessClaims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| TokenError::Invalid("claims missing or malformed".to_owned()))?;
        let now = Utc::now().timestamp();
        if claims.exp + LEEWAY_SECONDS < now {
            return Err(TokenError::Expired);
        }
        if claims.iat > now + LEEWAY_SECONDS {
            return Err(TokenError::Invalid("issued in the future".to_owned()));
        }
        if claims.aud != AUDIENCE {
            return Err(TokenError::Invalid("wrong audience".to_owned()));
        }
        if claims.iss != self.issuer {
            return Err(TokenError::Invalid("wrong issuer".to_owned()));
        }
        Ok(claims)
    }
}

/// Access tokens already verified by this process, by the SHA-256 of the
/// whole token: a repeated token costs a hash and a lookup instead of an
/// ES256 verification. Only exact tokens hit, so a tampered one is verified
/// (and refused) like a new one; entries leave when their token expires.
/// Revocation is checked after this cache, so a cached token stops as soon
/// as it is revoked.
pub struct VerifiedCache {
    entries: std::sync::RwLock<HashMap<[u8; 32], AccessClaims>>,
}

/// Bounds the memory a flood of distinct valid tokens can take.
const VERIFIED_CACHE_CAPACITY: usize = 50_000;

impl Default for VerifiedCache {
    fn default() -> Self {
        Self {
            entries: std::sync::RwLock::new(HashMap::new()),
        }
    }
}

impl VerifiedCache {
    /// The token's claims, verified now or earlier.
    pub fn verify(&self, keys: &KeySet, token: &str) -> Result<AccessClaims, TokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = Utc::now().timestamp();
        {
            let entries = self
                .entries
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(claims) = entries.get(&digest) {
                if claims.exp + LEEWAY_SECONDS < now {
                    return Err(TokenError::Expired);
                }
                return Ok(claims.clone());
            }
        }
        let claims = keys.verify(token)?;
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= VERIFIED_CACHE_CAPACITY {
            entries.retain(|_, cached| cached.exp + LEEWAY_SECONDS >= now);
            if entries.len() >= VERIFIED_CACHE_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(digest, claims.clone());
        Ok(claims)
    }
}

/// Clock skew tolerated between replicas, in seconds.
pub(crate) const LEEWAY_SECONDS: i64 = 30;

/// Splits a value holding one or more PEM blocks into the blocks.
pub fn split_pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        current.push_str(line);
        current.push('\n');
        if line.starts_with("-----END ") {
            blocks.push(std::mem::take(&mut current));
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_key() -> String {
        let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        secret
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn issued_tokens_verify_and_carry_their_claims() {
        let keys = KeySet::from_pems(&[new_key()], "https://shop.test").expect("valid key");
        let user = Uuid::new_v4();
        let token = keys
            .issue(user, &[Role::Finance], Uuid::new_v4())
            .expect("signs");
        let claims = keys.verify(&token).expect("verifies");
        assert_eq!(
            (claims.sub, claims.roles, claims.aud.as_str()),
            (user, vec![Role::Finance], AUDIENCE)
        );
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_until_their_key_is_dropped() {
        let (old, new) = (new_key(), new_key());
        let before = KeySet::from_pems(std::slice::from_ref(&old), "iss").expect("valid");
        let token = before
            .issue(Uuid::new_v4(), &[Role::Client], Uuid::new_v4())
            .expect("signs");
        let during = KeySet::from_pems(&[new.clone(), old], "iss").expect("valid");
        assert!(
            during.verify(&token).is_ok(),
            "old token still valid after the new key signs"
        );
        assert_ne!(during.signing_kid(), before.signing_kid());
        assert_eq!(during.jwks()["keys"].as_array().map(Vec::len), Some(2));
        let after = KeySet::from_pems(&[new], "iss").expect("valid");
        assert_eq!(after.verify(&token), Err(TokenError::UnknownKey));
    }

    #[test]
    fn tokens_for_another_issuer_or_tampered_are_refused() {
        let pem = new_key();
        let keys = KeySet::from_pems(std::slice::from_ref(&pem), "iss-a").expect("valid");
        let token = keys
            .issue(Uuid::new_v4(), &[Role::Owner], Uuid::new_v4())
            .expect("signs");
        let other = KeySet::from_pems(&[pem], "iss-b").expect("valid");
        assert!(matches!(other.verify(&token), Err(TokenError::Invalid(_))));
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.verify(&tampered).is_err());
    }

    #[test]
    fn pem_blocks_split() {
        let text = format!("{}\n{}", new_key(), new_key());
        assert_eq!(split_pem_blocks(&text).len(), 2);
    }
}
