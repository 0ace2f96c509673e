//! The WHM fake's HTTP side: `/json-api/{function}`, the token check, the
//! API 1 envelope and the legacy shape a call without `api.version=1` gets.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use serde_json::{Value, json};

use super::{
    WhmFailure, WhmFunction,
    state::{Outcome, Params, WhmState},
};
use crate::web::html;

/// Forms larger than this are not WHM calls.
const MAX_FORM_BYTES: usize = 64 * 1024;

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/json-api/{function}", web::get().to(call))
        .route("/json-api/{function}", web::post().to(call))
        .default_service(web::to(|| async {
            html_error(
                StatusCode::NOT_FOUND,
                "Not Found",
                "The page was not found.",
            )
        }));
}

/// cPanel answers auth failures and unknown pages with HTML, not JSON.
fn html_error(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html>\n<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{message}</p></body></html>\n",
            title = html::escape(title),
            message = html::escape(message),
        ))
}

async fn call(
    request: HttpRequest,
    function: web::Path<String>,
    body: web::Bytes,
    state: web::Data<WhmState>,
) -> HttpResponse {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match authorization {
        None => {
            return html_error(
                StatusCode::UNAUTHORIZED,
                "Access denied",
                "Access denied: no credentials were supplied.",
            );
        }
        Some(authorization) if !state.authorized(authorization) => {
            return html_error(
                StatusCode::FORBIDDEN,
                "Access denied",
                "Token denied: the API token is not valid for this user.",
            );
        }
        Some(_) => {}
    }
    if body.len() > MAX_FORM_BYTES {
        return html_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
            "The request is too large.",
        );
    }
    let mut pairs = parse_pairs(request.query_string());
    if !body.is_empty() {
        pairs.extend(parse_pairs(&String::from_utf8_lossy(&body)));
    }
    let params = Params(pairs);
    let api_version_1 = params.get("api.version") == Some("1");
    let name = function.into_inner();
    let Ok(function) = name.parse::<WhmFunction>() else {
        return unknown_function(&name, api_version_1);
    };

    let outcome = match state.take_failure(function) {
        Some(WhmFailure::Http(status)) => {
            state.record(function, &params, api_version_1, None);
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return html_error(
                status,
                status.canonical_reason().unwrap_or("Error"),
                "cpsrvd could not complete the request.",
            );
        }
        Some(WhmFailure::Rejected(reason)) => Outcome::failed(reason),
        Some(WhmFailure::AnswerAfter(delay)) => {
            let outcome = state.perform(function, &params);
            tokio::time::sleep(delay).await;
            outcome
        }
        None => state.perform(function, &params),
    };
    if function == WhmFunction::CreateAcct {
        let delay = state.createacct_delay();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    state.record(function, &params, api_version_1, Some(outcome.ok));
    let body = if api_version_1 {
        api1(function, outcome)
    } else {
        legacy(function, outcome)
    };
    HttpResponse::Ok().json(body)
}

fn parse_pairs(text: &str) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(text)
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

fn unknown_function(name: &str, api_version_1: bool) -> HttpResponse {
    let reason =
        format!("Unknown app (\u{201c}{name}\u{201d}) requested for this version (1) of the API.");
    if api_version_1 {
        HttpResponse::Ok().json(json!({
            "metadata": { "version": 1, "command": name, "result": 0, "reason": reason }
        }))
    } else {
        HttpResponse::Ok().json(json!({ "cpanelresult": { "error": reason, "data": { "result": 0, "reason": reason } } }))
    }
}

/// `{"metadata":{version, command, result, reason, output:{raw}}, "data":…}`.
fn api1(function: WhmFunction, outcome: Outcome) -> Value {
    let mut metadata = json!({
        "version": 1,
        "command": function.as_str(),
        "result": u8::from(outcome.ok),
        "reason": outcome.reason,
    });
    if let Some(raw) = outcome.raw {
        metadata["output"] = json!({ "raw": raw });
    }
    let mut body = json!({ "metadata": metadata });
    if let Some(data) = outcome.data {
        body["data"] = data;
    }
    body
}

/// What WHM answers without `api.version=1`: each function its own old
/// shape, none of them with `metadata`.
fn legacy(function: WhmFunction, outcome: Outcome) -> Value {
    let status = u8::from(outcome.ok);
    let data = outcome.data.unwrap_or(Value::Null);
    match function {
        WhmFunction::Version => json!({ "version": data.get("version") }),
        WhmFunction::ListPkgs => json!({ "package": data.get("pkg") }),
        WhmFunction::ListAccts => json!({
            "status": status,
            "statusmsg": outcome.reason,
            "acct": data.get("acct"),
        }),
        WhmFunction::CreateAcct => json!({ "result": [{
            "status": status,
            "statusmsg": outcome.reason,
            "options": if outcome.ok { data } else { Value::Null },
            "rawout": outcome.raw,
        }]}),
        WhmFunction::SuspendAcct
        | WhmFunction::UnsuspendAcct
        | WhmFunction::RemoveAcct
        | WhmFunction::ChangePackage => json!({ "result": [{
            "status": status,
            "statusmsg": outcome.reason,
            "rawout": outcome.raw,
        }]}),
    }
}
