//! Message templates (owner) and the outbox (staff).

use actix_web::{HttpResponse, delete, get, post, put, web};
use identity::audit::{self, AuditRecord};
use notify::broadcast::{self, Broadcast, Channel, NewBroadcast};
use notify::outbox::{self, OutboxFilter, OutboxMessage, OutboxStatus};
use notify::telegram_chat::{self, NewStaffChat, StaffChat};
use notify::template::{
    self, EventTemplates, Language, RenderedMessage, RollbackTarget, TemplateVersion,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Auth, OwnerOnly, Policy, StaffOnly};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_templates)
        .service(template_history)
        .service(save_template)
        .service(preview_template)
        .service(rollback_template)
        .service(list_outbox)
        .service(resend_outbox_message)
        .service(create_broadcast)
        .service(list_broadcasts)
        .service(get_broadcast)
        .service(cancel_broadcast)
        .service(list_staff_chats)
        .service(add_staff_chat)
        .service(remove_staff_chat)
        .service(test_staff_chat);
}

/// Owner and business staff send broadcasts.
pub struct Broadcasters;
impl Policy for Broadcasters {
    const ROLES: &'static [identity::Role] = &[identity::Role::Business, identity::Role::Owner];
}

fn language(value: &str) -> Result<Language, ApiError> {
    Language::parse(value)
        .ok_or_else(|| ApiError::NotFound(format!("no language `{value}` (id or en)")))
}

