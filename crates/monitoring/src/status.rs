//! The public status page: the hosts staff made public, with state, last
//! check, response time, days left and uptime. No address or price leaves
//! here: the page is public.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::MonitoringError;
use crate::host::HostStatus;
use crate::uptime::{Uptime, uptime_of};

/// Days before expiry from which the page shows the "expiring" badge.
pub const EXPIRING_BADGE_DAYS: i64 = 7;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicHostStatus {
    pub name: String,
    pub status: HostStatus,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub response_time_ms: Option<i32>,
    /// Days until expiry (negative once expired); none without a date.
    pub days_left: Option<i64>,
    /// Expires within [`EXPIRING_BADGE_DAYS`] days.
    pub expiring: bool,
    pub expired: bool,
    pub in_maintenance: bool,
    pub uptime: Uptime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusPage {
    pub hosts: Vec<PublicHostStatus>,
    pub generated_at: DateTime<Utc>,
}

pub async fn public_page(pool: &PgPool) -> Result<StatusPage, MonitoringError> {
    let mut conn = pool.acquire().await?;
    let rows = sqlx::query!(
        r#"SELECT h.id, h.name, h.status AS "status: HostStatus", h.last_checked_at, h.last_latency_ms, (h.expires_on - shop_today())::bigint AS days_left,
                  EXISTS (SELECT 1 FROM maintenance_window m WHERE m.host_id = h.id AND now() >= m.starts_at AND now() < m.ends_at) AS "in_maintenance!"
           FROM monitored_host h WHERE h.is_public ORDER BY h.name, h.id"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut uptimes: HashMap<i64, Uptime> = uptime_of(&mut conn, &ids).await?.into_iter().collect();
    let hosts = rows
        .into_iter()
        .map(|row| PublicHostStatus {
            name: row.name,
            status: row.status,
            last_checked_at: row.last_checked_at,
            response_time_ms: row.last_latency_ms,
            days_left: row.days_left,
            expiring: row
                .days_left
                .is_some_and(|days| (0..=EXPIRING_BADGE_DAYS).contains(&days)),
            expired: row.days_left.is_some_and(|days| days < 0),
            in_maintenance: row.in_maintenance,
            uptime: uptimes.remove(&row.id).unwrap_or(Uptime {
                last_24h: None,
                last_7d: None,
                last_30d: None,
            }),
        })
        .collect();
    Ok(StatusPage {
        hosts,
        generated_at: Utc::now(),
    })
}
