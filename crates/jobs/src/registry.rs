//! Which code runs for which job kind, and which kinds run periodically.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use sqlx::PgPool;

use crate::queue::JobId;

/// What a job handler gets: the job's identity and payload, and the pool.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub id: JobId,
    pub kind: String,
    /// 1 on the first run, 2 on the first retry, and so on.
    pub attempt: i32,
    pub max_attempts: i32,
    pub payload: serde_json::Value,
    pub pool: PgPool,
}

impl JobContext {
    /// The payload as the handler's own type. A payload that does not parse
    /// will never parse, so it is a permanent failure.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.payload.clone())
            .map_err(|error| JobError::Permanent(format!("invalid payload: {error}")))
    }
}

/// How a job failed, which decides whether it is tried again.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (network down, remote 5xx, lock timeout).
    #[error("{0:#}")]
    Retry(#[from] anyhow::Error),
    /// Another attempt would fail the same way: the job goes dead at once.
    #[error("{0}")]
    Permanent(String),
    /// Try again after exactly this long, e.g. a remote `retry_after`.
    #[error("retry after {delay:?}: {reason}")]
    RetryAfter { delay: Duration, reason: String },
}

impl From<sqlx::Error> for JobError {
    fn from(error: sqlx::Error) -> Self {
        JobError::Retry(error.into())
    }
}

pub(crate) type Handler =
    Arc<dyn Fn(JobContext) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

/// A job kind that the runners enqueue once per `interval`.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub interval: Duration,
}

/// The handlers and schedules of one process. Every replica registers the
/// same ones; which replica runs a given job is decided by the database.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
    schedules: Vec<Schedule>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of `kind`. A second registration replaces the first.
    pub fn handle<F, Fut>(&mut self, kind: &str, handler: F) -> &mut Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |context| Box::pin(handler(context)));
        self.handlers.insert(kind.to_owned(), handler);
        self
    }

    /// Runs `kind` once per `interval` (at least one second), aligned to the
    /// epoch so that every replica agrees on where a period starts.
    pub fn every(&mut self, name: &str, kind: &str, interval: Duration) -> &mut Self {
        self.schedules.push(Schedule {
            name: name.to_owned(),
            kind: kind.to_owned(),
            payload: serde_json::json!({}),
            interval: interval.max(Duration::from_secs(1)),
        });
        self
    }

    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }

    pub(crate) fn handler(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).cloned()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .field("schedules", &self.schedules)
            .finish()
    }
}
