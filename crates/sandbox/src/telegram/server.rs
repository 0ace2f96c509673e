//! The fake's HTTP side: `GET|POST /bot{token}/{method}` on its own port,
//! answering in the Bot API envelope with the HTTP status equal to
//! `error_code`.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::{Value, json};

use super::{
    TelegramState,
    markup::{telegram_len, visible_text},
    message::{MessageKind, Webhook},
    params::{self, Param, Params},
    state::{ApiError, Outgoing, OutgoingFile},
};

const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/bot{token}/{method}", web::route().to(bot_api))
        .default_service(web::to(|| async {
            envelope_error(&ApiError::new(404, "Not Found"))
        }));
}

async fn bot_api(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<TelegramState>,
) -> HttpResponse {
    let (token, method) = path.into_inner();
    let delay = state.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if !state.authorized(&token) {
        return envelope_error(&ApiError::new(401, "Unauthorized"));
    }
    if let Some(status) = state.take_forced_failure() {
        return forced_failure(status);
    }
    let params = match params::read(&request, &body) {
        Ok(params) => params,
        Err(description) => return envelope_error(&ApiError::bad_request(description)),
    };
    let result = match method.to_ascii_lowercase().as_str() {
        "getme" => Ok(state.get_me()),
        "sendmessage" => send_message(&state, &params),
        "sendphoto" => send_file(&state, &params, MessageKind::Photo),
        "senddocument" => send_file(&state, &params, MessageKind::Document),
        "getupdates" => get_updates(&state, &params).await,
        "setwebhook" => set_webhook(&state, &params),
        "deletewebhook" => {
            let deleted = state.delete_webhook(params.flag("drop_pending_updates"));
            let description = if deleted {
                "Webhook was deleted"
            } else {
                "Webhook is already deleted"
            };
            return envelope_ok(json!(true), Some(description));
        }
        "getwebhookinfo" => Ok(state.webhook_info()),
        _ => Err(ApiError::new(404, "Not Found")),
    };
    match result {
        Ok(value) => envelope_ok(value, None),
        Err(error) => envelope_error(&error),
    }
}

fn envelope_ok(result: Value, description: Option<&str>) -> HttpResponse {
    let mut body = json!({ "ok": true, "result": result });
    if let (Some(description), Value::Object(fields)) = (description, &mut body) {
        fields.insert("description".into(), json!(description));
    }
    HttpResponse::Ok().json(body)
}

pub(crate) fn envelope_error(error: &ApiError) -> HttpResponse {
    let mut body = json!({
        "ok": false,
        "error_code": error.code,
        "description": error.description,
    });
    if let (Some(retry_after), Value::Object(fields)) = (error.retry_after, &mut body) {
        fields.insert("parameters".into(), json!({ "retry_after": retry_after }));
    }
    let status = StatusCode::from_u16(error.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).json(body)
}

/// A failure forced by the test. Gateway errors come as the HTML page of
/// Telegram's nginx, as they do in production, not as JSON.
fn forced_failure(status: u16) -> HttpResponse {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = code.canonical_reason().unwrap_or("Error");
    match status {
        502 | 504 => HttpResponse::build(code)
            .content_type("text/html")
            .body(format!(
                "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
                 <center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n\
                 </body>\r\n</html>\r\n"
            )),
        429 => envelope_error(&ApiError::too_many_requests(1)),
        _ => envelope_error(&ApiError::new(status, reason)),
    }
}

fn chat_id(params: &Params) -> Result<i64, ApiError> {
    match params.text("chat_id").map(str::trim) {
        None | Some("") => Err(ApiError::bad_request("Bad Request: chat_id is empty")),
        // `@channelusername` and anything else the fake does not know.
        Some(text) => text
            .parse()
            .map_err(|_| ApiError::bad_request("Bad Request: chat not found")),
    }
}

fn parse_mode(params: &Params) -> Result<Option<String>, ApiError> {
    match params.text("parse_mode") {
        None | Some("") => Ok(None),
        Some(mode) if mode.eq_ignore_ascii_case("html") => Ok(Some("HTML".to_owned())),
        Some(mode @ ("MarkdownV2" | "Markdown")) => Ok(Some(mode.to_owned())),
        Some(_) => Err(ApiError::bad_request("Bad Request: unsupported parse_mode")),
    }
}

fn visible(text: &str, parse_mode: Option<&str>) -> Result<String, ApiError> {
    visible_text(text, parse_mode).map_err(|reason| {
        ApiError::bad_request(format!("Bad Request: can't parse entities: {reason}"))
    })
}

fn send_message(state: &TelegramState, params: &Params) -> Result<Value, ApiError> {
    let chat_id = chat_id(params)?;
    let parse_mode = parse_mode(params)?;
    let text = params.text("text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("Bad Request: message text is empty"));
    }
    let shown = visible(text, parse_mode.as_deref())?;
    // Telegram trims the text after parsing, then measures it.
    let shown = shown.trim().to_owned();
    if shown.is_empty() {
        return Err(ApiError::bad_request("Bad Request: message text is empty"));
    }
    if telegram_len(&shown) > MAX_TEXT {
        return Err(ApiError::bad_request("Bad Request: message is too long"));
    }
    state.send(Outgoing {
        chat_id,
        kind: MessageKind::Text,
        text: Some(text.to_owned()),
        caption: None,
        visible: Some(shown),
        parse_mode,
        file: None,
    })
}

