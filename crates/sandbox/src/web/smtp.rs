//! Pages and JSON API of the SMTP sink: the mail list on the index page, one
//! page per mail, and `/api/smtp/messages` for scripts and browser tests.

use std::{borrow::Cow, fmt::Write as _};

use actix_web::{HttpResponse, http::StatusCode, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{WebState, html};
use crate::smtp::{Attachment, HeaderField, Mailbox, ReceivedMail};

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/mail/clear", web::post().to(clear_page))
        .route("/mail/{id}", web::get().to(mail_page))
        .route("/mail/{id}/raw", web::get().to(raw_mail))
        .route("/api/smtp/messages", web::get().to(list_messages))
        .route("/api/smtp/messages", web::delete().to(delete_messages))
        .route("/api/smtp/messages/{id}", web::get().to(get_message));
}

/// The mail sink's part of the sandbox index page: newest mail first.
pub(super) fn index_section(state: &WebState) -> String {
    let mails = state.mail.all();
    let mut rows = String::new();
    for mail in mails.iter().rev() {
        let _ = write!(
            rows,
            "<tr><td class=\"time\">{time}</td><td>{from}</td><td>{to}</td>\
             <td><a href=\"/mail/{id}\">{subject}</a></td></tr>",
            time = format_time(mail.received_at),
            from = html::escape(&sender(mail)),
            to = html::escape(&mail.envelope_to.join(", ")),
            id = mail.id,
            subject = html::escape(subject_or_placeholder(mail)),
        );
    }
    let table = if mails.is_empty() {
        "<p class=\"muted\">No mail yet.</p>".to_owned()
    } else {
        format!(
            "<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th></tr>\
             </thead><tbody>{rows}</tbody></table>"
        )
    };
    format!(
        "<section id=\"mail\"><h2>Mail sink (SMTP)</h2>\
         <div class=\"actions\"><span>SMTP on <code>{addr}</code>, no TLS, any credentials. \
         {count} mail(s). JSON: <a href=\"/api/smtp/messages\">/api/smtp/messages</a></span>\
         <form method=\"post\" action=\"/mail/clear\"><button>Delete all</button></form></div>\
         {table}</section>",
        addr = state.smtp_addr,
        count = mails.len(),
    )
}

async fn mail_page(state: web::Data<WebState>, id: web::Path<String>) -> HttpResponse {
    let Some(mail) = find(&state, &id) else {
        return html::not_found("No mail with this id; it may have been deleted.");
    };
    let mut body = format!("<h1>{}</h1>", html::escape(subject_or_placeholder(&mail)));

    body.push_str("<section><h2>Envelope and addresses</h2><table>");
    let summary = [
        ("Received", format_time(mail.received_at)),
        ("Envelope from", null_sender_or(&mail.envelope_from)),
        ("Envelope to", mail.envelope_to.join(", ")),
        ("Client (EHLO)", mail.client_name.clone()),
        (
            "Authenticated as",
            mail.auth_user.clone().unwrap_or_else(|| "—".into()),
        ),
        ("From", join_mailboxes(&mail.from)),
        ("To", join_mailboxes(&mail.to)),
        ("Cc", join_mailboxes(&mail.cc)),
        ("Message-ID", mail.message_id.clone().unwrap_or_default()),
    ];
    for (label, value) in summary {
        let _ = write!(
            body,
            "<tr><th>{label}</th><td>{}</td></tr>",
            html::escape(&value)
        );
    }
    body.push_str("</table></section>");

    if !mail.attachments.is_empty() {
        body.push_str("<section><h2>Attachments</h2><ul>");
        for attachment in &mail.attachments {
            let _ = write!(
                body,
                "<li>{} <span class=\"muted\">({}, {} bytes)</span></li>",
                html::escape(attachment.filename.as_deref().unwrap_or("(no name)")),
                html::escape(&attachment.content_type),
                attachment.size,
            );
        }
        body.push_str("</ul></section>");
    }

    body.push_str("<section><h2>Text body</h2>");
    match &mail.text_body {
        Some(text) => {
            let _ = write!(body, "<pre>{}</pre>", html::escape(text));
        }
        None => body.push_str("<p class=\"muted\">No text/plain part.</p>"),
    }
    body.push_str("</section><section><h2>HTML body</h2>");
    match &mail.html_body {
        Some(markup) => {
            // srcdoc is an attribute, so escaping makes the mail's markup its
            // literal value; the empty-origin sandbox runs no script and
            // cannot reach this page, while user clicks on links still work.
            let _ = write!(
                body,
                "<iframe title=\"HTML body\" \
                 sandbox=\"allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation\" \
                 srcdoc=\"{escaped}\"></iframe>\
                 <details><summary>HTML source</summary><pre>{escaped}</pre></details>",
                escaped = html::escape(markup),
            );
        }
        None => body.push_str("<p class=\"muted\">No text/html part.</p>"),
    }
    body.push_str("</section><section><h2>Headers</h2><table>");
    for header in &mail.headers {
        let _ = write!(
            body,
            "<tr><th>{}</th><td>{}</td></tr>",
            html::escape(&header.name),
            html::escape(&header.value),
        );
    }
    let _ = write!(
        body,
        "</table><p><a href=\"/mail/{id}/raw\">Raw message</a> · \
         <a href=\"/api/smtp/messages/{id}\">JSON</a></p></section>",
        id = mail.id,
    );
    let title = subject_or_placeholder(&mail);
    html::response(StatusCode::OK, html::page(title, &body))
}

async fn raw_mail(state: web::Data<WebState>, id: web::Path<String>) -> HttpResponse {
    match find(&state, &id) {
        // text/plain rather than message/rfc822, so browsers show it.
        Some(mail) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(mail.raw.clone()),
        None => html::not_found("No mail with this id; it may have been deleted."),
    }
}

