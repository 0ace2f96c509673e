//! What the lifecycle tells the client (email, and Telegram when linked):
//! a renewal invoice, the reminders before and on the due date and once
//! overdue, a suspension and a termination. Each is a job queued in the
//! transaction that decided it, once per service, period and notice.

use chrono::NaiveDate;
use notify::client_notice::notify_client;
use notify::template::{Language, catalog, render_event_in};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

use crate::BillingError;
use crate::invoice::store as invoice_store;

pub const NOTICE_JOB: &str = "billing.lifecycle_notice";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    Invoiced,
    DueSoon,
    DueToday,
    Overdue,
    Suspended,
    Terminated,
}

impl Notice {
    fn event(self) -> &'static str {
        match self {
            Notice::Invoiced => catalog::RENEWAL_INVOICE,
            Notice::DueSoon => catalog::RENEWAL_DUE_SOON,
            Notice::DueToday => catalog::RENEWAL_DUE_TODAY,
            Notice::Overdue => catalog::RENEWAL_OVERDUE,
            Notice::Suspended => catalog::SERVICE_SUSPENDED,
            Notice::Terminated => catalog::SERVICE_TERMINATED,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Notice::Invoiced => "invoiced",
            Notice::DueSoon => "due_soon",
            Notice::DueToday => "due_today",
            Notice::Overdue => "overdue",
            Notice::Suspended => "suspended",
            Notice::Terminated => "terminated",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct NoticeJob {
    pub service_id: i64,
    /// The renewal invoice the notice is about (none for a termination
    /// after a cancellation).
    pub invoice_id: Option<i64>,
    pub period_start: NaiveDate,
    pub notice: Notice,
}

/// Queues `notice`, in the caller's transaction.
pub(crate) async fn enqueue(conn: &mut PgConnection, job: NoticeJob) -> Result<(), BillingError> {
    let key = format!(
        "{NOTICE_JOB}:{}:{}:{}",
        job.service_id,
        job.period_start,
        job.notice.key()
    );
    jobs::enqueue(conn, jobs::NewJob::new(NOTICE_JOB, &job)?.dedupe_key(key)).await?;
    Ok(())
}

/// The job: renders the notice in the shop's language and sends it.
pub async fn send(pool: &PgPool, job: NoticeJob) -> Result<(), BillingError> {
    let mut tx = pool.begin().await?;
    let service = sqlx::query!(
        r#"SELECT s.user_id, s.label, COALESCE(p.full_name, u.email) AS "name!",
                  s.extended_until
             FROM service s JOIN app_user u ON u.id = s.user_id
             LEFT JOIN user_profile p ON p.user_id = s.user_id WHERE s.id = $1"#,
        job.service_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(BillingError::NotFound("no such service"))?;
    let day = |date: NaiveDate| date.format("%d/%m/%Y").to_string();
    let mut values = vec![("name", service.name), ("service", service.label)];
    if let Some(invoice_id) = job.invoice_id {
        let invoice = invoice_store::find(&mut tx, invoice_id).await?;
        values.push(("number", invoice.number.clone()));
        values.push(("total", invoice.total().to_string()));
        values.push(("due", day(job.period_start)));
    }
    // The day the sweep acts: so many days after the due date, or the day
    // after a staff extension, whichever is later (as the sweep decides).
    let after = |days: i16| {
        let due_plus = domain::calendar::add_days(job.period_start, i64::from(days));
        let after_extension = service
            .extended_until
            .and_then(|until| domain::calendar::add_days(until, 1));
        due_plus.max(after_extension).map(day).unwrap_or_default()
    };
    // Only these two name a coming day; the others need no terms.
    if matches!(job.notice, Notice::Overdue | Notice::Suspended) {
        let terms = super::settings::for_service(&mut tx, job.service_id).await?;
        match job.notice {
            Notice::Overdue => values.push(("suspend_on", after(terms.suspend_after_days))),
            _ => values.push(("terminate_on", after(terms.terminate_after_days))),
        }
    }
    let event = job.notice.event();
    let message = render_event_in(&mut tx, event, Language::Id, &values).await?;
    notify_client(&mut tx, service.user_id, event, &message).await?;
    tx.commit().await?;
    Ok(())
}
