//! The SQL of the job table: enqueue, claim, heartbeat, finish, release.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use crate::Error;

pub type JobId = i64;

/// The `status` column of `job` (checked text in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Dead,
}

/// A job to put on the queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    kind: String,
    payload: serde_json::Value,
    run_at: Option<DateTime<Utc>>,
    max_attempts: i32,
    dedupe_key: Option<String>,
}

impl NewJob {
    pub const DEFAULT_MAX_ATTEMPTS: i32 = 10;

    pub fn new(kind: impl Into<String>, payload: &impl Serialize) -> Result<Self, Error> {
        Ok(Self {
            kind: kind.into(),
            payload: serde_json::to_value(payload)?,
            run_at: None,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            dedupe_key: None,
        })
    }

    /// Run no earlier than `at` (default: now).
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Attempts before the job is declared dead (at least 1).
    pub fn max_attempts(mut self, attempts: u16) -> Self {
        self.max_attempts = i32::from(attempts.max(1));
        self
    }

    /// A job with the same key as an existing one is not enqueued again.
    pub fn dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// Enqueues on the caller's connection, so a job can commit or roll back with
/// the state change that caused it. Returns `None` when the dedupe key was
/// already taken.
pub async fn enqueue(conn: &mut PgConnection, job: NewJob) -> Result<Option<JobId>, Error> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO job (kind, payload, run_at, max_attempts, dedupe_key)
           VALUES ($1, $2, COALESCE($3, now()), $4, $5)
           ON CONFLICT (dedupe_key) DO NOTHING
           RETURNING id"#,
        job.kind,
        job.payload,
        job.run_at,
        job.max_attempts,
        job.dedupe_key,
    )
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// A job as stored, for inspection by staff screens and tests.
#[derive(Debug, Clone, Serialize)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub async fn find_job(pool: &PgPool, id: JobId) -> Result<Option<JobRecord>, Error> {
    let row = sqlx::query!(
        r#"SELECT id, kind, payload, status AS "status: JobStatus", attempts, max_attempts, run_at, locked_by,
                  last_error, dedupe_key, finished_at
           FROM job WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| JobRecord {
        id: row.id,
        kind: row.kind,
        payload: row.payload,
        status: row.status,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        run_at: row.run_at,
        locked_by: row.locked_by,
        last_error: row.last_error,
        dedupe_key: row.dedupe_key,
        finished_at: row.finished_at,
    }))
}

/// Counts per status, for queue health views and readiness.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueSummary {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub dead: i64,
}

pub async fn queue_summary(pool: &PgPool) -> Result<QueueSummary, Error> {
    let rows = sqlx::query!(
        r#"SELECT status AS "status: JobStatus", count(*) AS "count!" FROM job GROUP BY status"#
    )
    .fetch_all(pool)
    .await?;
    let mut summary = QueueSummary::default();
    for row in rows {
        match row.status {
            JobStatus::Queued => summary.queued = row.count,
            JobStatus::Running => summary.running = row.count,
            JobStatus::Done => summary.done = row.count,
            JobStatus::Dead => summary.dead = row.count,
        }
    }
    Ok(summary)
}

/// A job a runner has claimed and now holds the lease of.
#[derive(Debug, Clone)]
pub(crate) struct ClaimedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempt: i32,
    pub max_attempts: i32,
}

/// Claims up to `limit` due jobs of the `kinds` this runner can run:
/// running ones whose holder let the lease expire (it died or lost its
/// network) first, then queued ones whose time has come. Each arm walks its
/// own partial index; a single `OR` query would scan and sort the whole
/// table on every claim.
///
/// Only known kinds: a replica without a handler (a Telegram job on a
/// replica without a bot, a new kind during a rolling deploy) that claimed
/// a job could only fail it, and the retry backoff would then hold the job
/// back for seconds to minutes although a capable replica was idle. That
/// is how a staff DOWN alert once waited more than 20 s.
pub(crate) async fn claim(
    pool: &PgPool,
    runner_id: &str,
    kinds: &[String],
    limit: i64,
    lease: Duration,
) -> Result<Vec<ClaimedJob>, Error> {
    let rows = sqlx::query!(
        r#"WITH expired AS (
               SELECT id FROM job
               WHERE status = 'running' AND locked_until < now() AND kind = ANY($4)
               ORDER BY locked_until
               LIMIT $3
               FOR UPDATE SKIP LOCKED),
           due AS (
               SELECT id FROM job
               WHERE status = 'queued' AND run_at <= now() AND kind = ANY($4)
               ORDER BY run_at, id
               LIMIT $3
               FOR UPDATE SKIP LOCKED)
           UPDATE job
           SET status = 'running',
               locked_by = $1,
               locked_until = now() + make_interval(secs => $2),
               attempts = attempts + 1
           WHERE id IN (
               SELECT id FROM (
                   SELECT id, 0 AS rank FROM expired
                   UNION ALL
                   SELECT id, 1 AS rank FROM due) AS candidate
               ORDER BY rank
               LIMIT $3)
           RETURNING id, kind, payload, attempts, max_attempts"#,
        runner_id,
        lease.as_secs_f64(),
        limit,
        kinds,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ClaimedJob {
            id: row.id,
            kind: row.kind,
            payload: row.payload,
            attempt: row.attempts,
            max_attempts: row.max_attempts,
        })
        .collect())
}

