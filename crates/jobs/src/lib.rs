//! The durable job runner every feature crate schedules its work on: a job
//! table in PostgreSQL, workers that claim jobs with `FOR UPDATE SKIP LOCKED`
//! under a renewable lease, retries with exponential backoff and a dead state,
//! periodic schedules that fire once per period however many replicas run,
//! and a graceful shutdown that finishes or releases what it claimed.
//!
//! Work that must happen because of a state change is enqueued with
//! [`enqueue`] on the same connection (transaction) as that change, so nothing
//! is lost between "committed" and "acted on".

mod maintenance;
mod queue;
mod registry;
mod runner;
mod schedule;

pub use maintenance::{PRUNE_FINISHED_JOBS, register_maintenance};
pub use queue::{
    JobId, JobRecord, JobStatus, NewJob, QueueSummary, enqueue, find_job, queue_summary,
};
pub use registry::{JobContext, JobError, Registry, Schedule};
pub use runner::{JobRunner, RunnerConfig, RunnerHandle};
pub use schedule::fire_due_schedules;

/// Errors of the job runner's own bookkeeping (not of the jobs it runs).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("job queue database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("job payload could not be encoded: {0}")]
    Payload(#[from] serde_json::Error),
}