fn send_file(state: &TelegramState, params: &Params, kind: MessageKind) -> Result<Value, ApiError> {
    let chat_id = chat_id(params)?;
    let parse_mode = parse_mode(params)?;
    let field = match kind {
        MessageKind::Photo => "photo",
        _ => "document",
    };
    let file = match params.get(field) {
        None => None,
        Some(Param::Text(reference)) if reference.trim().is_empty() => None,
        Some(Param::Text(reference)) => {
            let reference = reference.trim();
            // `attach://name` points at another part of the upload.
            if let Some(name) = reference.strip_prefix("attach://") {
                match params.get(name) {
                    Some(Param::File(upload)) => Some(upload_of(upload)?),
                    _ => None,
                }
            } else if reference.starts_with("http://") || reference.starts_with("https://") {
                Some(OutgoingFile::Url(reference.to_owned()))
            } else {
                Some(OutgoingFile::FileId(reference.to_owned()))
            }
        }
        Some(Param::File(upload)) => Some(upload_of(upload)?),
    };
    let Some(file) = file else {
        return Err(ApiError::bad_request(format!(
            "Bad Request: there is no {field} in the request"
        )));
    };
    let caption = params
        .text("caption")
        .filter(|caption| !caption.is_empty())
        .map(str::to_owned);
    let shown = match &caption {
        None => None,
        Some(caption) => {
            let shown = visible(caption, parse_mode.as_deref())?.trim().to_owned();
            if telegram_len(&shown) > MAX_CAPTION {
                return Err(ApiError::bad_request(
                    "Bad Request: message caption is too long",
                ));
            }
            Some(shown)
        }
    };
    state.send(Outgoing {
        chat_id,
        kind,
        text: None,
        caption,
        visible: shown,
        parse_mode,
        file: Some(file),
    })
}

fn upload_of(upload: &params::UploadedFile) -> Result<OutgoingFile, ApiError> {
    if upload.bytes.is_empty() {
        return Err(ApiError::bad_request("Bad Request: file must be non-empty"));
    }
    Ok(OutgoingFile::Upload {
        file_name: upload.file_name.clone(),
        mime_type: upload.content_type.clone(),
        size: upload.bytes.len(),
    })
}

async fn get_updates(state: &TelegramState, params: &Params) -> Result<Value, ApiError> {
    let offset = params.integer("offset").map_err(ApiError::bad_request)?;
    let limit = params
        .integer("limit")
        .map_err(ApiError::bad_request)?
        .unwrap_or(100)
        .clamp(1, 100);
    let timeout = params
        .integer("timeout")
        .map_err(ApiError::bad_request)?
        .unwrap_or(0)
        .max(0);
    let timeout = Duration::from_secs(timeout.unsigned_abs()).min(state.config().max_long_poll);
    let limit = usize::try_from(limit).unwrap_or(100);
    state
        .get_updates(offset, limit, timeout)
        .await
        .map(Value::Array)
}

fn set_webhook(state: &TelegramState, params: &Params) -> Result<Value, ApiError> {
    let url = params.text("url").unwrap_or_default().trim().to_owned();
    if url.is_empty() {
        // An empty URL removes the webhook, as in the Bot API.
        state.delete_webhook(params.flag("drop_pending_updates"));
        return Ok(json!(true));
    }
    check_webhook_url(&url)?;
    let secret_token = params
        .text("secret_token")
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    if let Some(token) = &secret_token
        && (token.len() > 256
            || !token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        return Err(ApiError::bad_request(
            "Bad Request: secret token contains unallowed characters",
        ));
    }
    let max_connections = params
        .integer("max_connections")
        .map_err(ApiError::bad_request)?
        .unwrap_or(40)
        .clamp(1, 100);
    let allowed_updates = match params.text("allowed_updates") {
        Some(list) => serde_json::from_str::<Vec<String>>(list)
            .map_err(|_| ApiError::bad_request("Bad Request: can't parse allowed updates"))?,
        None => Vec::new(),
    };
    state.set_webhook(
        Webhook {
            url,
            secret_token,
            max_connections: u32::try_from(max_connections).unwrap_or(40),
            allowed_updates,
            last_error_date: None,
            last_error_message: None,
        },
        params.flag("drop_pending_updates"),
    );
    Ok(json!(true))
}

/// HTTPS on 443, 80, 88 or 8443 as Telegram demands; unlike Telegram the fake
/// also takes plain `http://`, because the app under test listens on a
/// loopback port without TLS.
fn check_webhook_url(url: &str) -> Result<(), ApiError> {
    if let Some(rest) = url.strip_prefix("https://") {
        let authority = rest.split('/').next().unwrap_or_default();
        let port = authority
            .rsplit_once(':')
            .map(|(_, port)| port)
            .filter(|port| port.chars().all(|c| c.is_ascii_digit()));
        match port {
            None | Some("443" | "80" | "88" | "8443") => Ok(()),
            Some(_) => Err(ApiError::bad_request(
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )),
        }
    } else if url.starts_with("http://") {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        ))
    }
}