/// Every event that sends messages, its placeholders, and the template in use per language.
/// Every staff role may read them (seed 003: admins preview what customers
/// will be told); only the owner changes them.
#[utoipa::path(
    tag = "notifications",
    operation_id = "listTemplates",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    responses(
        (status = 200, description = "Events and their templates", body = [EventTemplates]),
    )
)]
#[get("/api/v1/notifications/templates")]
async fn list_templates(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<EventTemplates>>, ApiError> {
    Ok(web::Json(template::list(&state.pool).await?))
}

/// Every saved version of one template, newest first, ending with the built-in text.
#[utoipa::path(
    tag = "notifications",
    operation_id = "templateHistory",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    params(("event" = String, Path, description = "e.g. `auth.account_locked`"), ("language" = String, Path, description = "`id` or `en`")),
    responses(
        (status = 200, description = "Versions", body = [TemplateVersion]),
        (status = 404, description = "No such event or language", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/notifications/templates/{event}/{language}")]
async fn template_history(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Vec<TemplateVersion>>, ApiError> {
    let (event, language_code) = path.into_inner();
    Ok(web::Json(
        template::history(&state.pool, &event, language(&language_code)?).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateText {
    pub subject: String,
    /// `{placeholder}` slots; `{{` and `}}` for literal braces.
    pub body: String,
}

/// Save a new version. Unknown placeholders, missing required ones and stray
/// braces are refused with per-field errors.
#[utoipa::path(
    tag = "notifications",
    operation_id = "saveTemplate",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("event" = String, Path, description = "e.g. `auth.account_locked`"), ("language" = String, Path, description = "`id` or `en`")),
    responses(
        (status = 200, description = "The new version, now in use", body = TemplateVersion),
        (status = 404, description = "No such event or language", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid template", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/notifications/templates/{event}/{language}")]
async fn save_template(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<TemplateText>,
) -> Result<web::Json<TemplateVersion>, ApiError> {
    let (event, language_code) = path.into_inner();
    let language = language(&language_code)?;
    let mut tx = state.pool.begin().await?;
    let (before, after) = template::save(
        &mut tx,
        Some(auth.principal.user_id),
        &event,
        language,
        &body.subject,
        &body.body,
    )
    .await?;
    audit_template_change(&mut tx, &auth, "template.edited", &before, &after).await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

async fn audit_template_change(
    tx: &mut sqlx::PgConnection,
    auth: &Auth<OwnerOnly>,
    action: &str,
    before: &TemplateVersion,
    after: &TemplateVersion,
) -> Result<(), ApiError> {
    let text = |version: &TemplateVersion| serde_json::json!({ "version": version.id, "subject": version.subject, "body": version.body });
    let entry = AuditRecord {
        action,
        entity_type: "message_template",
        entity_id: format!("{}/{}", after.event, after.language.as_str()),
        before: Some(text(before)),
        after: Some(text(after)),
    };
    audit::record(tx, &auth.actor(), entry).await?;
    Ok(())
}

/// Render a draft with the event's sample values, without saving it.
#[utoipa::path(
    tag = "notifications",
    operation_id = "previewTemplate",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner", "sysadmin", "business", "finance"]))),
    params(("event" = String, Path, description = "e.g. `auth.account_locked`"), ("language" = String, Path, description = "`id` or `en`")),
    responses(
        (status = 200, description = "Rendered subject, text and HTML", body = RenderedMessage),
        (status = 404, description = "No such event or language", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid template", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/notifications/templates/{event}/{language}/preview")]
async fn preview_template(
    _auth: Auth<StaffOnly>,
    path: web::Path<(String, String)>,
    body: web::Json<TemplateText>,
) -> Result<web::Json<RenderedMessage>, ApiError> {
    let (event, language_code) = path.into_inner();
    language(&language_code)?;
    Ok(web::Json(template::preview(
        &event,
        &body.subject,
        &body.body,
    )?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RollbackRequest {
    /// A version id from the history; omit to restore the built-in text.
    pub version_id: Option<i64>,
}

/// Bring back an earlier version, or the built-in text, as a new version.
#[utoipa::path(
    tag = "notifications",
    operation_id = "rollbackTemplate",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("event" = String, Path, description = "e.g. `auth.account_locked`"), ("language" = String, Path, description = "`id` or `en`")),
    responses(
        (status = 200, description = "The restored text, now in use", body = TemplateVersion),
        (status = 404, description = "No such event, language or version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/notifications/templates/{event}/{language}/rollback")]
async fn rollback_template(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<RollbackRequest>,
) -> Result<web::Json<TemplateVersion>, ApiError> {
    let (event, language_code) = path.into_inner();
    let language = language(&language_code)?;
    let target = body
        .version_id
        .map_or(RollbackTarget::BuiltIn, RollbackTarget::Version);
    let mut tx = state.pool.begin().await?;
    let (before, after) = template::rollback(
        &mut tx,
        Some(auth.principal.user_id),
        &event,
        language,
        target,
    )
    .await?;
    audit_template_change(&mut tx, &auth, "template.rolled_back", &before, &after).await?;
    tx.commit().await?;
    Ok(web::Json(after))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OutboxQuery {
    pub status: Option<OutboxStatus>,
    pub channel: Option<Channel>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxPage {
    pub items: Vec<OutboxMessage>,
    pub next_cursor: Option<String>,
}

/// Messages queued for delivery, newest first, with attempts and errors.
#[utoipa::path(
    tag = "notifications",
    operation_id = "listOutbox",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["sysadmin", "business", "finance", "owner"]))),
    params(OutboxQuery),
    responses(
        (status = 200, description = "A page of messages", body = OutboxPage),
        (status = 400, description = "Malformed cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/notifications/outbox")]
async fn list_outbox(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
    query: web::Query<OutboxQuery>,
) -> Result<web::Json<OutboxPage>, ApiError> {
    let query = query.into_inner();
    let before_id = crate::routes::parse_cursor(query.cursor.as_deref())?;
    let filter = OutboxFilter {
        status: query.status,
        channel: query.channel,
        before_id,
        limit: query.limit.unwrap_or(50),
    };
    let (items, next) = outbox::list(&state.pool, &filter).await?;
    Ok(web::Json(OutboxPage {
        items,
        next_cursor: next.map(|id| id.to_string()),
    }))
}

/// Queue a failed or dead message for delivery again.
#[utoipa::path(
    tag = "notifications",
    operation_id = "resendOutboxMessage",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["sysadmin", "business", "finance", "owner"]))),
    params(("id" = i64, Path, description = "Outbox message id")),
    responses(
        (status = 200, description = "Queued again", body = OutboxMessage),
        (status = 404, description = "No failed or dead message with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/notifications/outbox/{id}/resend")]
async fn resend_outbox_message(
    _auth: Auth<StaffOnly>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let message = outbox::resend(&mut tx, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::NotFound("no failed or dead message with this id".to_owned()))?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(message))
}

/// Send a message to every recipient of a channel (email: every verified
/// client; Telegram: every client who linked their chat and has not blocked
/// the bot). Delivery runs as a job that survives restarts without sending
/// anyone the message twice.
#[utoipa::path(
    tag = "notifications",
    operation_id = "createBroadcast",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["business", "owner"]))),
    responses(
        (status = 201, description = "Queued; poll it for progress", body = Broadcast),
        (status = 422, description = "Invalid fields, or Telegram without a configured bot (`telegram_unavailable`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/notifications/broadcasts")]
async fn create_broadcast(
    auth: Auth<Broadcasters>,
    state: web::Data<AppState>,
    body: web::Json<NewBroadcast>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    if input.channel == Channel::Telegram && state.telegram.is_none() {
        return Err(ApiError::Rejected {
            code: "telegram_unavailable",
            detail: "this shop has no Telegram bot configured".to_owned(),
        });
    }
    let mut tx = state.pool.begin().await?;
    let id = broadcast::create(&mut tx, Some(auth.principal.user_id), &input).await?;
    let entry = AuditRecord {
        action: "broadcast.created",
        entity_type: "broadcast",
        entity_id: id.to_string(),
        before: None,
        after: Some(
            serde_json::json!({ "channel": input.channel, "subject": input.subject, "body": input.body, "photo_url": input.photo_url }),
        ),
    };
    audit::record(&mut tx, &auth.actor(), entry).await?;
    tx.commit().await?;
    let created = broadcast::find(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("broadcast".to_owned()))?;
    Ok(HttpResponse::Created().json(created))
}

/// The newest broadcasts (at most 50) with their delivery progress.
#[utoipa::path(
    tag = "notifications",
    operation_id = "listBroadcasts",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["business", "owner"]))),
    responses(
        (status = 200, description = "Broadcasts, newest first", body = [Broadcast]),
    )
)]
#[get("/api/v1/notifications/broadcasts")]
async fn list_broadcasts(
    _auth: Auth<Broadcasters>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Broadcast>>, ApiError> {
    Ok(web::Json(broadcast::list(&state.pool).await?))
}

/// One broadcast with its progress: sent, failed, blocked, remaining.
#[utoipa::path(
    tag = "notifications",
    operation_id = "getBroadcast",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["business", "owner"]))),
    params(("id" = i64, Path, description = "Broadcast id")),
    responses(
        (status = 200, description = "The broadcast", body = Broadcast),
        (status = 404, description = "No such broadcast", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/notifications/broadcasts/{id}")]
async fn get_broadcast(
    _auth: Auth<Broadcasters>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Broadcast>, ApiError> {
    broadcast::find(&state.pool, id.into_inner())
        .await?
        .map(web::Json)
        .ok_or_else(|| ApiError::NotFound("no such broadcast".to_owned()))
}

/// Stop a running broadcast; what was sent stays sent.
#[utoipa::path(
    tag = "notifications",
    operation_id = "cancelBroadcast",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["business", "owner"]))),
    params(("id" = i64, Path, description = "Broadcast id")),
    responses(
        (status = 200, description = "Cancelled", body = Broadcast),
        (status = 404, description = "No running broadcast with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/notifications/broadcasts/{id}/cancel")]
