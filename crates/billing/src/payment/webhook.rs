//! Gateway notifications.
//!
//! The signature (Midtrans), callback token (Xendit) or path secret
//! (Pakasir) is verified before anything is read or written: a notification
//! that does not verify is refused (401) and leaves nothing but a log line.
//! A verified notification is recorded once under its event key — a replay
//! finds the key taken and changes nothing. Pakasir signs nothing, so its
//! notification is only a hint: what the transaction-detail API answers is
//! what is applied. Out-of-order events cannot move an invoice backwards:
//! only `settle` marks one paid, and a failure closes only an open attempt.

use super::attempt::{self, Applied};
use super::gateway::{GatewayError, GatewayKind, IncomingNotification};
use super::{PaymentContext, methods};
use crate::BillingError;

/// What a notification did; every variant is answered 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Applied(Applied),
    /// The same event was received before.
    Replayed,
    /// Verified, but about no payment of ours.
    UnknownReference,
}

pub async fn receive(
    ctx: &PaymentContext,
    kind: GatewayKind,
    incoming: &IncomingNotification<'_>,
) -> Result<WebhookOutcome, BillingError> {
    let mut conn = ctx.pool.acquire().await?;
    let gateway = methods::client(&mut conn, &ctx.sealer, &ctx.http, kind, false).await?;
    let notification = gateway.verify_notification(incoming).map_err(|error| {
        tracing::warn!(gateway = kind.as_str(), %error, "refused a payment notification that does not verify");
        match error {
            // Not the gateway's notification at all: the caller's mistake.
            GatewayError::Malformed(message) => {
                BillingError::Validation(domain::ValidationErrors::single("body", "malformed", message))
            }
            other => other.into(),
        }
    })?;
    let attempt_id = sqlx::query_scalar!(
        "SELECT id FROM payment_attempt
          WHERE gateway = $1 AND (gateway_reference = $2 OR reference = $2)
          ORDER BY id DESC LIMIT 1",
        kind.as_str(),
        notification.gateway_reference
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(attempt_id) = attempt_id else {
        tracing::info!(gateway = kind.as_str(), reference = %notification.gateway_reference,
            "a payment notification about no payment of ours");
        return Ok(WebhookOutcome::UnknownReference);
    };
    let attempt = attempt::row(&mut conn, attempt_id).await?;
    // A replay (gateways resend until they see a 2xx) is answered from
    // one read; the insert below still decides between two arriving at once.
    if notification.trusted {
        let seen = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM gateway_event WHERE gateway = $1 AND event_key = $2) AS "seen!""#,
            kind.as_str(),
            notification.event_key
        )
        .fetch_one(&mut *conn)
        .await?;
        if seen {
            return Ok(WebhookOutcome::Replayed);
        }
    }
    // The pooled connection goes back before the applying transaction takes
    // one: a handler holding one while waiting for another starves the pool
    // under a burst of notifications (each holds one, none gets a second).
    drop(conn);

    let applied = if notification.trusted {
        // The event is recorded in the transaction that applies it: should
        // applying fail, nothing is recorded and the gateway's retry of the
        // same event is applied rather than taken for a replay. A replay
        // arriving meanwhile waits on the event's key and finds it taken.
        let mut tx = ctx.pool.begin().await?;
        let first = sqlx::query!(
            "INSERT INTO gateway_event (gateway, event_key, reference, outcome)
             VALUES ($1, $2, $3, 'received') ON CONFLICT (gateway, event_key) DO NOTHING",
            kind.as_str(),
            notification.event_key,
            attempt.reference
        )
        .execute(&mut *tx)
        .await?;
        if first.rows_affected() == 0 {
            return Ok(WebhookOutcome::Replayed);
        }
        let applied =
            attempt::apply_report_in(&mut tx, ctx, &attempt, &notification.claimed).await?;
        tx.commit().await?;
        applied
    } else {
        // Unsigned: ask the gateway with what we stored, never with what
        // the notification claims (its amount could be anything).
        let reference = attempt
            .gateway_reference
            .as_deref()
            .unwrap_or(&attempt.reference);
        let report = gateway.status(reference, attempt.amount).await?;
        attempt::apply_report(ctx, &attempt, &report).await?
    };
    Ok(WebhookOutcome::Applied(applied))
}
