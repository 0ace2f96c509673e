//! The test controls over HTTP, under `/sandbox/` on the REST port, for the
//! browser end-to-end script that drives the `sandbox` binary: who is
//! online, log a subscriber in or out, add a secret, the write commands the
//! router received, and `/ip service` of the API. No auth: the sandbox is
//! a loopback test tool.

use std::time::Duration;

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;
use serde_json::json;

use super::{RouterOsFakeError, RouterOsSecret, RouterOsState};

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/sandbox")
            .route("/ppp/active", web::get().to(sessions))
            .route("/ppp/active", web::post().to(log_in))
            .route("/ppp/active/{name}", web::delete().to(log_out))
            .route("/ppp/secret", web::get().to(secrets))
            .route("/ppp/secret", web::post().to(add_secret))
            .route("/calls", web::get().to(calls))
            .route("/api-service", web::put().to(api_service))
            .route("/reply-delay", web::put().to(reply_delay)),
    );
}

fn refused(error: &RouterOsFakeError) -> HttpResponse {
    let status = match error {
        RouterOsFakeError::SecretDisabled(_)
        | RouterOsFakeError::AlreadyOnline(_)
        | RouterOsFakeError::SecretExists(_) => StatusCode::CONFLICT,
        RouterOsFakeError::InvalidAddress(_) | RouterOsFakeError::EmptyName => {
            StatusCode::BAD_REQUEST
        }
    };
    HttpResponse::build(status).json(json!({ "error": error.to_string() }))
}

async fn sessions(state: web::Data<RouterOsState>) -> HttpResponse {
    HttpResponse::Ok().json(state.sessions())
}

#[derive(Deserialize)]
struct LogIn {
    name: String,
    address: Option<String>,
    caller_id: Option<String>,
}

async fn log_in(state: web::Data<RouterOsState>, body: web::Json<LogIn>) -> HttpResponse {
    match state.log_in(
        &body.name,
        body.address.as_deref(),
        body.caller_id.as_deref(),
    ) {
        Ok(row) => HttpResponse::Created().json(row),
        Err(error) => refused(&error),
    }
}

async fn log_out(state: web::Data<RouterOsState>, name: web::Path<String>) -> HttpResponse {
    if state.log_out(&name) {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::NotFound().json(json!({ "error": format!("`{name}` is not online") }))
    }
}

async fn secrets(state: web::Data<RouterOsState>) -> HttpResponse {
    HttpResponse::Ok().json(state.secrets())
}

#[derive(Deserialize)]
struct AddSecret {
    name: String,
    password: Option<String>,
    profile: Option<String>,
    remote_address: Option<String>,
    local_address: Option<String>,
    #[serde(default)]
    disabled: bool,
    comment: Option<String>,
}

async fn add_secret(state: web::Data<RouterOsState>, body: web::Json<AddSecret>) -> HttpResponse {
    let body = body.into_inner();
    let password = body
        .password
        .unwrap_or_else(|| format!("{}-pass", body.name));
    let profile = body.profile.unwrap_or_else(|| "default".to_owned());
    let mut secret = RouterOsSecret::new(&body.name, &password, &profile);
    secret.remote_address = body.remote_address;
    secret.local_address = body.local_address;
    secret.disabled = body.disabled;
    secret.comment = body.comment;
    let name = secret.name.clone();
    match state.add_secret(secret) {
        Ok(_) => match state.secrets().into_iter().find(|row| row.name == name) {
            Some(row) => HttpResponse::Created().json(row),
            None => HttpResponse::InternalServerError().finish(),
        },
        Err(error) => refused(&error),
    }
}

async fn calls(state: web::Data<RouterOsState>) -> HttpResponse {
    HttpResponse::Ok().json(state.calls())
}

#[derive(Deserialize)]
struct ApiService {
    enabled: bool,
}

/// `{"enabled": false}` plays `/ip service disable api,api-ssl`.
async fn api_service(state: web::Data<RouterOsState>, body: web::Json<ApiService>) -> HttpResponse {
    state.set_api_enabled(body.enabled);
    state
        .wait_for_ports(if body.enabled { state.api_ports() } else { 0 })
        .await;
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct ReplyDelay {
    milliseconds: u64,
}

/// `{"milliseconds": 5000}`: every later API reply comes that late.
async fn reply_delay(state: web::Data<RouterOsState>, body: web::Json<ReplyDelay>) -> HttpResponse {
    state.set_reply_delay(Duration::from_millis(body.milliseconds));
    HttpResponse::NoContent().finish()
}
