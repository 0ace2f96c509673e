//! Applying money to an invoice — the one place an invoice becomes paid.
//!
//! The invoice row is locked first, then the payment is inserted under its
//! unique key (method, gateway transaction id): a replayed notification, or
//! the browser's return racing the webhook, finds the key taken and changes
//! nothing. What arrives is checked against what is due:
//! - another currency: held for finance, never applied;
//! - less than due: applied, the rest stays due, finance is told;
//! - more than due: the invoice is paid and the excess goes to the wallet;
//! - for an invoice that is no longer open (paid another way, cancelled):
//!   all of it goes to the wallet, and finance is told.
//!
//! An invoice only moves forward: unpaid → paid. Paying an order's invoice
//! moves the order to PAID and enqueues its delivery in the same transaction.

use chrono::{DateTime, Utc};
use domain::{Currency, Money, OrderStatus, ShopCalendar};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::invoice::messages;
use crate::invoice::store::{self as invoice_store, InvoiceStatus};
use crate::order::{delivery, status};
use crate::wallet::ledger::{self, Account, Movement, Transfer};
use crate::{BillingError, Refusal};

/// How money came in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Midtrans,
    Xendit,
    Pakasir,
    /// A bank transfer confirmed by finance.
    Manual,
    Wallet,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Midtrans => "midtrans",
            Method::Xendit => "xendit",
            Method::Pakasir => "pakasir",
            Method::Manual => "manual",
            Method::Wallet => "wallet",
        }
    }

    pub fn parse(value: &str) -> Option<Method> {
        [
            Method::Midtrans,
            Method::Xendit,
            Method::Pakasir,
            Method::Manual,
            Method::Wallet,
        ]
        .into_iter()
        .find(|m| m.as_str() == value)
    }
}

/// Money that arrived for an invoice.
#[derive(Debug, Clone)]
pub struct Receipt<'a> {
    pub invoice_id: i64,
    pub attempt_id: Option<i64>,
    pub method: Method,
    /// The gateway's id of this money movement; unique per method.
    pub transaction_id: &'a str,
    pub amount: Money,
    /// The gateway's payment channel (`bank_transfer`, `QRIS`), for finance.
    pub detail: Option<&'a str>,
}

/// What a receipt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// This payment was recorded before; nothing changed.
    Replayed,
    /// The invoice is paid now.
    Paid,
    /// Applied, and some is still due.
    Partial,
    /// The invoice was no longer open: credited to the wallet.
    ToWallet,
    /// Another currency than the invoice's: held for finance.
    Held,
}

struct LockedInvoice {
    id: i64,
    user_id: Uuid,
    order_id: Option<i64>,
    purpose: String,
    currency: Currency,
    total_minor: i64,
    amount_paid_minor: i64,
    status: InvoiceStatus,
}

