//! Domain names as a customer types them into the "is my name free?" box:
//! `  Bücher.ID. `, `tokobudi`, `budi.co.id`. Parsed once into the form
//! registries and RDAP servers speak (lower-case, punycode, no trailing
//! dot) and kept beside the form people read.
//!
//! [`DomainName`] is a full name (`budi.co.id`); [`DomainLabel`] is one
//! label without a suffix (`tokobudi`), from which the shop suggests names
//! under each suffix it sells; [`DomainQuery`] is either, for a search box
//! that takes both. Which part of a name is the suffix depends on what the
//! shop sells (`co.id` is one suffix, not two labels), so
//! [`DomainName::split_suffix`] takes the shop's list instead of guessing
//! from a public-suffix list.

use std::{fmt, str::FromStr};

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use serde::{Deserialize, Serialize};

/// The longest name DNS can carry, in its ASCII form without a trailing dot.
pub const MAX_NAME_LEN: usize = 253;
/// The longest label DNS can carry, in its ASCII (punycode) form.
pub const MAX_LABEL_LEN: usize = 63;
/// Input longer than this is refused before any conversion: IDNA mapping of a
/// pasted novel is wasted work, and no real name comes near it.
const MAX_INPUT_LEN: usize = 1024;

/// Why text is not a domain name (or label). [`InvalidDomain::code`] is the
/// stable machine code the API returns; the message is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDomain {
    #[error("no domain name given")]
    Empty,
    /// Not shaped like a host name at all: a URL, an e-mail address, spaces,
    /// underscores, characters IDNA refuses, a numeric top-level label.
    #[error("`{input}` is not a domain name: {reason}")]
    NotADomain { input: String, reason: &'static str },
    #[error("the domain name is longer than {MAX_NAME_LEN} characters")]
    TooLong,
    #[error("label `{label}` {problem}")]
    BadLabel {
        label: String,
        problem: LabelProblem,
    },
    /// A single label where a full name was needed.
    #[error("`{0}` has no suffix such as .com or .id")]
    MissingSuffix(String),
    /// A name with dots where a single label was needed.
    #[error("`{0}` is a full name, not a single label")]
    NotALabel(String),
}

impl InvalidDomain {
    /// Stable machine code: `empty`, `invalid_domain`, `too_long`,
    /// `bad_label`, `missing_suffix` or `not_a_label`.
    pub fn code(&self) -> &'static str {
        match self {
            InvalidDomain::Empty => "empty",
            InvalidDomain::NotADomain { .. } => "invalid_domain",
            InvalidDomain::TooLong => "too_long",
            InvalidDomain::BadLabel { .. } => "bad_label",
            InvalidDomain::MissingSuffix(_) => "missing_suffix",
            InvalidDomain::NotALabel(_) => "not_a_label",
        }
    }
}

/// What is wrong with one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelProblem {
    /// Two dots in a row, or a leading dot.
    Empty,
    /// Longer than 63 characters in its ASCII (punycode) form.
    TooLong,
    /// Something other than a-z, 0-9 and `-` in its ASCII form.
    InvalidCharacter,
    LeadingHyphen,
    TrailingHyphen,
    /// `ab--cd`: hyphens in the third and fourth place are reserved for
    /// encodings such as punycode's `xn--`, and registries refuse them.
    ReservedHyphens,
}

impl fmt::Display for LabelProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LabelProblem::Empty => "is empty (two dots in a row?)",
            LabelProblem::TooLong => "is longer than 63 characters",
            LabelProblem::InvalidCharacter => "may hold only letters, digits and hyphens",
            LabelProblem::LeadingHyphen => "starts with a hyphen",
            LabelProblem::TrailingHyphen => "ends with a hyphen",
            LabelProblem::ReservedHyphens => "has hyphens in the 3rd and 4th place",
        })
    }
}

/// A full domain name: at least two labels, each valid, at most 253
/// characters. Equal names are equal in every form (`Bücher.id` and
/// `xn--bcher-kva.id` are one name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct DomainName {
    /// Lower-case A-labels: what goes on the wire.
    ascii: String,
    /// The same name with punycode decoded: what people read.
    unicode: String,
}

impl DomainName {
    /// Trims, lower-cases, drops one trailing dot, converts Unicode labels to
    /// punycode and checks the result as a host name.
    pub fn parse(input: &str) -> Result<Self, InvalidDomain> {
        let ascii = to_ascii(input)?;
        Self::from_ascii(ascii)
    }

