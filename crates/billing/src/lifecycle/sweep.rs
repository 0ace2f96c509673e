//! The sweep: what the lifecycle does for one shop day (see the module
//! comment of [`super`]).
//!
//! Each step first lists its candidates with one query over the due-date
//! index, then carries them out in batches: a batch locks its services (in
//! id order, so two sweeps never deadlock), asks the same query again for
//! just those services — a decision another sweep committed meanwhile is
//! now seen — and records each decision as a `lifecycle_event` row with
//! its effect, in one transaction. A batch that fails is done again one
//! service per transaction, so one bad record costs only itself; it is
//! reported and the sweep goes on. A dry run lists the candidates and
//! writes nothing.

use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{BillingPeriod, Clock, Currency, Money};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use super::notices::{self, Notice, NoticeJob};
use super::{Cause, LifecycleAction, cancellation, enqueue_action};
use crate::BillingError;
use crate::catalog::price::BillingCycle;
use crate::invoice::store::{
    self as invoice_store, BuyerSnapshot, InvoiceDraft, InvoicePurpose, LineDraft, RenewalPeriod,
};
use crate::payment::settle;
use crate::settings;

/// Services carried out per transaction.
const BATCH: usize = 200;
/// Failures kept in a sweep's record.
const FAILURES_KEPT: usize = 100;
/// Candidates listed by a dry run.
const PLANNED_KEPT: usize = 500;

/// One kind of decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = LifecycleStep)]
pub enum Step {
    /// Issue the renewal invoice of the next period.
    Invoice,
    /// Remind of an unpaid renewal invoice (3 days before, on the day, overdue).
    Remind,
    /// Add the product's late fee to an overdue invoice.
    LateFee,
    Suspend,
    Terminate,
    /// End a service whose cancellation is due.
    Cancel,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Invoice,
        Step::Remind,
        Step::LateFee,
        Step::Suspend,
        Step::Terminate,
        Step::Cancel,
    ];
}

/// A service a step acts on, for the period (due date) it acts about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Candidate {
    pub service_id: i64,
    pub period: NaiveDate,
    /// The unpaid renewal invoice (reminders, late fees).
    pub invoice_id: Option<i64>,
    /// Reminders: `due_soon`, `due_today` or `overdue`.
    pub kind: Option<String>,
    /// Late fees: the fee.
    pub fee_minor: Option<i64>,
}

/// What one sweep did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Counts {
    pub invoiced: i64,
    /// Renewal invoices paid at once from the wallet.
    pub paid_from_wallet: i64,
    pub due_soon: i64,
    pub due_today: i64,
    pub overdue: i64,
    pub late_fees: i64,
    pub suspended: i64,
    pub terminated: i64,
    pub cancelled: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Failure {
    pub service_id: i64,
    pub step: Step,
    pub error: String,
}

/// What one step cost: its candidates, and the time to find and carry
/// them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StepTiming {
    pub step: Step,
    pub candidates: i64,
    pub ms: i64,
}

/// A planned decision, as a dry run lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Planned {
    pub step: Step,
    #[serde(flatten)]
    pub candidate: Candidate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SweepReport {
    /// The sweep's record (none for a dry run, which writes nothing).
    pub id: Option<i64>,
    pub shop_day: NaiveDate,
    pub dry_run: bool,
    pub counts: Counts,
    pub failures: Vec<Failure>,
    /// Dry run: what it would do (the first 500).
    pub planned: Vec<Planned>,
    /// Per step, in order.
    pub timings: Vec<StepTiming>,
    pub duration_ms: i64,
}

