//! The registrar fake's HTTP side: ResellerClub's paths under `/api/`, the
//! credentials in the query string, the `ERROR` body.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::json;

use super::{
    RegistrarCall, RegistrarFailure,
    state::{Params, RegistrarState},
};

const MAX_FORM_BYTES: usize = 64 * 1024;

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/api/contacts/add.json", web::post().to(add_contact))
        .route("/api/domains/register.json", web::post().to(register))
        .route("/api/domains/details-by-name.json", web::get().to(details))
        .route("/api/domains/modify-ns.json", web::post().to(modify_ns))
        .route("/api/domains/available.json", web::get().to(available))
        .default_service(web::to(|| async {
            error(StatusCode::NOT_FOUND, "The requested API is not available")
        }));
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "status": "ERROR", "message": message }))
}

async fn add_contact(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RegistrarState>,
) -> HttpResponse {
    handle(
        RegistrarCall::AddContact,
        &request,
        &body,
        &state,
        RegistrarState::add_contact,
    )
    .await
}

async fn register(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RegistrarState>,
) -> HttpResponse {
    handle(
        RegistrarCall::Register,
        &request,
        &body,
        &state,
        RegistrarState::register,
    )
    .await
}

async fn details(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RegistrarState>,
) -> HttpResponse {
    handle(
        RegistrarCall::Details,
        &request,
        &body,
        &state,
        RegistrarState::details,
    )
    .await
}

async fn modify_ns(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RegistrarState>,
) -> HttpResponse {
    handle(
        RegistrarCall::ModifyNs,
        &request,
        &body,
        &state,
        RegistrarState::modify_ns,
    )
    .await
}

async fn available(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<RegistrarState>,
) -> HttpResponse {
    handle(
        RegistrarCall::Available,
        &request,
        &body,
        &state,
        RegistrarState::available,
    )
    .await
}

async fn handle(
    call: RegistrarCall,
    request: &HttpRequest,
    body: &web::Bytes,
    state: &RegistrarState,
    perform: fn(&RegistrarState, &Params) -> Result<serde_json::Value, String>,
) -> HttpResponse {
    if body.len() > MAX_FORM_BYTES {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "Request too large");
    }
    let mut pairs = parse_pairs(request.query_string());
    if !body.is_empty() {
        pairs.extend(parse_pairs(&String::from_utf8_lossy(body)));
    }
    let params = Params(pairs);
    if !state.authorized(&params) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Authentication failed: invalid auth-userid or api-key",
        );
    }
    let outcome = match state.arrive(call) {
        Some(RegistrarFailure::Http(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(status.canonical_reason().unwrap_or("Error"));
        }
        Some(RegistrarFailure::Rejected(message)) => Err(message),
        Some(RegistrarFailure::AnswerAfter(delay)) => {
            let outcome = perform(state, &params);
            tokio::time::sleep(delay).await;
            outcome
        }
        None => perform(state, &params),
    };
    match outcome {
        Ok(answer) => HttpResponse::Ok().json(answer),
        Err(message) => error(StatusCode::BAD_REQUEST, &message),
    }
}

fn parse_pairs(text: &str) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(text)
        .map(web::Query::into_inner)
        .unwrap_or_default()
}