    fn from_ascii(ascii: String) -> Result<Self, InvalidDomain> {
        if ascii.len() > MAX_NAME_LEN {
            return Err(InvalidDomain::TooLong);
        }
        if !ascii.contains('.') {
            return Err(InvalidDomain::MissingSuffix(ascii));
        }
        for label in ascii.split('.') {
            check_label(label)?;
        }
        let tld = ascii.rsplit('.').next().unwrap_or_default();
        if tld.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(InvalidDomain::NotADomain {
                input: ascii,
                reason: "an IP address is not a domain name",
            });
        }
        let unicode = to_unicode(&ascii);
        Ok(DomainName { ascii, unicode })
    }

    /// `xn--bcher-kva.id`: the form for RDAP, DNS and registries.
    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    /// `bücher.id`: the form to show.
    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// The ASCII labels, left to right.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.ascii.split('.')
    }

    /// The last label, what IANA calls the top-level domain: `id` for
    /// `budi.co.id` (whose suffix in the shop is `co.id`).
    pub fn tld(&self) -> &str {
        self.ascii.rsplit('.').next().unwrap_or(&self.ascii)
    }

    /// Every proper suffix, longest first: `co.id`, then `id` for
    /// `budi.co.id`. Suffix lists such as the RDAP bootstrap are matched
    /// against these.
    pub fn suffixes(&self) -> impl Iterator<Item = &str> {
        self.ascii
            .match_indices('.')
            .map(|(dot, _)| &self.ascii[dot + 1..])
    }

    /// Splits the name into the label the customer chose and the suffix the
    /// shop sells, choosing the longest of `known_suffixes` that ends the
    /// name: `budi.co.id` with `["id", "co.id"]` is `budi` + `co.id`.
    ///
    /// Suffixes may be written with a leading dot, in any case, as Unicode
    /// or punycode. `None` when no suffix ends the name, or when more than
    /// one label precedes the longest one (`www.budi.co.id` is a subdomain,
    /// not a name one can register).
    pub fn split_suffix<'s>(&self, known_suffixes: &[&'s str]) -> Option<(DomainLabel, &'s str)> {
        let (label, suffix) = known_suffixes
            .iter()
            .filter_map(|suffix| {
                let ascii = suffix_to_ascii(suffix)?;
                let label = self.ascii.strip_suffix(ascii.as_str())?.strip_suffix('.')?;
                Some((label, *suffix, ascii.len()))
            })
            .max_by_key(|(_, _, len)| *len)
            .map(|(label, suffix, _)| (label, suffix))?;
        if label.contains('.') {
            return None;
        }
        let unicode = self.unicode.split('.').next().unwrap_or(label);
        Some((
            DomainLabel {
                ascii: label.to_owned(),
                unicode: unicode.to_owned(),
            },
            suffix,
        ))
    }

    /// The name without the shop's suffix (`budi` for `budi.co.id`); see
    /// [`DomainName::split_suffix`].
    pub fn sld(&self, known_suffixes: &[&str]) -> Option<DomainLabel> {
        self.split_suffix(known_suffixes).map(|(label, _)| label)
    }
}

impl fmt::Display for DomainName {
    /// The ASCII form: unambiguous in logs and keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

impl FromStr for DomainName {
    type Err = InvalidDomain;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

impl TryFrom<String> for DomainName {
    type Error = InvalidDomain;

    fn try_from(input: String) -> Result<Self, Self::Error> {
        Self::parse(&input)
    }
}

impl From<DomainName> for String {
    fn from(name: DomainName) -> Self {
        name.ascii
    }
}

/// One label without a suffix (`tokobudi`), from which names under every
/// suffix the shop sells are built.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct DomainLabel {
    ascii: String,
    unicode: String,
}

impl DomainLabel {
    /// Like [`DomainName::parse`] for a single label: a name with a dot is
    /// refused ([`InvalidDomain::NotALabel`]).
    pub fn parse(input: &str) -> Result<Self, InvalidDomain> {
        Self::from_ascii(to_ascii(input)?)
    }

    fn from_ascii(ascii: String) -> Result<Self, InvalidDomain> {
        if ascii.contains('.') {
            return Err(InvalidDomain::NotALabel(ascii));
        }
        check_label(&ascii)?;
        let unicode = to_unicode(&ascii);
        Ok(DomainLabel { ascii, unicode })
    }

    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// `tokobudi` + `co.id`; fails only when the suffix is not a valid name
    /// part or the whole grows past 253 characters.
    pub fn with_suffix(&self, suffix: &str) -> Result<DomainName, InvalidDomain> {
        let suffix = suffix.trim().trim_start_matches('.');
        DomainName::parse(&format!("{}.{suffix}", self.ascii))
    }
}

impl fmt::Display for DomainLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

impl TryFrom<String> for DomainLabel {
    type Error = InvalidDomain;

