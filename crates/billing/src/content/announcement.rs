//! Announcements: news for customers (maintenance, new products, price
//! changes), markdown rendered and stored like a page's (see `page`), shown
//! from their `published_at` on, pinned ones first.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use super::markdown::{self, RENDERER_VERSION};
use super::{ContentError, Fields, Lang, Paging, bounds, pick, resolve};

/// An announcement as staff write it (create and full replace).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AnnouncementInput {
    #[serde(default)]
    pub title_id: String,
    /// Given together with `body_en`, or neither.
    #[serde(default)]
    pub title_en: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub body_id: String,
    /// Markdown; given together with `title_en`, or neither.
    #[serde(default)]
    pub body_en: Option<String>,
    /// Shown from this instant on (a future one schedules it); absent: a
    /// draft, never shown.
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    /// Shown above the others.
    #[serde(default)]
    pub is_pinned: bool,
}

/// An announcement with both languages' markdown, for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Announcement {
    pub id: i64,
    pub title_id: String,
    pub title_en: Option<String>,
    pub body_id: String,
    pub body_en: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub is_pinned: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An announcement in a staff list, without its bodies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnouncementSummary {
    pub id: i64,
    pub title_id: String,
    pub title_en: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub is_pinned: bool,
    pub updated_at: DateTime<Utc>,
}

/// One page of announcements, for staff: drafts and scheduled ones too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnouncementList {
    pub items: Vec<AnnouncementSummary>,
    pub page: u32,
    pub limit: u32,
    pub total: i64,
}

/// A published announcement in one language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicAnnouncement {
    pub id: i64,
    pub title: String,
    /// Sanitised HTML, safe to insert as it is.
    pub html: String,
    /// The language `title` and `html` are in.
    pub lang: Lang,
    pub published_at: DateTime<Utc>,
    pub is_pinned: bool,
}

/// One page of published announcements: pinned first, then newest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicAnnouncementList {
    pub items: Vec<PublicAnnouncement>,
    pub page: u32,
    pub limit: u32,
    pub total: i64,
}

struct ValidAnnouncement {
    title_id: String,
    title_en: Option<String>,
    body_id: String,
    body_en: Option<String>,
    html_id: String,
    html_en: Option<String>,
}

fn validate(input: &AnnouncementInput) -> Result<ValidAnnouncement, ContentError> {
    let mut fields = Fields::new();
    let title_id = fields.required("title_id", &input.title_id, bounds::TITLE_MAX_CHARS);
    let title_en = fields.optional(
        "title_en",
        input.title_en.as_deref(),
        bounds::TITLE_MAX_CHARS,
    );
    let body_id = fields.required("body_id", &input.body_id, bounds::BODY_MAX_CHARS);
    let body_en = fields.optional("body_en", input.body_en.as_deref(), bounds::BODY_MAX_CHARS);
    match (&title_en, &body_en) {
        (Some(_), None) => fields.required_with("body_en", &body_en, "title_en"),
        (None, Some(_)) => fields.required_with("title_en", &title_en, "body_en"),
        _ => {}
    }
    fields.finish()?;
    Ok(ValidAnnouncement {
        html_id: markdown::to_safe_html(&body_id),
        html_en: body_en.as_deref().map(markdown::to_safe_html),
        title_id,
        title_en,
        body_id,
        body_en,
    })
}

pub async fn list(pool: &PgPool, paging: Paging) -> Result<AnnouncementList, ContentError> {
    // Drafts first (they are being worked on), then the newest.
    let items = sqlx::query_as!(
        AnnouncementSummary,
        r#"SELECT id, title_id, title_en, published_at, is_pinned, updated_at
           FROM storefront_announcement
           ORDER BY published_at DESC NULLS FIRST, id DESC LIMIT $1 OFFSET $2"#,
        paging.limit(),
        paging.offset()
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "total!" FROM storefront_announcement"#)
        .fetch_one(pool)
        .await?;
    Ok(AnnouncementList {
        items,
        page: paging.page,
        limit: paging.limit,
        total,
    })
}

/// One announcement, locked for a change in the caller's transaction.
pub async fn find(conn: &mut PgConnection, id: i64) -> Result<Announcement, ContentError> {
    sqlx::query_as!(
        Announcement,
        r#"SELECT id, title_id, title_en, body_id, body_en, published_at, is_pinned, created_at, updated_at
           FROM storefront_announcement WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(ContentError::NotFound("no such announcement"))
}

pub async fn create(
    conn: &mut PgConnection,
    input: &AnnouncementInput,
) -> Result<Announcement, ContentError> {
    let announcement = validate(input)?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO storefront_announcement (title_id, title_en, body_id, body_en, html_id, html_en, rendered_with,
                                               published_at, is_pinned)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"#,
        announcement.title_id,
        announcement.title_en,
        announcement.body_id,
        announcement.body_en,
        announcement.html_id,
        announcement.html_en,
        RENDERER_VERSION,
        input.published_at,
        input.is_pinned
    )
    .fetch_one(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &AnnouncementInput,
) -> Result<Announcement, ContentError> {
    let announcement = validate(input)?;
    let updated = sqlx::query!(
        r#"UPDATE storefront_announcement SET title_id = $2, title_en = $3, body_id = $4, body_en = $5, html_id = $6,
                  html_en = $7, rendered_with = $8, published_at = $9, is_pinned = $10
           WHERE id = $1"#,
        id,
        announcement.title_id,
        announcement.title_en,
        announcement.body_id,
        announcement.body_en,
        announcement.html_id,
        announcement.html_en,
        RENDERER_VERSION,
        input.published_at,
        input.is_pinned
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ContentError::NotFound("no such announcement"));
    }
    find(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), ContentError> {
    let deleted = sqlx::query!("DELETE FROM storefront_announcement WHERE id = $1", id)
        .execute(conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(ContentError::NotFound("no such announcement"));
    }
    Ok(())
}

/// The announcements published at `now`: pinned first, then newest.
pub async fn published(
    pool: &PgPool,
    now: DateTime<Utc>,
    paging: Paging,
    lang: Lang,
) -> Result<PublicAnnouncementList, ContentError> {
    let rows = sqlx::query!(
        r#"SELECT id, title_id, title_en, body_id, body_en, html_id, html_en, rendered_with,
                  published_at AS "published_at!", is_pinned
           FROM storefront_announcement
           WHERE published_at <= $1
           ORDER BY is_pinned DESC, published_at DESC, id DESC LIMIT $2 OFFSET $3"#,
        now,
        paging.limit(),
        paging.offset()
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!" FROM storefront_announcement WHERE published_at <= $1"#,
        now
    )
    .fetch_one(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let lang = resolve(lang, row.title_en.is_some());
            let html = markdown::stored_or_rendered(
                lang,
                row.rendered_with,
                (row.html_id, row.html_en),
                (row.body_id, row.body_en),
            );
            PublicAnnouncement {
                id: row.id,
                title: pick(lang, row.title_id, row.title_en),
                html,
                lang,
                published_at: row.published_at,
                is_pinned: row.is_pinned,
            }
        })
        .collect();
    Ok(PublicAnnouncementList {
        items,
        page: paging.page,
        limit: paging.limit,
        total,
    })
}
