//! The messages billing sends, through the notify outbox in the caller's
//! transaction: a message goes out if and only if what it tells commits.
//!
//! Checkout queues its messages as one job ([`INVOICE_MESSAGES_JOB`])
//! instead of rendering them in its transaction: the job reads the invoice
//! after the commit, with its number taken (see `invoice::number`), and the
//! checkout answers without spending its time on templates.

use domain::{Money, ShopCalendar};
use notify::client_notice::notify_client;
use notify::telegram_chat::notify_staff;
use notify::template::{Language, catalog, render_event_in};
use sqlx::PgConnection;

use crate::BillingError;
use crate::invoice::Invoice;
use crate::invoice::store as invoice_store;

pub const INVOICE_MESSAGES_JOB: &str = "billing.invoice_messages";

/// What happened to a newly issued invoice, which decides its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occasion {
    /// An order's invoice waits for payment.
    OrderPlaced,
    /// An order paid from the wallet at checkout.
    OrderPaidFromWallet,
    /// An order that costs nothing (a 100 % promo).
    OrderFree,
    /// A wallet top-up waits for payment.
    TopUp,
    /// An upgrade's days left wait for payment.
    PlanChange,
}

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct InvoiceMessages {
    pub invoice_id: i64,
    pub occasion: Occasion,
}

/// Queues the messages of a new invoice, in the caller's transaction.
pub async fn enqueue(
    conn: &mut PgConnection,
    invoice_id: i64,
    occasion: Occasion,
) -> Result<(), BillingError> {
    let job = jobs::NewJob::new(
        INVOICE_MESSAGES_JOB,
        &InvoiceMessages {
            invoice_id,
            occasion,
        },
    )?
    .dedupe_key(format!("{INVOICE_MESSAGES_JOB}:{invoice_id}"));
    jobs::enqueue(conn, job).await?;
    Ok(())
}

/// The job: renders and queues the messages of `job.occasion`.
pub async fn send(
    pool: &sqlx::PgPool,
    job: InvoiceMessages,
    calendar: &ShopCalendar,
) -> Result<(), BillingError> {
    let mut tx = pool.begin().await?;
    let invoice = invoice_store::find(&mut tx, job.invoice_id).await?;
    let items = invoice
        .lines
        .first()
        .map(|line| line.description.clone())
        .unwrap_or_default();
    match job.occasion {
        Occasion::OrderPlaced => {
            invoice_created(&mut tx, &invoice, &items, calendar).await?;
            order_placed(&mut tx, &invoice, &items, calendar).await?;
        }
        Occasion::OrderPaidFromWallet => {
            order_placed(&mut tx, &invoice, &items, calendar).await?;
            let at = invoice.paid_at.unwrap_or(invoice.issued_at);
            payment_received(&mut tx, &invoice, invoice.total(), "wallet", at, calendar).await?;
        }
        Occasion::OrderFree => order_placed(&mut tx, &invoice, &items, calendar).await?,
        Occasion::TopUp | Occasion::PlanChange => {
            invoice_created(&mut tx, &invoice, &items, calendar).await?
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Clients are written to in the shop's language.
const CLIENT_LANGUAGE: Language = Language::Id;

fn customer(invoice: &Invoice) -> String {
    format!("{} <{}>", invoice.buyer.name, invoice.buyer.email)
}

/// To the client: the invoice to pay.
pub async fn invoice_created(
    conn: &mut PgConnection,
    invoice: &Invoice,
    items: &str,
    calendar: &ShopCalendar,
) -> Result<(), BillingError> {
    let message = render_event_in(
        conn,
        catalog::INVOICE_CREATED,
        CLIENT_LANGUAGE,
        &[
            ("name", invoice.buyer.name.clone()),
            ("number", invoice.number.clone()),
            ("total", invoice.total().to_string()),
            ("due", calendar.local_time(invoice.due_at)),
            ("items", items.to_owned()),
        ],
    )
    .await?;
    notify_client(conn, invoice.user_id, catalog::INVOICE_CREATED, &message).await?;
    Ok(())
}

/// To staff chats: a client placed an order (seed 003's "pesanan baru").
pub async fn order_placed(
    conn: &mut PgConnection,
    invoice: &Invoice,
    items: &str,
    calendar: &ShopCalendar,
) -> Result<(), BillingError> {
    let staff = render_event_in(
        conn,
        catalog::STAFF_NEW_ORDER,
        CLIENT_LANGUAGE,
        &[
            ("customer", customer(invoice)),
            ("product", items.to_owned()),
            ("total", invoice.total().to_string()),
            ("number", invoice.number.clone()),
            ("time", calendar.local_time(invoice.issued_at)),
        ],
    )
    .await?;
    notify_staff(conn, catalog::STAFF_NEW_ORDER, &staff).await?;
    Ok(())
}

/// To the client and to staff chats: money arrived for an invoice.
pub async fn payment_received(
    conn: &mut PgConnection,
    invoice: &Invoice,
    amount: Money,
    method: &str,
    at: chrono::DateTime<chrono::Utc>,
    calendar: &ShopCalendar,
) -> Result<(), BillingError> {
    let message = render_event_in(
        conn,
        catalog::PAYMENT_RECEIVED,
        CLIENT_LANGUAGE,
        &[
            ("name", invoice.buyer.name.clone()),
            ("number", invoice.number.clone()),
            ("amount", amount.to_string()),
            ("method", method.to_owned()),
        ],
    )
    .await?;
    notify_client(conn, invoice.user_id, catalog::PAYMENT_RECEIVED, &message).await?;
    let staff = render_event_in(
        conn,
        catalog::STAFF_PAYMENT_RECEIVED,
        CLIENT_LANGUAGE,
        &[
            ("customer", customer(invoice)),
            ("number", invoice.number.clone()),
            ("amount", amount.to_string()),
            ("method", method.to_owned()),
            ("time", calendar.local_time(at)),
        ],
    )
    .await?;
    notify_staff(conn, catalog::STAFF_PAYMENT_RECEIVED, &staff).await?;
    Ok(())
}

/// To the client: a payment attempt failed or expired.
pub async fn payment_failed(
    conn: &mut PgConnection,
    invoice: &Invoice,
    method: &str,
    reason: &str,
) -> Result<(), BillingError> {
    let message = render_event_in(
        conn,
        catalog::PAYMENT_FAILED,
        CLIENT_LANGUAGE,
        &[
            ("name", invoice.buyer.name.clone()),
            ("number", invoice.number.clone()),
            ("method", method.to_owned()),
            ("reason", reason.to_owned()),
        ],
    )
    .await?;
    notify_client(conn, invoice.user_id, catalog::PAYMENT_FAILED, &message).await?;
    Ok(())
}