/// Sweeps the shop day of `clock`'s now.
pub async fn run(pool: &PgPool, clock: &Clock, dry_run: bool) -> Result<SweepReport, BillingError> {
    let started = Instant::now();
    let day = clock.today();
    let id = if dry_run {
        None
    } else {
        Some(
            sqlx::query_scalar!(
                "INSERT INTO lifecycle_sweep (shop_day, started_at) VALUES ($1, $2) RETURNING id",
                day,
                clock.now()
            )
            .fetch_one(pool)
            .await?,
        )
    };
    // The shop's tax rule, read once: every renewal invoice of the sweep
    // is issued under it.
    let tax = settings::load(&mut *pool.acquire().await?)
        .await?
        .tax_rule();
    let mut sweep = Sweep {
        pool,
        clock,
        day,
        id,
        tax,
        counts: Counts::default(),
        failures: Vec::new(),
        planned: Vec::new(),
    };
    let mut timings = Vec::with_capacity(Step::ALL.len());
    for step in Step::ALL {
        let step_started = Instant::now();
        let mut conn = pool.acquire().await?;
        let candidates = candidates(&mut conn, step, day, None).await?;
        drop(conn);
        let found = i64::try_from(candidates.len()).unwrap_or(i64::MAX);
        if dry_run {
            for candidate in candidates {
                sweep.count(step, &candidate, false);
                if sweep.planned.len() < PLANNED_KEPT {
                    sweep.planned.push(Planned { step, candidate });
                }
            }
            timings.push(StepTiming::since(step, found, step_started));
            continue;
        }
        for batch in candidates.chunks(BATCH) {
            let ids: Vec<i64> = batch.iter().map(|c| c.service_id).collect();
            if sweep.carry_out(step, &ids).await.is_err() {
                for id in ids {
                    if let Err(error) = sweep.carry_out(step, &[id]).await {
                        sweep.fail(id, step, &error);
                    }
                }
            }
        }
        timings.push(StepTiming::since(step, found, step_started));
    }
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    if let Some(id) = id {
        sqlx::query!(
            "UPDATE lifecycle_sweep SET finished_at = $2, counts = $3, failures = $4, duration_ms = $5
              WHERE id = $1",
            id,
            clock.now(),
            serde_json::to_value(&sweep.counts).map_err(|e| BillingError::Corrupt(e.to_string()))?,
            serde_json::to_value(&sweep.failures)
                .map_err(|e| BillingError::Corrupt(e.to_string()))?,
            duration_ms
        )
        .execute(pool)
        .await?;
    }
    if sweep.counts.failed > 0 {
        tracing::warn!(failed = sweep.counts.failed, %day, "lifecycle sweep: some services failed; they are tried again next sweep");
    }
    Ok(SweepReport {
        id,
        shop_day: day,
        dry_run,
        counts: sweep.counts,
        failures: sweep.failures,
        planned: sweep.planned,
        timings,
        duration_ms,
    })
}

impl StepTiming {
    fn since(step: Step, candidates: i64, started: Instant) -> Self {
        Self {
            step,
            candidates,
            ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        }
    }
}

struct Sweep<'a> {
    pool: &'a PgPool,
    clock: &'a Clock,
    day: NaiveDate,
    id: Option<i64>,
    tax: domain::TaxRule,
    counts: Counts,
    failures: Vec<Failure>,
    planned: Vec<Planned>,
}

