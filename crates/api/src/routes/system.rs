//! Liveness, readiness, metrics and the OpenAPI document itself.

use std::time::{Duration, Instant};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::AppEnv;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::telemetry::PrometheusMetrics;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(healthz)
        .service(readyz)
        .service(metrics)
        .service(openapi_json);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers at all.
    pub status: String,
    /// Version of the running build.
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// True when every dependency answered.
    pub ready: bool,
    /// Each dependency's check; empty in production.
    pub checks: Vec<ReadinessCheck>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessCheck {
    /// `database` or `redis`.
    pub name: String,
    pub ok: bool,
    pub latency_ms: f64,
    /// Why the check failed, without connection details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(tag = "system", operation_id = "healthz", responses((status = 200, description = "The process is alive", body = Health)))]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Readiness: PostgreSQL and Redis both answer within two seconds. A load
/// balancer sends traffic only to replicas that answer 200 here. In
/// production only `ready` is shown (`checks` is empty); the failed
/// dependency is in the log.
#[utoipa::path(
    tag = "system",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready for traffic", body = Readiness),
        (status = 503, description = "A dependency is down", body = Readiness),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = check("database", async {
        sqlx::query_scalar!("SELECT 1 AS \"one!\"")
            .fetch_one(&state.pool)
            .await
            .map(|_| ())
            .map_err(|error| match error {
                sqlx::Error::PoolTimedOut => "connection pool timed out".to_owned(),
                other => other.to_string(),
            })
    });
    let mut redis = state.redis.clone();
    let redis = check("redis", async move {
        redis::cmd("PING")
            .query_async::<String>(&mut redis)
            .await
            .map(|_| ())
            .map_err(|error| error.to_string())
    });
    let (database, redis) = futures::join!(database, redis);
    let mut checks = vec![database, redis];
    let ready = checks.iter().all(|check| check.ok);
    // Which dependency failed, and how, is for the operator (it is logged),
    // not for anyone on the internet who can reach a production replica.
    if state.settings.app_env == AppEnv::Production {
        checks.clear();
    }
    let mut response = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response.json(Readiness { ready, checks })
}

async fn check(name: &str, probe: impl Future<Output = Result<(), String>>) -> ReadinessCheck {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, probe)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())));
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    if let Err(error) = &outcome {
        tracing::warn!(check = name, %error, "readiness check failed");
    }
    ReadinessCheck {
        name: name.to_owned(),
        ok: outcome.is_ok(),
        latency_ms,
        error: outcome.err(),
    }
}

/// Prometheus metrics: requests and latency per route, job counts. When the
/// deployment sets `METRICS_TOKEN`, only `Authorization: Bearer <token>` gets
/// them.
#[utoipa::path(
    tag = "system",
    operation_id = "metrics",
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String),
        (status = 401, description = "`METRICS_TOKEN` is set and the bearer token is missing or wrong", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
async fn metrics(
    state: web::Data<AppState>,
    request: HttpRequest,
    metrics: web::Data<PrometheusMetrics>,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.settings.metrics_token {
        let presented = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Digests compared, so the time taken says nothing about the token.
        if Sha256::digest(presented.trim().as_bytes())
            != Sha256::digest(expected.expose().as_bytes())
        {
            return Err(ApiError::Unauthorized {
                code: "unauthorized",
                detail: "metrics need `Authorization: Bearer <METRICS_TOKEN>`".to_owned(),
            });
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render()))
}

/// The rendered OpenAPI document, shared by all workers. The document is
/// collected from these routes (`crate::openapi`), so the route only serves
/// what the application renders at start.
pub struct OpenApiJson(pub String);

/// This API's OpenAPI 3.1 document (the same as `openapi/openapi.json`).
#[utoipa::path(
    tag = "system",
    operation_id = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
#[get("/api/openapi.json")]
async fn openapi_json(document: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}
