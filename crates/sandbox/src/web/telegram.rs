//! The fake's part of the sandbox HTTP server: the "Telegram Bot API"
//! section of the index page and `/api/telegram/...`, the JSON endpoints
//! that show what was sent and steer the simulations from scripts and
//! browser tests.

use std::{fmt::Write as _, time::Duration};

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{WebState, html};
use crate::telegram::{IncomingMessage, RateLimit, webhook};

/// The longest delay a script may set: enough for any client timeout.
const MAX_DELAY: Duration = Duration::from_secs(120);

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/api/telegram", web::get().to(info))
        .route("/api/telegram/reset", web::post().to(reset))
        .route("/api/telegram/messages", web::get().to(list_messages))
        .route("/api/telegram/messages", web::delete().to(delete_messages))
        .route(
            "/api/telegram/chats/{chat_id}/blocked",
            web::put().to(block),
        )
        .route(
            "/api/telegram/chats/{chat_id}/blocked",
            web::delete().to(unblock),
        )
        .route("/api/telegram/rate-limit", web::put().to(set_rate_limit))
        .route(
            "/api/telegram/rate-limit",
            web::delete().to(clear_rate_limit),
        )
        .route("/api/telegram/fail-next", web::post().to(fail_next))
        .route("/api/telegram/delay", web::put().to(set_delay))
        .route("/api/telegram/updates", web::post().to(push_update))
        .route(
            "/api/telegram/webhook/deliver",
            web::post().to(deliver_webhook),
        );
}

/// Newest sent messages first, at most 50.
pub(crate) fn index_section(state: &WebState) -> String {
    let sent = state.telegram.sent();
    let mut rows = String::new();
    for message in sent.iter().rev().take(50) {
        let content: String = message.content().chars().take(300).collect();
        let file = message
            .file
            .as_ref()
            .and_then(|file| file.file_name.clone().or_else(|| file.url.clone()))
            .unwrap_or_default();
        let _ = write!(
            rows,
            "<tr><td class=\"time\">{time}</td><td><code>{chat}</code></td><td>#{id}</td>\
             <td>{kind}</td><td>{mode}</td><td><pre>{content}</pre>{file}</td></tr>",
            time = message.sent_at.format("%Y-%m-%d %H:%M:%S UTC"),
            chat = message.chat_id,
            id = message.message_id,
            kind = html::escape(&format!("{:?}", message.kind).to_lowercase()),
            mode = html::escape(message.parse_mode.as_deref().unwrap_or("—")),
            content = html::escape(&content),
            file = if file.is_empty() {
                String::new()
            } else {
                format!("<span class=\"muted\">{}</span>", html::escape(&file))
            },
        );
    }
    let table = if sent.is_empty() {
        "<p class=\"muted\">No message sent yet.</p>".to_owned()
    } else {
        format!(
            "<table><thead><tr><th>Sent</th><th>Chat</th><th>Id</th><th>Kind</th>\
             <th>parse_mode</th><th>Text / caption</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    format!(
        "<section id=\"telegram\"><h2>Telegram Bot API</h2>\
         <p>Bot API at <code>{base}/bot{token}/METHOD</code> (bot <code>@{username}</code>). \
         {count} message(s) sent. JSON: <a href=\"/api/telegram/messages\">/api/telegram/messages</a>, \
         settings: <a href=\"/api/telegram\">/api/telegram</a></p>{table}</section>",
        base = html::escape(&format!("http://{}", state.telegram_addr)),
        token = html::escape(&state.telegram.config().token),
        username = html::escape(&state.telegram.config().bot_username),
        count = sent.len(),
    )
}

async fn info(state: web::Data<WebState>) -> HttpResponse {
    let telegram = &state.telegram;
    HttpResponse::Ok().json(json!({
        "base_url": format!("http://{}", state.telegram_addr),
        "token": telegram.config().token,
        "bot_username": telegram.config().bot_username,
        "settings": telegram.settings(),
    }))
}

async fn reset(state: web::Data<WebState>) -> HttpResponse {
    state.telegram.reset();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct ListQuery {
    chat_id: Option<i64>,
}

async fn list_messages(state: web::Data<WebState>, query: web::Query<ListQuery>) -> HttpResponse {
    let messages: Vec<_> = state
        .telegram
        .sent()
        .into_iter()
        .rev()
        .filter(|message| query.chat_id.is_none_or(|chat| message.chat_id == chat))
        .map(|message| (*message).clone())
        .collect();
    HttpResponse::Ok().json(json!({ "count": messages.len(), "messages": messages }))
}

async fn delete_messages(state: web::Data<WebState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "deleted": state.telegram.clear_sent() }))
}

async fn block(state: web::Data<WebState>, chat_id: web::Path<i64>) -> HttpResponse {
    state.telegram.block_chat(*chat_id);
    HttpResponse::Ok().json(json!({ "chat_id": *chat_id, "blocked": true }))
}

async fn unblock(state: web::Data<WebState>, chat_id: web::Path<i64>) -> HttpResponse {
    state.telegram.unblock_chat(*chat_id);
    HttpResponse::Ok().json(json!({ "chat_id": *chat_id, "blocked": false }))
}

async fn set_rate_limit(state: web::Data<WebState>, body: web::Json<RateLimit>) -> HttpResponse {
    if body.per_second == 0 || body.retry_after == 0 {
        return bad_request("per_second and retry_after must be at least 1");
    }
    state.telegram.set_rate_limit(Some(*body));
    HttpResponse::Ok().json(json!({ "rate_limit": *body }))
}

async fn clear_rate_limit(state: web::Data<WebState>) -> HttpResponse {
    state.telegram.set_rate_limit(None);
    HttpResponse::Ok().json(json!({ "rate_limit": null }))
}

#[derive(Deserialize)]
struct FailNext {
    count: u32,
    status: u16,
}

async fn fail_next(state: web::Data<WebState>, body: web::Json<FailNext>) -> HttpResponse {
    if !(400..=599).contains(&body.status) {
        return bad_request("status must be an HTTP error status (400 to 599)");
    }
    state.telegram.fail_next(body.count, body.status);
    HttpResponse::Ok().json(json!({ "count": body.count, "status": body.status }))
}

#[derive(Deserialize)]
struct Delay {
    millis: u64,
}

async fn set_delay(state: web::Data<WebState>, body: web::Json<Delay>) -> HttpResponse {
    let delay = Duration::from_millis(body.millis);
    if delay > MAX_DELAY {
        return bad_request("millis must be at most 120000");
    }
    state.telegram.set_delay(delay);
    HttpResponse::Ok().json(json!({ "millis": body.millis }))
}

async fn push_update(state: web::Data<WebState>, body: web::Json<IncomingMessage>) -> HttpResponse {
    let update_id = state.telegram.push_update(&body);
    HttpResponse::Created().json(json!({ "update_id": update_id }))
}

async fn deliver_webhook(state: web::Data<WebState>) -> HttpResponse {
    match webhook::deliver_pending(&state.telegram, Duration::from_secs(10)).await {
        Ok(delivered) => HttpResponse::Ok().json(json!({ "delivered": delivered })),
        Err(error) => HttpResponse::Conflict().json(json!({
            "error": "webhook_delivery_failed",
            "detail": error.to_string(),
        })),
    }
}

fn bad_request(detail: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": "bad_request", "detail": detail }))
}
