//! The worker loop: claim what is due up to the concurrency limit, run each
//! job on its own task, keep the leases of running jobs alive, fire periodic
//! schedules, and on shutdown finish or release what was claimed.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rand::Rng;
use sqlx::PgPool;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::queue::{self, AfterFailure, ClaimedJob, JobId};
use crate::registry::{JobContext, JobError, Registry};
use crate::schedule;

/// Tuning of one runner. The defaults suit production; tests shorten them.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs run at the same time by this runner.
    pub concurrency: usize,
    /// How long to sleep when the queue had nothing due.
    pub poll_interval: Duration,
    /// How long a claim holds without a heartbeat. A runner that dies leaves
    /// its jobs to others after at most this long.
    pub lease: Duration,
    /// How long shutdown waits for running jobs before releasing them.
    pub shutdown_grace: Duration,
    /// First retry delay; doubles per attempt up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// How often this runner looks for due periodic schedules.
    pub schedule_tick: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            concurrency: 8,
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(20),
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(3600),
            schedule_tick: Duration::from_secs(1),
        }
    }
}

impl RunnerConfig {
    /// Exponential backoff with ±20 % jitter so that jobs that failed together
    /// (a remote outage) do not all come back in the same instant.
    pub fn retry_delay(&self, attempt: i32) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let delay = self
            .retry_base
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.retry_cap);
        delay.mul_f64(rand::rng().random_range(0.8..1.2))
    }
}

pub struct JobRunner {
    pool: PgPool,
    registry: Arc<Registry>,
    config: RunnerConfig,
    id: String,
}