impl Sweep<'_> {
    fn count(&mut self, step: Step, candidate: &Candidate, paid: bool) {
        let counter = match step {
            Step::Invoice => &mut self.counts.invoiced,
            Step::Remind => match candidate.kind.as_deref() {
                Some("due_today") => &mut self.counts.due_today,
                Some("overdue") => &mut self.counts.overdue,
                _ => &mut self.counts.due_soon,
            },
            Step::LateFee => &mut self.counts.late_fees,
            Step::Suspend => &mut self.counts.suspended,
            Step::Terminate => &mut self.counts.terminated,
            Step::Cancel => &mut self.counts.cancelled,
        };
        *counter += 1;
        if paid {
            self.counts.paid_from_wallet += 1;
        }
    }

    fn fail(&mut self, service_id: i64, step: Step, error: &BillingError) {
        self.counts.failed += 1;
        tracing::warn!(service_id, ?step, %error, "lifecycle sweep: a service failed");
        if self.failures.len() < FAILURES_KEPT {
            self.failures.push(Failure {
                service_id,
                step,
                error: error.to_string(),
            });
        }
    }

    /// Carries `step` out for `ids` in one transaction.
    async fn carry_out(&mut self, step: Step, ids: &[i64]) -> Result<(), BillingError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "SELECT id FROM service WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            ids
        )
        .fetch_all(&mut *tx)
        .await?;
        let fresh = candidates(&mut tx, step, self.day, Some(ids)).await?;
        let mut done = Vec::with_capacity(fresh.len());
        for candidate in fresh {
            let kind = event_kind(step, &candidate);
            let decided = sqlx::query_scalar!(
                "INSERT INTO lifecycle_event (service_id, period_start, kind, shop_day, sweep_id)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT DO NOTHING
                 RETURNING service_id",
                candidate.service_id,
                candidate.period,
                kind,
                self.day,
                self.id
            )
            .fetch_optional(&mut *tx)
            .await?;
            if decided.is_none() {
                continue;
            }
            let paid = self.carry_out_one(&mut tx, step, &candidate).await?;
            done.push((candidate, paid));
        }
        tx.commit().await?;
        for (candidate, paid) in done {
            self.count(step, &candidate, paid);
        }
        Ok(())
    }

    /// The effect of one decision; true when a renewal invoice was paid
    /// from the wallet at once.
    async fn carry_out_one(
        &self,
        conn: &mut PgConnection,
        step: Step,
        candidate: &Candidate,
    ) -> Result<bool, BillingError> {
        let service_id = candidate.service_id;
        let period = candidate.period;
        match step {
            Step::Invoice => return self.invoice(conn, service_id, period).await,
            Step::Remind => {
                let notice = match candidate.kind.as_deref() {
                    Some("due_today") => Notice::DueToday,
                    Some("overdue") => Notice::Overdue,
                    _ => Notice::DueSoon,
                };
                notify(conn, candidate, notice).await?;
            }
            Step::LateFee => {
                if let (Some(invoice_id), Some(fee)) = (candidate.invoice_id, candidate.fee_minor) {
                    invoice_store::add_fee(
                        conn,
                        invoice_id,
                        "late_fee",
                        &format!(
                            "Denda keterlambatan (jatuh tempo {})",
                            period.format("%d/%m/%Y")
                        ),
                        fee,
                    )
                    .await?;
                }
            }
            Step::Suspend => {
                enqueue_action(
                    conn,
                    service_id,
                    LifecycleAction::Suspend,
                    Cause::Overdue,
                    period,
                )
                .await?;
                notify(conn, candidate, Notice::Suspended).await?;
            }
            Step::Terminate | Step::Cancel => {
                let cause = if step == Step::Cancel {
                    Cause::Cancelled
                } else {
                    Cause::Overdue
                };
                cancellation::end(
                    conn,
                    service_id,
                    period,
                    self.clock.now(),
                    self.day,
                    Some(cause),
                )
                .await?;
            }
        }
        Ok(false)
    }

    /// Issues the renewal invoice of `period` (the due date) for the
    /// period up to the next due date, and pays it from the wallet when the
    /// client opted in and the balance covers it.
    async fn invoice(
        &self,
        conn: &mut PgConnection,
        service_id: i64,
        period: NaiveDate,
    ) -> Result<bool, BillingError> {
        let now = self.clock.now();
        let calendar = self.clock.calendar();
        let row = sqlx::query!(
            r#"SELECT s.user_id, s.label, s.cycle AS "cycle!", s.currency AS "currency!",
                      s.recurring_minor AS "recurring_minor!", s.anchor_day AS "anchor_day!",
                      p.discount_kind AS "discount_kind?", p.percent AS "percent?",
                      p.amount_minor AS "promo_amount?", p.currency AS "promo_currency?",
                      oi.buyer AS "buyer?",
                      COALESCE(bp.apply_wallet_to_renewals, false) AS "wallet!"
                 FROM service s
                 LEFT JOIN promo_code p ON p.id = s.promo_id
                 LEFT JOIN invoice oi ON oi.order_id = s.order_id
                 LEFT JOIN billing_preference bp ON bp.user_id = s.user_id
                WHERE s.id = $1"#,
            service_id
        )
        .fetch_one(&mut *conn)
        .await?;
        let period_kind: BillingCycle =
            row.cycle
                .parse()
                .map_err(|e: crate::catalog::price::UnknownCycle| {
                    BillingError::Corrupt(e.to_string())
                })?;
        let renews_by: BillingPeriod = period_kind.period().ok_or_else(|| {
            BillingError::Corrupt(format!("service {service_id} renews one-time"))
        })?;
        let end = renews_by
            .next_due(period, u32::try_from(row.anchor_day).unwrap_or(1))
            .ok_or_else(|| BillingError::Corrupt(format!("no date a period after {period}")))?;
        let currency: Currency = row.currency.parse()?;
        let subtotal = Money::new(row.recurring_minor, currency);
        let discount = match (row.discount_kind.as_deref(), row.percent, row.promo_amount) {
            (Some("percent"), Some(percent), _) => {
                domain::tax::percent_of(subtotal.minor(), u32::try_from(percent).unwrap_or(0))
            }
            (Some("fixed"), _, Some(amount))
                if row.promo_currency.as_deref() == Some(currency.code()) =>
            {
                amount.min(subtotal.minor())
            }
            _ => 0,
        };
        let buyer: BuyerSnapshot = match row.buyer {
            Some(buyer) => {
                serde_json::from_value(buyer).map_err(|e| BillingError::Corrupt(e.to_string()))?
            }
            None => {
                return Err(BillingError::Corrupt(format!(
                    "service {service_id} has no order invoice"
                )));
            }
        };
        let draft = InvoiceDraft {
            user: row.user_id,
            purpose: InvoicePurpose::Renewal,
            order_id: None,
            currency,
            lines: vec![LineDraft {
                kind: "item",
                description: format!(
                    "{} ({} – {})",
                    row.label,
                    period.format("%d/%m/%Y"),
                    end.format("%d/%m/%Y")
                ),
                unit_minor: subtotal.minor(),
            }],
            discount_minor: discount,
            tax: self.tax,
            due_at: calendar.start_of_day(period),
            buyer,
            renewal: Some(RenewalPeriod {
                service_id,
                start: period,
                end,
            }),
        };
        let total = draft.amounts().total_minor;
        let invoice_id =
            invoice_store::issue(conn, &draft, now, invoice_store::shop_year(&calendar, now))
                .await?;
        let mut paid = false;
        if row.wallet {
            let balance = crate::wallet::balance(&mut *conn, row.user_id, currency).await?;
            if balance.minor() >= total {
                settle::pay_from_wallet(conn, invoice_id, row.user_id, now, &calendar).await?;
                paid = true;
            }
        }
        let notice = NoticeJob {
            service_id,
            invoice_id: Some(invoice_id),
            period_start: period,
            notice: Notice::Invoiced,
        };
        notices::enqueue(conn, notice).await?;
        Ok(paid)
    }
}

