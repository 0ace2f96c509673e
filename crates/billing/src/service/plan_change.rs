//! Upgrades and downgrades: a service moved to another product of its kind
//! in the middle of a period, prorated to the day.
//!
//! The period is the one the service is in: from the last due date to the
//! next (`next_due_on`). For the days left of it what was paid for the old
//! plan is credited (its price, or less when a promo discounted the
//! period: a free month is never turned into wallet money; after a change
//! already applied in the period, the full price of the plan it moved to,
//! which that change charged for the days left) and the new
//! plan's price charged, each `amount × days_left / period_days` rounded
//! once by `domain::tax`'s rule; the difference gets
//! the shop's PPN like any invoice. More to pay is a `plan_change` invoice,
//! and the change applies when it is paid; less is credited to the wallet
//! and the change applies at once. Prices are the list prices of the
//! service's cycle and currency in the price tier it was sold at; a
//! recurring promo discounts renewals, not the proration.
//!
//! Applying a change moves the service to the new product and price, so
//! the next renewal is billed at the new price (an unpaid renewal invoice
//! already issued is withdrawn and issued again by the next sweep), and
//! enqueues [`PLAN_CHANGE_JOB`] for `provisioning` to change the remote side
//! (cores, memory and disk of the VM; the WHM package; the PPP profile) —
//! the same kind of handoff as a delivery.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{Currency, Money, ShopCalendar, TaxRule};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalog::price::BillingCycle;
use crate::catalog::spec::{ProductKind, ProductSpec};
use crate::invoice::messages::{self, Occasion};
use crate::invoice::store::{
    self as invoice_store, BuyerSnapshot, InvoiceDraft, InvoicePurpose, LineDraft,
};
use crate::wallet::ledger::{self, Account, Movement, Transfer};
use crate::{BillingError, Refusal};

/// The job that changes a service's remote side to its new plan. Payload:
/// [`PlanChangeJob`]. The handler (in `provisioning`) reads the change's
/// target product; it must be idempotent.
pub const PLAN_CHANGE_JOB: &str = "service.plan_change";

/// How long a client has to pay for an upgrade (never past the period's
/// end: the proration is for that period).
const PAY_WITHIN: Duration = Duration::days(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChangeJob {
    pub service_id: i64,
    pub plan_change_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum PlanChangeStatus {
    /// An upgrade's invoice waits for payment.
    AwaitingPayment,
    /// The service is on the new plan.
    Applied,
    /// Withdrawn by the client, or not paid in time.
    Cancelled,
}

impl PlanChangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanChangeStatus::AwaitingPayment => "awaiting_payment",
            PlanChangeStatus::Applied => "applied",
            PlanChangeStatus::Cancelled => "cancelled",
        }
    }
}

/// Who asks: the service's client (only their own), or staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    Client(Uuid),
    Staff(Uuid),
}

impl Requester {
    fn user(self) -> Uuid {
        match self {
            Requester::Client(id) | Requester::Staff(id) => id,
        }
    }

    fn owner(self) -> Option<Uuid> {
        match self {
            Requester::Client(id) => Some(id),
            Requester::Staff(_) => None,
        }
    }
}

/// What moving to one product costs today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanQuote {
    pub product_id: i64,
    pub product_name: String,
    pub spec: ProductSpec,
    pub cycle: BillingCycle,
    #[schema(value_type = String, example = "IDR")]
    pub currency: Currency,
    /// The new plan's price per cycle (before PPN), billed from the next
    /// renewal on.
    pub recurring_minor: i64,
    /// The period the change falls in: the last due date and the next.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub days_left: u32,
    pub period_days: u32,
    /// The old plan's unused days, before PPN.
    pub credit_minor: i64,
    /// The new plan for the days left, before PPN.
    pub charge_minor: i64,
    /// With PPN: more than 0 is invoiced now, less is credited to the
    /// wallet, 0 settles nothing.
    pub settle_minor: i64,
    /// Why the service cannot move to this product (the remote side cannot
    /// follow: a disk cannot shrink, the server lacks the package); none
    /// when it can.
    pub unavailable: Option<PlanUnavailable>,
}

/// Why a service cannot move to a plan, as provisioning sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanUnavailable {
    /// `disk_cannot_shrink`, `package_unavailable`, `not_delivered` or
    /// `kind_not_supported`.
    pub code: String,
    pub message: String,
}