async fn cancel_broadcast(
    auth: Auth<Broadcasters>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Broadcast>, ApiError> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    if !broadcast::cancel(&mut tx, id).await? {
        return Err(ApiError::NotFound(
            "no running broadcast with this id".to_owned(),
        ));
    }
    let entry = AuditRecord {
        action: "broadcast.cancelled",
        entity_type: "broadcast",
        entity_id: id.to_string(),
        before: None,
        after: None,
    };
    audit::record(&mut tx, &auth.actor(), entry).await?;
    tx.commit().await?;
    broadcast::find(&state.pool, id)
        .await?
        .map(web::Json)
        .ok_or_else(|| ApiError::NotFound("no such broadcast".to_owned()))
}

/// The staff Telegram chats that receive staff notifications.
#[utoipa::path(
    tag = "notifications",
    operation_id = "listStaffChats",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    responses(
        (status = 200, description = "Staff chats", body = [StaffChat]),
    )
)]
#[get("/api/v1/notifications/staff-chats")]
async fn list_staff_chats(
    _auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<StaffChat>>, ApiError> {
    Ok(web::Json(telegram_chat::list_staff(&state.pool).await?))
}

/// Add a staff chat (or relabel one, which also clears a blocked mark).
#[utoipa::path(
    tag = "notifications",
    operation_id = "addStaffChat",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    responses(
        (status = 200, description = "Saved", body = StaffChat),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/notifications/staff-chats")]
async fn add_staff_chat(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    body: web::Json<NewStaffChat>,
) -> Result<web::Json<StaffChat>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let chat = telegram_chat::upsert_staff(&mut tx, &body).await?;
    let entry = AuditRecord {
        action: "staff_chat.saved",
        entity_type: "telegram_chat",
        entity_id: chat.chat_id.to_string(),
        before: None,
        after: Some(
            serde_json::json!({ "label": chat.label, "receives_alerts": chat.receives_alerts }),
        ),
    };
    audit::record(&mut tx, &auth.actor(), entry).await?;
    tx.commit().await?;
    Ok(web::Json(chat))
}

/// Stop sending staff notifications to a chat.
#[utoipa::path(
    tag = "notifications",
    operation_id = "removeStaffChat",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("chat_id" = i64, Path, description = "Telegram chat id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such staff chat", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/notifications/staff-chats/{chat_id}")]
async fn remove_staff_chat(
    auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    chat_id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let chat_id = chat_id.into_inner();
    let mut tx = state.pool.begin().await?;
    if !telegram_chat::remove_staff(&mut tx, chat_id).await? {
        return Err(ApiError::NotFound("no such staff chat".to_owned()));
    }
    let entry = AuditRecord {
        action: "staff_chat.removed",
        entity_type: "telegram_chat",
        entity_id: chat_id.to_string(),
        before: None,
        after: None,
    };
    audit::record(&mut tx, &auth.actor(), entry).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Queue a test message to a staff chat through the outbox.
#[utoipa::path(
    tag = "notifications",
    operation_id = "testStaffChat",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["owner"]))),
    params(("chat_id" = i64, Path, description = "Telegram chat id")),
    responses(
        (status = 202, description = "Queued; follow it in the outbox", body = OutboxMessage),
        (status = 404, description = "No such staff chat", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/notifications/staff-chats/{chat_id}/test")]
async fn test_staff_chat(
    _auth: Auth<OwnerOnly>,
    state: web::Data<AppState>,
    chat_id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let message = telegram_chat::send_test_message(&mut tx, chat_id.into_inner())
        .await?
        .ok_or_else(|| ApiError::NotFound("no such staff chat".to_owned()))?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(message))
}
