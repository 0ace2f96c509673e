//! The storefront's content: public reads for the shop's visitors (no
//! sign-in, in Indonesian or English) and the staff editor's CRUD, every
//! change audited with the item before and after.

use actix_web::{HttpResponse, delete, get, post, put, web};
use billing::content::announcement::{
    self, Announcement, AnnouncementInput, AnnouncementList, PublicAnnouncementList,
};
use billing::content::banner::{self, Banner, BannerInput, BannerList, PublicBannerList};
use billing::content::page::{self, Page, PageInput, PageList, PublicPage};
use billing::content::testimonial::{
    self, PublicTestimonialList, Testimonial, TestimonialInput, TestimonialList,
};
use billing::content::{Lang, Paging, markdown};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Auth, Policy};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(storefront_banners)
        .service(storefront_testimonials)
        .service(storefront_page)
        .service(storefront_announcements)
        .service(preview_markdown)
        .service(list_banners)
        .service(create_banner)
        .service(get_banner)
        .service(update_banner)
        .service(delete_banner)
        .service(list_testimonials)
        .service(create_testimonial)
        .service(get_testimonial)
        .service(update_testimonial)
        .service(delete_testimonial)
        .service(list_pages)
        .service(create_page)
        .service(get_page)
        .service(update_page)
        .service(delete_page)
        .service(list_announcements)
        .service(create_announcement)
        .service(get_announcement)
        .service(update_announcement)
        .service(delete_announcement);
}

/// Who edits the storefront's content: the owner and the business side.
pub struct ContentEditors;
impl Policy for ContentEditors {
    const ROLES: &'static [identity::Role] = &[identity::Role::Owner, identity::Role::Business];
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LangQuery {
    /// `id` (default) or `en`; an item without English answers in Indonesian.
    pub lang: Option<Lang>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PublicListQuery {
    /// `id` (default) or `en`; an item without English answers in Indonesian.
    pub lang: Option<Lang>,
    /// 1 (default) or more.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page: 10 unless asked; more than 50 is read as 50.
    #[param(maximum = 50)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StaffListQuery {
    /// 1 (default) or more.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page: 50 unless asked; more than 100 is read as 100.
    pub limit: Option<u32>,
}

/// The banners shown now (active and inside their schedule, by the
/// server's clock), in sort order. No sign-in.
#[utoipa::path(
    tag = "content",
    operation_id = "listStorefrontBanners",
    params(LangQuery),
    responses((status = 200, description = "Banners to show", body = PublicBannerList))
)]
#[get("/api/v1/storefront/banners")]
async fn storefront_banners(
    state: web::Data<AppState>,
    query: web::Query<LangQuery>,
) -> Result<web::Json<PublicBannerList>, ApiError> {
    let lang = query.lang.unwrap_or_default();
    Ok(web::Json(
        banner::shown(&state.pool, state.clock.now(), lang).await?,
    ))
}

/// Published testimonials, in sort order. No sign-in.
#[utoipa::path(
    tag = "content",
    operation_id = "listStorefrontTestimonials",
    params(PublicListQuery),
    responses((status = 200, description = "Published testimonials", body = PublicTestimonialList))
)]
#[get("/api/v1/storefront/testimonials")]
async fn storefront_testimonials(
    state: web::Data<AppState>,
    query: web::Query<PublicListQuery>,
) -> Result<web::Json<PublicTestimonialList>, ApiError> {
    let paging = Paging::public(query.page, query.limit);
    let lang = query.lang.unwrap_or_default();
    Ok(web::Json(
        testimonial::published(&state.pool, paging, lang).await?,
    ))
}