async fn lock_invoice(conn: &mut PgConnection, id: i64) -> Result<LockedInvoice, BillingError> {
    let row = sqlx::query!(
        "SELECT id, user_id, order_id, purpose, currency, total_minor, amount_paid_minor, status
           FROM invoice WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(BillingError::NotFound("no such invoice"))?;
    Ok(LockedInvoice {
        id: row.id,
        user_id: row.user_id,
        order_id: row.order_id,
        purpose: row.purpose,
        currency: row.currency.parse()?,
        total_minor: row.total_minor,
        amount_paid_minor: row.amount_paid_minor,
        status: InvoiceStatus::parse(&row.status)?,
    })
}

async fn flag(
    conn: &mut PgConnection,
    invoice_id: i64,
    payment_id: i64,
    kind: &str,
    detail: String,
) -> Result<(), BillingError> {
    sqlx::query!(
        "INSERT INTO payment_flag (invoice_id, payment_id, kind, detail) VALUES ($1, $2, $3, $4)",
        invoice_id,
        payment_id,
        kind,
        detail
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where money paid for an invoice goes: an order's is revenue, a top-up's
/// is the client's wallet.
fn destination(invoice: &LockedInvoice) -> Account {
    if invoice.purpose == "top_up" {
        Account::Wallet(invoice.user_id)
    } else {
        Account::Revenue
    }
}

/// Applies a receipt in the caller's transaction (see the module comment).
pub async fn settle(
    conn: &mut PgConnection,
    receipt: &Receipt<'_>,
    now: DateTime<Utc>,
    calendar: &ShopCalendar,
) -> Result<Settlement, BillingError> {
    let invoice = lock_invoice(conn, receipt.invoice_id).await?;
    let payment_id = sqlx::query_scalar!(
        "INSERT INTO payment (invoice_id, attempt_id, method, gateway_transaction_id, amount_minor,
                              currency, outcome, payment_method_detail, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'held', $7, $8)
         ON CONFLICT (method, gateway_transaction_id) DO NOTHING
         RETURNING id",
        invoice.id,
        receipt.attempt_id,
        receipt.method.as_str(),
        receipt.transaction_id,
        receipt.amount.minor(),
        receipt.amount.currency().code(),
        receipt.detail,
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(payment_id) = payment_id else {
        return Ok(Settlement::Replayed);
    };
    if let Some(attempt) = receipt.attempt_id {
        sqlx::query!(
            "UPDATE payment_attempt SET status = 'paid', failure = NULL WHERE id = $1",
            attempt
        )
        .execute(&mut *conn)
        .await?;
    }
    let source = Account::Gateway(receipt.method.as_str());
    let amount = receipt.amount;

    if amount.currency() != invoice.currency {
        flag(
            conn,
            invoice.id,
            payment_id,
            "currency_mismatch",
            format!("received {amount}, the invoice is in {}", invoice.currency),
        )
        .await?;
        return Ok(Settlement::Held);
    }

    if invoice.status != InvoiceStatus::Unpaid {
        let kind = if invoice.status == InvoiceStatus::Cancelled {
            "late_payment"
        } else {
            "duplicate_payment"
        };
        credit_wallet(
            conn,
            &invoice,
            payment_id,
            source,
            amount,
            Movement::Overpayment,
        )
        .await?;
        set_outcome(conn, payment_id, "to_wallet").await?;
        flag(
            conn,
            invoice.id,
            payment_id,
            kind,
            format!(
                "{amount} arrived for an invoice that is {}; credited to the wallet",
                invoice.status.as_str()
            ),
        )
        .await?;
        return Ok(Settlement::ToWallet);
    }

    let due = invoice.total_minor - invoice.amount_paid_minor;
    let applied = amount.minor().min(due);
    let excess = amount.minor() - applied;
    if applied > 0 {
        ledger::transfer(
            conn,
            &Transfer {
                movement: if invoice.purpose == "top_up" {
                    Movement::TopUp
                } else {
                    Movement::InvoicePayment
                },
                from: source.clone(),
                to: destination(&invoice),
                amount: Money::new(applied, invoice.currency),
                invoice_id: Some(invoice.id),
                payment_id: Some(payment_id),
                memo: receipt.method.as_str(),
                actor: None,
            },
        )
        .await?;
    }
    if excess > 0 {
        credit_wallet(
            conn,
            &invoice,
            payment_id,
            source,
            Money::new(excess, invoice.currency),
            Movement::Overpayment,
        )
        .await?;
        flag(
            conn,
            invoice.id,
            payment_id,
            "overpayment",
            format!(
                "{} more than due; credited to the wallet",
                Money::new(excess, invoice.currency)
            ),
        )
        .await?;
    }
    let paid_in_full = applied == due;
    sqlx::query!(
        "UPDATE invoice SET amount_paid_minor = amount_paid_minor + $2,
                status = CASE WHEN $3 THEN 'paid' ELSE status END,
                paid_at = CASE WHEN $3 THEN $4 ELSE paid_at END
          WHERE id = $1",
        invoice.id,
        applied,
        paid_in_full,
        now
    )
    .execute(&mut *conn)
    .await?;
    set_outcome(
        conn,
        payment_id,
        if paid_in_full { "applied" } else { "partial" },
    )
    .await?;
    let view = invoice_store::find(conn, invoice.id).await?;
    messages::payment_received(conn, &view, amount, receipt.method.as_str(), now, calendar).await?;
    if !paid_in_full {
        flag(
            conn,
            invoice.id,
            payment_id,
            "partial_payment",
            format!(
                "{amount} received, {} still due",
                Money::new(due - applied, invoice.currency)
            ),
        )
        .await?;
        return Ok(Settlement::Partial);
    }
    on_paid(conn, &invoice, receipt.method, now, calendar).await?;
    Ok(Settlement::Paid)
}

async fn set_outcome(
    conn: &mut PgConnection,
    payment_id: i64,
    outcome: &str,
) -> Result<(), BillingError> {
    sqlx::query!(
        "UPDATE payment SET outcome = $2 WHERE id = $1",
        payment_id,
        outcome
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn credit_wallet(
    conn: &mut PgConnection,
    invoice: &LockedInvoice,
    payment_id: i64,
    source: Account,
    amount: Money,
    movement: Movement,
) -> Result<(), BillingError> {
    ledger::transfer(
        conn,
        &Transfer {
            movement,
            from: source,
            to: Account::Wallet(invoice.user_id),
            amount,
            invoice_id: Some(invoice.id),
            payment_id: Some(payment_id),
            memo: "credited to the wallet",
            actor: None,
        },
    )
    .await?;
    Ok(())
}

/// A paid order's invoice: the order moves to PAID and its delivery is
/// enqueued, in this transaction (the service's first period starts on
/// the shop's day of `now`). A paid renewal invoice moves its service's
/// due date on by one period; a paid upgrade applies its plan change.
async fn on_paid(
    conn: &mut PgConnection,
    invoice: &LockedInvoice,
    method: Method,
    now: DateTime<Utc>,
    calendar: &ShopCalendar,
) -> Result<(), BillingError> {
    let paid_on = calendar.today(now);
    match invoice.purpose.as_str() {
        "renewal" => {
            crate::service::terms::renewal_paid(conn, invoice.id).await?;
            return Ok(());
        }
        "plan_change" => {
            let paid = Money::new(invoice.total_minor, invoice.currency);
            crate::service::plan_change::paid(conn, invoice.id, paid, now).await?;
            return Ok(());
        }
        _ => {}
    }
    let Some(order_id) = invoice.order_id else {
        return Ok(());
    };
    let current = status::lock(conn, order_id).await?;
    if current == OrderStatus::PendingPayment {
        status::transition(
            conn,
            order_id,
            OrderStatus::Paid,
            &format!("invoice paid ({})", method.as_str()),
            None,
        )
        .await?;
        delivery::enqueue(conn, order_id, paid_on).await?;
    }
    Ok(())
}

/// Pays an unpaid invoice of `user` from their wallet, in the caller's
/// transaction; a balance that does not cover it is `InsufficientFunds`.
pub async fn pay_from_wallet(
    conn: &mut PgConnection,
    invoice_id: i64,
    user: Uuid,
    now: DateTime<Utc>,
    calendar: &ShopCalendar,
) -> Result<(), BillingError> {
    let invoice = lock_invoice(conn, invoice_id).await?;
    if invoice.user_id != user {
        return Err(BillingError::NotFound("no such invoice"));
    }
    if invoice.status != InvoiceStatus::Unpaid {
        return Err(Refusal::InvoiceNotPayable.into());
    }
    if invoice.purpose == "top_up" {
        // Topping the wallet up from the wallet would move nothing.
        return Err(Refusal::MethodDisabled.into());
    }
    let due = invoice.total_minor - invoice.amount_paid_minor;
    if due > 0 {
        let transaction = ledger::transfer(
            conn,
            &Transfer {
                movement: Movement::WalletPayment,
                from: Account::Wallet(user),
                to: Account::Revenue,
                amount: Money::new(due, invoice.currency),
                invoice_id: Some(invoice.id),
                payment_id: None,
                memo: "paid from the wallet",
                actor: Some(user),
            },
        )
        .await?;
        sqlx::query!(
            "INSERT INTO payment (invoice_id, method, gateway_transaction_id, amount_minor, currency, outcome, received_at)
             VALUES ($1, 'wallet', $2, $3, $4, 'applied', $5)",
            invoice.id,
            format!("ledger-{transaction}"),
            due,
            invoice.currency.code(),
            now
        )
        .execute(&mut *conn)
        .await?;
    }
    mark_paid(conn, &invoice, due, now).await?;
    on_paid(conn, &invoice, Method::Wallet, now, calendar).await
}

/// An order whose invoice totals nothing (a 100 % promo) is paid as issued.
pub async fn complete_free(
    conn: &mut PgConnection,
    invoice_id: i64,
    now: DateTime<Utc>,
    calendar: &ShopCalendar,
) -> Result<bool, BillingError> {
    let invoice = lock_invoice(conn, invoice_id).await?;
    if invoice.status != InvoiceStatus::Unpaid || invoice.total_minor != 0 {
        return Ok(false);
    }
    mark_paid(conn, &invoice, 0, now).await?;
    on_paid(conn, &invoice, Method::Wallet, now, calendar).await?;
    Ok(true)
}

async fn mark_paid(
    conn: &mut PgConnection,
    invoice: &LockedInvoice,
    applied: i64,
    now: DateTime<Utc>,
) -> Result<(), BillingError> {
    sqlx::query!(
        "UPDATE invoice SET amount_paid_minor = amount_paid_minor + $2, status = 'paid', paid_at = $3
          WHERE id = $1",
        invoice.id,
        applied,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}
