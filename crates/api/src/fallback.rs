//! What answers when no route matched, and the guarantee that no error ever
//! leaves as anything but problem+json.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use actix_web::http::header::{ALLOW, CONTENT_TYPE};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, PROBLEM_CONTENT_TYPE, Problem, problem_response};
use crate::openapi::RouteTable;
use crate::spa::Spa;

/// Paths under these prefixes belong to the API, never to the SPA.
const API_PREFIXES: [&str; 3] = ["/api/", "/.well-known/", "/metrics"];

/// A documented path with the wrong method is 405 with `Allow`; an unknown
/// API path is 404; any other GET is a page of the SPA.
pub async fn unmatched_request(
    request: HttpRequest,
    routes: web::Data<RouteTable>,
    spa: web::Data<Spa>,
) -> Result<HttpResponse, ApiError> {
    let path = request.path();
    if let Some(allow) = routes.allowed_methods(path) {
        return Err(ApiError::MethodNotAllowed {
            method: request.method().to_string(),
            allow: allow.to_vec(),
        });
    }
    let is_api = path == "/api" || API_PREFIXES.iter().any(|prefix| path.starts_with(prefix));
    let is_page_request = request.method() == Method::GET || request.method() == Method::HEAD;
    if is_api || !is_page_request {
        return Err(ApiError::RouteNotFound(path.to_owned()));
    }
    spa.serve(&request).await
}

/// Rewrites any error response whose body is not JSON (one made by actix
/// itself or a library, plain text or empty) into problem+json, keeping its
/// status and `Allow`. JSON error bodies are documented answers (problems, or
/// `/readyz`'s 503 report) and pass through.
pub fn problem_for_bare_errors<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with(PROBLEM_CONTENT_TYPE) || value.starts_with("application/json")
        });
    if is_json {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let code = match status.as_u16() {
        400 => "bad_request",
        404 => "route_not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        500 => "internal_error",
        503 => "service_unavailable",
        _ => "http_error",
    };
    let reason = status.canonical_reason().unwrap_or("Error");
    let problem = Problem {
        problem_type: format!("urn:juragan:problem:{code}"),
        title: reason.to_owned(),
        status: status.as_u16(),
        code: code.to_owned(),
        detail: Some(reason.to_owned()),
        errors: Vec::new(),
    };
    let allow = response.headers().get(ALLOW).cloned();
    let (request, _) = response.into_parts();
    let mut replacement = problem_response(&problem);
    if let Some(allow) = allow {
        replacement.headers_mut().insert(ALLOW, allow);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body(),
    ))
}
