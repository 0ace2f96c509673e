//! Testimonials: what customers said, with a 1–5 rating, shown once
//! published.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use super::{ContentError, Fields, Lang, Paging, bounds, pick, resolve};

/// A testimonial as staff write it (create and full replace).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TestimonialInput {
    #[serde(default)]
    pub author_name: String,
    /// Role or company, e.g. "Pemilik toko online".
    #[serde(default)]
    pub author_role_id: Option<String>,
    /// Needs `quote_en`; absent: English readers see `author_role_id`.
    #[serde(default)]
    pub author_role_en: Option<String>,
    #[serde(default)]
    pub quote_id: String,
    /// Absent: English readers see the Indonesian quote.
    #[serde(default)]
    pub quote_en: Option<String>,
    /// 1 to 5.
    #[serde(default)]
    pub rating: i16,
    /// Lower first.
    #[serde(default)]
    pub sort_order: i32,
    #[serde(default)]
    pub is_published: bool,
}

/// A testimonial with both languages, for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Testimonial {
    pub id: i64,
    pub author_name: String,
    pub author_role_id: Option<String>,
    pub author_role_en: Option<String>,
    pub quote_id: String,
    pub quote_en: Option<String>,
    pub rating: i16,
    pub sort_order: i32,
    pub is_published: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One page of testimonials, for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestimonialList {
    pub items: Vec<Testimonial>,
    pub page: u32,
    pub limit: u32,
    pub total: i64,
}

/// A testimonial as the storefront shows it, in one language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicTestimonial {
    pub id: i64,
    pub author_name: String,
    pub author_role: Option<String>,
    pub quote: String,
    pub rating: i16,
    /// The language `quote` (and `author_role`, where translated) is in.
    pub lang: Lang,
}

/// One page of published testimonials.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicTestimonialList {
    pub items: Vec<PublicTestimonial>,
    pub page: u32,
    pub limit: u32,
    pub total: i64,
}

struct ValidTestimonial {
    author_name: String,
    author_role_id: Option<String>,
    author_role_en: Option<String>,
    quote_id: String,
    quote_en: Option<String>,
}

fn validate(input: &TestimonialInput) -> Result<ValidTestimonial, ContentError> {
    let mut fields = Fields::new();
    let author_name = fields.required(
        "author_name",
        &input.author_name,
        bounds::AUTHOR_NAME_MAX_CHARS,
    );
    let author_role_id = fields.optional(
        "author_role_id",
        input.author_role_id.as_deref(),
        bounds::AUTHOR_ROLE_MAX_CHARS,
    );
    let author_role_en = fields.optional(
        "author_role_en",
        input.author_role_en.as_deref(),
        bounds::AUTHOR_ROLE_MAX_CHARS,
    );
    let quote_id = fields.required("quote_id", &input.quote_id, bounds::QUOTE_MAX_CHARS);
    let quote_en = fields.optional(
        "quote_en",
        input.quote_en.as_deref(),
        bounds::QUOTE_MAX_CHARS,
    );
    if author_role_en.is_some() {
        fields.required_with("quote_en", &quote_en, "author_role_en");
    }
    fields.in_range("rating", input.rating, &bounds::RATING);
    fields.in_range("sort_order", input.sort_order, &bounds::SORT_ORDER);
    fields.finish()?;
    Ok(ValidTestimonial {
        author_name,
        author_role_id,
        author_role_en,
        quote_id,
        quote_en,
    })
}

pub async fn list(pool: &PgPool, paging: Paging) -> Result<TestimonialList, ContentError> {
    let items = sqlx::query_as!(
        Testimonial,
        r#"SELECT id, author_name, author_role_id, author_role_en, quote_id, quote_en, rating, sort_order, is_published,
                  created_at, updated_at
           FROM storefront_testimonial ORDER BY sort_order, id LIMIT $1 OFFSET $2"#,
        paging.limit(),
        paging.offset()
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "total!" FROM storefront_testimonial"#)
        .fetch_one(pool)
        .await?;
    Ok(TestimonialList {
        items,
        page: paging.page,
        limit: paging.limit,
        total,
    })
}

/// One testimonial, locked for a change in the caller's transaction.
pub async fn find(conn: &mut PgConnection, id: i64) -> Result<Testimonial, ContentError> {
    sqlx::query_as!(
        Testimonial,
        r#"SELECT id, author_name, author_role_id, author_role_en, quote_id, quote_en, rating, sort_order, is_published,
                  created_at, updated_at
           FROM storefront_testimonial WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(ContentError::NotFound("no such testimonial"))
}

pub async fn create(
    conn: &mut PgConnection,
    input: &TestimonialInput,
) -> Result<Testimonial, ContentError> {
    let testimonial = validate(input)?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO storefront_testimonial (author_name, author_role_id, author_role_en, quote_id, quote_en, rating,
                                              sort_order, is_published)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"#,
        testimonial.author_name,
        testimonial.author_role_id,
        testimonial.author_role_en,
        testimonial.quote_id,
        testimonial.quote_en,
        input.rating,
        input.sort_order,
        input.is_published
    )
    .fetch_one(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &TestimonialInput,
) -> Result<Testimonial, ContentError> {
    let testimonial = validate(input)?;
    let updated = sqlx::query!(
        r#"UPDATE storefront_testimonial SET author_name = $2, author_role_id = $3, author_role_en = $4, quote_id = $5,
                  quote_en = $6, rating = $7, sort_order = $8, is_published = $9
           WHERE id = $1"#,
        id,
        testimonial.author_name,
        testimonial.author_role_id,
        testimonial.author_role_en,
        testimonial.quote_id,
        testimonial.quote_en,
        input.rating,
        input.sort_order,
        input.is_published
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ContentError::NotFound("no such testimonial"));
    }
    find(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), ContentError> {
    let deleted = sqlx::query!("DELETE FROM storefront_testimonial WHERE id = $1", id)
        .execute(conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(ContentError::NotFound("no such testimonial"));
    }
    Ok(())
}

/// Published testimonials, in sort order.
pub async fn published(
    pool: &PgPool,
    paging: Paging,
    lang: Lang,
) -> Result<PublicTestimonialList, ContentError> {
    let rows = sqlx::query!(
        r#"SELECT id, author_name, author_role_id, author_role_en, quote_id, quote_en, rating
           FROM storefront_testimonial WHERE is_published ORDER BY sort_order, id LIMIT $1 OFFSET $2"#,
        paging.limit(),
        paging.offset()
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!" FROM storefront_testimonial WHERE is_published"#
    )
    .fetch_one(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let lang = resolve(lang, row.quote_en.is_some());
            let author_role = match (lang, row.author_role_en) {
                (Lang::En, Some(role)) => Some(role),
                _ => row.author_role_id,
            };
            PublicTestimonial {
                id: row.id,
                author_name: row.author_name,
                author_role,
                quote: pick(lang, row.quote_id, row.quote_en),
                rating: row.rating,
                lang,
            }
        })
        .collect();
    Ok(PublicTestimonialList {
        items,
        page: paging.page,
        limit: paging.limit,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five_and_english_roles_need_an_english_quote() {
        let input = TestimonialInput {
            author_name: "Sari".to_owned(),
            author_role_en: Some("Shop owner".to_owned()),
            quote_id: "Mantap".to_owned(),
            rating: 6,
            ..TestimonialInput::default()
        };
        let Err(ContentError::Validation(errors)) = validate(&input) else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["quote_en", "rating"]);
        let good = TestimonialInput {
            rating: 5,
            author_role_en: None,
            ..input
        };
        assert!(validate(&good).is_ok());
    }
}