/// Extends the lease of every job this runner still holds.
pub(crate) async fn extend_leases(
    pool: &PgPool,
    runner_id: &str,
    ids: &[JobId],
    lease: Duration,
) -> Result<u64, Error> {
    let result = sqlx::query!(
        r#"UPDATE job SET locked_until = now() + make_interval(secs => $3)
           WHERE id = ANY($2) AND locked_by = $1 AND status = 'running'"#,
        runner_id,
        ids,
        lease.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// One claim of a job: the runner that holds it and the attempt it is. A
/// result is recorded against the claim, so that a run whose lease lapsed
/// (the job was claimed again since, by another runner or by this one)
/// cannot settle the newer claim.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim<'r> {
    pub runner_id: &'r str,
    pub job: JobId,
    pub attempt: i32,
}

/// What becomes of a job whose attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    /// Back on the queue to run after `delay`. A refunded attempt does not
    /// count toward `max_attempts`.
    Retry {
        delay: Duration,
        refund_attempt: bool,
    },
    /// Dead: never run again.
    Dead,
}

/// Marks a job done. `false` means the claim is no longer the job's (its
/// lease lapsed and the job was claimed again), so this result is not
/// recorded and the newer claim decides.
pub(crate) async fn mark_done(pool: &PgPool, claim: Claim<'_>) -> Result<bool, Error> {
    let result = sqlx::query!(
        r#"UPDATE job SET status = 'done', locked_by = NULL, locked_until = NULL,
                          last_error = NULL, finished_at = now()
           WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'"#,
        claim.job,
        claim.runner_id,
        claim.attempt,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records a failed attempt: the job is queued again or dead, as `next`
/// says. `false` as for [`mark_done`].
pub(crate) async fn mark_failed(
    pool: &PgPool,
    claim: Claim<'_>,
    error: &str,
    next: AfterFailure,
) -> Result<bool, Error> {
    let result = match next {
        AfterFailure::Retry {
            delay,
            refund_attempt,
        } => {
            sqlx::query!(
                r#"UPDATE job SET status = 'queued', locked_by = NULL, locked_until = NULL,
                                  last_error = $3,
                                  run_at = now() + make_interval(secs => $4),
                                  attempts = CASE WHEN $5 THEN GREATEST(attempts - 1, 0) ELSE attempts END
                   WHERE id = $1 AND locked_by = $2 AND attempts = $6 AND status = 'running'"#,
                claim.job,
                claim.runner_id,
                error,
                delay.as_secs_f64(),
                refund_attempt,
                claim.attempt,
            )
            .execute(pool)
            .await?
        }
        AfterFailure::Dead => {
            sqlx::query!(
                r#"UPDATE job SET status = 'dead', locked_by = NULL, locked_until = NULL,
                                  last_error = $3, finished_at = now()
                   WHERE id = $1 AND locked_by = $2 AND attempts = $4 AND status = 'running'"#,
                claim.job,
                claim.runner_id,
                error,
                claim.attempt,
            )
            .execute(pool)
            .await?
        }
    };
    Ok(result.rows_affected() == 1)
}

/// Gives jobs back to the queue untouched at shutdown: the attempt that was
/// interrupted does not count against the job.
pub(crate) async fn release(pool: &PgPool, runner_id: &str, ids: &[JobId]) -> Result<u64, Error> {
    let result = sqlx::query!(
        r#"UPDATE job SET status = 'queued', locked_by = NULL, locked_until = NULL,
                          attempts = GREATEST(attempts - 1, 0), run_at = now()
           WHERE id = ANY($2) AND locked_by = $1 AND status = 'running'"#,
        runner_id,
        ids,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Deletes finished jobs past their retention. Dead jobs stay longer so
/// staff can still see why they died.
pub(crate) async fn prune_finished(
    pool: &PgPool,
    done_older_than: Duration,
    dead_older_than: Duration,
) -> Result<u64, Error> {
    let result = sqlx::query!(
        r#"DELETE FROM job
           WHERE (status = 'done' AND finished_at < now() - make_interval(secs => $1))
              OR (status = 'dead' AND finished_at < now() - make_interval(secs => $2))"#,
        done_older_than.as_secs_f64(),
        dead_older_than.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}