/// A requested change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanChange {
    pub id: i64,
    pub service_id: i64,
    pub from_product_id: i64,
    pub to_product_id: i64,
    pub from_name: String,
    pub to_name: String,
    #[schema(value_type = String, example = "IDR")]
    pub currency: Currency,
    pub from_recurring_minor: i64,
    pub to_recurring_minor: i64,
    pub shop_day: NaiveDate,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub days_left: i32,
    pub period_days: i32,
    pub credit_minor: i64,
    pub charge_minor: i64,
    pub settle_minor: i64,
    pub status: PlanChangeStatus,
    /// An upgrade's invoice, to pay.
    pub invoice_id: Option<i64>,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlanChangeRequest {
    /// The product to move to: one of the service's plan options.
    #[schema(minimum = 1)]
    pub product_id: i64,
}

/// The service as a change sees it, locked.
struct Terms {
    id: i64,
    user_id: Uuid,
    product_id: i64,
    product_name: String,
    kind: ProductKind,
    status: String,
    cycle: BillingCycle,
    currency: Currency,
    recurring_minor: i64,
    /// What the client paid for the current period's plan (before PPN,
    /// after its discount), at most its price: the unused days credited are
    /// of this, so a period paid with a promo is not turned into money.
    paid_minor: i64,
    anchor_day: u32,
    next_due_on: NaiveDate,
    cancelling: bool,
    group_id: i64,
    region_id: Option<i64>,
}

async fn lock(
    conn: &mut PgConnection,
    service_id: i64,
    who: Requester,
) -> Result<Terms, BillingError> {
    let row = sqlx::query!(
        r#"SELECT s.id, s.user_id, s.product_id, p.name_id AS product_name, s.kind,
                  s.status, s.cycle, s.currency, s.recurring_minor, s.anchor_day, s.next_due_on,
                  s.cancel_on IS NOT NULL AS "cancelling!", o.group_id, o.region_id
             FROM service s
             JOIN customer_order o ON o.id = s.order_id
             JOIN product p ON p.id = s.product_id
            WHERE s.id = $1 AND ($2::uuid IS NULL OR s.user_id = $2)
              FOR UPDATE OF s"#,
        service_id,
        who.owner()
    )
    .fetch_optional(&mut *conn)
    .await?
    // Another client's service is "not found", so ids cannot be probed.
    .ok_or(BillingError::NotFound("no such service"))?;
    let (Some(cycle), Some(currency), Some(recurring), Some(anchor), Some(due)) = (
        row.cycle,
        row.currency,
        row.recurring_minor,
        row.anchor_day,
        row.next_due_on,
    ) else {
        // A one-time service has no period to prorate.
        return Err(Refusal::PlanNotChangeable.into());
    };
    let corrupt = |e: String| BillingError::Corrupt(e);
    let cycle: BillingCycle = cycle
        .parse()
        .map_err(|e: crate::catalog::price::UnknownCycle| corrupt(e.to_string()))?;
    let anchor_day = u32::try_from(anchor).unwrap_or(1);
    let period_start = cycle
        .period()
        .and_then(|period| period.previous_due(due, anchor_day))
        .ok_or_else(|| corrupt(format!("no period before {due}")))?;
    // The period's paid invoice: its renewal, or for the first period the
    // order's. Its plan lines, less its discount. Once a change has been
    // applied in this period, the plan the service is on was paid at its
    // full price for the rest of it (the change charged the new plan's list
    // price for the days left and credited what had been paid): a second
    // change credits that, not the period's first invoice.
    let paid = sqlx::query_scalar!(
        r#"SELECT CASE WHEN EXISTS (SELECT 1 FROM plan_change c
                                     WHERE c.service_id = $1 AND c.period_start = $2 AND c.status = 'applied')
                       THEN $3::bigint
                  ELSE COALESCE(
                  (SELECT (SELECT COALESCE(sum(l.unit_minor), 0) FROM invoice_line l
                            WHERE l.invoice_id = i.id AND l.kind = 'item') - i.discount_minor
                     FROM invoice i
                    WHERE i.service_id = $1 AND i.purpose = 'renewal' AND i.period_start = $2
                      AND i.status = 'paid'),
                  (SELECT (SELECT COALESCE(sum(l.unit_minor), 0) FROM invoice_line l
                            WHERE l.invoice_id = i.id AND l.kind = 'item') - i.discount_minor
                     FROM invoice i JOIN service s ON s.order_id = i.order_id
                    WHERE s.id = $1 AND i.status = 'paid'),
                  0) END::bigint AS "paid!""#,
        row.id,
        period_start,
        recurring
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Terms {
        id: row.id,
        user_id: row.user_id,
        product_id: row.product_id,
        product_name: row.product_name,
        kind: row
            .kind
            .parse()
            .map_err(|e: crate::catalog::spec::UnknownKind| corrupt(e.to_string()))?,
        status: row.status,
        cycle,
        currency: currency.parse()?,
        recurring_minor: recurring,
        paid_minor: paid.clamp(0, recurring),
        anchor_day,
        next_due_on: due,
        cancelling: row.cancelling,
        group_id: row.group_id,
        region_id: row.region_id,
    })
}