/// A published static page as sanitised HTML. No sign-in.
#[utoipa::path(
    tag = "content",
    operation_id = "getStorefrontPage",
    params(("slug" = String, Path, description = "The page's slug"), LangQuery),
    responses(
        (status = 200, description = "The page", body = PublicPage),
        (status = 404, description = "No published page at this slug", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/storefront/pages/{slug}")]
async fn storefront_page(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<web::Json<PublicPage>, ApiError> {
    let lang = query.lang.unwrap_or_default();
    Ok(web::Json(page::published(&state.pool, &slug, lang).await?))
}

/// Published announcements (their `published_at` reached, by the
/// server's clock): pinned first, then newest. No sign-in.
#[utoipa::path(
    tag = "content",
    operation_id = "listStorefrontAnnouncements",
    params(PublicListQuery),
    responses((status = 200, description = "Published announcements", body = PublicAnnouncementList))
)]
#[get("/api/v1/storefront/announcements")]
async fn storefront_announcements(
    state: web::Data<AppState>,
    query: web::Query<PublicListQuery>,
) -> Result<web::Json<PublicAnnouncementList>, ApiError> {
    let paging = Paging::public(query.page, query.limit);
    let lang = query.lang.unwrap_or_default();
    Ok(web::Json(
        announcement::published(&state.pool, state.clock.now(), paging, lang).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PreviewRequest {
    /// Markdown, as in a page or announcement body.
    #[serde(default)]
    pub markdown: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    /// The sanitised HTML a save would store.
    pub html: String,
}

/// Render markdown as a page or announcement would be shown; nothing is saved.
#[utoipa::path(
    tag = "content",
    operation_id = "previewContentMarkdown",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    responses((status = 200, description = "The sanitised HTML", body = PreviewResponse))
)]
#[post("/api/v1/staff/content/preview")]
async fn preview_markdown(
    _auth: Auth<ContentEditors>,
    body: web::Json<PreviewRequest>,
) -> Result<web::Json<PreviewResponse>, ApiError> {
    let html = markdown::preview(&body.markdown)?;
    Ok(web::Json(PreviewResponse { html }))
}

/// Records a content change with the whole item before and after.
async fn audited<T: Serialize>(
    tx: &mut sqlx::PgConnection,
    auth: &Auth<ContentEditors>,
    (kind, action): (&str, &str),
    id: i64,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), ApiError> {
    let action = format!("content.{kind}.{action}");
    let entity_type = format!("storefront_{kind}");
    super::audited(tx, auth, &action, &entity_type, id, before, after).await
}

/// Every banner, active or not, with both languages.
#[utoipa::path(
    tag = "content",
    operation_id = "listBanners",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(StaffListQuery),
    responses((status = 200, description = "One page of banners", body = BannerList))
)]
#[get("/api/v1/staff/content/banners")]
async fn list_banners(
    _auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    query: web::Query<StaffListQuery>,
) -> Result<web::Json<BannerList>, ApiError> {
    let paging = Paging::staff(query.page, query.limit);
    Ok(web::Json(banner::list(&state.pool, paging).await?))
}