    fn try_from(input: String) -> Result<Self, Self::Error> {
        Self::parse(&input)
    }
}

impl From<DomainLabel> for String {
    fn from(label: DomainLabel) -> Self {
        label.ascii
    }
}

/// What a customer typed into a search box that takes `tokobudi` as well as
/// `tokobudi.co.id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainQuery {
    Name(DomainName),
    Label(DomainLabel),
}

impl DomainQuery {
    /// A name when the input has a dot (after IDNA mapping, so `。` counts),
    /// a label otherwise.
    pub fn parse(input: &str) -> Result<Self, InvalidDomain> {
        let ascii = to_ascii(input)?;
        if ascii.contains('.') {
            DomainName::from_ascii(ascii).map(DomainQuery::Name)
        } else {
            DomainLabel::from_ascii(ascii).map(DomainQuery::Label)
        }
    }
}

/// Normalises user input to lower-case ASCII without a trailing dot, or says
/// why it cannot be a name. Labels are checked by the caller.
fn to_ascii(input: &str) -> Result<String, InvalidDomain> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(InvalidDomain::Empty);
    }
    if trimmed.len() > MAX_INPUT_LEN {
        return Err(InvalidDomain::TooLong);
    }
    let not_a_domain = |reason| InvalidDomain::NotADomain {
        input: trimmed.chars().take(100).collect(),
        reason,
    };
    // The usual mistakes get their own words before IDNA says "invalid".
    if trimmed.contains("://") {
        return Err(not_a_domain(
            "enter only the name, without http:// or https://",
        ));
    }
    if trimmed.contains(['/', '?', '#', '\\']) {
        return Err(not_a_domain("enter only the name, without a path"));
    }
    if trimmed.contains('@') {
        return Err(not_a_domain("that is an e-mail address"));
    }
    if trimmed.contains(':') {
        return Err(not_a_domain("enter only the name, without a port"));
    }
    if trimmed.chars().any(char::is_whitespace) {
        return Err(not_a_domain("a domain name has no spaces"));
    }
    if trimmed.contains('_') {
        return Err(not_a_domain("a domain name has no underscores"));
    }
    let lowered = trimmed.to_lowercase();
    // STD3 refuses every ASCII character but letters, digits, `-` and `.`;
    // hyphen placement and lengths are checked afterwards, with better words.
    let ascii = Uts46::new()
        .to_ascii(
            lowered.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map_err(|_| {
            not_a_domain("it holds characters a domain name cannot have, or a malformed xn-- label")
        })?;
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii);
    Ok(ascii.to_owned())
}

fn check_label(label: &str) -> Result<(), InvalidDomain> {
    let problem = if label.is_empty() {
        Some(LabelProblem::Empty)
    } else if label.len() > MAX_LABEL_LEN {
        Some(LabelProblem::TooLong)
    } else if !label
        .bytes()
        .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
    {
        Some(LabelProblem::InvalidCharacter)
    } else if label.starts_with('-') {
        Some(LabelProblem::LeadingHyphen)
    } else if label.ends_with('-') {
        Some(LabelProblem::TrailingHyphen)
    } else if label.get(2..4) == Some("--") && !label.starts_with("xn--") {
        Some(LabelProblem::ReservedHyphens)
    } else {
        None
    };
    match problem {
        Some(problem) => Err(InvalidDomain::BadLabel {
            label: label.chars().take(100).collect(),
            problem,
        }),
        None => Ok(()),
    }
}

