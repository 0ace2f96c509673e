//! The RDAP fake's part of the sandbox HTTP server: the "RDAP" section of
//! the index page and `/api/rdap/...`, the JSON endpoints that register
//! names and make registries misbehave from scripts and browser tests.

use std::{fmt::Write as _, time::Duration};

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{WebState, html};
use crate::rdap::RdapFakeError;

/// The longest delay or rate-limit window a script may set.
const MAX_WAIT: Duration = Duration::from_secs(120);

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/api/rdap", web::get().to(info))
        .route("/api/rdap/reset", web::post().to(reset))
        .route("/api/rdap/domains", web::get().to(list_domains))
        .route("/api/rdap/domains/{name}", web::put().to(register))
        .route("/api/rdap/domains/{name}", web::delete().to(unregister))
        .route("/api/rdap/queries", web::get().to(list_queries))
        .route("/api/rdap/faults", web::delete().to(clear_faults))
        .route(
            "/api/rdap/registries/{registry}/rate-limit",
            web::put().to(rate_limit),
        )
        .route(
            "/api/rdap/registries/{registry}/failure",
            web::put().to(fail),
        )
        .route(
            "/api/rdap/registries/{registry}/delay",
            web::put().to(set_delay),
        )
        .route("/api/rdap/bootstrap/failure", web::put().to(fail_bootstrap))
        .route(
            "/api/rdap/bootstrap/failure",
            web::delete().to(restore_bootstrap),
        )
        .route("/api/rdap/bootstrap/hidden/{tld}", web::put().to(hide_tld));
}

/// The newest lookups first, at most 50.
pub(crate) fn index_section(state: &WebState) -> String {
    let rdap = &state.rdap;
    let queries = rdap.queries();
    let mut rows = String::new();
    for query in queries.iter().rev().take(50) {
        let _ = write!(
            rows,
            "<tr><td class=\"time\">{time}</td><td>{registry}</td><td><code>{name}</code></td><td>{status}</td></tr>",
            time = query.at.format("%Y-%m-%d %H:%M:%S UTC"),
            registry = html::escape(&query.registry),
            name = html::escape(&query.name),
            status = query.status,
        );
    }
    let table = if queries.is_empty() {
        "<p class=\"muted\">No lookup yet.</p>".to_owned()
    } else {
        format!(
            "<table><thead><tr><th>At</th><th>Registry</th><th>Name</th><th>Status</th></tr></thead>\
             <tbody>{rows}</tbody></table>"
        )
    };
    let registered: Vec<String> = rdap
        .registered()
        .into_iter()
        .map(|domain| domain.ldh_name)
        .collect();
    format!(
        "<section id=\"rdap\"><h2>RDAP</h2>\
         <p>Bootstrap at <code>{bootstrap}</code>. Registered: {registered}. \
         JSON: <a href=\"/api/rdap\">/api/rdap</a>, \
         <a href=\"/api/rdap/queries\">/api/rdap/queries</a></p>{table}</section>",
        bootstrap = html::escape(&format!("http://{}/rdap/dns.json", rdap.addr())),
        registered = html::escape(&registered.join(", ")),
    )
}

