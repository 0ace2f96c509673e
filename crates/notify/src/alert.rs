//! Owner alerts: errors at or above the configured log level and important
//! changes (template edits, staff role changes, integration changes) reach
//! the staff chats marked to receive alerts.
//!
//! An error storm must not become a message storm. Time is cut into
//! windows aligned to the epoch; the first [`BURST`] alerts of a window are
//! sent one by one, the rest are held and a summary job, queued once per
//! window under a dedupe key, sends them as one message when the window
//! ends. The count is taken under a transaction-scoped advisory lock, so
//! replicas raising alerts at the same moment share one budget.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use jobs::{JobContext, JobError, NewJob, Registry};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use crate::NotifyError;
use crate::outbox;
use crate::template::RenderedMessage;

pub const SUMMARY_JOB: &str = "notify.owner_alert_summary";
/// Alerts sent one by one per window; the rest go into the summary.
pub const BURST: i64 = 5;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Any value; only alerts take this advisory lock.
const LOCK_KEY: i64 = 0x6a75_7261_6761_6e01;
/// Log events of this target are never turned into alerts: raising an
/// alert must not raise another when it fails.
pub const TARGET: &str = "notify::alert";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// A logged error (or warning, as configured).
    Error,
    /// An important change someone made.
    Change,
}

impl AlertKind {
    fn as_str(self) -> &'static str {
        match self {
            AlertKind::Error => "error",
            AlertKind::Change => "change",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAlert {
    pub kind: AlertKind,
    /// Where it comes from: a log target or an audit action.
    pub source: String,
    /// One line; alerts with the same title are counted together in a summary.
    pub title: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnerAlert {
    pub id: i64,
    pub kind: AlertKind,
    pub source: String,
    pub title: String,
    pub detail: String,
    pub delivery: AlertDelivery,
    pub created_at: DateTime<Utc>,
}

/// How an alert was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    Held,
}

/// An alert's delivery as listed: sent alone, held for its window's
/// summary, or sent in a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertDelivery {
    Sent,
    Held,
    Summarised,
}

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let width = i64::try_from(WINDOW.as_secs()).unwrap_or(60);
    Utc.timestamp_opt(now.timestamp() - now.timestamp().rem_euclid(width), 0)
        .single()
        .unwrap_or(now)
}

fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// Records an alert and sends or holds it, in the caller's transaction.
pub async fn raise(conn: &mut PgConnection, alert: &NewAlert) -> Result<Delivery, NotifyError> {
    let title = clip(&alert.title, 500);
    let title = if title.is_empty() {
        "(no message)".to_owned()
    } else {
        title
    };
    let detail = clip(&alert.detail, 2000);
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
        .execute(&mut *conn)
        .await?;
    let now = sqlx::query_scalar!(r#"SELECT now() AS "now!""#)
        .fetch_one(&mut *conn)
        .await?;
    let start = window_start(now);
    let sent = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM owner_alert WHERE delivery = 'sent' AND created_at >= $1"#,
        start
    )
    .fetch_one(&mut *conn)
    .await?;
    let delivery = if sent < BURST {
        Delivery::Sent
    } else {
        Delivery::Held
    };
    sqlx::query!(
        "INSERT INTO owner_alert (kind, source, title, detail, delivery) VALUES ($1, $2, $3, $4, $5)",
        alert.kind.as_str(),
        alert.source,
        title,
        detail,
        if delivery == Delivery::Sent { "sent" } else { "held" }
    )
    .execute(&mut *conn)
    .await?;
    match delivery {
        Delivery::Sent => {
            let heading = match alert.kind {
                AlertKind::Error => "⚠️ Juragan error",
                AlertKind::Change => "🔧 Juragan change",
            };
            let text = if detail.is_empty() {
                title
            } else {
                format!("{title}\n{detail}")
            };
            let message = RenderedMessage {
                subject: heading.to_owned(),
                text: format!("{text}\n({})", alert.source),
                html: String::new(),
            };
            send_to_alert_chats(conn, &message).await?;
        }
        Delivery::Held => {
            let window_end = start
                + chrono::Duration::from_std(WINDOW)
                    .unwrap_or_else(|_| chrono::Duration::seconds(60));
            let job = NewJob::new(SUMMARY_JOB, &serde_json::json!({}))?
                .run_at(window_end)
                .dedupe_key(format!("owner-alert-summary:{}", start.timestamp()));
            jobs::enqueue(conn, job).await?;
        }
    }
    Ok(delivery)
}

