//! Cancelling a service: the client (their own) or staff, at once or at
//! the end of the paid period. From the request on no renewal is invoiced
//! and an open renewal invoice is withdrawn; the service ends through the
//! lifecycle's termination job — at once, or on the sweep of its day.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::notices::{self, Notice, NoticeJob};
use super::{Cause, LifecycleAction, enqueue_action};
use crate::{BillingError, Refusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelWhen {
    Immediately,
    /// On the last day already paid for (the next due date).
    EndOfPeriod,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CancellationRequest {
    pub when: CancelWhen,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Who cancels: the service's client, or staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    Client(Uuid),
    Staff(Uuid),
}

impl Canceller {
    fn user(self) -> Uuid {
        match self {
            Canceller::Client(id) | Canceller::Staff(id) => id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Cancellation {
    pub service_id: i64,
    pub requested_at: DateTime<Utc>,
    /// The day the service ends.
    pub cancel_on: NaiveDate,
    pub reason: Option<String>,
    /// Carried out already (the service is being or has been removed).
    pub carried_out: bool,
}

struct Locked {
    status: String,
    next_due_on: Option<NaiveDate>,
}

async fn lock(
    conn: &mut PgConnection,
    service_id: i64,
    who: Canceller,
) -> Result<Locked, BillingError> {
    let row = sqlx::query!(
        "SELECT user_id, status, next_due_on FROM service WHERE id = $1 FOR UPDATE",
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        // Another client's service is "not found", so ids cannot be probed.
        Some(row) if matches!(who, Canceller::Staff(_)) || row.user_id == who.user() => {
            Ok(Locked {
                status: row.status,
                next_due_on: row.next_due_on,
            })
        }
        _ => Err(BillingError::NotFound("no such service")),
    }
}

/// Records a cancellation in the caller's transaction; a second request
/// replaces the first until it is carried out. `today` is the shop's.
pub async fn request(
    conn: &mut PgConnection,
    service_id: i64,
    who: Canceller,
    request: &CancellationRequest,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Cancellation, BillingError> {
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(
            domain::ValidationErrors::single("reason", "length", "at most 500 characters").into(),
        );
    }
    let service = lock(conn, service_id, who).await?;
    if !matches!(service.status.as_str(), "active" | "suspended") {
        return Err(Refusal::ServiceNotCancellable.into());
    }
    if carried_out(conn, service_id).await? {
        return Err(Refusal::CancellationUnderway.into());
    }
    let cancel_on = match request.when {
        CancelWhen::Immediately => today,
        // A period already over (an overdue service) ends today.
        CancelWhen::EndOfPeriod => service.next_due_on.map_or(today, |due| due.max(today)),
    };
    sqlx::query!(
        "UPDATE service SET cancel_requested_at = $2, cancel_on = $3, cancel_reason = $4,
                cancelled_by = $5
          WHERE id = $1",
        service_id,
        now,
        cancel_on,
        reason,
        who.user()
    )
    .execute(&mut *conn)
    .await?;
    withdraw_open_renewals(conn, service_id, now).await?;
    if cancel_on <= today {
        let period = service.next_due_on.unwrap_or(cancel_on);
        end(conn, service_id, period, now, today, None).await?;
    }
    find(conn, service_id)
        .await?
        .ok_or(BillingError::NotFound("no such service"))
}

/// Takes a cancellation back while it has not been carried out. The
/// renewal invoice it withdrew is issued again by the next sweep (with its
/// reminders), so the service does not run on unbilled. Returns whether
/// there was one.
pub async fn withdraw(
    conn: &mut PgConnection,
    service_id: i64,
    who: Canceller,
) -> Result<bool, BillingError> {
    lock(conn, service_id, who).await?;
    if carried_out(conn, service_id).await? {
        return Err(Refusal::CancellationUnderway.into());
    }
    sqlx::query!(
        "DELETE FROM lifecycle_event e USING service s
          WHERE s.id = $1 AND e.service_id = s.id AND e.period_start = s.next_due_on
            AND e.kind IN ('invoiced', 'due_soon', 'due_today', 'overdue', 'late_fee')
            AND s.cancel_on IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM invoice i
                             WHERE i.service_id = s.id AND i.period_start = s.next_due_on
                               AND i.purpose = 'renewal' AND i.status <> 'cancelled')",
        service_id
    )
    .execute(&mut *conn)
    .await?;
    let cleared = sqlx::query!(
        "UPDATE service SET cancel_requested_at = NULL, cancel_on = NULL, cancel_reason = NULL,
                cancelled_by = NULL
          WHERE id = $1 AND cancel_on IS NOT NULL",
        service_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(cleared.rows_affected() > 0)
}

/// The service's cancellation, if one was asked for.
pub async fn find(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<Option<Cancellation>, BillingError> {
    let row = sqlx::query!(
        r#"SELECT cancel_requested_at AS "requested_at!", cancel_on AS "cancel_on!", cancel_reason
             FROM service WHERE id = $1 AND cancel_on IS NOT NULL"#,
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Cancellation {
        service_id,
        requested_at: row.requested_at,
        cancel_on: row.cancel_on,
        reason: row.cancel_reason,
        carried_out: carried_out(conn, service_id).await?,
    }))
}

async fn carried_out(conn: &mut PgConnection, service_id: i64) -> Result<bool, BillingError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM lifecycle_event WHERE service_id = $1 AND kind = 'cancel') AS "x!""#,
        service_id
    )
    .fetch_one(conn)
    .await?)
}

async fn withdraw_open_renewals(
    conn: &mut PgConnection,
    service_id: i64,
    now: DateTime<Utc>,
) -> Result<(), BillingError> {
    sqlx::query!(
        "UPDATE invoice SET status = 'cancelled', cancelled_at = $2
          WHERE service_id = $1 AND purpose = 'renewal' AND status = 'unpaid'",
        service_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a service: the termination job (`cause`: cancelled or overdue),
/// its open renewal invoice withdrawn, the client told. Records the
/// decision for `period` unless the caller (the sweep) has; returns false
/// when it was decided before.
pub(crate) async fn end(
    conn: &mut PgConnection,
    service_id: i64,
    period: NaiveDate,
    now: DateTime<Utc>,
    today: NaiveDate,
    decided_by_sweep: Option<Cause>,
) -> Result<bool, BillingError> {
    let cause = match decided_by_sweep {
        Some(cause) => cause,
        None => {
            let decided = sqlx::query_scalar!(
                "INSERT INTO lifecycle_event (service_id, period_start, kind, shop_day)
                 VALUES ($1, $2, 'cancel', $3) ON CONFLICT DO NOTHING RETURNING service_id",
                service_id,
                period,
                today
            )
            .fetch_optional(&mut *conn)
            .await?;
            if decided.is_none() {
                return Ok(false);
            }
            Cause::Cancelled
        }
    };
    enqueue_action(conn, service_id, LifecycleAction::Terminate, cause, period).await?;
    withdraw_open_renewals(conn, service_id, now).await?;
    notices::enqueue(
        conn,
        NoticeJob {
            service_id,
            invoice_id: None,
            period_start: period,
            notice: Notice::Terminated,
        },
    )
    .await?;
    Ok(true)
}