/// Refuses a change the service's state does not allow.
fn check_changeable(terms: &Terms, today: NaiveDate) -> Result<(), BillingError> {
    let kind_changes = matches!(
        terms.kind,
        ProductKind::Vps | ProductKind::Hosting | ProductKind::Internet
    );
    if !kind_changes || terms.status != "active" || terms.cancelling {
        return Err(Refusal::PlanNotChangeable.into());
    }
    if terms.next_due_on <= today {
        return Err(Refusal::RenewalDue.into());
    }
    Ok(())
}

struct Candidate {
    product_id: i64,
    name: String,
    spec: ProductSpec,
    price_minor: i64,
}

/// The products the service may move to: its kind, on sale, priced for its
/// cycle and currency in its tier (or the default one), and for a VPS
/// offered in its region.
async fn candidates(
    conn: &mut PgConnection,
    terms: &Terms,
    only: Option<i64>,
) -> Result<Vec<Candidate>, BillingError> {
    let rows = sqlx::query!(
        r#"SELECT p.id, p.name_id, p.spec,
                  COALESCE(t.price_minor, d.price_minor) AS "price!"
             FROM product p
             LEFT JOIN product_price t ON t.product_id = p.id AND t.group_id = $3
                   AND t.currency = $4 AND t.cycle = $5
             LEFT JOIN product_price d ON d.product_id = p.id AND d.currency = $4 AND d.cycle = $5
                   AND d.group_id = (SELECT id FROM customer_group WHERE is_default)
            WHERE p.kind = $1 AND p.id <> $2 AND p.visible
              AND COALESCE(t.price_minor, d.price_minor) IS NOT NULL
              AND ($6::bigint IS NULL OR p.kind <> 'vps'
                   OR EXISTS (SELECT 1 FROM product_region r WHERE r.product_id = p.id AND r.region_id = $6))
              AND ($7::bigint IS NULL OR p.id = $7)
            ORDER BY COALESCE(t.price_minor, d.price_minor), p.id"#,
        terms.kind.as_str(),
        terms.product_id,
        terms.group_id,
        terms.currency.code(),
        terms.cycle.as_str(),
        terms.region_id,
        only
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Candidate {
                product_id: row.id,
                name: row.name_id,
                spec: serde_json::from_value(row.spec)
                    .map_err(|e| BillingError::Corrupt(format!("product {} spec: {e}", row.id)))?,
                price_minor: row.price,
            })
        })
        .collect()
}

fn quote(
    terms: &Terms,
    candidate: Candidate,
    today: NaiveDate,
    tax: TaxRule,
) -> Result<PlanQuote, BillingError> {
    let period = terms
        .cycle
        .period()
        .ok_or(BillingError::Refused(Refusal::PlanNotChangeable))?;
    let period_start = period
        .previous_due(terms.next_due_on, terms.anchor_day)
        .ok_or_else(|| {
            BillingError::Corrupt(format!("no date a period before {}", terms.next_due_on))
        })?;
    let days = |from: NaiveDate| u32::try_from((terms.next_due_on - from).num_days()).unwrap_or(0);
    // A service paid ahead (its renewal paid early) has more days left
    // than one period: they are prorated at the same daily rate.
    let (days_left, period_days) = (days(today), days(period_start));
    let credit = domain::tax::prorate(terms.paid_minor, days_left, period_days);
    let charge = domain::tax::prorate(candidate.price_minor, days_left, period_days);
    let net = charge - credit;
    let settle = tax.apply(net.abs()).total_minor * net.signum();
    Ok(PlanQuote {
        product_id: candidate.product_id,
        product_name: candidate.name,
        spec: candidate.spec,
        cycle: terms.cycle,
        currency: terms.currency,
        recurring_minor: candidate.price_minor,
        period_start,
        period_end: terms.next_due_on,
        days_left,
        period_days,
        credit_minor: credit,
        charge_minor: charge,
        settle_minor: settle,
        unavailable: None,
    })
}

