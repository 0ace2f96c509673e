//! The PPPoE status sync (seed 004): read `/ppp/active/print` off a router,
//! then in one transaction mark that router's customers online when their
//! PPPoE name matches an active session ignoring case, and everyone else
//! offline.
//!
//! Unlike the seed (reset everyone, then one UPDATE per session), the new
//! status of every customer is worked out in one statement from the session
//! list passed as arrays, and only the rows whose status or session changed
//! are written: a steady sync of 10,000 sessions writes almost nothing.
//! Sessions are stored by their login time, not their uptime, so a
//! customer who stays online is not rewritten every two minutes.
//!
//! A router's sync never runs twice at once, across replicas: a sync takes
//! a lease on the router row first (a conditional UPDATE, so exactly one
//! caller wins) and gives it back at the end; a replica that died mid-sync
//! loses its lease when it runs out. If the router cannot be read, its
//! customers keep their last status, marked stale, and the error is kept
//! for the router page: a dead router does not make everyone offline.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::Sealer;
use jobs::{JobContext, JobError, NewJob, Registry};
use routeros::{ActiveSession, PppRouter, Router};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::MonitoringError;
use crate::isp::router;

/// The schedule's tick: due routers are looked for this often; each router
/// syncs at its own interval (2 minutes by default).
pub const DUE_JOB: &str = "monitoring.isp_sync_due";
/// One router's sync.
pub const SYNC_JOB: &str = "monitoring.isp_sync_router";
const DUE_TICK: Duration = Duration::from_secs(15);
/// Longer than a connect and the slowest reply together: a live sync never
/// loses its lease, a dead replica's lease frees the router soon.
const LEASE_SECONDS: f64 = 60.0;

/// What started a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncTrigger {
    Schedule,
    Manual,
}

impl SyncTrigger {
    fn as_str(self) -> &'static str {
        match self {
            SyncTrigger::Schedule => "schedule",
            SyncTrigger::Manual => "manual",
        }
    }
}

/// The outcome of one sync, as the router page and the log show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouterSyncReport {
    pub router_id: i64,
    pub ok: bool,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// Connecting, logging in and reading `/ppp/active/print`.
    pub fetch_ms: i64,
    /// The one transaction that writes the statuses.
    pub update_ms: i64,
    pub active_connections: Option<i64>,
    pub customers_online: Option<i64>,
    pub went_online: i64,
    pub went_offline: i64,
    /// `Status updated: N active connections, M customers online`, or the
    /// reason the router could not be read.
    pub message: String,
}

/// One line of the router's sync log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncLogEntry {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    pub trigger: String,
    pub ok: bool,
    pub active_connections: Option<i32>,
    pub customers_online: Option<i32>,
    pub went_online: Option<i32>,
    pub went_offline: Option<i32>,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct SyncJob {
    router_id: i64,
}

pub fn register_jobs(registry: &mut Registry, sealer: std::sync::Arc<Sealer>) {
    registry.handle(DUE_JOB, |context: JobContext| async move {
        enqueue_due(&context.pool)
            .await
            .map(|_| ())
            .map_err(|error| JobError::Retry(anyhow::anyhow!(error.to_string())))
    });
    registry.every(DUE_JOB, DUE_JOB, DUE_TICK);
    registry.handle(SYNC_JOB, move |context: JobContext| {
        let sealer = sealer.clone();
        async move {
            let job: SyncJob = context.payload()?;
            match sync_router(&context.pool, &sealer, job.router_id, SyncTrigger::Schedule).await {
                // A failed reading is recorded on the router; the next
                // period tries again, so the job itself is done.
                Ok(_) | Err(MonitoringError::NotFound(_)) => Ok(()),
                Err(MonitoringError::Refused { .. }) => Ok(()),
                Err(error) => Err(JobError::Permanent(error.to_string())),
            }
        }
    });
}

