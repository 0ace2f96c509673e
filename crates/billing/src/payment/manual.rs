//! Manual bank transfer: the client transfers, uploads a proof image, and
//! finance confirms it with a reference note (the invoice is paid through
//! `settle`, like any gateway payment) or rejects it with a reason.

use chrono::{DateTime, Utc};
use domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::PaymentContext;
use super::attempt::{self, PaymentAttempt};
use super::settle::{self, Method, Receipt};
use crate::invoice::messages;
use crate::invoice::store as invoice_store;
use crate::{BillingError, Refusal};

/// The largest proof image accepted.
pub const PROOF_MAX_BYTES: usize = 2 * 1024 * 1024;

/// The image type `bytes` really is, judged by its first bytes (the
/// client's Content-Type is not trusted).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The client attaches a proof image to their open manual payment.
pub async fn upload_proof(
    conn: &mut PgConnection,
    attempt_id: i64,
    user: Uuid,
    bytes: &[u8],
) -> Result<PaymentAttempt, BillingError> {
    let attempt = attempt::row(conn, attempt_id).await?;
    if attempt.user_id != user || attempt.gateway != "manual" {
        return Err(BillingError::NotFound("no such manual payment"));
    }
    if attempt.status != "pending" {
        return Err(Refusal::AttemptDecided.into());
    }
    let mut errors = ValidationErrors::new();
    let content_type = if bytes.len() > PROOF_MAX_BYTES {
        errors.add("proof", "too_large", "at most 2 MiB");
        None
    } else {
        let sniffed = sniff_image(bytes);
        if sniffed.is_none() {
            errors.add("proof", "not_an_image", "a PNG, JPEG or WebP image");
        }
        sniffed
    };
    errors.into_result()?;
    sqlx::query!(
        "UPDATE payment_attempt SET proof_image = $2, proof_content_type = $3 WHERE id = $1",
        attempt_id,
        bytes,
        content_type
    )
    .execute(&mut *conn)
    .await?;
    attempt::view(conn, attempt_id).await
}

/// The proof image of a manual payment, with its type.
pub async fn proof(
    conn: &mut PgConnection,
    attempt_id: i64,
) -> Result<(String, Vec<u8>), BillingError> {
    let row = sqlx::query!(
        "SELECT proof_image, proof_content_type FROM payment_attempt WHERE id = $1 AND gateway = 'manual'",
        attempt_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(BillingError::NotFound("no such manual payment"))?;
    match (row.proof_content_type, row.proof_image) {
        (Some(content_type), Some(bytes)) => Ok((content_type, bytes)),
        _ => Err(BillingError::NotFound("no proof was uploaded")),
    }
}

/// A manual payment waiting for finance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ManualPayment {
    pub attempt_id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub amount_minor: i64,
    pub currency: String,
    pub proof_uploaded: bool,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Manual payments, open ones first.
pub async fn list(
    conn: &mut PgConnection,
    only_open: bool,
) -> Result<Vec<ManualPayment>, BillingError> {
    Ok(sqlx::query_as!(
        ManualPayment,
        r#"SELECT a.id AS attempt_id, a.invoice_id, i.number AS invoice_number,
                  i.buyer ->> 'name' AS "buyer_name!", i.buyer ->> 'email' AS "buyer_email!",
                  a.amount_minor, a.currency, a.proof_image IS NOT NULL AS "proof_uploaded!",
                  a.status, a.decision_note, a.created_at
             FROM payment_attempt a JOIN invoice i ON i.id = a.invoice_id
            WHERE a.gateway = 'manual' AND (NOT $1 OR a.status = 'pending')
            ORDER BY a.status = 'pending' DESC, a.id DESC LIMIT 200"#,
        only_open
    )
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Decision {
    /// Confirm: the bank's reference; reject: the reason. 1 to 500 characters.
    pub note: String,
}

fn note(decision: &Decision) -> Result<String, BillingError> {
    let note = decision.note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        let mut errors = ValidationErrors::new();
        errors.add("note", "length", "1 to 500 characters");
        return Err(errors.into());
    }
    Ok(note.to_owned())
}

/// Finance confirms the transfer arrived: the invoice is paid.
pub async fn confirm(
    ctx: &PaymentContext,
    attempt_id: i64,
    decision: &Decision,
    actor: Uuid,
) -> Result<PaymentAttempt, BillingError> {
    let note = note(decision)?;
    let mut tx = ctx.pool.begin().await?;
    let decided = sqlx::query!(
        "UPDATE payment_attempt SET decision_note = $2, decided_by = $3
          WHERE id = $1 AND gateway = 'manual' AND status = 'pending'
         RETURNING invoice_id, amount_minor, currency",
        attempt_id,
        note,
        actor
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(decided) = decided else {
        attempt::row(&mut tx, attempt_id).await?;
        return Err(Refusal::AttemptDecided.into());
    };
    settle::settle(
        &mut tx,
        &Receipt {
            invoice_id: decided.invoice_id,
            attempt_id: Some(attempt_id),
            method: Method::Manual,
            transaction_id: &format!("manual-{attempt_id}"),
            amount: domain::Money::new(decided.amount_minor, decided.currency.parse()?),
            detail: Some(&note),
        },
        ctx.clock.now(),
        &ctx.calendar(),
    )
    .await?;
    let view = attempt::view(&mut tx, attempt_id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Finance rejects the transfer (not found on the account, wrong amount):
/// the client is told why and can pay again.
pub async fn reject(
    ctx: &PaymentContext,
    attempt_id: i64,
    decision: &Decision,
    actor: Uuid,
) -> Result<PaymentAttempt, BillingError> {
    let reason = note(decision)?;
    let mut tx = ctx.pool.begin().await?;
    let decided = sqlx::query_scalar!(
        "UPDATE payment_attempt SET status = 'failed', decision_note = $2, failure = $2, decided_by = $3
          WHERE id = $1 AND gateway = 'manual' AND status = 'pending'
         RETURNING invoice_id",
        attempt_id,
        reason,
        actor
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(invoice_id) = decided else {
        attempt::row(&mut tx, attempt_id).await?;
        return Err(Refusal::AttemptDecided.into());
    };
    let invoice = invoice_store::find(&mut tx, invoice_id).await?;
    messages::payment_failed(&mut tx, &invoice, "transfer bank", &reason).await?;
    let view = attempt::view(&mut tx, attempt_id).await?;
    tx.commit().await?;
    Ok(view)
}
