//! Banners: a picture with a title and an optional link, shown on the
//! storefront while active and inside its schedule.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use super::{ContentError, Fields, Lang, Paging, bounds, pick, resolve};

/// A banner as staff write it (create and full replace).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BannerInput {
    #[serde(default)]
    pub title_id: String,
    /// Empty or absent: English readers see the Indonesian title.
    #[serde(default)]
    pub title_en: Option<String>,
    /// `https://…` or a path on this site (`/…`).
    #[serde(default)]
    pub image_url: String,
    /// Where a click goes: `https://…` or `/…`; absent: not clickable.
    #[serde(default)]
    pub link_url: Option<String>,
    /// Shown from (inclusive); absent: at once.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until (exclusive), after `starts_at`; absent: no end.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Lower first.
    #[serde(default)]
    pub sort_order: i32,
    #[serde(default)]
    pub is_active: bool,
}

/// A banner with both languages, for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Banner {
    pub id: i64,
    pub title_id: String,
    pub title_en: Option<String>,
    pub image_url: String,
    pub link_url: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub sort_order: i32,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One page of banners, for staff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BannerList {
    pub items: Vec<Banner>,
    pub page: u32,
    pub limit: u32,
    pub total: i64,
}

/// A banner as the storefront shows it, in one language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicBanner {
    pub id: i64,
    pub title: String,
    pub image_url: String,
    pub link_url: Option<String>,
    /// The language `title` is in.
    pub lang: Lang,
}

/// The banners shown now, at most 50, in sort order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicBannerList {
    pub items: Vec<PublicBanner>,
}

/// A checked banner: only this is written.
struct ValidBanner {
    title_id: String,
    title_en: Option<String>,
    image_url: String,
    link_url: Option<String>,
}

fn validate(input: &BannerInput) -> Result<ValidBanner, ContentError> {
    let mut fields = Fields::new();
    let title_id = fields.required("title_id", &input.title_id, bounds::TITLE_MAX_CHARS);
    let title_en = fields.optional(
        "title_en",
        input.title_en.as_deref(),
        bounds::TITLE_MAX_CHARS,
    );
    let image_url = input.image_url.trim().to_owned();
    if image_url.is_empty() {
        fields.add("image_url", "required", "this field is required");
    } else {
        fields.url("image_url", &image_url);
    }
    let link_url = input
        .link_url
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned);
    if let Some(link_url) = &link_url {
        fields.url("link_url", link_url);
    }
    if let (Some(starts), Some(ends)) = (input.starts_at, input.ends_at)
        && ends <= starts
    {
        fields.add(
            "ends_at",
            "before_start",
            "the end must come after the start",
        );
    }
    fields.in_range("sort_order", input.sort_order, &bounds::SORT_ORDER);
    fields.finish()?;
    Ok(ValidBanner {
        title_id,
        title_en,
        image_url,
        link_url,
    })
}

pub async fn list(pool: &PgPool, paging: Paging) -> Result<BannerList, ContentError> {
    let items = sqlx::query_as!(
        Banner,
        r#"SELECT id, title_id, title_en, image_url, link_url, starts_at, ends_at, sort_order, is_active, created_at, updated_at
           FROM storefront_banner ORDER BY sort_order, id LIMIT $1 OFFSET $2"#,
        paging.limit(),
        paging.offset()
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "total!" FROM storefront_banner"#)
        .fetch_one(pool)
        .await?;
    Ok(BannerList {
        items,
        page: paging.page,
        limit: paging.limit,
        total,
    })
}

/// One banner, locked for a change in the caller's transaction.
pub async fn find(conn: &mut PgConnection, id: i64) -> Result<Banner, ContentError> {
    sqlx::query_as!(
        Banner,
        r#"SELECT id, title_id, title_en, image_url, link_url, starts_at, ends_at, sort_order, is_active, created_at, updated_at
           FROM storefront_banner WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(ContentError::NotFound("no such banner"))
}

pub async fn create(conn: &mut PgConnection, input: &BannerInput) -> Result<Banner, ContentError> {
    let banner = validate(input)?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO storefront_banner (title_id, title_en, image_url, link_url, starts_at, ends_at, sort_order, is_active)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"#,
        banner.title_id,
        banner.title_en,
        banner.image_url,
        banner.link_url,
        input.starts_at,
        input.ends_at,
        input.sort_order,
        input.is_active
    )
    .fetch_one(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    input: &BannerInput,
) -> Result<Banner, ContentError> {
    let banner = validate(input)?;
    let updated = sqlx::query!(
        r#"UPDATE storefront_banner SET title_id = $2, title_en = $3, image_url = $4, link_url = $5, starts_at = $6,
                  ends_at = $7, sort_order = $8, is_active = $9
           WHERE id = $1"#,
        id,
        banner.title_id,
        banner.title_en,
        banner.image_url,
        banner.link_url,
        input.starts_at,
        input.ends_at,
        input.sort_order,
        input.is_active
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ContentError::NotFound("no such banner"));
    }
    find(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<(), ContentError> {
    let deleted = sqlx::query!("DELETE FROM storefront_banner WHERE id = $1", id)
        .execute(conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(ContentError::NotFound("no such banner"));
    }
    Ok(())
}

/// The banners the storefront shows at `now`: active and inside their
/// schedule, in sort order, at most [`bounds::PUBLIC_PAGE_MAX`].
pub async fn shown(
    pool: &PgPool,
    now: DateTime<Utc>,
    lang: Lang,
) -> Result<PublicBannerList, ContentError> {
    let rows = sqlx::query!(
        r#"SELECT id, title_id, title_en, image_url, link_url FROM storefront_banner
           WHERE is_active AND (starts_at IS NULL OR starts_at <= $1) AND (ends_at IS NULL OR ends_at > $1)
           ORDER BY sort_order, id LIMIT $2"#,
        now,
        i64::from(bounds::PUBLIC_PAGE_MAX)
    )
    .fetch_all(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let lang = resolve(lang, row.title_en.is_some());
            PublicBanner {
                id: row.id,
                title: pick(lang, row.title_id, row.title_en),
                image_url: row.image_url,
                link_url: row.link_url,
                lang,
            }
        })
        .collect();
    Ok(PublicBannerList { items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_named_at_once() {
        let now = Utc::now();
        let input = BannerInput {
            title_id: "  ".to_owned(),
            title_en: Some("x".repeat(bounds::TITLE_MAX_CHARS + 1)),
            image_url: "javascript:alert(1)".to_owned(),
            link_url: Some("data:text/html,x".to_owned()),
            starts_at: Some(now),
            ends_at: Some(now),
            sort_order: -1,
            is_active: true,
        };
        let Err(ContentError::Validation(errors)) = validate(&input) else {
            panic!("a banner this wrong is refused");
        };
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title_id",
                "title_en",
                "image_url",
                "link_url",
                "ends_at",
                "sort_order"
            ]
        );
    }

    #[test]
    fn blank_english_is_absent() {
        let input = BannerInput {
            title_id: " Promo ".to_owned(),
            title_en: Some("  ".to_owned()),
            image_url: "/img/promo.webp".to_owned(),
            link_url: Some(String::new()),
            ..BannerInput::default()
        };
        let banner = validate(&input).expect("valid");
        assert_eq!(banner.title_id, "Promo");
        assert_eq!(banner.title_en, None);
        assert_eq!(banner.link_url, None);
    }
}
