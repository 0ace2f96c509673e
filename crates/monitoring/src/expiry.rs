//! The expiry watch, a periodic job (once per period across replicas): one
//! message when a host passes its expiry date, remembered in the host's
//! `expiry_notified` flag until the date is renewed, and "expiring soon"
//! warnings at the configured days before.

use std::time::Duration;

use chrono::NaiveDate;
use jobs::{JobContext, JobError, Registry};
use notify::client_notice::notify_client;
use notify::telegram_chat;
use notify::template::{Language, TemplateCache, catalog};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::MonitoringError;

pub const EXPIRY_JOB: &str = "monitoring.expiry";

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExpiryReport {
    pub expired: usize,
    pub warned: usize,
}

/// `warn_days`: e.g. `[7, 3, 1]`; each threshold warns once per expiry date.
/// "Today" is the shop's day on `clock`.
pub fn register_jobs(
    registry: &mut Registry,
    interval: Duration,
    warn_days: Vec<i32>,
    clock: domain::Clock,
) {
    registry.handle(EXPIRY_JOB, move |context: JobContext| {
        let warn_days = warn_days.clone();
        let today = clock.today();
        async move {
            check(&context.pool, today, &warn_days)
                .await
                .map(|_| ())
                .map_err(|error| JobError::Retry(anyhow::anyhow!(error.to_string())))
        }
    });
    registry.every(EXPIRY_JOB, EXPIRY_JOB, interval);
}

fn date(value: NaiveDate) -> String {
    value.format("%d/%m/%Y").to_string()
}

struct Due {
    name: String,
    host: String,
    expires_on: NaiveDate,
    customer_id: Option<Uuid>,
}

async fn send(
    conn: &mut PgConnection,
    templates: &mut TemplateCache,
    event: &str,
    due: &Due,
    extra: &[(&str, String)],
) -> Result<(), MonitoringError> {
    let mut values = vec![
        ("name", due.name.clone()),
        ("host", due.host.clone()),
        ("expires_on", date(due.expires_on)),
    ];
    values.extend(extra.iter().cloned());
    let message = templates.render(conn, event, &values).await?;
    telegram_chat::notify_staff(conn, event, &message).await?;
    if let Some(customer) = due.customer_id {
        notify_client(conn, customer, event, &message).await?;
    }
    Ok(())
}

/// Sends what is due on the shop's day `today`; running it twice sends
/// nothing more.
pub async fn check(
    pool: &PgPool,
    today: NaiveDate,
    warn_days: &[i32],
) -> Result<ExpiryReport, MonitoringError> {
    let mut tx = pool.begin().await?;
    let mut templates = TemplateCache::new(Language::Id);
    let expired = sqlx::query!(
        r#"UPDATE monitored_host SET expiry_notified = true
           WHERE expires_on < $1 AND NOT expiry_notified
           RETURNING name, address, port, expires_on AS "expires_on!", customer_id"#,
        today
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut report = ExpiryReport {
        expired: expired.len(),
        warned: 0,
    };
    for row in expired {
        let due = Due {
            name: row.name,
            host: format!("{}:{}", row.address, row.port),
            expires_on: row.expires_on,
            customer_id: row.customer_id,
        };
        send(&mut tx, &mut templates, catalog::HOST_EXPIRED, &due, &[]).await?;
    }

    let widest = warn_days.iter().copied().max().unwrap_or(0);
    if widest > 0 {
        let soon = sqlx::query!(
            r#"SELECT h.id, h.name, h.address, h.port, h.expires_on AS "expires_on!", (h.expires_on - $2::date) AS "days_left!",
                      h.expiry_warned_days, h.customer_id
               FROM monitored_host h
               WHERE h.expires_on >= $2::date AND h.expires_on - $2::date <= $1
               FOR UPDATE SKIP LOCKED"#,
            widest,
            today
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in soon {
            // The tightest threshold the host is inside of, warned once.
            let Some(threshold) = warn_days
                .iter()
                .copied()
                .filter(|days| row.days_left <= *days)
                .min()
            else {
                continue;
            };
            if row
                .expiry_warned_days
                .is_some_and(|warned| warned <= threshold)
            {
                continue;
            }
            sqlx::query!(
                "UPDATE monitored_host SET expiry_warned_days = $2 WHERE id = $1",
                row.id,
                threshold
            )
            .execute(&mut *tx)
            .await?;
            let due = Due {
                name: row.name,
                host: format!("{}:{}", row.address, row.port),
                expires_on: row.expires_on,
                customer_id: row.customer_id,
            };
            send(
                &mut tx,
                &mut templates,
                catalog::HOST_EXPIRING,
                &due,
                &[("days", row.days_left.to_string())],
            )
            .await?;
            report.warned += 1;
        }
    }
    tx.commit().await?;
    Ok(report)
}
