//! How secrets and certificate pins are shown and typed: a stored secret is
//! never shown whole (only `••••` and its last four characters, enough for
//! staff to tell two apart), and a pinned certificate fingerprint is kept in
//! the `AB:CD:…` form Proxmox and MikroTik show, whatever the staff pasted.

/// `••••` and the secret's last four characters.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("••••{tail}")
}

/// A SHA-256 fingerprint as `AB:CD:…` (32 bytes, upper hex), from any case,
/// with or without colons or spaces; `None` if it is not 32 hex bytes.
pub fn normalise_fingerprint(input: &str) -> Option<String> {
    let hex: String = input
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let pairs: Vec<&str> = (0..32).map(|i| &hex[i * 2..i * 2 + 2]).collect();
    Some(pairs.join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_normalised_to_proxmox_form() {
        let hex = "ab".repeat(32);
        let expected = vec!["AB"; 32].join(":");
        assert_eq!(
            normalise_fingerprint(&hex).as_deref(),
            Some(expected.as_str())
        );
        assert_eq!(
            normalise_fingerprint(&expected).as_deref(),
            Some(expected.as_str())
        );
        assert_eq!(normalise_fingerprint("ab:cd"), None);
        assert_eq!(normalise_fingerprint(&"zz".repeat(32)), None);
    }

    #[test]
    fn secrets_are_masked_to_their_last_four_characters() {
        assert_eq!(
            mask_secret("0f8c2b3e-1111-2222-3333-44445555abcd"),
            "••••abcd"
        );
        assert_eq!(mask_secret("ab"), "••••ab");
        assert_eq!(mask_secret("kata-sandi-é"), "••••di-é");
    }
}