impl JobRunner {
    pub fn new(pool: PgPool, registry: Registry, config: RunnerConfig) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "juragan".to_owned());
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let id = format!("{host}-{}-{}", std::process::id(), &unique[..8]);
        Self {
            pool,
            registry: Arc::new(registry),
            config,
            id,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Registers the schedules and starts the worker loop in the background.
    pub async fn start(self) -> Result<RunnerHandle, Error> {
        schedule::register_schedules(&self.pool, self.registry.schedules()).await?;
        let shutdown = CancellationToken::new();
        let id = self.id.clone();
        tracing::info!(runner = %id, kinds = ?self.registry.kinds().collect::<Vec<_>>(), "job runner started");
        let task = tokio::spawn(Arc::new(self).run(shutdown.clone()));
        Ok(RunnerHandle { id, shutdown, task })
    }

    async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut jobs = InFlight::default();
        let mut heartbeat = tokio::time::interval(self.config.lease / 3);
        let mut schedule_tick = tokio::time::interval(self.config.schedule_tick);
        let mut poll = tokio::time::interval(self.config.poll_interval);
        for timer in [&mut heartbeat, &mut schedule_tick, &mut poll] {
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        // Refill in batches: claiming for every single finished job would cost
        // a claim query per job on a busy queue.
        let refill_at = (self.config.concurrency / 2).max(1);
        let mut claim_now = true;
        let kinds: Vec<String> = self.registry.kinds().map(str::to_owned).collect();

        while !shutdown.is_cancelled() {
            // Ended tasks first, so that a claim finds their jobs free.
            while let Some(finished) = jobs.tasks.try_join_next_with_id() {
                jobs.finished(&self, finished);
            }
            let capacity = self.config.concurrency.saturating_sub(jobs.ids.len());
            if claim_now && capacity > 0 {
                let limit = i64::try_from(capacity).unwrap_or(i64::MAX);
                match queue::claim(&self.pool, &self.id, &kinds, limit, self.config.lease).await {
                    Ok(claimed) => {
                        for job in claimed {
                            jobs.start(&self, job);
                        }
                    }
                    Err(error) => tracing::warn!(runner = %self.id, %error, "claiming jobs failed"),
                }
            }
            claim_now = false;
            let full = jobs.ids.len() >= self.config.concurrency;
            tokio::select! {
                biased;
                () = shutdown.cancelled() => {}
                Some(finished) = jobs.tasks.join_next_with_id(), if !jobs.tasks.is_empty() => {
                    jobs.finished(&self, finished);
                    claim_now = self.config.concurrency - jobs.ids.len() >= refill_at;
                }
                _ = heartbeat.tick() => self.extend_leases(&jobs.ids).await,
                _ = schedule_tick.tick() => {
                    if let Err(error) = schedule::fire_due_schedules(&self.pool).await {
                        tracing::warn!(runner = %self.id, %error, "firing schedules failed");
                    }
                }
                _ = poll.tick(), if !full => claim_now = true,
            }
        }
        self.drain(jobs, heartbeat).await;
    }

    /// Waits up to the grace period for running jobs, then hands the rest
    /// back, with the claims that were waiting for a task to end.
    async fn drain(self: Arc<Self>, mut jobs: InFlight, mut heartbeat: tokio::time::Interval) {
        // Nothing new starts now: a waiting claim is released below.
        let waiting = std::mem::take(&mut jobs.waiting);
        let deadline = tokio::time::sleep(self.config.shutdown_grace);
        tokio::pin!(deadline);
        while !jobs.tasks.is_empty() {
            tokio::select! {
                Some(finished) = jobs.tasks.join_next_with_id() => {
                    jobs.finished(&self, finished);
                }
                _ = heartbeat.tick() => self.extend_leases(&jobs.ids).await,
                () = &mut deadline => break,
            }
        }
        jobs.tasks.shutdown().await;
        jobs.ids.extend(waiting.into_keys());
        if !jobs.ids.is_empty() {
            let ids: Vec<JobId> = jobs.ids.into_iter().collect();
            match queue::release(&self.pool, &self.id, &ids).await {
                Ok(released) => {
                    tracing::info!(runner = %self.id, released, "released unfinished jobs")
                }
                Err(error) => {
                    tracing::error!(runner = %self.id, %error, "releasing jobs failed; their leases will expire")
                }
            }
        }
        tracing::info!(runner = %self.id, "job runner stopped");
    }

    async fn extend_leases(&self, in_flight: &HashSet<JobId>) {
        if in_flight.is_empty() {
            return;
        }
        let ids: Vec<JobId> = in_flight.iter().copied().collect();
        if let Err(error) =
            queue::extend_leases(&self.pool, &self.id, &ids, self.config.lease).await
        {
            tracing::warn!(runner = %self.id, %error, "extending job leases failed");
        }
    }

    async fn execute(self: Arc<Self>, job: ClaimedJob) {
        let id = job.id;
        let kind = job.kind.clone();
        let started = Instant::now();
        let outcome = self.run_handler(job.clone()).await;
        let claim = queue::Claim {
            runner_id: &self.id,
            job: id,
            attempt: job.attempt,
        };
        let recorded = match &outcome {
            Ok(()) => queue::mark_done(&self.pool, claim).await,
            Err(failure) => {
                let next = match failure {
                    JobError::Permanent(_) => AfterFailure::Dead,
                    // The remote asked us to wait: the job did nothing wrong,
                    // so the attempt is given back and it never dies of this.
                    JobError::RetryAfter { delay, .. } => AfterFailure::Retry {
                        delay: *delay,
                        refund_attempt: true,
                    },
                    _ if job.attempt >= job.max_attempts => AfterFailure::Dead,
                    JobError::Retry(_) => AfterFailure::Retry {
                        delay: self.config.retry_delay(job.attempt),
                        refund_attempt: false,
                    },
                };
                let message = failure.to_string();
                match next {
                    AfterFailure::Retry { delay, .. } => {
                        tracing::warn!(job = id, %kind, attempt = job.attempt, ?delay, error = %message, "job failed, will retry")
                    }
                    AfterFailure::Dead => {
                        tracing::error!(job = id, %kind, attempt = job.attempt, error = %message, "job is dead")
                    }
                }
                queue::mark_failed(&self.pool, claim, &message, next).await
            }
        };
        let result = if outcome.is_ok() { "done" } else { "failed" };
        metrics::counter!("juragan_jobs_total", "kind" => kind.clone(), "result" => result)
            .increment(1);
        metrics::histogram!("juragan_job_duration_seconds", "kind" => kind.clone())
            .record(started.elapsed().as_secs_f64());
        match recorded {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job = id, %kind, "lease was lost before the job finished; a newer claim owns it")
            }
            Err(error) => {
                tracing::error!(job = id, %kind, %error, "recording the job's result failed")
            }
        }
    }

    async fn run_handler(&self, job: ClaimedJob) -> Result<(), JobError> {
        if job.attempt > job.max_attempts {
            // Claimed again after an expired lease on its last attempt: the
            // job itself probably kills its runner, so stop trying.
            return Err(JobError::Permanent(
                "its runner stopped during the final attempt (lease expired)".to_owned(),
            ));
        }
        let Some(handler) = self.registry.handler(&job.kind) else {
            // During a rolling deploy an older replica may meet a newer kind:
            // retry, so a replica that knows it can run it.
            return Err(JobError::Retry(anyhow::anyhow!(
                "runner {} has no handler for job kind `{}`",
                self.id,
                job.kind
            )));
        };
        let context = JobContext {
            id: job.id,
            kind: job.kind,
            attempt: job.attempt,
            max_attempts: job.max_attempts,
            payload: job.payload,
            pool: self.pool.clone(),
        };
        // The handler is called inside the caught future: one that panics
        // before it returns its future is retried like any other panic.
        match AssertUnwindSafe(async move { handler(context).await })
            .catch_unwind()
            .await
        {
            Ok(result) => result,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                Err(JobError::Retry(anyhow::anyhow!("job panicked: {message}")))
            }
        }
    }
}

