//! Runs: one delivery or action on a service, carried out by the job
//! [`RUN_JOB`] step by step, every step recorded.
//!
//! A run is resumable because each step is recorded `done` once its effect
//! is in place, and a step that was interrupted is simply run again: every
//! step looks before it acts (the VM it would create may exist already, the
//! address it would reserve may be held already). So a worker killed
//! anywhere — between steps, or mid-way through one after the remote side
//! already acted — leaves a run that the next attempt of the job (another
//! replica, once the lease lapses) finishes without doing anything twice.
//!
//! At most one run per service is running (a partial unique index), so a
//! client cannot start and stop the same VM at once.

use std::collections::HashSet;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Hooks, ProvisioningError};

/// The job that carries out a run.
pub const RUN_JOB: &str = "provisioning.run";
/// Attempts of a run's job: with the runner's doubling backoff from 5 s
/// this keeps retrying a flaky hypervisor for about twenty minutes before
/// the run is declared failed.
pub const RUN_ATTEMPTS: u16 = 9;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RunJob {
    pub run_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Action {
    Deliver,
    Start,
    Stop,
    Reboot,
    Reinstall,
    ResetPassword,
    Suspend,
    Unsuspend,
    Terminate,
    ChangePackage,
    /// Staff: the VM moves to another node of its cluster.
    MoveNode,
    /// A paid plan change: the VM gets its new plan's cores, memory, disk
    /// and rate limit (started by the plan change's job only).
    ChangePlan,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deliver => "deliver",
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Reboot => "reboot",
            Action::Reinstall => "reinstall",
            Action::ResetPassword => "reset_password",
            Action::Suspend => "suspend",
            Action::Unsuspend => "unsuspend",
            Action::Terminate => "terminate",
            Action::ChangePackage => "change_package",
            Action::MoveNode => "move_node",
            Action::ChangePlan => "change_plan",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum StepStatus {
    Started,
    Done,
    Failed,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Started => "started",
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Run {
    pub id: i64,
    pub service_id: i64,
    pub service_label: String,
    pub action: Action,
    pub status: RunStatus,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub requested_by: Option<Uuid>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Step {
    pub id: i64,
    pub step: String,
    pub status: StepStatus,
    pub detail: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Starts `action` on a service in the caller's transaction: records the
/// run and enqueues its job. A service with a run in progress refuses.
pub async fn start(
    conn: &mut PgConnection,
    service_id: i64,
    action: Action,
    params: serde_json::Value,
    requested_by: Option<Uuid>,
) -> Result<i64, ProvisioningError> {
    let id = sqlx::query_scalar!(
        "INSERT INTO provisioning_run (service_id, action, params, requested_by)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (service_id) WHERE status = 'running' DO NOTHING
         RETURNING id",
        service_id,
        action.as_str(),
        params,
        requested_by
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| {
        ProvisioningError::refused(
            "action_in_progress",
            "another action on this service is still running; wait for it to finish",
        )
    })?;
    let job = jobs::NewJob::new(RUN_JOB, &RunJob { run_id: id })?
        .dedupe_key(format!("{RUN_JOB}:{id}"))
        .max_attempts(RUN_ATTEMPTS);
    jobs::enqueue(conn, job).await?;
    Ok(id)
}

pub async fn find(db: impl PgExecutor<'_>, run_id: i64) -> Result<Option<Run>, ProvisioningError> {
    Ok(sqlx::query_as!(
        Run,
        r#"SELECT r.id, r.service_id, s.label AS service_label,
                  r.action AS "action: Action", r.status AS "status: RunStatus",
                  r.params, r.requested_by, r.error, r.created_at, r.finished_at
             FROM provisioning_run r JOIN service s ON s.id = r.service_id
            WHERE r.id = $1"#,
        run_id
    )
    .fetch_optional(db)
    .await?)
}

/// Runs newest first: of one service, or all; optionally only failed ones.
pub async fn list(
    db: impl PgExecutor<'_>,
    service_id: Option<i64>,
    status: Option<RunStatus>,
    limit: i64,
) -> Result<Vec<Run>, ProvisioningError> {
    Ok(sqlx::query_as!(
        Run,
        r#"SELECT r.id, r.service_id, s.label AS service_label,
                  r.action AS "action: Action", r.status AS "status: RunStatus",
                  r.params, r.requested_by, r.error, r.created_at, r.finished_at
             FROM provisioning_run r JOIN service s ON s.id = r.service_id
            WHERE ($1::bigint IS NULL OR r.service_id = $1)
              AND ($2::text IS NULL OR r.status = $2)
            ORDER BY r.id DESC
            LIMIT $3"#,
        service_id,
        status.map(RunStatus::as_str),
        limit
    )
    .fetch_all(db)
    .await?)
}

pub async fn steps(db: impl PgExecutor<'_>, run_id: i64) -> Result<Vec<Step>, ProvisioningError> {
    Ok(sqlx::query_as!(
        Step,
        r#"SELECT id, step, status AS "status: StepStatus", detail, started_at, finished_at
             FROM provisioning_step WHERE run_id = $1 ORDER BY id"#,
        run_id
    )
    .fetch_all(db)
    .await?)
}

async fn done_steps(pool: &PgPool, run_id: i64) -> Result<HashSet<String>, ProvisioningError> {
    Ok(sqlx::query_scalar!(
        "SELECT step FROM provisioning_step WHERE run_id = $1 AND status = 'done'",
        run_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect())
}

/// The most of a remote error text a step keeps.
const MAX_DETAIL_CHARS: usize = 1000;

fn clip(text: &str) -> String {
    text.chars().take(MAX_DETAIL_CHARS).collect()
}

/// Carries out `steps` in order, skipping those done in an earlier attempt.
/// Each is recorded as started, then done with what `execute` reports, or
/// failed with its error — which is returned, the rest not attempted.
pub(crate) async fn drive<S, F, Fut>(
    pool: &PgPool,
    hooks: &Hooks,
    run_id: i64,
    steps: &[S],
    mut execute: F,
) -> Result<(), ProvisioningError>
where
    S: Copy + StepName,
    F: FnMut(S) -> Fut,
    Fut: Future<Output = Result<String, ProvisioningError>>,
{
    let done = done_steps(pool, run_id).await?;
    for step in steps.iter().copied() {
        let name = step.name();
        if done.contains(name) {
            continue;
        }
        let step_id = sqlx::query_scalar!(
            "INSERT INTO provisioning_step (run_id, step, status) VALUES ($1, $2, 'started') RETURNING id",
            run_id,
            name
        )
        .fetch_one(pool)
        .await?;
        match execute(step).await {
            Ok(detail) => {
                sqlx::query!(
                    "UPDATE provisioning_step SET status = 'done', detail = $2, finished_at = now()
                      WHERE id = $1",
                    step_id,
                    clip(&detail)
                )
                .execute(pool)
                .await?;
                hooks.step_done(name).await;
            }
            Err(error) => {
                sqlx::query!(
                    "UPDATE provisioning_step SET status = 'failed', detail = $2, finished_at = now()
                      WHERE id = $1",
                    step_id,
                    clip(&error.to_string())
                )
                .execute(pool)
                .await?;
                return Err(error);
            }
        }
    }
    Ok(())
}

/// A step of some plan, by the name it is recorded under.
pub(crate) trait StepName {
    fn name(self) -> &'static str;
}

/// Ends a run in the caller's transaction.
pub(crate) async fn finish(
    conn: &mut PgConnection,
    run_id: i64,
    status: RunStatus,
    error: Option<&str>,
) -> Result<(), ProvisioningError> {
    sqlx::query!(
        "UPDATE provisioning_run SET status = $2, error = $3, finished_at = now()
          WHERE id = $1 AND status = 'running'",
        run_id,
        status.as_str(),
        error.map(clip)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a note on a run without a step of the plan (compensation).
pub(crate) async fn note(
    pool: &PgPool,
    run_id: i64,
    step: &str,
    status: StepStatus,
    detail: &str,
) -> Result<(), ProvisioningError> {
    sqlx::query!(
        "INSERT INTO provisioning_step (run_id, step, status, detail, finished_at)
         VALUES ($1, $2, $3, $4, now())",
        run_id,
        step,
        status.as_str(),
        clip(detail)
    )
    .execute(pool)
    .await?;
    Ok(())
}