async fn send_to_alert_chats(
    conn: &mut PgConnection,
    message: &RenderedMessage,
) -> Result<(), NotifyError> {
    let chats = sqlx::query_scalar!("SELECT chat_id FROM telegram_chat WHERE kind = 'staff' AND receives_alerts AND blocked_at IS NULL")
        .fetch_all(&mut *conn)
        .await?;
    for chat in chats {
        outbox::enqueue_telegram(conn, chat, "owner.alert", message).await?;
    }
    Ok(())
}

/// Sends every held alert as one message, counted by title.
pub async fn send_summary(pool: &PgPool) -> Result<usize, NotifyError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    let held = sqlx::query!(
        "UPDATE owner_alert SET delivery = 'summarised' WHERE delivery = 'held' RETURNING kind, title, created_at"
    )
    .fetch_all(&mut *tx)
    .await?;
    if held.is_empty() {
        return Ok(0);
    }
    let mut by_title: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for alert in &held {
        *by_title
            .entry((alert.kind.as_str(), alert.title.as_str()))
            .or_default() += 1;
    }
    let (first, last) = held.iter().fold(
        (held[0].created_at, held[0].created_at),
        |(first, last), alert| (first.min(alert.created_at), last.max(alert.created_at)),
    );
    let mut text = format!(
        "{} more alerts between {} and {} UTC:\n",
        held.len(),
        first.format("%H:%M:%S"),
        last.format("%H:%M:%S")
    );
    let mut ranked: Vec<_> = by_title.into_iter().collect();
    ranked.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    for ((kind, title), count) in ranked.iter().take(10) {
        let _ = writeln!(text, "{count} × [{kind}] {}", clip(title, 200));
    }
    if ranked.len() > 10 {
        let _ = writeln!(
            text,
            "… and {} other kinds; see the alerts page.",
            ranked.len() - 10
        );
    }
    let message = RenderedMessage {
        subject: "⚠️ Juragan alert summary".to_owned(),
        text,
        html: String::new(),
    };
    send_to_alert_chats(&mut tx, &message).await?;
    tx.commit().await?;
    Ok(held.len())
}

pub fn register_jobs(registry: &mut Registry) {
    registry.handle(SUMMARY_JOB, |context: JobContext| async move {
        send_summary(&context.pool)
            .await
            .map(|_| ())
            .map_err(|error| JobError::Retry(anyhow::anyhow!(error.to_string())))
    });
}

/// The newest alerts first.
pub async fn list(
    pool: &PgPool,
    before_id: Option<i64>,
    limit: i64,
) -> Result<(Vec<OwnerAlert>, Option<i64>), NotifyError> {
    let limit = limit.clamp(1, domain::PAGE_SIZE_MAX);
    let rows = sqlx::query!(
        r#"SELECT id, kind, source, title, detail, delivery, created_at FROM owner_alert
           WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2"#,
        before_id,
        limit + 1
    )
    .fetch_all(pool)
    .await?;
    let mut items: Vec<OwnerAlert> = rows
        .into_iter()
        .map(|row| OwnerAlert {
            id: row.id,
            kind: if row.kind == "change" {
                AlertKind::Change
            } else {
                AlertKind::Error
            },
            source: row.source,
            title: row.title,
            detail: row.detail,
            delivery: match row.delivery.as_str() {
                "sent" => AlertDelivery::Sent,
                "held" => AlertDelivery::Held,
                _ => AlertDelivery::Summarised,
            },
            created_at: row.created_at,
        })
        .collect();
    let next = if items.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
        items.pop();
        items.last().map(|item| item.id)
    } else {
        None
    };
    Ok((items, next))
}