/// Enqueues a sync for every router whose time has come and moves its next
/// sync one interval on, in one transaction: replicas that tick together
/// enqueue each router once.
pub async fn enqueue_due(pool: &PgPool) -> Result<usize, MonitoringError> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query_scalar!(
        "WITH due AS (
             SELECT id FROM isp_router
              WHERE sync_enabled AND next_sync_at <= now()
              FOR UPDATE SKIP LOCKED)
         UPDATE isp_router r
            SET next_sync_at = now() + make_interval(secs => r.sync_interval_seconds)
           FROM due WHERE r.id = due.id
         RETURNING r.id"
    )
    .fetch_all(&mut *tx)
    .await?;
    for router_id in &due {
        let job = NewJob::new(
            SYNC_JOB,
            &SyncJob {
                router_id: *router_id,
            },
        )?
        .max_attempts(1);
        jobs::enqueue(&mut tx, job).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// Syncs one router now. Refused with `sync_in_progress` while another
/// sync of the same router (on any replica) holds the lease.
pub async fn sync_router(
    pool: &PgPool,
    sealer: &Sealer,
    router_id: i64,
    trigger: SyncTrigger,
) -> Result<RouterSyncReport, MonitoringError> {
    let owner = Uuid::new_v4().to_string();
    claim_lease(pool, router_id, &owner).await?;
    let outcome = sync_holding_lease(pool, sealer, router_id, trigger).await;
    sqlx::query!(
        "UPDATE isp_router SET sync_lease_owner = NULL, sync_lease_until = NULL
          WHERE id = $1 AND sync_lease_owner = $2",
        router_id,
        owner
    )
    .execute(pool)
    .await?;
    outcome
}

async fn claim_lease(pool: &PgPool, router_id: i64, owner: &str) -> Result<(), MonitoringError> {
    let claimed = sqlx::query_scalar!(
        "UPDATE isp_router
            SET sync_lease_owner = $2, sync_lease_until = now() + make_interval(secs => $3)
          WHERE id = $1 AND (sync_lease_until IS NULL OR sync_lease_until < now())
         RETURNING id",
        router_id,
        owner,
        LEASE_SECONDS,
    )
    .fetch_optional(pool)
    .await?;
    if claimed.is_some() {
        return Ok(());
    }
    router::require(pool, router_id).await?;
    Err(MonitoringError::Refused {
        code: "sync_in_progress",
        message: "this router is being synced right now; its result shows in a moment".to_owned(),
    })
}

async fn sync_holding_lease(
    pool: &PgPool,
    sealer: &Sealer,
    router_id: i64,
    trigger: SyncTrigger,
) -> Result<RouterSyncReport, MonitoringError> {
    let config = router::connection_config(pool, sealer, router_id).await?;
    let started_at = Utc::now();
    let started = Instant::now();
    let fetched = async {
        let router = Router::connect(&config).await?;
        router.active_sessions().await
    }
    .await;
    let fetch_ms = millis(started.elapsed());
    let mut report = match fetched {
        Ok(sessions) => {
            let update_started = Instant::now();
            let mut tx = pool.begin().await?;
            let applied = apply_sessions(&mut tx, router_id, &sessions, started_at).await?;
            let message = format!(
                "Status updated: {} active connections, {} customers online",
                sessions.len(),
                applied.online
            );
            tracing::info!(
                router_id,
                went_online = applied.went_online,
                went_offline = applied.went_offline,
                "{message}"
            );
            tx.commit().await?;
            RouterSyncReport {
                router_id,
                ok: true,
                started_at,
                duration_ms: 0,
                fetch_ms,
                update_ms: millis(update_started.elapsed()),
                active_connections: Some(i64::try_from(sessions.len()).unwrap_or(i64::MAX)),
                customers_online: Some(applied.online),
                went_online: applied.went_online,
                went_offline: applied.went_offline,
                message,
            }
        }
        Err(error) => {
            let message = format!("Could not read the router: {error}");
            tracing::warn!(router_id, "{message}");
            sqlx::query!(
                "UPDATE isp_customer SET stale = true WHERE router_id = $1 AND NOT stale",
                router_id
            )
            .execute(pool)
            .await?;
            RouterSyncReport {
                router_id,
                ok: false,
                started_at,
                duration_ms: 0,
                fetch_ms,
                update_ms: 0,
                active_connections: None,
                customers_online: None,
                went_online: 0,
                went_offline: 0,
                message,
            }
        }
    };
    report.duration_ms = millis(started.elapsed());
    record(pool, &report, trigger).await?;
    Ok(report)
}

fn millis(elapsed: Duration) -> i64 {
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}

fn to_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Keeps the outcome on the router and in its log (a week of it: 5,040
/// lines at the default interval).
async fn record(
    pool: &PgPool,
    report: &RouterSyncReport,
    trigger: SyncTrigger,
) -> Result<(), MonitoringError> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE isp_router
            SET last_sync_at = $2, last_sync_ok = $3, last_sync_duration_ms = $4,
                last_sync_message = $5,
                last_active_connections = COALESCE($6, last_active_connections),
                last_customers_online = COALESCE($7, last_customers_online),
                next_sync_at = CASE WHEN $8 THEN now() + make_interval(secs => sync_interval_seconds)
                                    ELSE next_sync_at END
          WHERE id = $1",
        report.router_id,
        report.started_at,
        report.ok,
        to_i32(report.duration_ms),
        report.message,
        report.active_connections.map(to_i32),
        report.customers_online.map(to_i32),
        trigger == SyncTrigger::Manual,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO isp_router_sync (router_id, started_at, duration_ms, trigger, ok,
                                      active_connections, customers_online, went_online,
                                      went_offline, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        report.router_id,
        report.started_at,
        to_i32(report.duration_ms),
        trigger.as_str(),
        report.ok,
        report.active_connections.map(to_i32),
        report.customers_online.map(to_i32),
        to_i32(report.went_online),
        to_i32(report.went_offline),
        report.message,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM isp_router_sync
          WHERE router_id = $1 AND started_at < now() - interval '7 days'",
        report.router_id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What one application of a session list changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Customers of the router online after it.
    pub online: i64,
    pub went_online: i64,
    pub went_offline: i64,
    /// Rows written (status or session changed).
    pub written: i64,
}

/// The session arrays the statement takes: one entry per distinct name
/// (lower-cased; the newest session wins when a name is logged in twice).
struct SessionColumns {
    names: Vec<String>,
    addresses: Vec<String>,
    caller_ids: Vec<String>,
    started: Vec<Option<DateTime<Utc>>>,
}

fn session_columns(sessions: &[ActiveSession], now: DateTime<Utc>) -> SessionColumns {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(sessions.len());
    let mut columns = SessionColumns {
        names: Vec::with_capacity(sessions.len()),
        addresses: Vec::with_capacity(sessions.len()),
        caller_ids: Vec::with_capacity(sessions.len()),
        started: Vec::with_capacity(sessions.len()),
    };
    for session in sessions {
        let name = session.name.trim().to_lowercase();
        if name.is_empty() {
            continue;
        }
        let started = session
            .uptime
            .and_then(|uptime| chrono::Duration::from_std(uptime).ok())
            .and_then(|uptime| now.checked_sub_signed(uptime));
        match index.get(&name) {
            Some(&at) => {
                // Two sessions of one name (a reconnect not yet cleaned up):
                // the newer one is the line in use.
                if started > columns.started[at] {
                    columns.addresses[at] = session.address.clone();
                    columns.caller_ids[at] = session.caller_id.clone();
                    columns.started[at] = started;
                }
            }
            None => {
                index.insert(name.clone(), columns.names.len());
                columns.names.push(name);
                columns.addresses.push(session.address.clone());
                columns.caller_ids.push(session.caller_id.clone());
                columns.started.push(started);
            }
        }
    }
    columns
}

/// Writes a router's statuses from its session list, in the caller's
/// transaction. A customer with an empty PPPoE name never matches.
pub async fn apply_sessions(
    conn: &mut PgConnection,
    router_id: i64,
    sessions: &[ActiveSession],
    now: DateTime<Utc>,
) -> Result<Applied, MonitoringError> {
    let columns = session_columns(sessions, now);
    // The login time read from an uptime moves by the seconds between the
    // router's reading and ours: a few seconds' difference is the same
    // session.
    let row = sqlx::query!(
        r#"WITH active AS (
               SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
                      AS a(name, address, caller_id, started_at)),
           next AS (
               SELECT c.id, c.connection AS before, (a.name IS NOT NULL) AS online,
                      a.address, a.caller_id, a.started_at
                 FROM isp_customer c
                 LEFT JOIN active a
                   ON c.pppoe_username <> '' AND a.name = lower(c.pppoe_username)
                WHERE c.router_id = $1),
           written AS (
               UPDATE isp_customer c
                  SET connection = CASE WHEN n.online THEN 'online' ELSE 'offline' END,
                      connection_changed_at = CASE
                          WHEN n.online <> (n.before = 'online') THEN $6
                          ELSE c.connection_changed_at END,
                      last_seen_at = CASE
                          WHEN n.online OR n.before = 'online' THEN $6
                          ELSE c.last_seen_at END,
                      stale = false,
                      session_address = NULLIF(n.address, ''),
                      session_caller_id = NULLIF(n.caller_id, ''),
                      session_started_at = n.started_at
                 FROM next n
                WHERE c.id = n.id
                  AND (c.stale
                       OR n.online <> (n.before = 'online')
                       OR c.session_address IS DISTINCT FROM NULLIF(n.address, '')
                       OR c.session_caller_id IS DISTINCT FROM NULLIF(n.caller_id, '')
                       OR (c.session_started_at IS NULL) <> (n.started_at IS NULL)
                       OR abs(extract(epoch FROM c.session_started_at - n.started_at)) > 5)
               RETURNING n.online, n.before)
           SELECT (SELECT count(*) FROM next WHERE online) AS "online!",
                  (SELECT count(*) FROM written WHERE online AND before = 'offline') AS "went_online!",
                  (SELECT count(*) FROM written WHERE NOT online AND before = 'online') AS "went_offline!",
                  (SELECT count(*) FROM written) AS "written!""#,
        router_id,
        &columns.names,
        &columns.addresses,
        &columns.caller_ids,
        &columns.started as &[Option<DateTime<Utc>>],
        now,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Applied {
        online: row.online,
        went_online: row.went_online,
        went_offline: row.went_offline,
        written: row.written,
    })
}

/// The newest lines of a router's sync log.
pub async fn log(
    pool: &PgPool,
    router_id: i64,
    limit: i64,
) -> Result<Vec<SyncLogEntry>, MonitoringError> {
    router::require(pool, router_id).await?;
    Ok(sqlx::query_as!(
        SyncLogEntry,
        "SELECT id, started_at, duration_ms, trigger, ok, active_connections,
                customers_online, went_online, went_offline, message
           FROM isp_router_sync WHERE router_id = $1
          ORDER BY started_at DESC, id DESC LIMIT $2",
        router_id,
        limit.clamp(1, 200),
    )
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(name: &str, address: &str, uptime_secs: u64) -> ActiveSession {
        ActiveSession {
            id: format!("*{name}"),
            name: name.to_owned(),
            service: "pppoe".to_owned(),
            caller_id: "00:11:22:33:44:55".to_owned(),
            address: address.to_owned(),
            uptime: Some(Duration::from_secs(uptime_secs)),
            uptime_text: String::new(),
            session_id: String::new(),
        }
    }

    #[test]
    fn names_are_matched_ignoring_case_and_the_newest_session_wins() {
        let now = Utc::now();
        let columns = session_columns(
            &[
                session("EgiSetiawanSempu", "10.10.10.2", 3600),
                session("egisetiawansempu", "10.10.10.9", 60),
                session("  ", "10.10.10.3", 60),
            ],
            now,
        );
        assert_eq!(columns.names, ["egisetiawansempu"]);
        assert_eq!(columns.addresses, ["10.10.10.9"]);
        assert_eq!(columns.started, [Some(now - chrono::Duration::seconds(60))]);
    }
}
