//! Static pages (terms, FAQ, about…): markdown at a slug, served as
//! sanitised HTML once published.
//!
//! The HTML is rendered when a page is saved and stored beside the
//! markdown, not rendered on every read: a page is read far more often than
//! it is written, rendering plus sanitising 100 KB is milliseconds of CPU
//! per request, and the stored HTML is exactly what the editor previewed.
//! A row rendered by an older renderer is rendered again when read (see
//! [`markdown::RENDERER_VERSION`]), so stored HTML never outlives a
//! sanitiser fix.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use super::markdown::{self, RENDERER_VERSION};
use super::{ContentError, Fields, Lang, Paging, bounds, pick, resolve};

/// A page as staff write it (create and full replace).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PageInput {
    /// The address: `/p/<slug>`. Lowercase letters, digits and `-`.
    #[serde(default)]
    #[schema(pattern = "^[a-z0-9-]{1,80}$")]
    pub slug: String,
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
    #[serde(default)]
    pub is_published: bool,
}

/// A page with both languages' markdown, for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page {
    pub id: i64,
    pub slug: String,
    pub title_id: String,
    pub title_en: Option<String>,
    pub body_id: String,
    pub body_en: Option<String>,
    pub is_published: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page in a staff list, without its bodies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageSummary {
    pub id: i64,
    pub slug: String,
    pub title_id: String,
    pub title_en: Option<String>,
    pub is_published: bool,
    pub updated_at: DateTime<Utc>,
}

/// One page of static pages, for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageList {
    pub items: Vec<PageSummary>,
    pub page: u32,
    pub limit: u32,
    pub total: i64,
}

/// A published page in one language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicPage {
    pub slug: String,
    pub title: String,
    /// Sanitised HTML, safe to insert as it is.
    pub html: String,
    /// The language `title` and `html` are in.
    pub lang: Lang,
    pub updated_at: DateTime<Utc>,
}

/// Lowercase ASCII letters, digits and `-`, 1 to 80 of them.
pub fn check_slug(slug: &str) -> Result<(), String> {
    let shaped = !slug.is_empty()
        && slug.len() <= bounds::SLUG_MAX_CHARS
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "1 to {} lowercase letters, digits and dashes",
            bounds::SLUG_MAX_CHARS
        ))
    }
}

struct ValidPage {
    slug: String,
    title_id: String,
    title_en: Option<String>,
    body_id: String,
    body_en: Option<String>,
    html_id: String,
    html_en: Option<String>,
}

fn validate(input: &PageInput) -> Result<ValidPage, ContentError> {
    let mut fields = Fields::new();
    let slug = input.slug.trim().to_owned();
    if let Err(reason) = check_slug(&slug) {
        fields.add("slug", "invalid_slug", &reason);
    }
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
    Ok(ValidPage {
        html_id: markdown::to_safe_html(&body_id),
        html_en: body_en.as_deref().map(markdown::to_safe_html),
        slug,
        title_id,
        title_en,
        body_id,
        body_en,
    })
}

/// A unique violation on the slug is a taken slug, not a server error.
fn from_write(error: sqlx::Error) -> ContentError {
    match &error {
        sqlx::Error::Database(database)
            if database.constraint() == Some("storefront_page_slug_key") =>
        {
            ContentError::SlugTaken
        }
        _ => ContentError::Database(error),
    }
}

