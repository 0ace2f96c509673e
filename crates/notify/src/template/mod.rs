//! Message templates: per event and language, editable by the owner, every
//! edit a new version (so any earlier version, or the built-in text, can be
//! brought back), checked against the event's placeholders when saved.

pub mod catalog;
mod render;

use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

pub use catalog::{EVENTS, EventDefinition, Language, Placeholder};
pub use render::TemplateError;

use crate::NotifyError;

/// The longest template subject and body (characters); the OpenAPI schema
/// shows them.
pub const SUBJECT_MAX_CHARS: usize = 200;
pub const BODY_MAX_CHARS: usize = 8000;

/// A template as it stands for one event and language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateVersion {
    /// None for the built-in text (never edited).
    pub id: Option<i64>,
    pub event: String,
    pub language: Language,
    pub subject: String,
    pub body: String,
    /// `builtin`, `edit`, `rollback` or `default`.
    pub source: String,
    pub created_at: Option<DateTime<Utc>>,
    pub created_by_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventTemplates {
    pub event: String,
    pub description: String,
    pub placeholders: Vec<Placeholder>,
    /// The template in use, per language.
    pub templates: Vec<TemplateVersion>,
}

/// A message rendered for sending or previewing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RenderedMessage {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn definition(event: &str) -> Result<&'static EventDefinition, NotifyError> {
    catalog::event(event).ok_or_else(|| NotifyError::UnknownTemplate(event.to_owned()))
}

fn builtin(definition: &EventDefinition, language: Language) -> TemplateVersion {
    let (subject, body) = definition.default_text(language);
    TemplateVersion {
        id: None,
        event: definition.key.to_owned(),
        language,
        subject: subject.to_owned(),
        body: body.to_owned(),
        source: "builtin".to_owned(),
        created_at: None,
        created_by_email: None,
    }
}

async fn versions(
    conn: &mut PgConnection,
    event: &str,
    language: Language,
    limit: i64,
) -> Result<Vec<TemplateVersion>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT v.id, v.subject, v.body, v.source, v.created_at, u.email AS "email?"
           FROM message_template_version v LEFT JOIN app_user u ON u.id = v.created_by
           WHERE v.event = $1 AND v.language = $2
           ORDER BY v.id DESC LIMIT $3"#,
        event,
        language.as_str(),
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| TemplateVersion {
            id: Some(row.id),
            event: event.to_owned(),
            language,
            subject: row.subject,
            body: row.body,
            source: row.source,
            created_at: Some(row.created_at),
            created_by_email: row.email,
        })
        .collect())
}

/// The template in use: the newest version, or the built-in text.
pub async fn current(
    conn: &mut PgConnection,
    event: &str,
    language: Language,
) -> Result<TemplateVersion, NotifyError> {
    let definition = definition(event)?;
    Ok(versions(conn, event, language, 1)
        .await?
        .pop()
        .unwrap_or_else(|| builtin(definition, language)))
}

pub async fn list(pool: &PgPool) -> Result<Vec<EventTemplates>, NotifyError> {
    let mut conn = pool.acquire().await?;
    let mut out = Vec::with_capacity(EVENTS.len());
    for definition in EVENTS {
        let mut templates = Vec::new();
        for language in Language::ALL {
            templates.push(current(&mut conn, definition.key, language).await?);
        }
        out.push(EventTemplates {
            event: definition.key.to_owned(),
            description: definition.description.to_owned(),
            placeholders: definition.placeholders.to_vec(),
            templates,
        });
    }
    Ok(out)
}

/// Every saved version, newest first (at most 200), then the built-in text.
pub async fn history(
    pool: &PgPool,
    event: &str,
    language: Language,
) -> Result<Vec<TemplateVersion>, NotifyError> {
    let definition = definition(event)?;
    let mut conn = pool.acquire().await?;
    let mut all = versions(&mut conn, event, language, 200).await?;
    all.push(builtin(definition, language));
    Ok(all)
}

fn check(definition: &EventDefinition, subject: &str, body: &str) -> Result<(), NotifyError> {
    let mut errors = ValidationErrors::new();
    if subject.trim().is_empty() || subject.chars().count() > SUBJECT_MAX_CHARS {
        errors.add(
            "subject",
            "invalid_length",
            format!("the subject has 1 to {SUBJECT_MAX_CHARS} characters"),
        );
    }
    if body.trim().is_empty() || body.chars().count() > BODY_MAX_CHARS {
        errors.add(
            "body",
            "invalid_length",
            format!("the body has 1 to {BODY_MAX_CHARS} characters"),
        );
    }
    for (field, problem) in render::validate(definition, subject, body) {
        let code = match problem {
            TemplateError::UnknownPlaceholder(_) => "unknown_placeholder",
            TemplateError::MissingPlaceholder(_) => "missing_placeholder",
            TemplateError::UnbalancedBrace(_) => "unbalanced_brace",
        };
        errors.add(field, code, problem.to_string());
    }
    errors.into_result().map_err(NotifyError::Validation)
}

/// Saves a new version on the caller's transaction (the caller audits it).
/// Returns the version before and the new one.
pub async fn save(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    event: &str,
    language: Language,
    subject: &str,
    body: &str,
) -> Result<(TemplateVersion, TemplateVersion), NotifyError> {
    let definition = definition(event)?;
    check(definition, subject, body)?;
    insert(conn, actor, definition, language, subject, body, "edit").await
}

pub enum RollbackTarget {
    Version(i64),
    BuiltIn,
}

