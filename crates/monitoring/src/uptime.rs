//! Uptime from the hourly check rollups, shared by the host detail (staff)
//! and the public status page; neither owns the other.

use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use crate::MonitoringError;

/// Uptime over a period as a percentage of checks that found the host up;
/// `None` when there were no checks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Uptime {
    pub last_24h: Option<f64>,
    pub last_7d: Option<f64>,
    pub last_30d: Option<f64>,
}

/// Uptime of each host over 24 h, 7 d and 30 d from the hourly rollups, in
/// one query.
pub async fn uptime_of(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<Vec<(i64, Uptime)>, MonitoringError> {
    let rows = sqlx::query!(
        r#"SELECT host_id,
                  sum(checks) FILTER (WHERE hour >= now() - interval '24 hours') AS checks_24h,
                  sum(up_checks) FILTER (WHERE hour >= now() - interval '24 hours') AS up_24h,
                  sum(checks) FILTER (WHERE hour >= now() - interval '7 days') AS checks_7d,
                  sum(up_checks) FILTER (WHERE hour >= now() - interval '7 days') AS up_7d,
                  sum(checks) AS checks_30d,
                  sum(up_checks) AS up_30d
           FROM host_check_hourly
           WHERE host_id = ANY($1) AND hour >= now() - interval '30 days'
           GROUP BY host_id"#,
        ids
    )
    .fetch_all(conn)
    .await?;
    let percent = |up: Option<i64>, checks: Option<i64>| match (up, checks) {
        (Some(up), Some(checks)) if checks > 0 => {
            Some((up as f64 * 10_000.0 / checks as f64).round() / 100.0)
        }
        _ => None,
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.host_id,
                Uptime {
                    last_24h: percent(row.up_24h, row.checks_24h),
                    last_7d: percent(row.up_7d, row.checks_7d),
                    last_30d: percent(row.up_30d, row.checks_30d),
                },
            )
        })
        .collect())
}