/// What each product the service may move to would cost today (the
/// cheapest first). Reading only; the service's row is locked for the
/// caller's transaction.
pub async fn options(
    conn: &mut PgConnection,
    service_id: i64,
    who: Requester,
    today: NaiveDate,
) -> Result<Vec<PlanQuote>, BillingError> {
    let terms = lock(conn, service_id, who).await?;
    check_changeable(&terms, today)?;
    let tax = crate::settings::load(conn).await?.tax_rule();
    candidates(conn, &terms, None)
        .await?
        .into_iter()
        .map(|candidate| quote(&terms, candidate, today, tax))
        .collect()
}

/// The quote for moving `service_id` to `product_id`, checked against the
/// service's state; the API asks provisioning whether the remote side can
/// follow before it calls [`request`].
pub async fn quote_for(
    conn: &mut PgConnection,
    service_id: i64,
    who: Requester,
    product_id: i64,
    today: NaiveDate,
) -> Result<PlanQuote, BillingError> {
    let terms = lock(conn, service_id, who).await?;
    check_changeable(&terms, today)?;
    let tax = crate::settings::load(conn).await?.tax_rule();
    let candidate = candidates(conn, &terms, Some(product_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            domain::ValidationErrors::single(
                "product_id",
                "not_offered",
                "the service cannot move to this product (another kind, not on sale, or not priced for its cycle and currency)",
            )
        })?;
    quote(&terms, candidate, today, tax)
}

/// Records the change to `quote` in the caller's transaction: an upgrade's
/// invoice is issued (the change applies when it is paid); a downgrade is
/// credited to the wallet and applied now, as is a change that costs the
/// same.
pub async fn request(
    conn: &mut PgConnection,
    service_id: i64,
    who: Requester,
    quote: &PlanQuote,
    now: DateTime<Utc>,
    calendar: &ShopCalendar,
) -> Result<PlanChange, BillingError> {
    let terms = lock(conn, service_id, who).await?;
    let pending = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM plan_change
                           WHERE service_id = $1 AND status = 'awaiting_payment') AS "x!""#,
        service_id
    )
    .fetch_one(&mut *conn)
    .await?;
    if pending {
        return Err(Refusal::PlanChangePending.into());
    }
    let invoice_id = if quote.settle_minor > 0 {
        let id = issue_invoice(conn, &terms, quote, now, calendar).await?;
        messages::enqueue(conn, id, Occasion::PlanChange).await?;
        Some(id)
    } else {
        None
    };
    let status = if invoice_id.is_some() {
        PlanChangeStatus::AwaitingPayment
    } else {
        PlanChangeStatus::Applied
    };
    let id = sqlx::query_scalar!(
        "INSERT INTO plan_change (service_id, user_id, from_product_id, to_product_id, from_name,
                                  to_name, currency, from_recurring_minor, to_recurring_minor,
                                  shop_day, period_start, period_end, days_left, period_days,
                                  credit_minor, charge_minor, settle_minor, status, invoice_id,
                                  requested_by, requested_at, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22)
         RETURNING id",
        terms.id,
        terms.user_id,
        terms.product_id,
        quote.product_id,
        terms.product_name,
        quote.product_name,
        terms.currency.code(),
        terms.recurring_minor,
        quote.recurring_minor,
        calendar.today(now),
        quote.period_start,
        quote.period_end,
        quote.days_left as i32,
        quote.period_days as i32,
        quote.credit_minor,
        quote.charge_minor,
        quote.settle_minor,
        status.as_str(),
        invoice_id,
        who.user(),
        now,
        (status == PlanChangeStatus::Applied).then_some(now)
    )
    .fetch_one(&mut *conn)
    .await?;
    if status == PlanChangeStatus::Applied {
        if quote.settle_minor < 0 {
            ledger::transfer(
                conn,
                &Transfer {
                    movement: Movement::PlanChangeCredit,
                    from: Account::Revenue,
                    to: Account::Wallet(terms.user_id),
                    amount: Money::new(-quote.settle_minor, terms.currency),
                    invoice_id: None,
                    payment_id: None,
                    memo: "plan change: the unused part of the old plan",
                    actor: Some(who.user()),
                },
            )
            .await?;
        }
        apply(conn, &terms, id, now).await?;
    }
    find(conn, id).await
}

