//! Starting a payment of an invoice, and reading or re-checking one.
//!
//! A gateway attempt is written (`creating`) and committed before the
//! gateway is called, so that a crash or timeout mid-call leaves a record
//! that reconciliation can ask the gateway about; the gateway's answer then
//! fills it in (`pending`, with the redirect URL or QR string). Each attempt
//! has its own reference (`INV-2026-000123-2`): Midtrans never accepts an
//! order id twice, so a retry must not reuse one.

use chrono::{DateTime, Utc};
use domain::Money;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::gateway::{
    ChargeCustomer, ChargeItem, ChargeRequest, GatewayError, GatewayKind, PaymentState,
    StatusReport,
};
use super::settle::{self, Method, Receipt, Settlement};
use super::{PaymentContext, methods};
use crate::invoice::messages;
use crate::invoice::store::{self as invoice_store, InvoiceStatus};
use crate::{BillingError, Refusal};

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PayRequest {
    /// `midtrans`, `xendit`, `pakasir`, `manual` or `wallet`.
    pub method: String,
}

/// A payment attempt and what the client does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentAttempt {
    /// None for a wallet payment (it is settled at once).
    pub id: Option<i64>,
    pub invoice_id: i64,
    pub method: String,
    /// What the gateway knows this payment by (its order id); none for the wallet.
    pub reference: Option<String>,
    /// `creating`, `pending`, `paid`, `failed`, `cancelled` or `rejected`.
    pub status: String,
    /// Midtrans / Xendit: open this page to pay.
    pub redirect_url: Option<String>,
    /// Pakasir QRIS: the QR string to render.
    pub qr_string: Option<String>,
    /// What the client pays, gateway fee included.
    pub amount_minor: i64,
    pub currency: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// Manual transfer: where to transfer to.
    pub instructions: Option<String>,
    /// Manual transfer: a proof image was uploaded.
    pub proof_uploaded: bool,
    pub decision_note: Option<String>,
    pub failure: Option<String>,
    pub invoice_status: String,
}

pub(crate) struct AttemptRow {
    pub id: i64,
    pub invoice_id: i64,
    pub user_id: Uuid,
    pub gateway: String,
    pub reference: String,
    pub gateway_reference: Option<String>,
    pub amount: Money,
    pub status: String,
}