pub async fn list(pool: &PgPool, paging: Paging) -> Result<PageList, ContentError> {
    let items = sqlx::query_as!(
        PageSummary,
        r#"SELECT id, slug, title_id, title_en, is_published, updated_at
           FROM storefront_page ORDER BY slug LIMIT $1 OFFSET $2"#,
        paging.limit(),
        paging.offset()
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "total!" FROM storefront_page"#)
        .fetch_one(pool)
        .await?;
    Ok(PageList {
        items,
        page: paging.page,
        limit: paging.limit,
        total,
    })
}

/// One page, locked for a change in the caller's transaction.
pub async fn find(conn: &mut PgConnection, id: i64) -> Result<Page, ContentError> {
    sqlx::query_as!(
        Page,
        r#"SELECT id, slug, title_id, title_en, body_id, body_en, is_published, created_at, updated_at
           FROM storefront_page WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(ContentError::NotFound("no such page"))
}

pub async fn create(conn: &mut PgConnection, input: &PageInput) -> Result<Page, ContentError> {
    let page = validate(input)?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO storefront_page (slug, title_id, title_en, body_id, body_en, html_id, html_en, rendered_with, is_published)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"#,
        page.slug,
        page.title_id,
        page.title_en,
        page.body_id,
        page.body_en,
        page.html_id,
        page.html_en,
        RENDERER_VERSION,
        input.is_published
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(from_write)?;
    find(conn, id).await
}

pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &PageInput,
) -> Result<Page, ContentError> {
    let page = validate(input)?;
    let updated = sqlx::query!(
        r#"UPDATE storefront_page SET slug = $2, title_id = $3, title_en = $4, body_id = $5, body_en = $6, html_id = $7,
                  html_en = $8, rendered_with = $9, is_published = $10
           WHERE id = $1"#,
        id,
        page.slug,
        page.title_id,
        page.title_en,
        page.body_id,
        page.body_en,
        page.html_id,
        page.html_en,
        RENDERER_VERSION,
        input.is_published
    )
    .execute(&mut *conn)
    .await
    .map_err(from_write)?;
    if updated.rows_affected() == 0 {
        return Err(ContentError::NotFound("no such page"));
    }
    find(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), ContentError> {
    let deleted = sqlx::query!("DELETE FROM storefront_page WHERE id = $1", id)
        .execute(conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(ContentError::NotFound("no such page"));
    }
    Ok(())
}

/// The published page at `slug`, in `lang` where it has it.
pub async fn published(pool: &PgPool, slug: &str, lang: Lang) -> Result<PublicPage, ContentError> {
    let not_found = || ContentError::NotFound("no such page");
    if check_slug(slug).is_err() {
        return Err(not_found());
    }
    let row = sqlx::query!(
        r#"SELECT slug, title_id, title_en, body_id, body_en, html_id, html_en, rendered_with, updated_at
           FROM storefront_page WHERE slug = $1 AND is_published"#,
        slug
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(not_found)?;
    let lang = resolve(lang, row.title_en.is_some());
    let html = markdown::stored_or_rendered(
        lang,
        row.rendered_with,
        (row.html_id, row.html_en),
        (row.body_id, row.body_en),
    );
    Ok(PublicPage {
        slug: row.slug,
        title: pick(lang, row.title_id, row.title_en),
        html,
        lang,
        updated_at: row.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_and_dashes() {
        for good in ["syarat-ketentuan", "faq", "a", "2026-promo"] {
            assert!(check_slug(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Syarat",
            "syarat ketentuan",
            "../etc",
            "sy_arat",
            "héllo",
        ] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
        assert!(check_slug(&"a".repeat(80)).is_ok());
        assert!(check_slug(&"a".repeat(81)).is_err());
    }

    #[test]
    fn english_is_all_or_nothing_and_the_html_is_rendered_on_save() {
        let input = PageInput {
            slug: "faq".to_owned(),
            title_id: "Tanya jawab".to_owned(),
            title_en: Some("FAQ".to_owned()),
            body_id: "**Halo** <script>x()</script>".to_owned(),
            ..PageInput::default()
        };
        let Err(ContentError::Validation(errors)) = validate(&input) else {
            panic!("refused");
        };
        assert_eq!(errors.errors()[0].field, "body_en");
        let page = validate(&PageInput {
            body_en: Some("*Hi*".to_owned()),
            ..input
        })
        .expect("valid");
        assert_eq!(page.html_id, "<p><strong>Halo</strong> </p>\n");
        assert_eq!(page.html_en.as_deref(), Some("<p><em>Hi</em></p>\n"));
    }
}