async fn issue_invoice(
    conn: &mut PgConnection,
    terms: &Terms,
    quote: &PlanQuote,
    now: DateTime<Utc>,
    calendar: &ShopCalendar,
) -> Result<i64, BillingError> {
    let buyer = sqlx::query_scalar!(
        "SELECT i.buyer FROM invoice i JOIN service s ON s.order_id = i.order_id WHERE s.id = $1",
        terms.id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| BillingError::Corrupt(format!("service {} has no order invoice", terms.id)))?;
    let buyer: BuyerSnapshot =
        serde_json::from_value(buyer).map_err(|e| BillingError::Corrupt(e.to_string()))?;
    let tax = crate::settings::load(conn).await?.tax_rule();
    let due = (now + PAY_WITHIN).min(calendar.start_of_day(terms.next_due_on));
    let draft = InvoiceDraft {
        user: terms.user_id,
        purpose: InvoicePurpose::PlanChange,
        order_id: None,
        currency: terms.currency,
        lines: vec![LineDraft {
            kind: "item",
            description: format!(
                "Ganti paket {} → {}: {} dari {} hari ({} – {})",
                terms.product_name,
                quote.product_name,
                quote.days_left,
                quote.period_days,
                calendar.today(now).format("%d/%m/%Y"),
                terms.next_due_on.format("%d/%m/%Y"),
            ),
            unit_minor: quote.charge_minor - quote.credit_minor,
        }],
        discount_minor: 0,
        tax,
        due_at: due,
        buyer,
        renewal: None,
    };
    invoice_store::issue(conn, &draft, now, invoice_store::shop_year(calendar, now)).await
}

