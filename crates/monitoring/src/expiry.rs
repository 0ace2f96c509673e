//! The expiry watch, a periodic job (once per period across replicas): one
//! message when a host passes its expiry date, remembered in the host's
//! `expiry_notified` flag until the date is renewed, and "expiring soon"
//! warnings at the configured days before. Many hosts on one check reach
//! staff as one message naming them (see [`ExpiryRules::group_threshold`]).

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

/// Hosts listed by name in a grouped staff message; the rest are counted.
const GROUPED_LINES: usize = 30;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExpiryReport {
    pub expired: usize,
    pub warned: usize,
}

/// When the watch speaks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryRules {
    /// E.g. `[7, 3, 1]`; each threshold warns once per expiry date.
    pub warn_days: Vec<i32>,
    /// From this many hosts expiring (or reaching a warning) on one check,
    /// staff get one message naming them instead of one per host (as for
    /// hosts going down together). An import of old data can carry
    /// thousands of past dates: one message each would keep the staff chat,
    /// and the Telegram queue behind which a DOWN alert waits, busy for
    /// many minutes.
    pub group_threshold: usize,
}

/// "Today" is the shop's day on `clock`.
pub fn register_jobs(
    registry: &mut Registry,
    interval: Duration,
    rules: ExpiryRules,
    clock: domain::Clock,
) {
    registry.handle(EXPIRY_JOB, move |context: JobContext| {
        let rules = rules.clone();
        let today = clock.today();
        async move {
            check(&context.pool, today, &rules)
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
    /// For a warning: the days left.
    days_left: Option<i32>,
}

impl Due {
    fn values(&self) -> Vec<(&'static str, String)> {
        let mut values = vec![
            ("name", self.name.clone()),
            ("host", self.host.clone()),
            ("expires_on", date(self.expires_on)),
        ];
        if let Some(days) = self.days_left {
            values.push(("days", days.to_string()));
        }
        values
    }

    fn line(&self) -> String {
        let days = self
            .days_left
            .map(|days| format!(" ({days})"))
            .unwrap_or_default();
        format!(
            "{} ({}), {}{days}",
            self.name,
            self.host,
            date(self.expires_on)
        )
    }
}

/// The messages of one kind of notice on one check: to staff, one per host
/// or one naming them all (from the group threshold on); to each host's
/// customer, their own.
async fn announce(
    conn: &mut PgConnection,
    templates: &mut TemplateCache,
    (single, grouped_event): (&str, &str),
    mut due: Vec<Due>,
    group_threshold: usize,
) -> Result<(), MonitoringError> {
    let grouped = due.len() >= group_threshold.max(2);
    if grouped {
        due.sort_by(|a, b| {
            a.expires_on
                .cmp(&b.expires_on)
                .then_with(|| a.name.cmp(&b.name))
        });
        let mut lines: Vec<String> = due.iter().take(GROUPED_LINES).map(Due::line).collect();
        if due.len() > GROUPED_LINES {
            lines.push(format!("… +{}", due.len() - GROUPED_LINES));
        }
        let message = templates
            .render(
                conn,
                grouped_event,
                &[
                    ("count", due.len().to_string()),
                    ("hosts", lines.join("\n")),
                ],
            )
            .await?;
        telegram_chat::notify_staff(conn, grouped_event, &message).await?;
    }
    for host in &due {
        if grouped && host.customer_id.is_none() {
            // Staff heard about it in the grouped message; nobody else to tell.
            continue;
        }
        let message = templates.render(conn, single, &host.values()).await?;
        if !grouped {
            telegram_chat::notify_staff(conn, single, &message).await?;
        }
        if let Some(customer) = host.customer_id {
            notify_client(conn, customer, single, &message).await?;
        }
    }
    Ok(())
}

/// Sends what is due on the shop's day `today`; running it twice sends
/// nothing more.
pub async fn check(
    pool: &PgPool,
    today: NaiveDate,
    rules: &ExpiryRules,
) -> Result<ExpiryReport, MonitoringError> {
    let mut tx = pool.begin().await?;
    let mut templates = TemplateCache::new(Language::Id);
    let expired: Vec<Due> = sqlx::query!(
        r#"UPDATE monitored_host SET expiry_notified = true
           WHERE expires_on < $1 AND NOT expiry_notified
           RETURNING name, address, port, expires_on AS "expires_on!", customer_id"#,
        today
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| Due {
        name: row.name,
        host: format!("{}:{}", row.address, row.port),
        expires_on: row.expires_on,
        customer_id: row.customer_id,
        days_left: None,
    })
    .collect();
    let mut report = ExpiryReport {
        expired: expired.len(),
        warned: 0,
    };
    announce(
        &mut tx,
        &mut templates,
        (catalog::HOST_EXPIRED, catalog::HOSTS_EXPIRED),
        expired,
        rules.group_threshold,
    )
    .await?;

    let widest = rules.warn_days.iter().copied().max().unwrap_or(0);
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
        let (mut ids, mut thresholds, mut warned) = (Vec::new(), Vec::new(), Vec::new());
        for row in soon {
            // The tightest threshold the host is inside of, warned once.
            let Some(threshold) = rules
                .warn_days
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
            ids.push(row.id);
            thresholds.push(threshold);
            warned.push(Due {
                name: row.name,
                host: format!("{}:{}", row.address, row.port),
                expires_on: row.expires_on,
                customer_id: row.customer_id,
                days_left: Some(row.days_left),
            });
        }
        // Most checks warn nobody: no statement then.
        if !ids.is_empty() {
            sqlx::query!(
                "UPDATE monitored_host h SET expiry_warned_days = w.threshold
                 FROM unnest($1::bigint[], $2::int[]) AS w (id, threshold) WHERE h.id = w.id",
                &ids,
                &thresholds
            )
            .execute(&mut *tx)
            .await?;
        }
        report.warned = warned.len();
        announce(
            &mut tx,
            &mut templates,
            (catalog::HOST_EXPIRING, catalog::HOSTS_EXPIRING),
            warned,
            rules.group_threshold,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}