/// The jobs a runner holds: a task per running job, and claims that wait for
/// their job's earlier task to end.
///
/// A claim can return a job whose task here has not ended yet, in two ways:
/// the task has recorded a retry that is already due but has not been
/// polled to its end (on a busy machine, long enough for the next claim),
/// or the task is still running and its lease lapsed (a late heartbeat).
/// Either way the new claim is the job's live one (results are recorded
/// against the claim's attempt), so it runs once the earlier task ends:
/// never two at once, and never left claimed but unrun until its lease
/// lapses, which is how a retried job once stood still for minutes.
#[derive(Default)]
struct InFlight {
    /// A task per running job; a task ends with nothing, its job is found
    /// by the task's id, so that one that fails (panics outside the
    /// handler, or is aborted) still gives its job back.
    tasks: JoinSet<()>,
    job_of_task: HashMap<tokio::task::Id, JobId>,
    /// Every job this runner holds a claim on, running or waiting.
    ids: HashSet<JobId>,
    waiting: HashMap<JobId, ClaimedJob>,
}

impl InFlight {
    fn start(&mut self, runner: &Arc<JobRunner>, job: ClaimedJob) {
        if self.ids.insert(job.id) {
            self.spawn(job.id, Arc::clone(runner).execute(job));
        } else {
            self.waiting.insert(job.id, job);
        }
    }

    fn spawn(&mut self, id: JobId, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let task = self.tasks.spawn(task);
        self.job_of_task.insert(task.id(), id);
    }

    /// Takes an ended task's job off the runner, or starts the claim that
    /// waited for it.
    fn finished(
        &mut self,
        runner: &Arc<JobRunner>,
        finished: Result<(tokio::task::Id, ()), JoinError>,
    ) {
        if let Some(next) = self.ended(finished) {
            self.spawn(next.id, Arc::clone(runner).execute(next));
        }
    }

    /// Books an ended task; answers the claim that waited for it, if any.
    /// A task that failed recorded no result: its job's lease is no longer
    /// renewed, so it lapses and the job runs again, like a crashed
    /// runner's.
    fn ended(&mut self, finished: Result<(tokio::task::Id, ()), JoinError>) -> Option<ClaimedJob> {
        let task = match &finished {
            Ok((task, ())) => *task,
            Err(error) => error.id(),
        };
        let id = self.job_of_task.remove(&task)?;
        if let Err(error) = finished {
            tracing::error!(job = id, %error, "a job's task failed outside its handler; the job runs again once its lease lapses");
        }
        let next = self.waiting.remove(&id);
        if next.is_none() {
            self.ids.remove(&id);
        }
        next
    }
}

