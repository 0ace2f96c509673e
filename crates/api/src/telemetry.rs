//! Logs and metrics. Every request gets an id (the caller's `X-Request-Id`
//! when it is sane, else a new UUIDv7), a tracing span carrying it, a log
//! line when it finishes, and Prometheus counters labelled by route pattern
//! (never by raw path, which would make unbounded label sets).

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::alerting;
use crate::config::{AlertLevel, LogFormat};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber once; later calls (tests) are no-ops.
/// Events at or above `alerts` are also queued as owner alerts.
pub fn init_tracing(format: LogFormat, alerts: AlertLevel) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let (alert_layer, receiver) = alerting::layer(alerts).unzip();
    if let Some(receiver) = receiver {
        alerting::park_receiver(receiver);
    }
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(alert_layer);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().compact())
            .try_init(),
    };
}

/// The process-wide Prometheus recorder. Metrics are per process, so every
/// app built in this process (tests start several) shares one recorder.
#[derive(Clone)]
pub struct PrometheusMetrics(PrometheusHandle);

impl PrometheusMetrics {
    pub fn global() -> Self {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let handle = HANDLE.get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .unwrap_or_else(|_| {
                    // Another recorder is already installed (only possible in
                    // tests that install their own): keep a detached one.
                    PrometheusBuilder::new().build_recorder().handle()
                })
        });
        Self(handle.clone())
    }

    pub fn render(&self) -> String {
        self.0.render()
    }
}

fn request_id(request: &ServiceRequest) -> String {
    request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// The request id of the current request, for handlers that pass it on.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn observe_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&request);
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().to_string();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let started = Instant::now();

    let mut response = next.call(request).instrument(span.clone()).await?;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            path = response.request().path(),
            "request finished"
        );
    });
    Ok(response)
}
