//! Secrets kept in the database — digital goods' codes and credentials,
//! integration passwords — are sealed with AES-256-GCM under a key from the
//! environment. Each sealed value names the key that sealed it, so the key
//! can rotate: the newest key seals, every configured key opens.
//!
//! The keys are derived from the shop's master secret(s) rather than used
//! raw, so the same master can also key other things (one-time-code hashes)
//! without one use ever revealing material of another.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

/// A value sealed by [`Sealer::seal`]: which key, then nonce ‖ ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealingError {
    #[error("no key `{0}` is configured to open this value")]
    UnknownKey(String),
    /// Wrong key material for the id, or the bytes were changed.
    #[error("the sealed value does not open: tampered with or sealed under another key")]
    Tampered,
    #[error("no master key configured")]
    NoKey,
}

struct SealingKey {
    id: String,
    cipher: Aes256Gcm,
    fingerprint_key: [u8; 32],
}

/// Seals with the first key, opens with any. Cheap to share behind an `Arc`.
pub struct Sealer {
    keys: Vec<SealingKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: the material never reaches a log line.
        let ids: Vec<&str> = self.keys.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("Sealer").field("key_ids", &ids).finish()
    }
}

fn derive(purpose: &str, master: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"juragan:");
    hasher.update(purpose.as_bytes());
    hasher.update(b":");
    hasher.update(master);
    hasher.finalize().into()
}

impl Sealer {
    /// `masters[0]` seals; the rest are earlier masters kept to open what
    /// they sealed until it is re-sealed.
    pub fn new<M: AsRef<[u8]>>(masters: &[M]) -> Result<Self, SealingError> {
        if masters.is_empty() {
            return Err(SealingError::NoKey);
        }
        let keys = masters
            .iter()
            .map(|master| {
                let master = master.as_ref();
                let id_bytes = derive("key-id", master);
                let id = id_bytes[..4].iter().map(|b| format!("{b:02x}")).collect();
                SealingKey {
                    id,
                    cipher: Aes256Gcm::new(&derive("sealing-key", master).into()),
                    fingerprint_key: derive("fingerprint-key", master),
                }
            })
            .collect();
        Ok(Self { keys })
    }

    pub fn current_key_id(&self) -> &str {
        &self.keys[0].id
    }

    pub fn seal(&self, plaintext: &[u8]) -> Sealed {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = key
            .cipher
            .encrypt(&Nonce::from(nonce), plaintext)
            .expect("AES-GCM seals any input under 64 GiB");
        let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Sealed {
            key_id: key.id.clone(),
            bytes,
        }
    }

    pub fn open(&self, sealed: &Sealed) -> Result<Vec<u8>, SealingError> {
        let key = self
            .keys
            .iter()
            .find(|key| key.id == sealed.key_id)
            .ok_or_else(|| SealingError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.bytes.len() < NONCE_LEN {
            return Err(SealingError::Tampered);
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealingError::Tampered)?;
        key.cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| SealingError::Tampered)
    }

    /// A keyed hash of a value under the current key: equal values give
    /// equal fingerprints, so a duplicate can be refused without opening
    /// anything, and the fingerprint alone reveals nothing guessable.
    pub fn fingerprint(&self, plaintext: &[u8]) -> Vec<u8> {
        let key = &self.keys[0];
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.fingerprint_key)
            .expect("HMAC takes a key of any length");
        mac.update(plaintext);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_and_does_not_show_its_plaintext() {
        let sealer = Sealer::new(&[b"master one"]).unwrap();
        let sealed = sealer.seal(b"VOUCHER-1234");
        assert_eq!(sealed.key_id, sealer.current_key_id());
        assert!(
            !sealed
                .bytes
                .windows(b"VOUCHER".len())
                .any(|window| window == b"VOUCHER")
        );
        assert_eq!(sealer.open(&sealed).unwrap(), b"VOUCHER-1234");
        // A fresh nonce each time: the same plaintext never seals the same.
        assert_ne!(sealer.seal(b"VOUCHER-1234").bytes, sealed.bytes);
    }

    #[test]
    fn a_changed_byte_or_another_key_does_not_open() {
        let sealer = Sealer::new(&[b"master one"]).unwrap();
        let mut sealed = sealer.seal(b"secret");
        let last = sealed.bytes.len() - 1;
        sealed.bytes[last] ^= 1;
        assert_eq!(sealer.open(&sealed), Err(SealingError::Tampered));

        let other = Sealer::new(&[b"master two"]).unwrap();
        let sealed = sealer.seal(b"secret");
        assert!(matches!(
            other.open(&sealed),
            Err(SealingError::UnknownKey(_))
        ));
        let truncated = Sealed {
            key_id: sealed.key_id.clone(),
            bytes: sealed.bytes[..5].to_vec(),
        };
        assert_eq!(sealer.open(&truncated), Err(SealingError::Tampered));
    }

    #[test]
    fn after_rotation_the_new_key_seals_and_the_old_still_opens() {
        let old = Sealer::new(&[b"old master"]).unwrap();
        let sealed_before = old.seal(b"account:password");
        let rotated = Sealer::new(&[b"new master".as_slice(), b"old master".as_slice()]).unwrap();
        assert_ne!(rotated.current_key_id(), old.current_key_id());
        assert_eq!(rotated.open(&sealed_before).unwrap(), b"account:password");
        assert_eq!(
            rotated.seal(b"x").key_id,
            rotated.current_key_id(),
            "the newest key seals"
        );
    }

    #[test]
    fn fingerprints_match_equal_values_only() {
        let sealer = Sealer::new(&[b"master"]).unwrap();
        assert_eq!(sealer.fingerprint(b"A"), sealer.fingerprint(b"A"));
        assert_ne!(sealer.fingerprint(b"A"), sealer.fingerprint(b"B"));
        let other = Sealer::new(&[b"another"]).unwrap();
        assert_ne!(sealer.fingerprint(b"A"), other.fingerprint(b"A"));
    }

    #[test]
    fn debug_output_names_keys_not_material() {
        let sealer = Sealer::new(&[b"master"]).unwrap();
        let shown = format!("{sealer:?}");
        assert!(shown.contains(sealer.current_key_id()));
        assert!(!shown.contains("master"));
    }
}
