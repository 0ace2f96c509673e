//! A user's own Telegram link (the client area's Telegram card) and the
//! owner's alert log.

use actix_web::{HttpResponse, delete, get, post, web};
use notify::alert::{self, OwnerAlert};
use notify::telegram_link::{self, LinkedChat};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AnyUser, Auth, OwnerOnly};
use crate::error::{ApiError, Problem};
use crate::routes::parse_cursor;
use crate::state::{AppState, Telegram};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_telegram_link)
        .service(create_telegram_link_code)
        .service(unlink_telegram)
        .service(list_owner_alerts);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TelegramLinkStatus {
    /// Whether the shop has a Telegram bot at all.
    pub available: bool,
    /// The linked chat, if any.
    pub chat: Option<LinkedChat>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TelegramLinkCode {
    /// Send `/start <code>` to the bot, or open `deep_link`.
    pub code: String,
    /// `https://t.me/<bot>?start=<code>`: opens the bot with the code.
    pub deep_link: String,
    pub bot_username: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

fn bot(state: &AppState) -> Result<&Telegram, ApiError> {
    state.telegram.as_ref().ok_or_else(|| ApiError::Rejected {
        code: "telegram_unavailable",
        detail: "this shop has no Telegram bot configured".to_owned(),
    })
}

/// Whether the signed-in user's Telegram is linked, and to which chat.
#[utoipa::path(
    tag = "account",
    operation_id = "getTelegramLink",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 200, description = "Link status", body = TelegramLinkStatus),
    )
)]
#[get("/api/v1/account/telegram")]
async fn get_telegram_link(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
) -> Result<web::Json<TelegramLinkStatus>, ApiError> {
    let chat = telegram_link::linked_chat(&state.pool, auth.principal.user_id).await?;
    Ok(web::Json(TelegramLinkStatus {
        available: state.telegram.is_some(),
        chat,
    }))
}

/// A one-time code (valid 15 minutes) and the deep link that sends it to the
/// bot; earlier unused codes stop working. The link takes effect when the
/// bot receives `/start <code>`.
#[utoipa::path(
    tag = "account",
    operation_id = "createTelegramLinkCode",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 201, description = "A new code", body = TelegramLinkCode),
        (status = 422, description = "No Telegram bot is configured (`telegram_unavailable`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Telegram could not be reached to name the bot", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/account/telegram/link-code")]
async fn create_telegram_link_code(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let bot_username = bot(&state)?
        .bot_username()
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?
        .to_owned();
    let mut tx = state.pool.begin().await?;
    let code = telegram_link::create_code(&mut tx, auth.principal.user_id).await?;
    tx.commit().await?;
    let deep_link = format!("https://t.me/{bot_username}?start={}", code.code);
    Ok(HttpResponse::Created().json(TelegramLinkCode {
        code: code.code,
        deep_link,
        bot_username,
        expires_at: code.expires_at,
    }))
}

/// Stop sending to the linked Telegram chat.
#[utoipa::path(
    tag = "account",
    operation_id = "unlinkTelegram",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "sysadmin", "business", "finance", "owner"]))),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 404, description = "No Telegram chat is linked", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/account/telegram")]
async fn unlink_telegram(
    auth: Auth<AnyUser>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    if !telegram_link::unlink(&mut tx, auth.principal.user_id).await? {
        return Err(ApiError::NotFound("no Telegram chat is linked".to_owned()));
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AlertQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerAlertPage {
    pub items: Vec<OwnerAlert>,
    pub next_cursor: Option<String>,
}

/// The owner's alerts, newest first: logged errors and important changes,
/// with how each was delivered (alone, or held for a storm's summary).
#[utoipa::path(
    tag = "notifications",
    operation_id = "listOwnerAlerts",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(AlertQuery),
    responses(
        (status = 200, description = "A page of alerts", body = OwnerAlertPage),
        (status = 400, description = "Bad cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/notifications/alerts")]
async fn list_owner_alerts(
    _auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    query: web::Query<AlertQuery>,
) -> Result<web::Json<OwnerAlertPage>, ApiError> {
    let before = parse_cursor(query.cursor.as_deref())?;
    let (items, next) = alert::list(&state.pool, before, query.limit.unwrap_or(50)).await?;
    Ok(web::Json(OwnerAlertPage {
        items,
        next_cursor: next.map(|id| id.to_string()),
    }))
}
