//! Writing and reading invoices.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::{Currency, Money, TaxRule};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::BillingError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Unpaid,
    Paid,
    Cancelled,
    Refunded,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Unpaid => "unpaid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Cancelled => "cancelled",
            InvoiceStatus::Refunded => "refunded",
        }
    }

    pub fn parse(value: &str) -> Result<Self, BillingError> {
        match value {
            "unpaid" => Ok(InvoiceStatus::Unpaid),
            "paid" => Ok(InvoiceStatus::Paid),
            "cancelled" => Ok(InvoiceStatus::Cancelled),
            "refunded" => Ok(InvoiceStatus::Refunded),
            other => Err(BillingError::Corrupt(format!("invoice status `{other}`"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoicePurpose {
    Order,
    TopUp,
    /// The next period of a service (billing::lifecycle).
    Renewal,
    /// An upgrade's days left (billing::service::plan_change).
    PlanChange,
}

impl InvoicePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoicePurpose::Order => "order",
            InvoicePurpose::TopUp => "top_up",
            InvoicePurpose::Renewal => "renewal",
            InvoicePurpose::PlanChange => "plan_change",
        }
    }
}

/// The service and period a renewal invoice pays for: from `start` (the
/// due date) to `end` (the next one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RenewalPeriod {
    pub service_id: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The buyer as the invoice names them, frozen when it is issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BuyerSnapshot {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    /// Billing address lines.
    pub address: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceLine {
    /// `item`, `setup_fee` or `top_up`.
    pub kind: String,
    pub description: String,
    pub quantity: i32,
    pub unit_minor: i64,
    pub amount_minor: i64,
}

/// A line to issue.
#[derive(Debug, Clone)]
pub struct LineDraft {
    pub kind: &'static str,
    pub description: String,
    pub unit_minor: i64,
}

/// An invoice to issue.
#[derive(Debug, Clone)]
pub struct InvoiceDraft {
    pub user: Uuid,
    pub purpose: InvoicePurpose,
    pub order_id: Option<i64>,
    pub currency: Currency,
    pub lines: Vec<LineDraft>,
    pub discount_minor: i64,
    pub tax: TaxRule,
    pub due_at: DateTime<Utc>,
    pub buyer: BuyerSnapshot,
    /// Renewal invoices: what they renew.
    pub renewal: Option<RenewalPeriod>,
}

/// The amounts of a draft: subtotal, discount, PPN, total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amounts {
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

impl InvoiceDraft {
    pub fn amounts(&self) -> Amounts {
        let subtotal: i64 = self.lines.iter().map(|line| line.unit_minor).sum();
        let discount = self.discount_minor.clamp(0, subtotal);
        let taxed = self.tax.apply(subtotal - discount);
        Amounts {
            subtotal_minor: subtotal,
            discount_minor: discount,
            tax_minor: taxed.tax_minor,
            total_minor: taxed.total_minor,
        }
    }
}

/// An invoice with its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Invoice {
    pub id: i64,
    pub number: String,
    pub user_id: Uuid,
    pub purpose: InvoicePurpose,
    pub order_id: Option<i64>,
    #[schema(value_type = String, example = "IDR")]
    pub currency: Currency,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// PPN in basis points (1100 = 11 %).
    pub tax_rate_bp: i32,
    pub prices_include_tax: bool,
    pub amount_paid_minor: i64,
    /// What is left to pay.
    pub balance_due_minor: i64,
    pub status: InvoiceStatus,
    pub buyer: BuyerSnapshot,
    pub lines: Vec<InvoiceLine>,
    /// Renewal invoices: the service and the period they pay for.
    pub renewal: Option<RenewalPeriod>,
    pub issued_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The shop's time zone (IANA name): the times above are shown in it,
    /// wherever the reader is, as on the printed invoice.
    #[schema(example = "Asia/Jakarta")]
    pub time_zone: String,
}

/// One row of an invoice list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvoiceSummary {
    pub id: i64,
    pub number: String,
    pub user_id: Uuid,
    pub buyer_name: String,
    pub buyer_email: String,
    pub purpose: InvoicePurpose,
    pub order_id: Option<i64>,
    #[schema(value_type = String, example = "IDR")]
    pub currency: Currency,
    pub total_minor: i64,
    pub tax_minor: i64,
    pub amount_paid_minor: i64,
    pub status: InvoiceStatus,
    pub issued_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
}

/// Issues an invoice in the caller's transaction and returns its id; it is
/// numbered in the year (in the shop's calendar) of `now`.
///
/// The invoice is written with a provisional number (`INV-2026-P<id>`);
/// its real one is taken when the caller commits, by a deferred trigger
/// (see [`super::number`]). Read the number after the commit.
pub async fn issue(
    conn: &mut PgConnection,
    draft: &InvoiceDraft,
    now: DateTime<Utc>,
    shop_year: i32,
) -> Result<i64, BillingError> {
    let amounts = draft.amounts();
    let purpose = draft.purpose.as_str();
    let renewal = draft.renewal;
    let buyer =
        serde_json::to_value(&draft.buyer).map_err(|e| BillingError::Corrupt(e.to_string()))?;
    let positions: Vec<i16> = (1..=draft.lines.len() as i16).collect();
    let kinds: Vec<&str> = draft.lines.iter().map(|l| l.kind).collect();
    let descriptions: Vec<&str> = draft.lines.iter().map(|l| l.description.as_str()).collect();
    let units: Vec<i64> = draft.lines.iter().map(|l| l.unit_minor).collect();
    let id = sqlx::query_scalar!(
        r#"WITH new_id AS (SELECT nextval(pg_get_serial_sequence('invoice', 'id')) AS id),
           inserted AS (
               INSERT INTO invoice (id, number, user_id, purpose, order_id, currency, subtotal_minor,
                                    discount_minor, tax_minor, total_minor, tax_rate_bp,
                                    prices_include_tax, buyer, issued_at, due_at,
                                    service_id, period_start, period_end)
               OVERRIDING SYSTEM VALUE
               SELECT id, 'INV-' || $1::INTEGER || '-P' || id,
                      $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $19, $20, $21
                 FROM new_id
               RETURNING id),
           lines AS (
               INSERT INTO invoice_line (invoice_id, position, kind, description, quantity, unit_minor, amount_minor)
               SELECT inserted.id, l.p, l.k, l.d, 1, l.u, l.u
                 FROM inserted, unnest($15::SMALLINT[], $16::TEXT[], $17::TEXT[], $18::BIGINT[]) AS l(p, k, d, u))
           SELECT id AS "id!" FROM inserted"#,
        shop_year,
        draft.user,
        purpose,
        draft.order_id,
        draft.currency.code(),
        amounts.subtotal_minor,
        amounts.discount_minor,
        amounts.tax_minor,
        amounts.total_minor,
        draft.tax.rate_bp() as i32,
        draft.tax.prices_include_tax,
        buyer,
        now,
        draft.due_at,
        &positions,
        &kinds as &[&str],
        &descriptions as &[&str],
        &units,
        renewal.map(|r| r.service_id),
        renewal.map(|r| r.start),
        renewal.map(|r| r.end)
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// The year an invoice issued at `now` is numbered in.
pub fn shop_year(calendar: &domain::ShopCalendar, now: DateTime<Utc>) -> i32 {
    calendar.today(now).year()
}

pub async fn find(conn: &mut PgConnection, id: i64) -> Result<Invoice, BillingError> {
    let row = sqlx::query!(
        "SELECT id, number, user_id, purpose, order_id, currency, subtotal_minor, discount_minor,
                tax_minor, total_minor, tax_rate_bp, prices_include_tax, amount_paid_minor, status,
                buyer, issued_at, due_at, paid_at, service_id, period_start, period_end,
                coalesce(nullif(current_setting('juragan.shop_timezone', true), ''),
                         'Asia/Jakarta') AS \"time_zone!\",
                -- The lines in the same round trip: an invoice is read after
                -- every checkout and payment.
                (SELECT coalesce(jsonb_agg(jsonb_build_object(
                            'kind', l.kind, 'description', l.description, 'quantity', l.quantity,
                            'unit_minor', l.unit_minor, 'amount_minor', l.amount_minor) ORDER BY l.position), '[]')
                   FROM invoice_line l WHERE l.invoice_id = invoice.id) AS \"lines!\"
           FROM invoice WHERE id = $1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such invoice"))?;
    let lines: Vec<InvoiceLine> =
        serde_json::from_value(row.lines).map_err(|e| BillingError::Corrupt(e.to_string()))?;
    let status = InvoiceStatus::parse(&row.status)?;
    let balance_due = match status {
        InvoiceStatus::Unpaid => (row.total_minor - row.amount_paid_minor).max(0),
        _ => 0,
    };
    Ok(Invoice {
        id: row.id,
        number: row.number,
        user_id: row.user_id,
        purpose: purpose(&row.purpose),
        order_id: row.order_id,
        currency: row.currency.parse()?,
        subtotal_minor: row.subtotal_minor,
        discount_minor: row.discount_minor,
        tax_minor: row.tax_minor,
        total_minor: row.total_minor,
        tax_rate_bp: row.tax_rate_bp,
        prices_include_tax: row.prices_include_tax,
        amount_paid_minor: row.amount_paid_minor,
        balance_due_minor: balance_due,
        status,
        buyer: serde_json::from_value(row.buyer)
            .map_err(|e| BillingError::Corrupt(e.to_string()))?,
        lines,
        renewal: match (row.service_id, row.period_start, row.period_end) {
            (Some(service_id), Some(start), Some(end)) => Some(RenewalPeriod {
                service_id,
                start,
                end,
            }),
            _ => None,
        },
        issued_at: row.issued_at,
        due_at: row.due_at,
        paid_at: row.paid_at,
        time_zone: row.time_zone,
    })
}

fn purpose(value: &str) -> InvoicePurpose {
    match value {
        "top_up" => InvoicePurpose::TopUp,
        "renewal" => InvoicePurpose::Renewal,
        "plan_change" => InvoicePurpose::PlanChange,
        _ => InvoicePurpose::Order,
    }
}

/// Adds a fee line (a late fee) to an unpaid invoice in the caller's
/// transaction and works its amounts out again under the tax rule it was
/// issued with; the discount stays. Returns false when the invoice is no
/// longer unpaid.
pub async fn add_fee(
    conn: &mut PgConnection,
    invoice_id: i64,
    kind: &'static str,
    description: &str,
    fee_minor: i64,
) -> Result<bool, BillingError> {
    let invoice = sqlx::query!(
        "SELECT subtotal_minor, discount_minor, tax_rate_bp, prices_include_tax, status
           FROM invoice WHERE id = $1 FOR UPDATE",
        invoice_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(BillingError::NotFound("no such invoice"))?;
    if invoice.status != "unpaid" {
        return Ok(false);
    }
    let subtotal = invoice.subtotal_minor + fee_minor;
    let discount = invoice.discount_minor.clamp(0, subtotal);
    let taxed = TaxRule::clamped(invoice.tax_rate_bp, invoice.prices_include_tax)
        .apply(subtotal - discount);
    sqlx::query!(
        "WITH line AS (
             INSERT INTO invoice_line (invoice_id, position, kind, description, quantity, unit_minor, amount_minor)
             SELECT $1, COALESCE(max(position), 0) + 1, $2, $3, 1, $4, $4
               FROM invoice_line WHERE invoice_id = $1)
         UPDATE invoice SET subtotal_minor = $5, discount_minor = $6, tax_minor = $7, total_minor = $8
          WHERE id = $1",
        invoice_id,
        kind,
        description,
        fee_minor,
        subtotal,
        discount,
        taxed.tax_minor,
        taxed.total_minor
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The invoice, if it is `user`'s; another client's invoice is "not found",
/// never "forbidden", so ids cannot be probed.
pub async fn find_for(
    conn: &mut PgConnection,
    id: i64,
    user: Uuid,
) -> Result<Invoice, BillingError> {
    let invoice = find(conn, id).await?;
    if invoice.user_id != user {
        return Err(BillingError::NotFound("no such invoice"));
    }
    Ok(invoice)
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub user: Option<Uuid>,
    pub status: Option<InvoiceStatus>,
    pub issued_from: Option<DateTime<Utc>>,
    pub issued_before: Option<DateTime<Utc>>,
    /// Part of the number, buyer name or email.
    pub search: Option<String>,
    pub page: i64,
    pub limit: i64,
}

/// Invoices, newest first, with the total count for paging.
pub async fn list(
    conn: &mut PgConnection,
    filter: &InvoiceFilter,
) -> Result<(Vec<InvoiceSummary>, i64), BillingError> {
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", s.replace(['%', '_', '\\'], "")));
    let status = filter.status.map(InvoiceStatus::as_str);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM invoice
            WHERE ($1::UUID IS NULL OR user_id = $1) AND ($2::TEXT IS NULL OR status = $2)
              AND ($3::TIMESTAMPTZ IS NULL OR issued_at >= $3) AND ($4::TIMESTAMPTZ IS NULL OR issued_at < $4)
              AND ($5::TEXT IS NULL OR number ILIKE $5 OR buyer ->> 'name' ILIKE $5 OR buyer ->> 'email' ILIKE $5)"#,
        filter.user,
        status,
        filter.issued_from,
        filter.issued_before,
        search
    )
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query!(
        r#"SELECT id, number, user_id, buyer ->> 'name' AS "buyer_name!", buyer ->> 'email' AS "buyer_email!",
                  purpose, order_id, currency, total_minor, tax_minor, amount_paid_minor, status,
                  issued_at, due_at, paid_at
             FROM invoice
            WHERE ($1::UUID IS NULL OR user_id = $1) AND ($2::TEXT IS NULL OR status = $2)
              AND ($3::TIMESTAMPTZ IS NULL OR issued_at >= $3) AND ($4::TIMESTAMPTZ IS NULL OR issued_at < $4)
              AND ($5::TEXT IS NULL OR number ILIKE $5 OR buyer ->> 'name' ILIKE $5 OR buyer ->> 'email' ILIKE $5)
            ORDER BY id DESC LIMIT $6 OFFSET $7"#,
        filter.user,
        status,
        filter.issued_from,
        filter.issued_before,
        search,
        filter.limit,
        (filter.page.max(1) - 1).saturating_mul(filter.limit)
    )
    .fetch_all(conn)
    .await?;
    let invoices = rows
        .into_iter()
        .map(|row| {
            Ok(InvoiceSummary {
                id: row.id,
                number: row.number,
                user_id: row.user_id,
                buyer_name: row.buyer_name,
                buyer_email: row.buyer_email,
                purpose: purpose(&row.purpose),
                order_id: row.order_id,
                currency: row.currency.parse()?,
                total_minor: row.total_minor,
                tax_minor: row.tax_minor,
                amount_paid_minor: row.amount_paid_minor,
                status: InvoiceStatus::parse(&row.status)?,
                issued_at: row.issued_at,
                due_at: row.due_at,
                paid_at: row.paid_at,
            })
        })
        .collect::<Result<Vec<_>, BillingError>>()?;
    Ok((invoices, total))
}

impl Invoice {
    pub fn total(&self) -> Money {
        Money::new(self.total_minor, self.currency)
    }

    pub fn balance_due(&self) -> Money {
        Money::new(self.balance_due_minor, self.currency)
    }
}