/// Moves the locked service to the change's product: its price from the
/// next renewal on, its label, its recurring promo when the promo covers
/// the new product; an unpaid renewal invoice at the old price is
/// withdrawn (the next sweep issues it again at the new one); the remote
/// side is handed to provisioning.
async fn apply(
    conn: &mut PgConnection,
    terms: &Terms,
    change_id: i64,
    now: DateTime<Utc>,
) -> Result<(), BillingError> {
    sqlx::query!(
        r#"UPDATE service s
              SET product_id = c.to_product_id, recurring_minor = c.to_recurring_minor,
                  label = left(CASE WHEN s.label LIKE c.from_name || '%'
                                    THEN c.to_name || substr(s.label, length(c.from_name) + 1)
                                    ELSE c.to_name END, 200),
                  promo_id = CASE WHEN NOT EXISTS (SELECT 1 FROM promo_code_product pp WHERE pp.promo_id = s.promo_id)
                                       AND NOT EXISTS (SELECT 1 FROM promo_code_category pc WHERE pc.promo_id = s.promo_id)
                                    THEN s.promo_id
                                  WHEN EXISTS (SELECT 1 FROM promo_code_product pp
                                                WHERE pp.promo_id = s.promo_id AND pp.product_id = c.to_product_id)
                                    OR EXISTS (SELECT 1 FROM promo_code_category pc JOIN product p ON p.category_id = pc.category_id
                                                WHERE pc.promo_id = s.promo_id AND p.id = c.to_product_id)
                                    THEN s.promo_id
                             END
             FROM plan_change c
            WHERE c.id = $1 AND s.id = c.service_id"#,
        change_id
    )
    .execute(&mut *conn)
    .await?;
    let withdrawn = sqlx::query_scalar!(
        "UPDATE invoice SET status = 'cancelled', cancelled_at = $3
          WHERE service_id = $1 AND period_start = $2 AND purpose = 'renewal'
            AND status = 'unpaid' AND amount_paid_minor = 0
         RETURNING id",
        terms.id,
        terms.next_due_on,
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    if withdrawn.is_some() {
        sqlx::query!(
            "DELETE FROM lifecycle_event
              WHERE service_id = $1 AND period_start = $2 AND kind IN ('invoiced', 'due_soon')",
            terms.id,
            terms.next_due_on
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query!(
        "UPDATE plan_change SET status = 'applied', decided_at = $2 WHERE id = $1",
        change_id,
        now
    )
    .execute(&mut *conn)
    .await?;
    let job = jobs::NewJob::new(
        PLAN_CHANGE_JOB,
        &PlanChangeJob {
            service_id: terms.id,
            plan_change_id: change_id,
        },
    )?
    .max_attempts(12)
    .dedupe_key(format!("{PLAN_CHANGE_JOB}:{change_id}"));
    jobs::enqueue(conn, job).await?;
    Ok(())
}

/// An upgrade's invoice was paid, in the payment's transaction: the change
/// applies if it is still waiting and the service is still where the
/// change found it. A change that can no longer apply (the service was
/// cancelled, suspended or changed meanwhile) is cancelled and what was
/// paid goes to the wallet. A second call does nothing.
pub(crate) async fn paid(
    conn: &mut PgConnection,
    invoice_id: i64,
    amount: Money,
    now: DateTime<Utc>,
) -> Result<(), BillingError> {
    let change = sqlx::query!(
        "SELECT id, service_id, user_id, from_product_id, period_end
           FROM plan_change WHERE invoice_id = $1 AND status = 'awaiting_payment' FOR UPDATE",
        invoice_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(change) = change else { return Ok(()) };
    let terms = lock(conn, change.service_id, Requester::Staff(change.user_id)).await?;
    let still_fits = terms.product_id == change.from_product_id
        && terms.next_due_on == change.period_end
        && terms.status == "active"
        && !terms.cancelling;
    if still_fits {
        return apply(conn, &terms, change.id, now).await;
    }
    sqlx::query!(
        "UPDATE plan_change SET status = 'cancelled', decided_at = $2 WHERE id = $1",
        change.id,
        now
    )
    .execute(&mut *conn)
    .await?;
    if amount.minor() > 0 {
        ledger::transfer(
            conn,
            &Transfer {
                movement: Movement::PlanChangeCredit,
                from: Account::Revenue,
                to: Account::Wallet(change.user_id),
                amount,
                invoice_id: Some(invoice_id),
                payment_id: None,
                memo: "plan change no longer possible: credited to the wallet",
                actor: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// Withdraws the service's upgrade that waits for payment, with its
/// invoice. Returns whether there was one. An invoice paid in part is not
/// withdrawn: the rest is paid, or finance refunds it.
pub async fn withdraw(
    conn: &mut PgConnection,
    service_id: i64,
    who: Requester,
    now: DateTime<Utc>,
) -> Result<bool, BillingError> {
    lock(conn, service_id, who).await?;
    let open = sqlx::query!(
        r#"SELECT c.id, i.amount_paid_minor
             FROM plan_change c JOIN invoice i ON i.id = c.invoice_id
            WHERE c.service_id = $1 AND c.status = 'awaiting_payment'
              FOR UPDATE OF c, i"#,
        service_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(open) = open else { return Ok(false) };
    if open.amount_paid_minor > 0 {
        return Err(Refusal::PlanChangePaidInPart.into());
    }
    cancel_with_invoice(conn, &[open.id], now).await?;
    Ok(true)
}

async fn cancel_with_invoice(
    conn: &mut PgConnection,
    change_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), BillingError> {
    sqlx::query!(
        "WITH cancelled AS (
             UPDATE plan_change SET status = 'cancelled', decided_at = $2
              WHERE id = ANY($1) AND status = 'awaiting_payment'
             RETURNING invoice_id)
         UPDATE invoice SET status = 'cancelled', cancelled_at = $2
          WHERE id IN (SELECT invoice_id FROM cancelled) AND status = 'unpaid'",
        change_ids,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels upgrades whose invoice was not paid by its due time (nothing
/// paid on it). Returns how many.
pub async fn expire_unpaid(pool: &sqlx::PgPool, now: DateTime<Utc>) -> Result<usize, BillingError> {
    let mut tx = pool.begin().await?;
    let stale = sqlx::query_scalar!(
        "SELECT c.id FROM plan_change c JOIN invoice i ON i.id = c.invoice_id
          WHERE c.status = 'awaiting_payment' AND i.status = 'unpaid'
            AND i.amount_paid_minor = 0 AND i.due_at < $1
          ORDER BY c.id LIMIT 500
            FOR UPDATE OF c, i SKIP LOCKED",
        now
    )
    .fetch_all(&mut *tx)
    .await?;
    if !stale.is_empty() {
        cancel_with_invoice(&mut tx, &stale, now).await?;
    }
    tx.commit().await?;
    Ok(stale.len())
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<PlanChange, BillingError> {
    list_where(conn, Some(id), None, None)
        .await?
        .into_iter()
        .next()
        .ok_or(BillingError::NotFound("no such plan change"))
}

/// The service's changes, newest first; `owner` limits them to that
/// client's service.
pub async fn list(
    conn: &mut PgConnection,
    service_id: i64,
    owner: Option<Uuid>,
) -> Result<Vec<PlanChange>, BillingError> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM service WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)) AS "x!""#,
        service_id,
        owner
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Err(BillingError::NotFound("no such service"));
    }
    list_where(conn, None, Some(service_id), owner).await
}

async fn list_where(
    conn: &mut PgConnection,
    id: Option<i64>,
    service_id: Option<i64>,
    owner: Option<Uuid>,
) -> Result<Vec<PlanChange>, BillingError> {
    let rows = sqlx::query!(
        r#"SELECT id, service_id, from_product_id, to_product_id, from_name, to_name, currency,
                  from_recurring_minor, to_recurring_minor, shop_day, period_start, period_end,
                  days_left, period_days, credit_minor, charge_minor, settle_minor,
                  status AS "status: PlanChangeStatus", invoice_id, requested_at, decided_at
             FROM plan_change
            WHERE ($1::bigint IS NULL OR id = $1) AND ($2::bigint IS NULL OR service_id = $2)
              AND ($3::uuid IS NULL OR user_id = $3)
            ORDER BY id DESC
            LIMIT 100"#,
        id,
        service_id,
        owner
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(PlanChange {
                id: row.id,
                service_id: row.service_id,
                from_product_id: row.from_product_id,
                to_product_id: row.to_product_id,
                from_name: row.from_name,
                to_name: row.to_name,
                currency: row.currency.parse()?,
                from_recurring_minor: row.from_recurring_minor,
                to_recurring_minor: row.to_recurring_minor,
                shop_day: row.shop_day,
                period_start: row.period_start,
                period_end: row.period_end,
                days_left: row.days_left,
                period_days: row.period_days,
                credit_minor: row.credit_minor,
                charge_minor: row.charge_minor,
                settle_minor: row.settle_minor,
                status: row.status,
                invoice_id: row.invoice_id,
                requested_at: row.requested_at,
                decided_at: row.decided_at,
            })
        })
        .collect()
}

/// What the change's job needs: the service's kind and the new product's
/// technical attributes.
pub async fn target(
    conn: &mut PgConnection,
    change_id: i64,
) -> Result<(PlanChange, ProductSpec), BillingError> {
    let change = find(conn, change_id).await?;
    let spec = sqlx::query_scalar!(
        "SELECT spec FROM product WHERE id = $1",
        change.to_product_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let spec = serde_json::from_value(spec).map_err(|e| BillingError::Corrupt(e.to_string()))?;
    Ok((change, spec))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn terms(next_due_on: NaiveDate, anchor_day: u32, recurring_minor: i64) -> Terms {
        Terms {
            id: 1,
            user_id: Uuid::nil(),
            product_id: 1,
            product_name: "VPS Kecil".into(),
            kind: ProductKind::Vps,
            status: "active".into(),
            cycle: BillingCycle::Monthly,
            currency: Currency::Idr,
            recurring_minor,
            paid_minor: recurring_minor,
            anchor_day,
            next_due_on,
            cancelling: false,
            group_id: 1,
            region_id: None,
        }
    }

    fn to(price_minor: i64) -> Candidate {
        Candidate {
            product_id: 2,
            name: "VPS Besar".into(),
            spec: ProductSpec::Vps(crate::catalog::spec::VpsSpec {
                cores: 4,
                ram_mb: 8192,
                disk_gb: 120,
                rate_limit_mbps: None,
            }),
            price_minor,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn an_upgrade_mid_month_pays_the_difference_for_the_days_left_with_ppn() {
        // Period 31 Jan → 28 Feb 2027 (28 days); changed on 18 Feb: 10 days left.
        let ppn = TaxRule::new(1100, false).unwrap();
        let q = quote(
            &terms(day(2027, 2, 28), 31, 100_000),
            to(200_000),
            day(2027, 2, 18),
            ppn,
        )
        .unwrap();
        assert_eq!(
            (q.period_start, q.days_left, q.period_days),
            (day(2027, 1, 31), 10, 28)
        );
        // 100,000 × 10/28 = 35,714.29 → 35,714; 200,000 × 10/28 = 71,428.57 → 71,429.
        assert_eq!((q.credit_minor, q.charge_minor), (35_714, 71_429));
        // 35,715 + 11 % (3,928.65 → 3,929).
        assert_eq!(q.settle_minor, 39_644);
    }

    #[test]
    fn a_downgrade_is_a_credit_and_inclusive_prices_carry_their_ppn() {
        let inclusive = TaxRule::new(1100, true).unwrap();
        let q = quote(
            &terms(day(2027, 4, 15), 15, 200_000),
            to(100_000),
            day(2027, 3, 30),
            inclusive,
        )
        .unwrap();
        // 15 Mar → 15 Apr: 31 days, 16 left.
        assert_eq!((q.days_left, q.period_days), (16, 31));
        assert_eq!(q.credit_minor, 103_226);
        assert_eq!(q.charge_minor, 51_613);
        assert_eq!(
            q.settle_minor, -51_613,
            "inclusive prices: the credit is the difference"
        );
    }

    #[test]
    fn a_period_paid_with_a_promo_credits_only_what_was_paid() {
        let none = TaxRule::new(0, true).unwrap();
        let mut free = terms(day(2027, 3, 31), 31, 100_000);
        free.paid_minor = 0;
        // A free first month moved to a cheaper plan: nothing to credit,
        // the cheaper plan's days left to pay.
        let q = quote(&free, to(60_000), day(2027, 3, 21), none).unwrap();
        assert_eq!((q.credit_minor, q.settle_minor), (0, 19_355));
        free.paid_minor = 50_000;
        let q = quote(&free, to(200_000), day(2027, 3, 21), none).unwrap();
        assert_eq!((q.credit_minor, q.charge_minor), (16_129, 64_516));
    }

    #[test]
    fn the_first_day_of_a_period_prorates_the_whole_period() {
        let none = TaxRule::new(0, true).unwrap();
        let q = quote(
            &terms(day(2027, 3, 31), 31, 100_000),
            to(150_000),
            day(2027, 2, 28),
            none,
        )
        .unwrap();
        assert_eq!((q.days_left, q.period_days), (31, 31));
        assert_eq!(q.settle_minor, 50_000);
    }

    #[test]
    fn a_period_paid_ahead_counts_its_extra_days_at_the_same_rate() {
        let none = TaxRule::new(0, true).unwrap();
        // Due 30 Apr (period 30 Mar → 30 Apr, 31 days); today 20 Mar, so
        // 41 days are paid for.
        let q = quote(
            &terms(day(2027, 4, 30), 30, 31_000),
            to(62_000),
            day(2027, 3, 20),
            none,
        )
        .unwrap();
        assert_eq!((q.days_left, q.period_days), (41, 31));
        assert_eq!(q.settle_minor, 41_000);
    }

    #[test]
    fn only_an_active_recurring_service_of_a_changeable_kind_changes() {
        let today = day(2027, 2, 18);
        let mut t = terms(day(2027, 2, 28), 31, 100_000);
        assert!(check_changeable(&t, today).is_ok());
        t.status = "suspended".into();
        assert!(matches!(
            check_changeable(&t, today),
            Err(BillingError::Refused(Refusal::PlanNotChangeable))
        ));
        t.status = "active".into();
        t.cancelling = true;
        assert!(check_changeable(&t, today).is_err());
        t.cancelling = false;
        t.kind = ProductKind::Domain;
        assert!(check_changeable(&t, today).is_err());
        t.kind = ProductKind::Hosting;
        assert!(matches!(
            check_changeable(&t, day(2027, 2, 28)),
            Err(BillingError::Refused(Refusal::RenewalDue))
        ));
    }

    #[test]
    fn anchor_day_survives_a_leap_february() {
        let none = TaxRule::new(0, true).unwrap();
        let q = quote(
            &terms(day(2028, 2, 29), 31, 100_000),
            to(100_000),
            day(2028, 2, 1),
            none,
        )
        .unwrap();
        assert_eq!(q.period_start, day(2028, 1, 31));
        assert_eq!((q.days_left, q.period_days, q.settle_minor), (28, 29, 0));
    }
}
