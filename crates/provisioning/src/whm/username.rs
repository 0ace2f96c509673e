//! cPanel usernames for new hosting accounts, derived from the domain.
//!
//! WHM's rules: 1–16 characters, lower-case ASCII letters and digits only,
//! not starting with a digit or with `test`, not a reserved system name, and
//! the first 8 characters unique among the server's accounts (they name the
//! MySQL prefix). Candidates start from the domain's first label
//! (`tokobudi.co.id` → `tokobudi`) and then add numbers so that each later
//! candidate differs from every earlier one in its first 8 characters.

use std::collections::HashSet;

/// Names WHM refuses as usernames whatever else holds.
const RESERVED: &[&str] = &[
    "all",
    "admin",
    "apache",
    "bin",
    "cpanel",
    "cpanelphpmyadmin",
    "cpses",
    "daemon",
    "dovecot",
    "exim",
    "ftp",
    "games",
    "halt",
    "lp",
    "mail",
    "mailman",
    "mailnull",
    "modsec",
    "mysql",
    "named",
    "news",
    "nobody",
    "operator",
    "postgres",
    "root",
    "shutdown",
    "sshd",
    "sync",
    "system",
    "tomcat",
    "uucp",
    "virtfs",
    "whm",
    "www",
];

const MAX_LEN: usize = 16;
/// How many characters must be unique among accounts.
pub const UNIQUE_PREFIX_LEN: usize = 8;
/// How many numbered candidates follow the plain one.
const MAX_NUMBERED: u32 = 999;
/// When the domain yields no usable letters at all.
const FALLBACK_BASE: &str = "site";

/// Whether WHM would accept `name` as a new username (uniqueness aside).
pub fn is_valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LEN
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        && name
            .bytes()
            .next()
            .is_some_and(|byte| byte.is_ascii_lowercase())
        && !name.starts_with("test")
        && !RESERVED.contains(&name)
}

/// The first [`UNIQUE_PREFIX_LEN`] characters of `name` (all of it when
/// shorter): what must differ between two accounts.
pub fn unique_prefix(name: &str) -> &str {
    name.char_indices()
        .nth(UNIQUE_PREFIX_LEN)
        .map_or(name, |(cut, _)| &name[..cut])
}

/// Usernames for `domain`, best first: every one valid, at most 16
/// characters, and each differing from all earlier ones in its first 8
/// characters. Finite (about a thousand).
pub fn username_candidates(domain: &str) -> impl Iterator<Item = String> {
    let base = base_name(domain);
    let mut seen = HashSet::new();
    std::iter::once(truncate(&base, MAX_LEN).to_owned())
        .chain((1..=MAX_NUMBERED).map(move |number| {
            let number = number.to_string();
            let keep = UNIQUE_PREFIX_LEN.saturating_sub(number.len());
            format!("{}{number}", truncate(&base, keep))
        }))
        .filter(|candidate| is_valid_username(candidate))
        .filter(move |candidate| seen.insert(unique_prefix(candidate).to_owned()))
}

/// The first candidate for `domain` that `taken` does not refuse.
///
/// `taken` receives the candidate's [`unique_prefix`] (its first 8
/// characters, or the whole name when shorter) and answers whether an
/// existing account's username has that same prefix — WHM's own uniqueness
/// test, which also covers an identical username.
pub fn pick_username(domain: &str, taken: &dyn Fn(&str) -> bool) -> Option<String> {
    username_candidates(domain).find(|candidate| !taken(unique_prefix(candidate)))
}

/// Lower-case letters and digits from the domain's first meaningful label,
/// made to start with a letter and not with `test`.
fn base_name(domain: &str) -> String {
    let domain = domain.trim().trim_end_matches('.');
    let ascii = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_ascii_lowercase());
    let labels: Vec<&str> = ascii.split('.').filter(|label| !label.is_empty()).collect();
    let label = match labels.as_slice() {
        // `www.tokobudi.id`: the site is `tokobudi`.
        [first, second, ..] if *first == "www" => second,
        [first, ..] => first,
        [] => FALLBACK_BASE,
    };
    let label = match label.strip_prefix("xn--") {
        // Punycode keeps the label's ASCII letters before the last hyphen
        // (`bücher` → `xn--bcher-kva` → `bcher`); a label with none
        // (`日本`) keeps the encoded part, which is at least stable.
        Some(encoded) => match encoded.rsplit_once('-') {
            Some((basic, _)) if alnum(basic).len() >= 3 => basic,
            _ => encoded,
        },
        None => label,
    };
    let mut base = alnum(label);
    if base.is_empty() {
        base = FALLBACK_BASE.to_owned();
    }
    if base.starts_with(|c: char| c.is_ascii_digit()) || base.starts_with("test") {
        // `123shop` → `w123shop`, `testing` → `wtesting`: WHM refuses both
        // starts, and a prefix keeps the name recognisable.
        base.insert(0, 'w');
    }
    if RESERVED.contains(&truncate(&base, MAX_LEN)) {
        base.push_str("site");
    }
    base
}

fn alnum(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `text` cut to `len` characters (ASCII here).
fn truncate(text: &str, len: usize) -> &str {
    text.char_indices()
        .nth(len)
        .map_or(text, |(cut, _)| &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_candidate_is_the_first_label() {
        assert_eq!(first("tokobudi.co.id"), "tokobudi");
        assert_eq!(first("www.tokobudi.id"), "tokobudi");
        assert_eq!(first("Toko-Budi.com"), "tokobudi");
        assert_eq!(first("123shop.id"), "w123shop");
        assert_eq!(first("testing.com"), "wtesting");
        assert_eq!(first("root.id"), "rootsite");
        assert_eq!(first("bücher.de"), "bcher");
        assert_eq!(
            first("a-very-long-company-name-here.com"),
            "averylongcompany"
        );
    }

    fn first(domain: &str) -> String {
        username_candidates(domain)
            .next()
            .unwrap_or_else(|| unreachable!("always a candidate"))
    }

    #[test]
    fn later_candidates_differ_in_the_first_eight() {
        let candidates: Vec<String> = username_candidates("tokobudionline.com").take(12).collect();
        assert_eq!(candidates[0], "tokobudionline");
        assert_eq!(candidates[1], "tokobud1");
        assert_eq!(candidates[10], "tokobu10");
    }

    #[test]
    fn pick_skips_taken_prefixes() {
        let taken = |prefix: &str| prefix == "tokobudi" || prefix == "tokobud1";
        assert_eq!(
            pick_username("tokobudi.id", &taken).as_deref(),
            Some("tokobud2")
        );
    }
}