async fn clear_page(state: web::Data<WebState>) -> HttpResponse {
    state.mail.clear();
    // 303 so that reloading the index does not post the form again.
    HttpResponse::SeeOther()
        .insert_header(("Location", "/#mail"))
        .finish()
}

#[derive(Deserialize)]
struct ListQuery {
    /// Only mails whose envelope includes this address.
    to: Option<String>,
}

#[derive(Serialize)]
struct MessageList<'a> {
    count: usize,
    /// Newest first, like the page.
    messages: Vec<MessageJson<'a>>,
}

/// The wire form of a [`ReceivedMail`]; the list leaves out headers and raw
/// bytes, which only the single-mail answer carries.
#[derive(Serialize)]
struct MessageJson<'a> {
    id: Uuid,
    received_at: DateTime<Utc>,
    envelope_from: &'a str,
    envelope_to: &'a [String],
    client_name: &'a str,
    auth_user: Option<&'a str>,
    subject: Option<&'a str>,
    from: Vec<MailboxJson<'a>>,
    to: Vec<MailboxJson<'a>>,
    cc: Vec<MailboxJson<'a>>,
    message_id: Option<&'a str>,
    text_body: Option<&'a str>,
    html_body: Option<&'a str>,
    attachments: Vec<AttachmentJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<Vec<HeaderJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct MailboxJson<'a> {
    name: Option<&'a str>,
    email: &'a str,
}

#[derive(Serialize)]
struct AttachmentJson<'a> {
    filename: Option<&'a str>,
    content_type: &'a str,
    size: usize,
}

#[derive(Serialize)]
struct HeaderJson<'a> {
    name: &'a str,
    value: &'a str,
}

impl<'a> MessageJson<'a> {
    fn summary(mail: &'a ReceivedMail) -> Self {
        let mailboxes = |list: &'a [Mailbox]| {
            list.iter()
                .map(|mailbox| MailboxJson {
                    name: mailbox.name.as_deref(),
                    email: &mailbox.email,
                })
                .collect()
        };
        MessageJson {
            id: mail.id,
            received_at: mail.received_at,
            envelope_from: &mail.envelope_from,
            envelope_to: &mail.envelope_to,
            client_name: &mail.client_name,
            auth_user: mail.auth_user.as_deref(),
            subject: mail.subject.as_deref(),
            from: mailboxes(&mail.from),
            to: mailboxes(&mail.to),
            cc: mailboxes(&mail.cc),
            message_id: mail.message_id.as_deref(),
            text_body: mail.text_body.as_deref(),
            html_body: mail.html_body.as_deref(),
            attachments: mail.attachments.iter().map(AttachmentJson::from).collect(),
            headers: None,
            raw: None,
        }
    }

    fn full(mail: &'a ReceivedMail) -> Self {
        MessageJson {
            headers: Some(mail.headers.iter().map(HeaderJson::from).collect()),
            raw: Some(mail.raw_text()),
            ..Self::summary(mail)
        }
    }
}

impl<'a> From<&'a Attachment> for AttachmentJson<'a> {
    fn from(attachment: &'a Attachment) -> Self {
        AttachmentJson {
            filename: attachment.filename.as_deref(),
            content_type: &attachment.content_type,
            size: attachment.size,
        }
    }
}

impl<'a> From<&'a HeaderField> for HeaderJson<'a> {
    fn from(header: &'a HeaderField) -> Self {
        HeaderJson {
            name: &header.name,
            value: &header.value,
        }
    }
}

async fn list_messages(state: web::Data<WebState>, query: web::Query<ListQuery>) -> HttpResponse {
    let mails = state.mail.all();
    let messages: Vec<_> = mails
        .iter()
        .rev()
        .filter(|mail| {
            query
                .to
                .as_deref()
                .is_none_or(|to| mail.is_addressed_to(to))
        })
        .map(|mail| MessageJson::summary(mail))
        .collect();
    HttpResponse::Ok().json(MessageList {
        count: messages.len(),
        messages,
    })
}

async fn get_message(state: web::Data<WebState>, id: web::Path<String>) -> HttpResponse {
    match find(&state, &id) {
        Some(mail) => HttpResponse::Ok().json(MessageJson::full(&mail)),
        None => HttpResponse::NotFound().json(serde_json::json!({
            "error": "not_found",
            "detail": format!("no stored mail has id {:?}", id.as_str()),
        })),
    }
}

async fn delete_messages(state: web::Data<WebState>) -> HttpResponse {
    let deleted = state.mail.clear();
    HttpResponse::Ok().json(serde_json::json!({ "deleted": deleted }))
}

/// An id that is not a UUID is simply not found: the caller cannot tell a
/// malformed id from one that was deleted, and need not.
fn find(state: &WebState, id: &str) -> Option<std::sync::Arc<ReceivedMail>> {
    Uuid::parse_str(id).ok().and_then(|id| state.mail.get(id))
}

fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn subject_or_placeholder(mail: &ReceivedMail) -> &str {
    mail.subject.as_deref().unwrap_or("(no subject)")
}

/// The `From` header if there is one, else the envelope sender.
fn sender(mail: &ReceivedMail) -> String {
    if mail.from.is_empty() {
        null_sender_or(&mail.envelope_from)
    } else {
        join_mailboxes(&mail.from)
    }
}

fn null_sender_or(path: &str) -> String {
    if path.is_empty() {
        "<> (null sender)".to_owned()
    } else {
        path.to_owned()
    }
}

fn join_mailboxes(mailboxes: &[Mailbox]) -> String {
    mailboxes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