/// Brings back an earlier version (or the built-in text) as a new version.
pub async fn rollback(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    event: &str,
    language: Language,
    target: RollbackTarget,
) -> Result<(TemplateVersion, TemplateVersion), NotifyError> {
    let definition = definition(event)?;
    let (subject, body, source) = match target {
        RollbackTarget::BuiltIn => {
            let (subject, body) = definition.default_text(language);
            (subject.to_owned(), body.to_owned(), "default")
        }
        RollbackTarget::Version(id) => {
            let row = sqlx::query!(
                "SELECT subject, body FROM message_template_version WHERE id = $1 AND event = $2 AND language = $3",
                id,
                event,
                language.as_str()
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(NotifyError::UnknownVersion(id))?;
            (row.subject, row.body, "rollback")
        }
    };
    insert(conn, actor, definition, language, &subject, &body, source).await
}

async fn insert(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    definition: &EventDefinition,
    language: Language,
    subject: &str,
    body: &str,
    source: &str,
) -> Result<(TemplateVersion, TemplateVersion), NotifyError> {
    let before = current(conn, definition.key, language).await?;
    sqlx::query!(
        "INSERT INTO message_template_version (event, language, subject, body, source, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        definition.key,
        language.as_str(),
        subject,
        body,
        source,
        actor
    )
    .execute(&mut *conn)
    .await?;
    let after = current(conn, definition.key, language).await?;
    Ok((before, after))
}

/// Renders subject and body with the event's sample values (for previews).
pub fn preview(event: &str, subject: &str, body: &str) -> Result<RenderedMessage, NotifyError> {
    let definition = definition(event)?;
    check(definition, subject, body)?;
    let sample = |name: &str| {
        definition
            .placeholders
            .iter()
            .find(|placeholder| placeholder.name == name)
            .map(|placeholder| placeholder.sample.to_owned())
    };
    fill(subject, body, &sample)
}

/// Renders the template in use for `event` with real values.
pub async fn render_event(
    pool: &PgPool,
    event: &str,
    language: Language,
    values: &[(&str, String)],
) -> Result<RenderedMessage, NotifyError> {
    let mut conn = pool.acquire().await?;
    render_event_in(&mut conn, event, language, values).await
}

/// [`render_event`] inside the caller's transaction.
pub async fn render_event_in(
    conn: &mut PgConnection,
    event: &str,
    language: Language,
    values: &[(&str, String)],
) -> Result<RenderedMessage, NotifyError> {
    let template = current(conn, event, language).await?;
    let value = |name: &str| {
        values
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    fill(&template.subject, &template.body, &value)
}

/// Renders many messages in one transaction, reading each event's template
/// once: a sweep that announces hundreds of hosts does not query the same
/// template hundreds of times.
pub struct TemplateCache {
    language: Language,
    loaded: std::collections::HashMap<String, TemplateVersion>,
}

impl TemplateCache {
    pub fn new(language: Language) -> Self {
        TemplateCache {
            language,
            loaded: std::collections::HashMap::new(),
        }
    }

    pub async fn render(
        &mut self,
        conn: &mut PgConnection,
        event: &str,
        values: &[(&str, String)],
    ) -> Result<RenderedMessage, NotifyError> {
        if !self.loaded.contains_key(event) {
            let template = current(conn, event, self.language).await?;
            self.loaded.insert(event.to_owned(), template);
        }
        let template = self
            .loaded
            .get(event)
            .ok_or_else(|| NotifyError::UnknownTemplate(event.to_owned()))?;
        let value = |name: &str| {
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        };
        fill(&template.subject, &template.body, &value)
    }
}

fn fill(
    subject: &str,
    body: &str,
    value: &dyn Fn(&str) -> Option<String>,
) -> Result<RenderedMessage, NotifyError> {
    let subject =
        render::render(subject, value).map_err(|error| NotifyError::Message(error.to_string()))?;
    // A subject is one line, whatever a value contains.
    let subject = subject.replace(['\r', '\n'], " ");
    let text =
        render::render(body, value).map_err(|error| NotifyError::Message(error.to_string()))?;
    let html = text_to_html(&text);
    Ok(RenderedMessage {
        subject,
        text,
        html,
    })
}

/// Plain text to simple HTML: escaped, paragraphs and line breaks kept,
/// links clickable.
pub fn text_to_html(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|paragraph| {
            let lines: Vec<String> = paragraph.lines().map(linkify).collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect();
    format!(
        "<div style=\"font-family:sans-serif;font-size:15px;line-height:1.5\">{}</div>",
        paragraphs.join("")
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn linkify(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            if word.starts_with("https://") || word.starts_with("http://") {
                let escaped = escape(word);
                format!("<a href=\"{escaped}\">{escaped}</a>")
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_with_links_and_paragraphs() {
        let html =
            text_to_html("Halo <b>Budi</b>\nbaris dua\n\nBuka https://toko.example.id/x?a=1&b=2");
        assert!(html.contains("Halo &lt;b&gt;Budi&lt;/b&gt;<br>baris dua</p><p>"));
        assert!(html.contains("<a href=\"https://toko.example.id/x?a=1&amp;b=2\">"));
    }

    #[test]
    fn previews_fill_samples_and_refuse_bad_templates() {
        let rendered =
            preview(catalog::ACCOUNT_LOCKED, "Dikunci", "Halo {name}").map(|m| m.subject);
        assert!(
            matches!(rendered, Err(NotifyError::Validation(_))),
            "minutes is required"
        );
        let rendered = preview(
            catalog::ACCOUNT_LOCKED,
            "Dikunci",
            "Halo {name}, {minutes} menit",
        )
        .expect("valid");
        assert_eq!(rendered.text, "Halo Budi Santoso, 15 menit");
    }
}
