//! What people see of the lifecycle: a client's upcoming renewals, staff's
//! automation log and the preview of the next days, and the client's
//! wallet preference.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::sweep::{self, Candidate, Counts, Failure, Step};
use crate::BillingError;

/// A client's recurring service and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Renewal {
    pub service_id: i64,
    pub label: String,
    pub kind: String,
    pub status: String,
    pub cycle: String,
    pub next_due_on: NaiveDate,
    /// The price of a period, before promo and tax.
    pub recurring_minor: i64,
    pub currency: String,
    /// The open renewal invoice, if issued.
    pub invoice_id: Option<i64>,
    pub invoice_number: Option<String>,
    pub invoice_total_minor: Option<i64>,
    pub invoice_status: Option<String>,
    /// Unpaid, the service is suspended on this day and ended on the other
    /// (a staff extension moves both past its day).
    pub suspend_on: NaiveDate,
    pub terminate_on: NaiveDate,
    /// A requested cancellation's day.
    pub cancel_on: Option<NaiveDate>,
}

/// `user`'s recurring services that have not ended, soonest due first.
pub async fn renewals(conn: &mut PgConnection, user: Uuid) -> Result<Vec<Renewal>, BillingError> {
    Ok(sqlx::query_as!(
        Renewal,
        r#"SELECT s.id AS service_id, s.label, s.kind, s.status, s.cycle AS "cycle!",
                  s.next_due_on AS "next_due_on!", s.recurring_minor AS "recurring_minor!",
                  s.currency AS "currency!",
                  i.id AS "invoice_id?", i.number AS "invoice_number?",
                  i.total_minor AS "invoice_total_minor?", i.status AS "invoice_status?",
                  GREATEST(s.next_due_on + COALESCE(s.suspend_after_days, pl.suspend_after_days,
                                                    d.suspend_after_days)::INT,
                           s.extended_until + 1) AS "suspend_on!",
                  GREATEST(s.next_due_on + COALESCE(s.terminate_after_days, pl.terminate_after_days,
                                                    d.terminate_after_days)::INT,
                           s.extended_until + 1) AS "terminate_on!",
                  s.cancel_on
             FROM service s
             CROSS JOIN billing_setting d
             LEFT JOIN product_lifecycle pl ON pl.product_id = s.product_id
             LEFT JOIN invoice i ON i.service_id = s.id AND i.period_start = s.next_due_on
                                AND i.purpose = 'renewal' AND i.status <> 'cancelled'
            WHERE s.user_id = $1 AND s.cycle IS NOT NULL
              AND s.status IN ('pending', 'active', 'suspended')
            ORDER BY s.next_due_on, s.id"#,
        user
    )
    .fetch_all(conn)
    .await?)
}

/// One sweep as staff's automation log lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SweepRecord {
    pub id: i64,
    pub shop_day: NaiveDate,
    pub started_at: DateTime<Utc>,
    /// None while it runs (or if it stopped without finishing).
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub counts: Counts,
    pub failures: Vec<Failure>,
}

pub async fn sweeps(conn: &mut PgConnection, limit: i64) -> Result<Vec<SweepRecord>, BillingError> {
    let rows = sqlx::query!(
        "SELECT id, shop_day, started_at, finished_at, duration_ms, counts, failures
           FROM lifecycle_sweep WHERE NOT dry_run ORDER BY started_at DESC, id DESC LIMIT $1",
        limit
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(SweepRecord {
                id: row.id,
                shop_day: row.shop_day,
                started_at: row.started_at,
                finished_at: row.finished_at,
                duration_ms: row.duration_ms,
                counts: serde_json::from_value(row.counts).unwrap_or_default(),
                failures: serde_json::from_value(row.failures)
                    .map_err(|e| BillingError::Corrupt(format!("sweep failures: {e}")))?,
            })
        })
        .collect()
}

/// A decision the coming days hold, if nothing is paid meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PreviewItem {
    pub day: NaiveDate,
    pub step: Step,
    pub service_id: i64,
    pub label: String,
    pub client_email: String,
    /// The due date it is about.
    pub period: NaiveDate,
}

/// Days a preview may look ahead.
pub const PREVIEW_DAYS_MAX: i64 = 31;

/// What the sweeps of `from` and the `days` after it would do, each
/// decision on the first day it falls due: renewal invoices, suspensions,
/// terminations and cancellations. (Reminders follow the invoices.)
pub async fn preview(
    conn: &mut PgConnection,
    from: NaiveDate,
    days: i64,
) -> Result<Vec<PreviewItem>, BillingError> {
    let mut seen = std::collections::HashSet::new();
    let mut found: Vec<(NaiveDate, Step, Candidate)> = Vec::new();
    for offset in 0..=days.clamp(0, PREVIEW_DAYS_MAX) {
        let Some(day) = domain::calendar::add_days(from, offset) else {
            break;
        };
        for step in [Step::Invoice, Step::Suspend, Step::Terminate, Step::Cancel] {
            for candidate in sweep::candidates(conn, step, day, None).await? {
                if seen.insert((step, candidate.service_id, candidate.period)) {
                    found.push((day, step, candidate));
                }
            }
        }
    }
    let ids: Vec<i64> = found.iter().map(|(_, _, c)| c.service_id).collect();
    let names: std::collections::HashMap<i64, (String, String)> = sqlx::query!(
        "SELECT s.id, s.label, u.email FROM service s JOIN app_user u ON u.id = s.user_id
          WHERE s.id = ANY($1)",
        &ids
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| (row.id, (row.label, row.email)))
    .collect();
    Ok(found
        .into_iter()
        .map(|(day, step, candidate)| {
            let (label, client_email) = names
                .get(&candidate.service_id)
                .cloned()
                .unwrap_or_default();
            PreviewItem {
                day,
                step,
                service_id: candidate.service_id,
                label,
                client_email,
                period: candidate.period,
            }
        })
        .collect())
}

/// A client's billing preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BillingPreferences {
    /// Renewal invoices are paid from the wallet at once when it covers them.
    pub apply_wallet_to_renewals: bool,
}

pub async fn preferences(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<BillingPreferences, BillingError> {
    let apply = sqlx::query_scalar!(
        "SELECT apply_wallet_to_renewals FROM billing_preference WHERE user_id = $1",
        user
    )
    .fetch_optional(conn)
    .await?;
    Ok(BillingPreferences {
        apply_wallet_to_renewals: apply.unwrap_or(false),
    })
}

pub async fn set_preferences(
    conn: &mut PgConnection,
    user: Uuid,
    preferences: BillingPreferences,
) -> Result<BillingPreferences, BillingError> {
    sqlx::query!(
        "INSERT INTO billing_preference (user_id, apply_wallet_to_renewals) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE
            SET apply_wallet_to_renewals = EXCLUDED.apply_wallet_to_renewals, updated_at = now()",
        user,
        preferences.apply_wallet_to_renewals
    )
    .execute(conn)
    .await?;
    Ok(preferences)
}