/// The display form of a valid ASCII name. IDNA accepted the name on the
/// way in, so decoding cannot fail; if it ever did, ASCII is still correct.
fn to_unicode(ascii: &str) -> String {
    let (unicode, result) =
        Uts46::new().to_unicode(ascii.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
    match result {
        Ok(()) => unicode.into_owned(),
        Err(_) => ascii.to_owned(),
    }
}

/// A suffix as the shop wrote it (`.CO.ID`, `co.id`, `.みんな`) in the form
/// names are compared in; `None` when it cannot be a suffix at all.
fn suffix_to_ascii(suffix: &str) -> Option<String> {
    let suffix = suffix.trim().trim_start_matches('.');
    let ascii = to_ascii(suffix).ok()?;
    ascii
        .split('.')
        .all(|label| check_label(label).is_ok())
        .then_some(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(input: &str) -> &'static str {
        match DomainName::parse(input) {
            Ok(name) => panic!("`{input}` parsed as {name}"),
            Err(error) => error.code(),
        }
    }

    #[test]
    fn normalises_case_space_and_the_trailing_dot() {
        for input in ["budi.com", "  Budi.COM ", "budi.com.", "BUDI.com.\t"] {
            let name = DomainName::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(name.ascii(), "budi.com", "{input}");
            assert_eq!(name.unicode(), "budi.com", "{input}");
        }
    }

    #[test]
    fn converts_unicode_labels_to_punycode_and_back() {
        let name = DomainName::parse("Bücher.ID").expect("valid IDN");
        assert_eq!(name.ascii(), "xn--bcher-kva.id");
        assert_eq!(name.unicode(), "bücher.id");
        let same = DomainName::parse("xn--bcher-kva.id").expect("valid A-label");
        assert_eq!(same, name);
        assert_eq!(same.unicode(), "bücher.id");
        // Ideographic full stop, as typed on a Japanese keyboard.
        let dotted = DomainName::parse("bücher。id").expect("IDNA maps the dot");
        assert_eq!(dotted.ascii(), "xn--bcher-kva.id");
        let thai = DomainName::parse("ไทย.com").expect("valid IDN");
        assert_eq!(thai.ascii(), "xn--o3cw4h.com");
    }

    #[test]
    fn refuses_urls_addresses_spaces_and_underscores() {
        for junk in [
            "http://x.com/",
            "https://budi.com",
            "budi.com/",
            "budi.com/path",
            "budi.com?q=1",
            "budi@budi.com",
            "budi.com:8080",
            "budi toko.com",
            "budi_toko.com",
            "budi!.com",
            "budi*.com",
            "xn--zz.com",
            "127.0.0.1",
        ] {
            assert_eq!(code(junk), "invalid_domain", "{junk}");
        }
        assert_eq!(code(""), "empty");
        assert_eq!(code("   "), "empty");
    }

    #[test]
    fn refuses_bad_labels() {
        let label_too_long = format!("{}.com", "a".repeat(64));
        for (bad, problem) in [
            ("a..com", LabelProblem::Empty),
            (".budi.com", LabelProblem::Empty),
            ("budi.com..", LabelProblem::Empty),
            ("-a.com", LabelProblem::LeadingHyphen),
            ("a-.com", LabelProblem::TrailingHyphen),
            ("budi.-id", LabelProblem::LeadingHyphen),
            ("ab--cd.com", LabelProblem::ReservedHyphens),
            (label_too_long.as_str(), LabelProblem::TooLong),
        ] {
            match DomainName::parse(bad) {
                Err(InvalidDomain::BadLabel { problem: found, .. }) => {
                    assert_eq!(found, problem, "{bad}");
                }
                other => panic!("{bad}: expected a bad label, got {other:?}"),
            }
            assert_eq!(code(bad), "bad_label");
        }
        let longest_label = format!("{}.com", "a".repeat(63));
        assert!(DomainName::parse(&longest_label).is_ok());
        assert!(DomainName::parse("a-b.com").is_ok());
        assert!(DomainName::parse("xn--bcher-kva.com").is_ok());
    }

    #[test]
    fn a_unicode_label_is_measured_in_punycode() {
        // 60 characters, but its punycode is longer than 63.
        let label: String = "ü".repeat(60);
        assert_eq!(
            DomainLabel::parse(&label).map_err(|e| e.code()),
            Err("bad_label")
        );
    }

    #[test]
    fn refuses_names_longer_than_dns_allows() {
        assert_eq!(code(&"a".repeat(300)), "too_long");
        assert_eq!(code(&format!("{}.com", "a".repeat(300))), "too_long");
        let labels = vec!["abcdefghi"; 26].join(".");
        assert_eq!(labels.len(), 259);
        assert_eq!(code(&labels), "too_long");
        // 4 × 63 + 3 dots = 255 > 253; 3 × 63 + 61 + 3 = 253 fits.
        let max = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(61));
        assert_eq!(DomainName::parse(&max).map(|n| n.ascii().len()), Ok(253));
        assert_eq!(code(&"x".repeat(5000)), "too_long");
    }

    #[test]
    fn a_full_name_needs_a_suffix() {
        assert_eq!(code("tokobudi"), "missing_suffix");
        assert_eq!(code("tokobudi."), "missing_suffix");
    }

    #[test]
    fn every_valid_name_round_trips_through_its_ascii_form() {
        for input in [
            "budi.com",
            "bücher.id",
            "toko-budi.co.id",
            "a1.my.id",
            "ไทย.com",
        ] {
            let name = DomainName::parse(input).expect("valid");
            assert_eq!(
                DomainName::parse(name.ascii()).as_ref(),
                Ok(&name),
                "{input}"
            );
            assert_eq!(
                DomainName::parse(name.unicode()).as_ref(),
                Ok(&name),
                "{input}"
            );
            assert!(name.ascii().is_ascii());
            assert!(!name.ascii().ends_with('.'));
        }
    }

    #[test]
    fn splits_off_the_longest_known_suffix() {
        let shop = ["com", "id", ".CO.ID", "my.id", "web.id"];
        let name = DomainName::parse("budi.co.id").expect("valid");
        let (label, suffix) = name.split_suffix(&shop).expect("sold here");
        assert_eq!((label.ascii(), suffix), ("budi", ".CO.ID"));
        assert_eq!(name.tld(), "id");
        assert_eq!(name.suffixes().collect::<Vec<_>>(), ["co.id", "id"]);

        let plain = DomainName::parse("budi.id").expect("valid");
        assert_eq!(
            plain.split_suffix(&shop).map(|(l, s)| (l.to_string(), s)),
            Some(("budi".to_owned(), "id"))
        );

        let idn = DomainName::parse("bücher.my.id").expect("valid");
        let label = idn.sld(&shop).expect("sold here");
        assert_eq!(
            (label.ascii(), label.unicode()),
            ("xn--bcher-kva", "bücher")
        );

        assert_eq!(
            DomainName::parse("www.budi.co.id")
                .expect("valid")
                .split_suffix(&shop),
            None
        );
        assert_eq!(
            DomainName::parse("budi.net")
                .expect("valid")
                .split_suffix(&shop),
            None
        );
        // `ops.com` must not match a suffix `s.com` by characters alone.
        assert_eq!(
            DomainName::parse("ops.com")
                .expect("valid")
                .split_suffix(&["s.com"]),
            None
        );
    }

    #[test]
    fn unicode_suffixes_match_their_punycode() {
        let name = DomainName::parse("budi.xn--p1ai").expect("valid");
        assert_eq!(name.unicode(), "budi.рф");
        let (label, suffix) = name.split_suffix(&[".рф"]).expect("matches");
        assert_eq!((label.ascii(), suffix), ("budi", ".рф"));
    }

    #[test]
    fn a_bare_label_builds_names_under_each_suffix() {
        let label = DomainLabel::parse("  TokoBudi ").expect("valid label");
        assert_eq!(label.ascii(), "tokobudi");
        let names: Vec<String> = ["com", ".id", "co.id"]
            .iter()
            .map(|suffix| label.with_suffix(suffix).map(|n| n.to_string()))
            .collect::<Result<_, _>>()
            .expect("valid names");
        assert_eq!(names, ["tokobudi.com", "tokobudi.id", "tokobudi.co.id"]);
        assert_eq!(
            DomainLabel::parse("tokobudi.com").map_err(|e| e.code()),
            Err("not_a_label")
        );
        assert_eq!(
            DomainLabel::parse("-toko").map_err(|e| e.code()),
            Err("bad_label")
        );
        assert_eq!(
            DomainLabel::parse("toko budi").map_err(|e| e.code()),
            Err("invalid_domain")
        );
        let idn = DomainLabel::parse("Bücher").expect("valid");
        assert_eq!((idn.ascii(), idn.unicode()), ("xn--bcher-kva", "bücher"));
        assert_eq!(
            label.with_suffix("bad_suffix").map_err(|e| e.code()),
            Err("invalid_domain")
        );
    }

    #[test]
    fn a_query_is_a_name_or_a_label() {
        assert!(
            matches!(DomainQuery::parse("tokobudi"), Ok(DomainQuery::Label(l)) if l.ascii() == "tokobudi")
        );
        assert!(
            matches!(DomainQuery::parse("tokobudi.id"), Ok(DomainQuery::Name(n)) if n.ascii() == "tokobudi.id")
        );
        assert_eq!(
            DomainQuery::parse("http://x.com/").map_err(|e| e.code()),
            Err("invalid_domain")
        );
    }

    #[test]
    fn serialises_as_the_ascii_form_and_parses_back() {
        let name = DomainName::parse("Bücher.id").expect("valid");
        let json = serde_json::to_string(&name).expect("serialises");
        assert_eq!(json, "\"xn--bcher-kva.id\"");
        let back: DomainName = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, name);
        assert!(serde_json::from_str::<DomainName>("\"-bad.com\"").is_err());
    }
}