pub(crate) async fn row(conn: &mut PgConnection, id: i64) -> Result<AttemptRow, BillingError> {
    let row = sqlx::query!(
        "SELECT a.id, a.invoice_id, i.user_id, a.gateway, a.reference, a.gateway_reference,
                a.amount_minor, a.currency, a.status
           FROM payment_attempt a JOIN invoice i ON i.id = a.invoice_id WHERE a.id = $1",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(BillingError::NotFound("no such payment"))?;
    Ok(AttemptRow {
        id: row.id,
        invoice_id: row.invoice_id,
        user_id: row.user_id,
        gateway: row.gateway,
        reference: row.reference,
        gateway_reference: row.gateway_reference,
        amount: Money::new(row.amount_minor, row.currency.parse()?),
        status: row.status,
    })
}

pub async fn view(conn: &mut PgConnection, id: i64) -> Result<PaymentAttempt, BillingError> {
    let row = sqlx::query!(
        r#"SELECT a.id, a.invoice_id, a.gateway, a.reference, a.status, a.redirect_url, a.qr_string, a.amount_minor,
                  a.total_payable_minor, a.currency, a.expires_at, a.proof_image IS NOT NULL AS "proof!",
                  a.decision_note, a.failure, i.status AS invoice_status,
                  CASE WHEN a.gateway = 'manual'
                       THEN (SELECT settings ->> 'instructions' FROM payment_gateway WHERE gateway = 'manual') END AS instructions
             FROM payment_attempt a JOIN invoice i ON i.id = a.invoice_id WHERE a.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(BillingError::NotFound("no such payment"))?;
    Ok(PaymentAttempt {
        id: Some(row.id),
        invoice_id: row.invoice_id,
        method: row.gateway,
        reference: Some(row.reference),
        status: row.status,
        redirect_url: row.redirect_url,
        qr_string: row.qr_string,
        amount_minor: row.total_payable_minor.unwrap_or(row.amount_minor),
        currency: row.currency,
        expires_at: row.expires_at,
        instructions: row.instructions,
        proof_uploaded: row.proof,
        decision_note: row.decision_note,
        failure: row.failure,
        invoice_status: row.invoice_status,
    })
}

/// The attempt, if its invoice is `user`'s.
pub async fn view_for(
    conn: &mut PgConnection,
    id: i64,
    user: Uuid,
) -> Result<PaymentAttempt, BillingError> {
    if row(conn, id).await?.user_id != user {
        return Err(BillingError::NotFound("no such payment"));
    }
    view(conn, id).await
}

/// Starts paying `invoice_id` (of `user`) with `method`, answering what the
/// client does next. `finish_url` is where a gateway sends the browser back.
pub async fn start(
    ctx: &PaymentContext,
    invoice_id: i64,
    user: Uuid,
    request: &PayRequest,
    finish_url: &str,
) -> Result<PaymentAttempt, BillingError> {
    let now = ctx.clock.now();
    let method = Method::parse(&request.method).ok_or_else(|| {
        let mut errors = domain::ValidationErrors::new();
        errors.add(
            "method",
            "unknown_method",
            "midtrans, xendit, pakasir, manual or wallet",
        );
        BillingError::Validation(errors)
    })?;
    let mut tx = ctx.pool.begin().await?;
    let invoice = invoice_store::find_for(&mut tx, invoice_id, user).await?;
    if invoice.status != InvoiceStatus::Unpaid || invoice.balance_due_minor <= 0 {
        return Err(Refusal::InvoiceNotPayable.into());
    }
    let due = invoice.balance_due();

    if method == Method::Wallet {
        settle::pay_from_wallet(&mut tx, invoice.id, user, now, &ctx.calendar()).await?;
        messages::payment_received(&mut tx, &invoice, due, "wallet", now, &ctx.calendar()).await?;
        tx.commit().await?;
        return Ok(PaymentAttempt {
            id: None,
            invoice_id: invoice.id,
            method: "wallet".to_owned(),
            reference: None,
            status: "paid".to_owned(),
            redirect_url: None,
            qr_string: None,
            amount_minor: due.minor(),
            currency: due.currency().code().to_owned(),
            expires_at: None,
            instructions: None,
            proof_uploaded: false,
            decision_note: None,
            failure: None,
            invoice_status: "paid".to_owned(),
        });
    }

    // One open attempt per invoice and method: a second click, or a reload
    // of the payment page, answers the same one instead of a new charge.
    let open = sqlx::query_scalar!(
        "SELECT id FROM payment_attempt
          WHERE invoice_id = $1 AND gateway = $2 AND status = 'pending' AND amount_minor = $3
            AND (expires_at IS NULL OR expires_at > $4::TIMESTAMPTZ + interval '2 minutes')
          ORDER BY id DESC LIMIT 1",
        invoice.id,
        method.as_str(),
        due.minor(),
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(open) = open {
        let attempt = view(&mut tx, open).await?;
        tx.commit().await?;
        return Ok(attempt);
    }

    let gateway = match methods::kind_of(method.as_str()) {
        Some(kind) => {
            let client = methods::client(&mut tx, &ctx.sealer, &ctx.http, kind, true).await?;
            if !client.supports(due.currency()) {
                return Err(Refusal::CurrencyNotSupported.into());
            }
            Some(client)
        }
        None => {
            let enabled =
                sqlx::query_scalar!("SELECT enabled FROM payment_gateway WHERE gateway = 'manual'")
                    .fetch_optional(&mut *tx)
                    .await?;
            if enabled != Some(true) {
                return Err(Refusal::MethodDisabled.into());
            }
            None
        }
    };
    let sequence = sqlx::query_scalar!(
        r#"SELECT count(*) + 1 AS "n!" FROM payment_attempt WHERE invoice_id = $1"#,
        invoice.id
    )
    .fetch_one(&mut *tx)
    .await?;
    let reference = format!("{}-{sequence}", invoice.number);
    let status = if gateway.is_some() {
        "creating"
    } else {
        "pending"
    };
    let attempt_id = sqlx::query_scalar!(
        "INSERT INTO payment_attempt (invoice_id, gateway, reference, amount_minor, currency, status)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        invoice.id,
        method.as_str(),
        reference,
        due.minor(),
        due.currency().code(),
        status
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;

    let Some(gateway) = gateway else {
        let mut conn = ctx.pool.acquire().await?;
        return view(&mut conn, attempt_id).await;
    };
    // The charge lives until the order's deadline, within reason.
    let expires_in =
        (invoice.due_at - now).clamp(chrono::Duration::minutes(15), chrono::Duration::hours(24));
    let charge = gateway
        .create_charge(&ChargeRequest {
            reference: reference.clone(),
            amount: due,
            description: format!("Tagihan {}", invoice.number),
            customer: ChargeCustomer {
                name: invoice.buyer.name.clone(),
                email: invoice.buyer.email.clone(),
                phone: invoice.buyer.phone.clone(),
            },
            items: vec![ChargeItem {
                id: invoice.number.clone(),
                name: format!("Tagihan {}", invoice.number),
                unit_minor: due.minor(),
                quantity: 1,
            }],
            finish_url: finish_url.to_owned(),
            expires_in: expires_in
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(900)),
        })
        .await;
    let mut conn = ctx.pool.acquire().await?;
    match charge {
        Ok(charge) => {
            sqlx::query!(
                "UPDATE payment_attempt
                    SET status = 'pending', gateway_reference = $2, redirect_url = $3, qr_string = $4,
                        total_payable_minor = $5, expires_at = $6
                  WHERE id = $1 AND status = 'creating'",
                attempt_id,
                charge.gateway_reference,
                charge.redirect_url,
                charge.qr_string,
                charge.total_payable.minor(),
                charge.expires_at
            )
            .execute(&mut *conn)
            .await?;
            view(&mut conn, attempt_id).await
        }
        Err(error) => {
            // Unavailable leaves the outcome unknown: the attempt stays
            // `creating` for reconciliation. A refusal is final.
            let refused = !matches!(error, GatewayError::Unavailable(_));
            sqlx::query!(
                "UPDATE payment_attempt SET status = CASE WHEN $3 THEN 'rejected' ELSE status END, failure = $2
                  WHERE id = $1",
                attempt_id,
                error.to_string(),
                refused
            )
            .execute(&mut *conn)
            .await?;
            tracing::warn!(attempt = attempt_id, gateway = method.as_str(), %error, "payment gateway refused a charge");
            Err(error.into())
        }
    }
}

/// What a gateway's report did to an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Settled(Settlement),
    Failed,
    Reversed,
    Unchanged,
}

/// Applies what a gateway says about an attempt: paid settles the invoice
/// (once, whoever reports it first), failed closes an open attempt (never a
/// paid one), a reversal is flagged for finance.
pub(crate) async fn apply_report(
    ctx: &PaymentContext,
    attempt: &AttemptRow,
    report: &StatusReport,
) -> Result<Applied, BillingError> {
    let mut tx = ctx.pool.begin().await?;
    let applied = apply_report_in(&mut tx, ctx, attempt, report).await?;
    tx.commit().await?;
    Ok(applied)
}

/// [`apply_report`] inside the caller's transaction (a webhook records the
/// event it applies in the same one).
pub(crate) async fn apply_report_in(
    tx: &mut PgConnection,
    ctx: &PaymentContext,
    attempt: &AttemptRow,
    report: &StatusReport,
) -> Result<Applied, BillingError> {
    let now = ctx.clock.now();
    let method = Method::parse(&attempt.gateway)
        .ok_or_else(|| BillingError::Corrupt(attempt.gateway.clone()))?;
    let applied = match report.state {
        PaymentState::Paid => {
            let transaction_id = report
                .transaction_id
                .clone()
                .unwrap_or_else(|| attempt.reference.clone());
            let settlement = settle::settle(
                &mut *tx,
                &Receipt {
                    invoice_id: attempt.invoice_id,
                    attempt_id: Some(attempt.id),
                    method,
                    transaction_id: &transaction_id,
                    amount: report.paid_amount.unwrap_or(attempt.amount),
                    detail: report.payment_method.as_deref(),
                },
                now,
                &ctx.calendar(),
            )
            .await?;
            Applied::Settled(settlement)
        }
        PaymentState::Failed => {
            let closed = sqlx::query!(
                "UPDATE payment_attempt SET status = 'failed', failure = 'expired or cancelled at the gateway'
                  WHERE id = $1 AND status IN ('creating', 'pending')",
                attempt.id
            )
            .execute(&mut *tx)
            .await?;
            if closed.rows_affected() == 1 {
                let invoice = invoice_store::find(&mut *tx, attempt.invoice_id).await?;
                if invoice.status == InvoiceStatus::Unpaid {
                    messages::payment_failed(
                        &mut *tx,
                        &invoice,
                        method.as_str(),
                        "kedaluwarsa atau dibatalkan",
                    )
                    .await?;
                }
                Applied::Failed
            } else {
                Applied::Unchanged
            }
        }
        PaymentState::Reversed => {
            sqlx::query!(
                "INSERT INTO payment_flag (invoice_id, kind, detail)
                 SELECT $1, 'gateway_reversal', $2
                  WHERE NOT EXISTS (SELECT 1 FROM payment_flag WHERE invoice_id = $1 AND kind = 'gateway_reversal' AND detail = $2)",
                attempt.invoice_id,
                format!("{} reports a refund or chargeback of {}", method.as_str(), attempt.reference)
            )
            .execute(&mut *tx)
            .await?;
            Applied::Reversed
        }
        PaymentState::Pending | PaymentState::NotFound => Applied::Unchanged,
    };
    Ok(applied)
}

/// Asks the gateway about an attempt now (the client's browser came back,
/// or the payment page polls) and applies the answer.
pub async fn check(
    ctx: &PaymentContext,
    attempt_id: i64,
    user: Option<Uuid>,
) -> Result<PaymentAttempt, BillingError> {
    let mut conn = ctx.pool.acquire().await?;
    let attempt = row(&mut conn, attempt_id).await?;
    if user.is_some_and(|user| user != attempt.user_id) {
        return Err(BillingError::NotFound("no such payment"));
    }
    if let (Some(kind), Some(reference), "pending" | "creating") = (
        methods::kind_of(&attempt.gateway),
        attempt.gateway_reference.as_deref(),
        attempt.status.as_str(),
    ) {
        let gateway = methods::client(&mut conn, &ctx.sealer, &ctx.http, kind, false).await?;
        drop(conn);
        let report = gateway.status(reference, attempt.amount).await?;
        apply_report(ctx, &attempt, &report).await?;
        conn = ctx.pool.acquire().await?;
    }
    sqlx::query!(
        "UPDATE payment_attempt SET last_checked_at = now() WHERE id = $1",
        attempt_id
    )
    .execute(&mut *conn)
    .await?;
    view(&mut conn, attempt_id).await
}

pub(crate) fn gateway_kind(attempt: &AttemptRow) -> Option<GatewayKind> {
    methods::kind_of(&attempt.gateway)
}
