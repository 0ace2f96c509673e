//! History retention: hourly rollups and state changes older than the
//! configured days go, and so do expired import previews. An hourly periodic
//! job (once per period across replicas).

use std::time::Duration;

use jobs::{JobContext, JobError, Registry};
use serde::Serialize;
use sqlx::PgPool;

use crate::MonitoringError;

pub const PRUNE_JOB: &str = "monitoring.prune";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    pub rollups: u64,
    pub state_changes: u64,
    pub import_previews: u64,
}

/// Keeps `days` of history (at least 31, so the 30-day uptime stays whole).
pub async fn prune(pool: &PgPool, days: u32) -> Result<PruneReport, MonitoringError> {
    let days = i32::try_from(days.max(31)).unwrap_or(i32::MAX);
    let rollups = sqlx::query!(
        "DELETE FROM host_check_hourly WHERE hour < now() - make_interval(days => $1)",
        days
    )
    .execute(pool)
    .await?
    .rows_affected();
    let state_changes = sqlx::query!(
        "DELETE FROM host_state_change WHERE at < now() - make_interval(days => $1)",
        days
    )
    .execute(pool)
    .await?
    .rows_affected();
    let import_previews = sqlx::query!("DELETE FROM import_preview WHERE expires_at < now()")
        .execute(pool)
        .await?
        .rows_affected();
    Ok(PruneReport {
        rollups,
        state_changes,
        import_previews,
    })
}

pub fn register_jobs(registry: &mut Registry, days: u32) {
    registry.handle(PRUNE_JOB, move |context: JobContext| async move {
        let report = prune(&context.pool, days)
            .await
            .map_err(|error| JobError::Retry(anyhow::anyhow!(error.to_string())))?;
        tracing::info!(?report, "monitoring history pruned");
        Ok(())
    });
    registry.every(PRUNE_JOB, PRUNE_JOB, Duration::from_secs(3600));
}
