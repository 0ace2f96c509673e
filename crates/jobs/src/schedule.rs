//! Periodic jobs. Periods are aligned to the Unix epoch in database time, so
//! every replica computes the same period boundaries; the replica that locks a
//! due schedule row enqueues the job for the current period (with a dedupe key
//! naming the period) and moves `next_run_at` to the next boundary in the same
//! transaction. Missed periods while every replica was down collapse into one
//! run: a periodic job catches up on state, it does not replay history.

use sqlx::PgPool;

use crate::Error;
use crate::registry::Schedule;

/// Writes the schedules of this process. A changed interval takes effect at
/// once; an unchanged one keeps the next run the other replicas agreed on.
pub(crate) async fn register_schedules(pool: &PgPool, schedules: &[Schedule]) -> Result<(), Error> {
    for schedule in schedules {
        let interval_seconds = i32::try_from(schedule.interval.as_secs()).unwrap_or(i32::MAX);
        sqlx::query!(
            r#"INSERT INTO job_schedule (name, kind, payload, interval_seconds, next_run_at)
               VALUES ($1, $2, $3, $4::integer,
                       to_timestamp(floor(extract(epoch FROM now()) / $4::integer) * $4::integer))
               ON CONFLICT (name) DO UPDATE
               SET kind = EXCLUDED.kind,
                   payload = EXCLUDED.payload,
                   interval_seconds = EXCLUDED.interval_seconds,
                   next_run_at = CASE
                       WHEN job_schedule.interval_seconds = EXCLUDED.interval_seconds
                       THEN job_schedule.next_run_at
                       ELSE EXCLUDED.next_run_at END"#,
            schedule.name,
            schedule.kind,
            schedule.payload,
            interval_seconds,
        )
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Enqueues the job of every schedule whose period has come, exactly once per
/// period across all replicas. Returns how many jobs this call enqueued.
pub async fn fire_due_schedules(pool: &PgPool) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query!(
        r#"WITH due AS (
               SELECT name FROM job_schedule
               WHERE next_run_at <= now()
               FOR UPDATE SKIP LOCKED)
           UPDATE job_schedule s
           SET next_run_at = to_timestamp(
                   (floor(extract(epoch FROM now()) / s.interval_seconds) + 1) * s.interval_seconds),
               last_enqueued_at = now()
           FROM due WHERE s.name = due.name
           RETURNING s.name, s.kind, s.payload,
                     (floor(extract(epoch FROM now()) / s.interval_seconds) * s.interval_seconds)::bigint
                         AS "period_start!""#
    )
    .fetch_all(&mut *tx)
    .await?;

    let mut enqueued = 0;
    for schedule in &due {
        let id = sqlx::query_scalar!(
            r#"INSERT INTO job (kind, payload, dedupe_key, max_attempts)
               VALUES ($1, $2, $3, 3)
               ON CONFLICT (dedupe_key) DO NOTHING
               RETURNING id"#,
            schedule.kind,
            schedule.payload,
            format!("schedule:{}@{}", schedule.name, schedule.period_start),
        )
        .fetch_optional(&mut *tx)
        .await?;
        enqueued += usize::from(id.is_some());
    }
    tx.commit().await?;
    Ok(enqueued)
}
