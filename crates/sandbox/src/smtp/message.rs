//! What the sink keeps of one accepted mail: the SMTP envelope, the raw bytes
//! and the parts a test asks about (subject, addresses, decoded bodies).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use mail_parser::{Address, MessageParser, MimeHeaders, PartType};
use uuid::Uuid;

/// One mail accepted by the SMTP sink.
///
/// The header fields and bodies are decoded once on arrival (RFC 2047 words,
/// quoted-printable, base64, charsets), so tests compare plain strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// Time-ordered (UUID v7), so ids sort in arrival order.
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    /// `MAIL FROM` path; empty for the null reverse-path `<>` used by bounces.
    pub envelope_from: String,
    /// Every `RCPT TO` path in the order given, Bcc recipients included.
    pub envelope_to: Vec<String>,
    /// The name the client gave in `EHLO`/`HELO`.
    pub client_name: String,
    /// The user name the client authenticated as, if it used `AUTH`.
    pub auth_user: Option<String>,
    pub subject: Option<String>,
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub message_id: Option<String>,
    /// Top-level header fields as written, folded lines joined.
    pub headers: Vec<HeaderField>,
    /// The `text/plain` body, decoded; `None` when the mail has none (an
    /// HTML-only mail is not converted, so a test sees what was really sent).
    pub text_body: Option<String>,
    /// The `text/html` body, decoded; `None` when the mail has none.
    pub html_body: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The message as received after dot-unstuffing, lines ending in CRLF.
    pub raw: Vec<u8>,
}

/// A mailbox of a header field such as `From` or `To`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub email: String,
}

/// One header field of a received mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField {
    pub name: String,
    pub value: String,
}

/// A part of a received mail offered as an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: Option<String>,
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// The SMTP envelope of a mail, as collected during one transaction.
#[derive(Debug, Clone, Default)]
pub(crate) struct Envelope {
    pub client_name: String,
    pub auth_user: Option<String>,
    pub from: String,
    pub to: Vec<String>,
}

impl ReceivedMail {
    /// Decodes `raw` and records it with its envelope.
    pub(crate) fn parse(envelope: Envelope, raw: Vec<u8>) -> Self {
        let mut mail = ReceivedMail {
            id: Uuid::now_v7(),
            received_at: Utc::now(),
            envelope_from: envelope.from,
            envelope_to: envelope.to,
            client_name: envelope.client_name,
            auth_user: envelope.auth_user,
            subject: None,
            from: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            message_id: None,
            headers: Vec::new(),
            text_body: None,
            html_body: None,
            attachments: Vec::new(),
            raw: Vec::new(),
        };
        // A sink must accept whatever a client sends; a mail that does not
        // parse is still stored with its envelope and raw bytes.
        if let Some(message) = MessageParser::default().parse(&raw) {
            mail.subject = message.subject().map(str::to_owned);
            mail.from = mailboxes(message.from());
            mail.to = mailboxes(message.to());
            mail.cc = mailboxes(message.cc());
            mail.message_id = message.message_id().map(str::to_owned);
            mail.headers = message
                .headers_raw()
                .map(|(name, value)| HeaderField {
                    name: name.to_owned(),
                    value: unfold(value),
                })
                .collect();
            // mail-parser stands the other alternative in for a missing text
            // or HTML part; only a part of the real kind counts here.
            mail.text_body = message.text_bodies().find_map(|part| match &part.body {
                PartType::Text(text) => Some(text.clone().into_owned()),
                _ => None,
            });
            mail.html_body = message.html_bodies().find_map(|part| match &part.body {
                PartType::Html(html) => Some(html.clone().into_owned()),
                _ => None,
            });
            mail.attachments = message
                .attachments()
                .map(|part| Attachment {
                    filename: part.attachment_name().map(str::to_owned),
                    content_type: part
                        .content_type()
                        .map(|ct| match ct.subtype() {
                            Some(subtype) => format!("{}/{}", ct.ctype(), subtype),
                            None => ct.ctype().to_owned(),
                        })
                        .unwrap_or_else(|| "application/octet-stream".to_owned()),
                    size: part.len(),
                })
                .collect();
        }
        mail.raw = raw;
        mail
    }

    /// Whether `email` was one of the envelope recipients (case-insensitive,
    /// as mailbox domains are and as every mail system treats local parts).
    pub fn is_addressed_to(&self, email: &str) -> bool {
        let email = email.trim();
        self.envelope_to
            .iter()
            .any(|rcpt| rcpt.eq_ignore_ascii_case(email))
    }

    /// The raw message as text, invalid UTF-8 replaced.
    pub fn raw_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.raw)
    }

    /// The value of the first header field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(name))
            .map(|field| field.value.as_str())
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} <{}>", self.email),
            None => f.write_str(&self.email),
        }
    }
}

fn mailboxes(list: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(list) = list else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|addr| {
            Some(Mailbox {
                name: addr.name().map(str::to_owned),
                email: addr.address()?.to_owned(),
            })
        })
        .collect()
}

/// Joins a folded header value (RFC 5322 §2.2.3) into one line.
fn unfold(value: &str) -> String {
    value
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            client_name: "client.test".into(),
            auth_user: None,
            from: "shop@juragan.test".into(),
            to: vec!["Budi@Example.Test".into()],
        }
    }

    #[test]
    fn decodes_quoted_printable_and_encoded_words() {
        let raw = b"From: =?utf-8?q?Toko_Juragan?= <shop@juragan.test>\r\n\
To: budi@example.test\r\n\
Subject: =?utf-8?b?VGFnaWhhbiBqYXR1aCB0ZW1wbyDigJQgSU5WLTAwMQ==?=\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Total: Rp 1.500.000 =E2=80=94 lunas=20=\r\n\
hari ini\r\n"
            .to_vec();

        let mail = ReceivedMail::parse(envelope(), raw);

        assert_eq!(
            mail.subject.as_deref(),
            Some("Tagihan jatuh tempo — INV-001")
        );
        assert_eq!(
            mail.from,
            vec![Mailbox {
                name: Some("Toko Juragan".into()),
                email: "shop@juragan.test".into()
            }]
        );
        assert_eq!(
            mail.text_body.as_deref(),
            Some("Total: Rp 1.500.000 — lunas hari ini\r\n")
        );
        assert_eq!(mail.html_body, None, "a text-only mail has no HTML body");
        assert!(mail.is_addressed_to("budi@example.test"));
        assert!(!mail.is_addressed_to("siti@example.test"));
    }

    #[test]
    fn keeps_envelope_and_raw_bytes_of_unparsable_input() {
        let mail = ReceivedMail::parse(envelope(), Vec::new());

        assert_eq!(mail.subject, None);
        assert_eq!(mail.envelope_from, "shop@juragan.test");
        assert!(mail.raw.is_empty());
    }

    #[test]
    fn unfolds_folded_header_values() {
        assert_eq!(unfold("a\r\n  b\r\n\tc"), "a b c");
    }
}