/// Create a banner.
#[utoipa::path(
    tag = "content",
    operation_id = "createBanner",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    responses(
        (status = 201, description = "Created", body = Banner),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/content/banners")]
async fn create_banner(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    body: web::Json<BannerInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = banner::create(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        ("banner", "created"),
        created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// One banner, with both languages.
#[utoipa::path(
    tag = "content",
    operation_id = "getBanner",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Banner id")),
    responses(
        (status = 200, description = "The banner", body = Banner),
        (status = 404, description = "No such banner", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/content/banners/{id}")]
async fn get_banner(
    _auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Banner>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(banner::find(&mut conn, id.into_inner()).await?))
}

/// Replace a banner.
#[utoipa::path(
    tag = "content",
    operation_id = "updateBanner",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Banner id")),
    responses(
        (status = 200, description = "Saved", body = Banner),
        (status = 404, description = "No such banner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/content/banners/{id}")]
async fn update_banner(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<BannerInput>,
) -> Result<web::Json<Banner>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = banner::find(&mut tx, id).await?;
    let after = banner::update(&mut tx, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        ("banner", "updated"),
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// Delete a banner.
#[utoipa::path(
    tag = "content",
    operation_id = "deleteBanner",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Banner id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such banner", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/content/banners/{id}")]
async fn delete_banner(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = banner::find(&mut tx, id).await?;
    banner::delete(&mut tx, id).await?;
    audited::<Banner>(
        &mut tx,
        &auth,
        ("banner", "deleted"),
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every testimonial, published or not, with both languages.
#[utoipa::path(
    tag = "content",
    operation_id = "listTestimonials",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(StaffListQuery),
    responses((status = 200, description = "One page of testimonials", body = TestimonialList))
)]
#[get("/api/v1/staff/content/testimonials")]
async fn list_testimonials(
    _auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    query: web::Query<StaffListQuery>,
) -> Result<web::Json<TestimonialList>, ApiError> {
    let paging = Paging::staff(query.page, query.limit);
    Ok(web::Json(testimonial::list(&state.pool, paging).await?))
}

/// Create a testimonial.
#[utoipa::path(
    tag = "content",
    operation_id = "createTestimonial",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    responses(
        (status = 201, description = "Created", body = Testimonial),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/content/testimonials")]
async fn create_testimonial(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    body: web::Json<TestimonialInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = testimonial::create(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        ("testimonial", "created"),
        created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// One testimonial, with both languages.
#[utoipa::path(
    tag = "content",
    operation_id = "getTestimonial",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Testimonial id")),
    responses(
        (status = 200, description = "The testimonial", body = Testimonial),
        (status = 404, description = "No such testimonial", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/content/testimonials/{id}")]
async fn get_testimonial(
    _auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Testimonial>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        testimonial::find(&mut conn, id.into_inner()).await?,
    ))
}

/// Replace a testimonial.
#[utoipa::path(
    tag = "content",
    operation_id = "updateTestimonial",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Testimonial id")),
    responses(
        (status = 200, description = "Saved", body = Testimonial),
        (status = 404, description = "No such testimonial", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/content/testimonials/{id}")]
async fn update_testimonial(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<TestimonialInput>,
) -> Result<web::Json<Testimonial>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = testimonial::find(&mut tx, id).await?;
    let after = testimonial::update(&mut tx, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        ("testimonial", "updated"),
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// Delete a testimonial.
#[utoipa::path(
    tag = "content",
    operation_id = "deleteTestimonial",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Testimonial id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such testimonial", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/content/testimonials/{id}")]
async fn delete_testimonial(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = testimonial::find(&mut tx, id).await?;
    testimonial::delete(&mut tx, id).await?;
    audited::<Testimonial>(
        &mut tx,
        &auth,
        ("testimonial", "deleted"),
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every static page, published or not (without bodies: read one for them).
#[utoipa::path(
    tag = "content",
    operation_id = "listPages",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(StaffListQuery),
    responses((status = 200, description = "One page of pages", body = PageList))
)]
#[get("/api/v1/staff/content/pages")]
async fn list_pages(
    _auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    query: web::Query<StaffListQuery>,
) -> Result<web::Json<PageList>, ApiError> {
    let paging = Paging::staff(query.page, query.limit);
    Ok(web::Json(page::list(&state.pool, paging).await?))
}

/// Create a page.
#[utoipa::path(
    tag = "content",
    operation_id = "createPage",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    responses(
        (status = 201, description = "Created", body = Page),
        (status = 409, description = "Another page has this slug (`slug_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/content/pages")]
async fn create_page(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    body: web::Json<PageInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = page::create(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        ("page", "created"),
        created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// One page, with both languages.
#[utoipa::path(
    tag = "content",
    operation_id = "getPage",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Page id")),
    responses(
        (status = 200, description = "The page", body = Page),
        (status = 404, description = "No such page", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/content/pages/{id}")]
async fn get_page(
    _auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Page>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(page::find(&mut conn, id.into_inner()).await?))
}

/// Replace a page.
#[utoipa::path(
    tag = "content",
    operation_id = "updatePage",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Page id")),
    responses(
        (status = 200, description = "Saved", body = Page),
        (status = 404, description = "No such page", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another page has this slug (`slug_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/content/pages/{id}")]
async fn update_page(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<PageInput>,
) -> Result<web::Json<Page>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = page::find(&mut tx, id).await?;
    let after = page::update(&mut tx, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        ("page", "updated"),
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// Delete a page.
#[utoipa::path(
    tag = "content",
    operation_id = "deletePage",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Page id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such page", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/content/pages/{id}")]
async fn delete_page(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = page::find(&mut tx, id).await?;
    page::delete(&mut tx, id).await?;
    audited::<Page>(&mut tx, &auth, ("page", "deleted"), id, Some(&before), None).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every announcement: drafts first, then newest (without bodies: read one for them).
#[utoipa::path(
    tag = "content",
    operation_id = "listAnnouncements",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(StaffListQuery),
    responses((status = 200, description = "One page of announcements", body = AnnouncementList))
)]
#[get("/api/v1/staff/content/announcements")]
async fn list_announcements(
    _auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    query: web::Query<StaffListQuery>,
) -> Result<web::Json<AnnouncementList>, ApiError> {
    let paging = Paging::staff(query.page, query.limit);
    Ok(web::Json(announcement::list(&state.pool, paging).await?))
}

/// Create a announcement.
#[utoipa::path(
    tag = "content",
    operation_id = "createAnnouncement",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    responses(
        (status = 201, description = "Created", body = Announcement),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/staff/content/announcements")]
async fn create_announcement(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    body: web::Json<AnnouncementInput>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let created = announcement::create(&mut tx, &body).await?;
    audited(
        &mut tx,
        &auth,
        ("announcement", "created"),
        created.id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// One announcement, with both languages.
#[utoipa::path(
    tag = "content",
    operation_id = "getAnnouncement",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "The announcement", body = Announcement),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/staff/content/announcements/{id}")]
async fn get_announcement(
    _auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Announcement>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        announcement::find(&mut conn, id.into_inner()).await?,
    ))
}

/// Replace a announcement.
#[utoipa::path(
    tag = "content",
    operation_id = "updateAnnouncement",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Announcement id")),
    responses(
        (status = 200, description = "Saved", body = Announcement),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/staff/content/announcements/{id}")]
async fn update_announcement(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<AnnouncementInput>,
) -> Result<web::Json<Announcement>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = announcement::find(&mut tx, id).await?;
    let after = announcement::update(&mut tx, id, &body).await?;
    audited(
        &mut tx,
        &auth,
        ("announcement", "updated"),
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

/// Delete a announcement.
#[utoipa::path(
    tag = "content",
    operation_id = "deleteAnnouncement",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "business"]))),
    params(("id" = i64, Path, description = "Announcement id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such announcement", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/staff/content/announcements/{id}")]
async fn delete_announcement(
    auth: Auth<ContentEditors>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = announcement::find(&mut tx, id).await?;
    announcement::delete(&mut tx, id).await?;
    audited::<Announcement>(
        &mut tx,
        &auth,
        ("announcement", "deleted"),
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