async fn info(state: web::Data<WebState>) -> HttpResponse {
    let rdap = &state.rdap;
    let registries: Vec<_> = rdap
        .registries()
        .iter()
        .map(|registry| {
            json!({
                "id": registry.id,
                "operator": registry.operator,
                "tlds": registry.tlds,
                "base_url": rdap.registry_base_url(&registry.id),
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({
        "bootstrap_url": format!("http://{}/rdap/dns.json", rdap.addr()),
        "registries": registries,
        "registered": rdap.registered(),
        "settings": rdap.settings(),
    }))
}

async fn reset(state: web::Data<WebState>) -> HttpResponse {
    state.rdap.reset();
    HttpResponse::NoContent().finish()
}

async fn list_domains(state: web::Data<WebState>) -> HttpResponse {
    let registered = state.rdap.registered();
    HttpResponse::Ok().json(json!({ "count": registered.len(), "domains": registered }))
}

async fn register(state: web::Data<WebState>, name: web::Path<String>) -> HttpResponse {
    match state.rdap.register(&name) {
        Ok(ldh_name) => HttpResponse::Ok().json(json!({ "name": ldh_name, "registered": true })),
        Err(error) => refused(&error),
    }
}

async fn unregister(state: web::Data<WebState>, name: web::Path<String>) -> HttpResponse {
    let removed = state.rdap.unregister(&name);
    HttpResponse::Ok().json(json!({ "name": *name, "removed": removed }))
}

async fn list_queries(state: web::Data<WebState>) -> HttpResponse {
    let queries: Vec<_> = state.rdap.queries().into_iter().rev().collect();
    HttpResponse::Ok().json(json!({ "count": queries.len(), "queries": queries }))
}

async fn clear_faults(state: web::Data<WebState>) -> HttpResponse {
    state.rdap.clear_faults();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct RateLimit {
    retry_after_secs: u64,
}

async fn rate_limit(
    state: web::Data<WebState>,
    registry: web::Path<String>,
    body: web::Json<RateLimit>,
) -> HttpResponse {
    let window = Duration::from_secs(body.retry_after_secs);
    if window.is_zero() || window > MAX_WAIT {
        return bad_request("retry_after_secs must be from 1 to 120");
    }
    match state.rdap.rate_limit(&registry, window) {
        Ok(()) => HttpResponse::Ok().json(json!({
            "registry": *registry,
            "retry_after_secs": body.retry_after_secs,
        })),
        Err(error) => refused(&error),
    }
}

#[derive(Deserialize)]
struct Failure {
    status: u16,
}

async fn fail(
    state: web::Data<WebState>,
    registry: web::Path<String>,
    body: web::Json<Failure>,
) -> HttpResponse {
    if !(400..=599).contains(&body.status) {
        return bad_request("status must be an HTTP error status (400 to 599)");
    }
    match state.rdap.fail(&registry, body.status) {
        Ok(()) => HttpResponse::Ok().json(json!({ "registry": *registry, "status": body.status })),
        Err(error) => refused(&error),
    }
}

#[derive(Deserialize)]
struct Delay {
    millis: u64,
}

async fn set_delay(
    state: web::Data<WebState>,
    registry: web::Path<String>,
    body: web::Json<Delay>,
) -> HttpResponse {
    let delay = Duration::from_millis(body.millis);
    if delay > MAX_WAIT {
        return bad_request("millis must be at most 120000");
    }
    match state.rdap.set_delay(&registry, delay) {
        Ok(()) => HttpResponse::Ok().json(json!({ "registry": *registry, "millis": body.millis })),
        Err(error) => refused(&error),
    }
}

async fn fail_bootstrap(state: web::Data<WebState>, body: web::Json<Failure>) -> HttpResponse {
    if !(400..=599).contains(&body.status) {
        return bad_request("status must be an HTTP error status (400 to 599)");
    }
    state.rdap.fail_bootstrap(Some(body.status));
    HttpResponse::Ok().json(json!({ "status": body.status }))
}

async fn restore_bootstrap(state: web::Data<WebState>) -> HttpResponse {
    state.rdap.fail_bootstrap(None);
    HttpResponse::NoContent().finish()
}

async fn hide_tld(state: web::Data<WebState>, tld: web::Path<String>) -> HttpResponse {
    state.rdap.hide_from_bootstrap(&tld);
    HttpResponse::Ok().json(json!({ "tld": *tld, "hidden": true }))
}

fn refused(error: &RdapFakeError) -> HttpResponse {
    let (status, code) = match error {
        RdapFakeError::UnknownRegistry(_) => {
            (actix_web::http::StatusCode::NOT_FOUND, "unknown_registry")
        }
        RdapFakeError::InvalidName(_) => (actix_web::http::StatusCode::BAD_REQUEST, "invalid_name"),
        RdapFakeError::NoRegistryFor(_) => {
            (actix_web::http::StatusCode::BAD_REQUEST, "no_registry")
        }
    };
    HttpResponse::build(status).json(json!({ "error": code, "detail": error.to_string() }))
}

fn bad_request(detail: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": "bad_request", "detail": detail }))
}
