//! The queue's own housekeeping, run as a periodic job like any other.

use std::time::Duration;

use crate::queue;
use crate::registry::{JobContext, JobError, Registry};

pub const PRUNE_FINISHED_JOBS: &str = "jobs.prune_finished";

const DONE_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
const DEAD_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Registers the hourly pruning of finished jobs (done after 7 days, dead
/// after 30), so the job table does not grow without bound.
pub fn register_maintenance(registry: &mut Registry) {
    registry
        .handle(PRUNE_FINISHED_JOBS, prune_finished_jobs)
        .every(
            PRUNE_FINISHED_JOBS,
            PRUNE_FINISHED_JOBS,
            Duration::from_secs(3600),
        );
}

async fn prune_finished_jobs(context: JobContext) -> Result<(), JobError> {
    let deleted = queue::prune_finished(&context.pool, DONE_RETENTION, DEAD_RETENTION)
        .await
        .map_err(|error| JobError::Retry(error.into()))?;
    tracing::info!(deleted, "pruned finished jobs");
    Ok(())
}