/// Controls a started runner.
pub struct RunnerHandle {
    id: String,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl RunnerHandle {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Stops claiming, lets running jobs finish within the grace period and
    /// releases the rest back to the queue.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        if let Err(error) = self.task.await {
            tracing::error!(runner = %self.id, %error, "job runner task failed");
        }
    }

    /// Stops the runner the way a crash would: no result recorded, no release,
    /// no more heartbeats. Its jobs return to the queue when their lease ends.
    pub fn kill(self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: JobId, attempt: i32) -> ClaimedJob {
        ClaimedJob {
            id,
            kind: "test.job".to_owned(),
            payload: serde_json::Value::Null,
            attempt,
            max_attempts: 5,
        }
    }

    /// Before, a task that failed outside the handler (a panic while
    /// recording its result) kept its job in flight: the heartbeat renewed
    /// the job's lease for as long as the runner lived and it never ran
    /// again.
    #[tokio::test]
    async fn a_task_that_fails_outside_the_handler_gives_its_job_back() {
        let mut jobs = InFlight::default();
        for id in [7, 8, 9] {
            jobs.ids.insert(id);
        }
        jobs.spawn(7, async { panic!("recording the result failed") });
        jobs.spawn(8, async {});
        jobs.spawn(9, async { panic!("recording the result failed") });
        // A newer claim of job 9 waits for its failed task.
        jobs.waiting.insert(9, claim(9, 2));

        let mut started_next = Vec::new();
        let mut ended = 0;
        while let Some(finished) = jobs.tasks.join_next_with_id().await {
            ended += 1;
            if let Some(next) = jobs.ended(finished) {
                started_next.push((next.id, next.attempt));
            }
        }
        assert_eq!(ended, 3);
        assert_eq!(started_next, vec![(9, 2)], "the waiting claim starts");
        assert_eq!(
            jobs.ids,
            HashSet::from([9]),
            "only the claim that starts is held"
        );
        assert!(jobs.job_of_task.is_empty());
        assert!(jobs.waiting.is_empty());
    }

    /// A claim that waits for its job's earlier task is taken aside when
    /// shutdown begins; if that task then ends within the grace period, its
    /// job leaves the set of held jobs, and only the waiting claim still
    /// holds it. Shutdown must release that claim too, or the job stands
    /// claimed and unrun until the lease lapses.
    #[sqlx::test(migrations = "../../migrations")]
    async fn a_claim_waiting_when_shutdown_begins_is_released(pool: PgPool) {
        let mut conn = pool.acquire().await.expect("connection");
        let job = queue::enqueue(
            &mut conn,
            queue::NewJob::new("test.job", &()).expect("new job"),
        )
        .await
        .expect("enqueue")
        .expect("not a duplicate");
        drop(conn);
        let runner = Arc::new(JobRunner::new(
            pool.clone(),
            Registry::new(),
            RunnerConfig {
                shutdown_grace: Duration::from_secs(5),
                ..RunnerConfig::default()
            },
        ));
        let kinds = ["test.job".to_owned()];
        let claimed = queue::claim(&pool, &runner.id, &kinds, 1, Duration::from_secs(60))
            .await
            .expect("claim");
        let [claim] = <[ClaimedJob; 1]>::try_from(claimed).expect("one job claimed");
        assert_eq!(claim.id, job);

        let mut jobs = InFlight::default();
        jobs.ids.insert(job);
        // The job's earlier task, ending just after shutdown begins.
        jobs.spawn(job, tokio::time::sleep(Duration::from_millis(20)));
        jobs.waiting.insert(job, claim);
        let heartbeat = tokio::time::interval(Duration::from_secs(20));
        Arc::clone(&runner).drain(jobs, heartbeat).await;

        let (status, locked_by, attempts): (String, Option<String>, i32) =
            sqlx::query_as("SELECT status, locked_by, attempts FROM job WHERE id = $1")
                .bind(job)
                .fetch_one(&pool)
                .await
                .expect("job");
        assert_eq!(status, "queued");
        assert_eq!(locked_by, None);
        assert_eq!(attempts, 0, "the interrupted attempt is given back");
    }
}
