//! The job runner against a real PostgreSQL: each test gets its own database
//! and starts one or more runners on it, as several API replicas would.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jobs::{
    JobError, JobRunner, JobStatus, NewJob, Registry, RunnerConfig, enqueue, find_job,
    queue_summary,
};
use sqlx::PgPool;

fn fast_config() -> RunnerConfig {
    RunnerConfig {
        concurrency: 4,
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(30),
        shutdown_grace: Duration::from_secs(5),
        retry_base: Duration::from_millis(10),
        retry_cap: Duration::from_millis(50),
        schedule_tick: Duration::from_millis(50),
    }
}

/// Polls `condition` until it holds, failing the test after `limit`.
async fn wait_until<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !condition().await {
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn enqueue_now(pool: &PgPool, kind: &str, payload: serde_json::Value) -> i64 {
    let mut conn = pool.acquire().await.unwrap();
    enqueue(&mut conn, NewJob::new(kind, &payload).unwrap())
        .await
        .unwrap()
        .unwrap()
}

type Executions = Arc<Mutex<Vec<(String, i64)>>>;

/// A registry whose `test.record` handler notes which runner ran which job.
fn recording_registry(label: &str, executions: &Executions) -> Registry {
    let mut registry = Registry::new();
    let label = label.to_owned();
    let executions = Arc::clone(executions);
    registry.handle("test.record", move |context| {
        let label = label.clone();
        let executions = Arc::clone(&executions);
        async move {
            tokio::time::sleep(Duration::from_millis(2)).await;
            executions.lock().unwrap().push((label, context.id));
            Ok(())
        }
    });
    registry
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_runners_never_run_the_same_job(pool: PgPool) {
    let total = 300;
    for n in 0..total {
        enqueue_now(&pool, "test.record", serde_json::json!({ "n": n })).await;
    }
    let executions: Executions = Arc::default();
    let first = JobRunner::new(
        pool.clone(),
        recording_registry("first", &executions),
        fast_config(),
    )
    .start()
    .await
    .unwrap();
    let second = JobRunner::new(
        pool.clone(),
        recording_registry("second", &executions),
        fast_config(),
    )
    .start()
    .await
    .unwrap();

    wait_until(Duration::from_secs(60), "all jobs done", || async {
        queue_summary(&pool).await.unwrap().done == total
    })
    .await;
    first.shutdown().await;
    second.shutdown().await;

    let executions = executions.lock().unwrap().clone();
    let mut runs_per_job: HashMap<i64, usize> = HashMap::new();
    for (_, id) in &executions {
        *runs_per_job.entry(*id).or_default() += 1;
    }
    assert_eq!(
        runs_per_job.len(),
        usize::try_from(total).unwrap(),
        "every job ran"
    );
    assert!(
        runs_per_job.values().all(|runs| *runs == 1),
        "no job ran twice"
    );
    let by_first = executions
        .iter()
        .filter(|(label, _)| label == "first")
        .count();
    assert!(
        by_first > 0 && by_first < executions.len(),
        "both runners took work ({by_first} of {})",
        executions.len()
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_killed_runner_leaves_its_job_to_another_after_the_lease(pool: PgPool) {
    let config = RunnerConfig {
        lease: Duration::from_secs(2),
        ..fast_config()
    };
    let started = Arc::new(tokio::sync::Notify::new());
    let mut doomed_registry = Registry::new();
    let signal = Arc::clone(&started);
    doomed_registry.handle("test.slow", move |_| {
        let signal = Arc::clone(&signal);
        async move {
            signal.notify_one();
            // Never finishes on this runner: it is killed mid-job.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        }
    });
    let doomed = JobRunner::new(pool.clone(), doomed_registry, config.clone())
        .start()
        .await
        .unwrap();
    let job = enqueue_now(&pool, "test.slow", serde_json::json!({})).await;
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("job started");
    let killed_at = Instant::now();
    doomed.kill();

    let executions: Executions = Arc::default();
    let mut survivor_registry = Registry::new();
    let record = Arc::clone(&executions);
    survivor_registry.handle("test.slow", move |context| {
        let record = Arc::clone(&record);
        async move {
            record
                .lock()
                .unwrap()
                .push(("survivor".to_owned(), context.id));
            Ok(())
        }
    });
    let survivor = JobRunner::new(pool.clone(), survivor_registry, config)
        .start()
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(500)).await;
    let while_leased = find_job(&pool, job).await.unwrap().unwrap();
    assert_eq!(
        while_leased.status,
        JobStatus::Running,
        "the lease still protects the job"
    );
    assert!(executions.lock().unwrap().is_empty());

    wait_until(
        Duration::from_secs(15),
        "survivor finished the job",
        || async { find_job(&pool, job).await.unwrap().unwrap().status == JobStatus::Done },
    )
    .await;
    assert!(
        killed_at.elapsed() >= Duration::from_millis(1500),
        "taken over only after the lease expired"
    );
    survivor.shutdown().await;

    let finished = find_job(&pool, job).await.unwrap().unwrap();
    assert_eq!(finished.attempts, 2, "the killed attempt counts");
    assert_eq!(executions.lock().unwrap().len(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_live_runner_keeps_its_lease_on_a_job_longer_than_the_lease(pool: PgPool) {
    let config = RunnerConfig {
        lease: Duration::from_millis(600),
        ..fast_config()
    };
    let executions: Executions = Arc::default();
    let registry_for = |label: &'static str| {
        let mut registry = Registry::new();
        let record = Arc::clone(&executions);
        registry.handle("test.long", move |context| {
            let record = Arc::clone(&record);
            async move {
                record.lock().unwrap().push((label.to_owned(), context.id));
                tokio::time::sleep(Duration::from_millis(2000)).await;
                Ok(())
            }
        });
        registry
    };
    let first = JobRunner::new(pool.clone(), registry_for("first"), config.clone())
        .start()
        .await
        .unwrap();
    let second = JobRunner::new(pool.clone(), registry_for("second"), config)
        .start()
        .await
        .unwrap();
    let job = enqueue_now(&pool, "test.long", serde_json::json!({})).await;

    wait_until(Duration::from_secs(15), "long job done", || async {
        find_job(&pool, job).await.unwrap().unwrap().status == JobStatus::Done
    })
    .await;
    first.shutdown().await;
    second.shutdown().await;
    assert_eq!(
        executions.lock().unwrap().len(),
        1,
        "heartbeats kept the other runner off the job"
    );
    assert_eq!(find_job(&pool, job).await.unwrap().unwrap().attempts, 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_periodic_job_fires_exactly_once_per_period_with_three_runners(pool: PgPool) {
    let executions: Executions = Arc::default();
    let mut handles = Vec::new();
    for label in ["a", "b", "c"] {
        let mut registry = Registry::new();
        let record = Arc::clone(&executions);
        registry
            .handle("test.tick", move |context| {
                let record = Arc::clone(&record);
                async move {
                    record.lock().unwrap().push((label.to_owned(), context.id));
                    Ok(())
                }
            })
            .every("test-tick", "test.tick", Duration::from_secs(1));
        handles.push(
            JobRunner::new(pool.clone(), registry, fast_config())
                .start()
                .await
                .unwrap(),
        );
    }
    tokio::time::sleep(Duration::from_millis(4200)).await;
    for handle in handles {
        handle.shutdown().await;
    }

    let periods: Vec<String> = sqlx::query_scalar(
        "SELECT dedupe_key FROM job WHERE kind = 'test.tick' AND status = 'done' ORDER BY dedupe_key",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let starts: Vec<i64> = periods
        .iter()
        .map(|key| key.rsplit('@').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        (4..=6).contains(&starts.len()),
        "about one job per second over 4.2 s, got {starts:?}"
    );
    assert!(
        starts.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "one job for each consecutive period: {starts:?}"
    );

    let executions = executions.lock().unwrap().clone();
    let distinct: BTreeSet<i64> = executions.iter().map(|(_, id)| *id).collect();
    assert_eq!(
        distinct.len(),
        executions.len(),
        "no periodic job ran twice"
    );
    assert_eq!(
        executions.len(),
        starts.len(),
        "every period's job ran once"
    );
    // Shutdown may land between a runner firing a period and any runner
    // claiming its job: that one job waits queued for the next start, which is
    // what a restart should find. Anything else left behind is a duplicate.
    let leftover: Vec<(String, String)> = sqlx::query_as(
        "SELECT dedupe_key, status::text FROM job WHERE kind = 'test.tick' AND status <> 'done'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(leftover.len() <= 1, "nothing duplicated: {leftover:?}");
    for (key, status) in &leftover {
        let start: i64 = key.rsplit('@').next().unwrap().parse().unwrap();
        assert_eq!(
            status, "queued",
            "a left job was never started: {leftover:?}"
        );
        assert_eq!(
            Some(start),
            starts.last().map(|last| last + 1),
            "only the period after the last one run may wait: {leftover:?}"
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn failing_jobs_retry_with_backoff_then_die(pool: PgPool) {
    let mut registry = Registry::new();
    registry
        .handle("test.flaky", |_| async {
            Err(JobError::Retry(anyhow::anyhow!("remote said 503")))
        })
        .handle("test.broken", |_| async {
            Err(JobError::Permanent("payload names no product".to_owned()))
        })
        .handle("test.panics", |context| async move {
            assert!(context.attempt > 1, "first attempt panics");
            Ok(())
        })
        // Panics before it returns its future, as a handler that checks
        // its payload first may.
        .handle("test.panics_at_once", |context| {
            assert!(context.attempt > 1, "first attempt panics at once");
            async { Ok(()) }
        });
    let runner = JobRunner::new(pool.clone(), registry, fast_config())
        .start()
        .await
        .unwrap();

    let flaky = {
        let mut conn = pool.acquire().await.unwrap();
        let job = NewJob::new("test.flaky", &serde_json::json!({}))
            .unwrap()
            .max_attempts(3);
        enqueue(&mut conn, job).await.unwrap().unwrap()
    };
    let broken = enqueue_now(&pool, "test.broken", serde_json::json!({})).await;
    let panics = enqueue_now(&pool, "test.panics", serde_json::json!({})).await;
    let panics_at_once = enqueue_now(&pool, "test.panics_at_once", serde_json::json!({})).await;

    // Well under the 30 s lease: a retry claimed while its failed attempt's
    // task was still ending once sat unrun until the lease lapsed, and then
    // counted a third attempt.
    wait_until(Duration::from_secs(20), "jobs settled", || async {
        let summary = queue_summary(&pool).await.unwrap();
        summary.dead == 2 && summary.done == 2
    })
    .await;
    runner.shutdown().await;

    let flaky = find_job(&pool, flaky).await.unwrap().unwrap();
    assert_eq!((flaky.status, flaky.attempts), (JobStatus::Dead, 3));
    assert_eq!(flaky.last_error.as_deref(), Some("remote said 503"));
    let broken = find_job(&pool, broken).await.unwrap().unwrap();
    assert_eq!(
        (broken.status, broken.attempts),
        (JobStatus::Dead, 1),
        "permanent errors are not retried"
    );
    let panics = find_job(&pool, panics).await.unwrap().unwrap();
    assert_eq!(
        (panics.status, panics.attempts),
        (JobStatus::Done, 2),
        "a panic is retried like an error"
    );
    let panics_at_once = find_job(&pool, panics_at_once).await.unwrap().unwrap();
    assert_eq!(
        (panics_at_once.status, panics_at_once.attempts),
        (JobStatus::Done, 2),
        "so is a panic before the handler's future exists"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn shutdown_finishes_short_jobs_and_releases_long_ones(pool: PgPool) {
    let mut registry = Registry::new();
    registry
        .handle("test.short", |_| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(())
        })
        .handle("test.endless", |_| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
    let config = RunnerConfig {
        shutdown_grace: Duration::from_millis(800),
        ..fast_config()
    };
    let runner = JobRunner::new(pool.clone(), registry, config)
        .start()
        .await
        .unwrap();
    let short = enqueue_now(&pool, "test.short", serde_json::json!({})).await;
    let endless = enqueue_now(&pool, "test.endless", serde_json::json!({})).await;
    wait_until(Duration::from_secs(10), "both claimed", || async {
        queue_summary(&pool).await.unwrap().running == 2
    })
    .await;

    let stopping = Instant::now();
    runner.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "shutdown is bounded by the grace period"
    );

    assert_eq!(
        find_job(&pool, short).await.unwrap().unwrap().status,
        JobStatus::Done
    );
    let released = find_job(&pool, endless).await.unwrap().unwrap();
    assert_eq!(
        released.status,
        JobStatus::Queued,
        "released for another runner"
    );
    assert_eq!(
        released.attempts, 0,
        "an interrupted attempt does not count"
    );
    assert!(released.locked_by.is_none());
}

#[sqlx::test(migrations = "../../migrations")]
async fn enqueue_follows_the_callers_transaction_and_dedupes(pool: PgPool) {
    let mut tx = pool.begin().await.unwrap();
    enqueue(
        &mut tx,
        NewJob::new("test.record", &serde_json::json!({})).unwrap(),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        queue_summary(&pool).await.unwrap().queued,
        0,
        "rolled back with the transaction"
    );

    let mut conn = pool.acquire().await.unwrap();
    let job = || {
        NewJob::new("test.record", &serde_json::json!({}))
            .unwrap()
            .dedupe_key("invoice:42:reminder")
    };
    assert!(enqueue(&mut conn, job()).await.unwrap().is_some());
    assert!(
        enqueue(&mut conn, job()).await.unwrap().is_none(),
        "same key, no second job"
    );
    assert_eq!(queue_summary(&pool).await.unwrap().queued, 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_job_scheduled_for_later_waits(pool: PgPool) {
    let executions: Executions = Arc::default();
    let runner = JobRunner::new(
        pool.clone(),
        recording_registry("only", &executions),
        fast_config(),
    )
    .start()
    .await
    .unwrap();
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(800);
    let job = {
        let mut conn = pool.acquire().await.unwrap();
        enqueue(
            &mut conn,
            NewJob::new("test.record", &serde_json::json!({}))
                .unwrap()
                .run_at(at),
        )
        .await
        .unwrap()
        .unwrap()
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        find_job(&pool, job).await.unwrap().unwrap().status,
        JobStatus::Queued
    );
    wait_until(Duration::from_secs(10), "scheduled job ran", || async {
        find_job(&pool, job).await.unwrap().unwrap().status == JobStatus::Done
    })
    .await;
    assert!(chrono::Utc::now() >= at);
    runner.shutdown().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn retry_after_is_waited_out_and_never_uses_up_attempts(pool: PgPool) {
    let calls = Arc::new(Mutex::new(0u32));
    let mut registry = Registry::new();
    let counter = Arc::clone(&calls);
    registry.handle("test.flooded", move |_| {
        let counter = Arc::clone(&counter);
        async move {
            let mut calls = counter.lock().unwrap();
            *calls += 1;
            if *calls <= 4 {
                return Err(JobError::RetryAfter {
                    delay: Duration::from_millis(30),
                    reason: "429 retry after".to_owned(),
                });
            }
            Ok(())
        }
    });
    let runner = JobRunner::new(pool.clone(), registry, fast_config())
        .start()
        .await
        .unwrap();
    let job = {
        let mut conn = pool.acquire().await.unwrap();
        enqueue(
            &mut conn,
            NewJob::new("test.flooded", &serde_json::json!({}))
                .unwrap()
                .max_attempts(2),
        )
        .await
        .unwrap()
        .unwrap()
    };
    // Well under the 30 s lease: a job claimed but never run (see the
    // runner's `InFlight`) would only move when it lapsed.
    wait_until(Duration::from_secs(10), "flooded job done", || async {
        find_job(&pool, job).await.unwrap().unwrap().status == JobStatus::Done
    })
    .await;
    runner.shutdown().await;
    assert_eq!(
        *calls.lock().unwrap(),
        5,
        "four flood answers, then success, despite max_attempts 2"
    );
    assert_eq!(
        find_job(&pool, job).await.unwrap().unwrap().attempts,
        1,
        "only the successful attempt counts"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_retry_due_at_once_is_run_again_never_left_claimed_and_unrun(pool: PgPool) {
    // A failed attempt records its retry and only then does its task end. A
    // retry due at once can be claimed again in between, while the runner
    // still counts the job as running: that claim once went unrun and the
    // job stood `running` until its lease lapsed (here: never within the
    // test). Many jobs retrying with no backoff make that window frequent.
    const JOBS: usize = 60;
    const FAILURES: u32 = 4;
    let calls: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let mut registry = Registry::new();
    let counter = Arc::clone(&calls);
    registry.handle("test.again", move |context| {
        let counter = Arc::clone(&counter);
        async move {
            let call = {
                let mut calls = counter.lock().unwrap();
                let call = calls.entry(context.id).or_default();
                *call += 1;
                *call
            };
            tokio::task::yield_now().await;
            if call <= FAILURES {
                return Err(JobError::Retry(anyhow::anyhow!("not yet")));
            }
            Ok(())
        }
    });
    let config = RunnerConfig {
        poll_interval: Duration::from_millis(1),
        lease: Duration::from_secs(600),
        retry_base: Duration::ZERO,
        retry_cap: Duration::ZERO,
        ..fast_config()
    };
    let runner = JobRunner::new(pool.clone(), registry, config)
        .start()
        .await
        .unwrap();
    let mut jobs = Vec::new();
    for n in 0..JOBS {
        let mut conn = pool.acquire().await.unwrap();
        let job = NewJob::new("test.again", &serde_json::json!({ "n": n }))
            .unwrap()
            .max_attempts(10);
        jobs.push(enqueue(&mut conn, job).await.unwrap().unwrap());
    }
    let settled = Instant::now();
    loop {
        let summary = queue_summary(&pool).await.unwrap();
        if summary.done == JOBS as i64 {
            break;
        }
        if settled.elapsed() > Duration::from_secs(45) {
            let stuck: Vec<(i64, i32)> =
                sqlx::query_as("SELECT id, attempts FROM job WHERE status = 'running' ORDER BY id")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            panic!("jobs claimed and never run again: {stuck:?} ({summary:?})");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    runner.shutdown().await;
    let calls = calls.lock().unwrap().clone();
    let attempts: Vec<i32> =
        sqlx::query_scalar("SELECT attempts FROM job WHERE id = ANY($1) ORDER BY id")
            .bind(&jobs)
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected = i32::try_from(FAILURES).unwrap() + 1;
    assert_eq!(attempts, vec![expected; JOBS], "an attempt counted per run");
    for id in jobs {
        assert_eq!(
            calls.get(&id),
            Some(&(FAILURES + 1)),
            "job {id} ran once per attempt"
        );
    }
}
