//! The owner hears when the lifecycle has stopped: no sweep completed for
//! 26 hours (a day's sweep plus slack) raises one owner alert per silence.

use chrono::{DateTime, Duration, Utc};
use notify::alert::{self, AlertKind, NewAlert};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::sweep;
use crate::BillingError;

/// Looks every hour (a periodic job).
pub const WATCHDOG_JOB: &str = "billing.lifecycle_watchdog";
/// Raises the alert; queued once per silence (its dedupe key names the
/// last sweep that completed).
pub const STALE_ALERT_JOB: &str = "billing.lifecycle_stale_alert";
pub const SILENCE: Duration = Duration::hours(26);

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct StaleAlert {
    /// The last completed sweep; none if none ever completed.
    pub last_finished: Option<DateTime<Utc>>,
    /// Since when nothing completed: the last sweep, or the first one
    /// that was started.
    pub silent_since: DateTime<Utc>,
}

/// Queues the alert when nothing completed for [`SILENCE`]. A shop that
/// never swept has nothing to miss yet: the silence counts from its first
/// sweep that started.
pub async fn check(pool: &PgPool, now: DateTime<Utc>) -> Result<bool, BillingError> {
    let mut conn = pool.acquire().await?;
    let last_finished = sweep::last_finished(&mut conn).await?;
    let silent_since = match last_finished {
        Some(at) => at,
        None => {
            let first = sqlx::query_scalar!(
                "SELECT min(started_at) FROM lifecycle_sweep WHERE NOT dry_run"
            )
            .fetch_one(&mut *conn)
            .await?;
            let Some(first) = first else { return Ok(false) };
            first
        }
    };
    if now - silent_since < SILENCE {
        return Ok(false);
    }
    let job = jobs::NewJob::new(
        STALE_ALERT_JOB,
        &StaleAlert {
            last_finished,
            silent_since,
        },
    )?
    .dedupe_key(format!(
        "{STALE_ALERT_JOB}:{}",
        silent_since.timestamp_micros()
    ));
    Ok(jobs::enqueue(&mut conn, job).await?.is_some())
}

/// The alert itself, to the staff chats that take alerts.
pub async fn raise(pool: &PgPool, stale: StaleAlert) -> Result<(), BillingError> {
    let detail = match stale.last_finished {
        Some(at) => format!(
            "The last billing sweep completed at {at}. Renewal invoices, reminders, suspensions and terminations wait until one completes; check that the job runner is running and the sweep's errors in the logs."
        ),
        None => format!(
            "A billing sweep started at {} and none has completed since. Renewal invoices, reminders, suspensions and terminations wait until one completes.",
            stale.silent_since
        ),
    };
    let mut conn = pool.acquire().await?;
    alert::raise(
        &mut conn,
        &NewAlert {
            kind: AlertKind::Error,
            source: "billing.lifecycle".into(),
            title: "No billing sweep has completed for 26 hours".into(),
            detail,
        },
    )
    .await?;
    Ok(())
}