async fn notify(
    conn: &mut PgConnection,
    candidate: &Candidate,
    notice: Notice,
) -> Result<(), BillingError> {
    notices::enqueue(
        conn,
        NoticeJob {
            service_id: candidate.service_id,
            invoice_id: candidate.invoice_id,
            period_start: candidate.period,
            notice,
        },
    )
    .await
}

fn event_kind(step: Step, candidate: &Candidate) -> &str {
    match step {
        Step::Invoice => "invoiced",
        Step::Remind => candidate.kind.as_deref().unwrap_or("due_soon"),
        Step::LateFee => "late_fee",
        Step::Suspend => "suspend",
        Step::Terminate => "terminate",
        Step::Cancel => "cancel",
    }
}

/// The services `step` acts on for shop day `day` (only those of `only`
/// when given), in id order. The `next_due_on` bounds let the due-date
/// index narrow the scan before the per-product days are applied.
pub async fn candidates(
    conn: &mut PgConnection,
    step: Step,
    day: NaiveDate,
    only: Option<&[i64]>,
) -> Result<Vec<Candidate>, BillingError> {
    let rows = match step {
        Step::Invoice => {
            sqlx::query_as!(
                Candidate,
                r#"SELECT s.id AS "service_id!", s.next_due_on AS "period!",
                          NULL::BIGINT AS "invoice_id?", NULL::TEXT AS "kind?", NULL::BIGINT AS "fee_minor?"
                     FROM service s
                     CROSS JOIN billing_setting d
                     LEFT JOIN product_lifecycle pl ON pl.product_id = s.product_id
                    WHERE s.cycle IS NOT NULL AND s.status IN ('active', 'suspended')
                      AND s.cancel_on IS NULL
                      AND s.next_due_on <= $1::DATE + 60
                      AND s.next_due_on - COALESCE(pl.renew_days_before, d.renew_days_before)::INT <= $1
                      AND ($2::BIGINT[] IS NULL OR s.id = ANY($2))
                      AND NOT EXISTS (SELECT 1 FROM lifecycle_event e
                                       WHERE e.service_id = s.id AND e.period_start = s.next_due_on
                                         AND e.kind = 'invoiced')
                    ORDER BY s.id"#,
                day,
                only
            )
            .fetch_all(&mut *conn)
            .await?
        }
        Step::Remind => {
            sqlx::query_as!(
                Candidate,
                r#"SELECT s.id AS "service_id!", s.next_due_on AS "period!", i.id AS "invoice_id?",
                          r.kind AS "kind?", NULL::BIGINT AS "fee_minor?"
                     FROM service s
                     JOIN invoice i ON i.service_id = s.id AND i.period_start = s.next_due_on
                                   AND i.purpose = 'renewal' AND i.status = 'unpaid'
                     CROSS JOIN LATERAL (SELECT CASE WHEN s.next_due_on < $1 THEN 'overdue'
                                                     WHEN s.next_due_on = $1 THEN 'due_today'
                                                     ELSE 'due_soon' END AS kind) r
                    WHERE s.cycle IS NOT NULL AND s.status IN ('active', 'suspended')
                      AND s.next_due_on <= $1::DATE + 3
                      AND ($2::BIGINT[] IS NULL OR s.id = ANY($2))
                      AND NOT EXISTS (SELECT 1 FROM lifecycle_event e
                                       WHERE e.service_id = s.id AND e.period_start = s.next_due_on
                                         AND e.kind = r.kind)
                    ORDER BY s.id"#,
                day,
                only
            )
            .fetch_all(&mut *conn)
            .await?
        }
        Step::LateFee => {
            sqlx::query_as!(
                Candidate,
                r#"SELECT s.id AS "service_id!", s.next_due_on AS "period!", i.id AS "invoice_id?",
                          NULL::TEXT AS "kind?", pl.late_fee_minor AS "fee_minor?"
                     FROM service s
                     JOIN product_lifecycle pl ON pl.product_id = s.product_id AND pl.late_fee_minor > 0
                     JOIN invoice i ON i.service_id = s.id AND i.period_start = s.next_due_on
                                   AND i.purpose = 'renewal' AND i.status = 'unpaid'
                                   -- The fee is an amount in its own currency.
                                   AND i.currency = pl.late_fee_currency
                    WHERE s.cycle IS NOT NULL AND s.status IN ('active', 'suspended')
                      AND s.next_due_on < $1
                      AND ($2::BIGINT[] IS NULL OR s.id = ANY($2))
                      AND NOT EXISTS (SELECT 1 FROM lifecycle_event e
                                       WHERE e.service_id = s.id AND e.period_start = s.next_due_on
                                         AND e.kind = 'late_fee')
                    ORDER BY s.id"#,
                day,
                only
            )
            .fetch_all(&mut *conn)
            .await?
        }
        Step::Suspend => {
            sqlx::query_as!(
                Candidate,
                r#"SELECT s.id AS "service_id!", s.next_due_on AS "period!", i.id AS "invoice_id?",
                          NULL::TEXT AS "kind?", NULL::BIGINT AS "fee_minor?"
                     FROM service s
                     CROSS JOIN billing_setting d
                     LEFT JOIN product_lifecycle pl ON pl.product_id = s.product_id
                     JOIN invoice i ON i.service_id = s.id AND i.period_start = s.next_due_on
                                   AND i.purpose = 'renewal' AND i.status = 'unpaid'
                    WHERE s.cycle IS NOT NULL AND s.status = 'active'
                      AND s.next_due_on < $1
                      AND s.next_due_on + COALESCE(s.suspend_after_days, pl.suspend_after_days,
                                                   d.suspend_after_days)::INT <= $1
                      -- A sweep catching up past the termination day ends it instead.
                      AND s.next_due_on + COALESCE(s.terminate_after_days, pl.terminate_after_days,
                                                   d.terminate_after_days)::INT > $1
                      AND (s.extended_until IS NULL OR s.extended_until < $1)
                      AND ($2::BIGINT[] IS NULL OR s.id = ANY($2))
                      AND NOT EXISTS (SELECT 1 FROM lifecycle_event e
                                       WHERE e.service_id = s.id AND e.period_start = s.next_due_on
                                         AND e.kind = 'suspend')
                    ORDER BY s.id"#,
                day,
                only
            )
            .fetch_all(&mut *conn)
            .await?
        }
        Step::Terminate => {
            sqlx::query_as!(
                Candidate,
                r#"SELECT s.id AS "service_id!", s.next_due_on AS "period!", i.id AS "invoice_id?",
                          NULL::TEXT AS "kind?", NULL::BIGINT AS "fee_minor?"
                     FROM service s
                     CROSS JOIN billing_setting d
                     LEFT JOIN product_lifecycle pl ON pl.product_id = s.product_id
                     JOIN invoice i ON i.service_id = s.id AND i.period_start = s.next_due_on
                                   AND i.purpose = 'renewal' AND i.status = 'unpaid'
                    WHERE s.cycle IS NOT NULL AND s.status IN ('active', 'suspended')
                      AND s.next_due_on < $1
                      AND s.next_due_on + COALESCE(s.terminate_after_days, pl.terminate_after_days,
                                                   d.terminate_after_days)::INT <= $1
                      AND (s.extended_until IS NULL OR s.extended_until < $1)
                      AND ($2::BIGINT[] IS NULL OR s.id = ANY($2))
                      AND NOT EXISTS (SELECT 1 FROM lifecycle_event e
                                       WHERE e.service_id = s.id AND e.period_start = s.next_due_on
                                         AND e.kind = 'terminate')
                    ORDER BY s.id"#,
                day,
                only
            )
            .fetch_all(&mut *conn)
            .await?
        }
        Step::Cancel => {
            sqlx::query_as!(
                Candidate,
                r#"SELECT s.id AS "service_id!", COALESCE(s.next_due_on, s.cancel_on) AS "period!",
                          NULL::BIGINT AS "invoice_id?", NULL::TEXT AS "kind?", NULL::BIGINT AS "fee_minor?"
                     FROM service s
                    WHERE s.cancel_on <= $1 AND s.status IN ('active', 'suspended')
                      AND ($2::BIGINT[] IS NULL OR s.id = ANY($2))
                      AND NOT EXISTS (SELECT 1 FROM lifecycle_event e
                                       WHERE e.service_id = s.id
                                         AND e.period_start = COALESCE(s.next_due_on, s.cancel_on)
                                         AND e.kind = 'cancel')
                    ORDER BY s.id"#,
                day,
                only
            )
            .fetch_all(&mut *conn)
            .await?
        }
    };
    Ok(rows)
}

/// When the last sweep that was not a dry run finished.
pub async fn last_finished(conn: &mut PgConnection) -> Result<Option<DateTime<Utc>>, BillingError> {
    Ok(
        sqlx::query_scalar!("SELECT max(finished_at) FROM lifecycle_sweep WHERE NOT dry_run")
            .fetch_one(conn)
            .await?,
    )
}
