//! The port checker. Every replica runs one loop: claim the hosts that are
//! due (a batch, `FOR UPDATE SKIP LOCKED`, held until the checks' timeout
//! plus a margin), check them all at once with the [`Prober`], and write the
//! results back in one statement that also adds the hourly rollups and one
//! row per state change; notifications join that transaction through the
//! outbox. A host is therefore checked once per interval by exactly one
//! replica, and the hosts of a replica that died come due again when its
//! claim lapses.
//!
//! Self-check: with canary targets configured (addresses that are always up,
//! e.g. a public DNS server), every sweep that finds a host failing also
//! checks them; when they fail too the checker itself is offline, failures
//! are not counted, and one alert says so.

mod notices;
pub mod state;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::MonitoringError;
use crate::host::HostStatus;
use crate::probe::{DownReason, Host, ProbeOutcome, ProbeTarget, Prober, ProberConfig};
use state::{CheckResult, HostState};

#[derive(Debug, Clone)]
pub struct CheckerConfig {
    pub prober: ProberConfig,
    /// Most hosts claimed by one sweep.
    pub batch_size: i64,
    /// Sleep between sweeps when nothing is due.
    pub idle_poll: Duration,
    /// Always-up targets that tell a dead host from a dead checker.
    pub canaries: Vec<(Host, u16)>,
    /// This many DOWN (or UP) changes in one sweep are announced in one message.
    pub group_threshold: usize,
    /// Names this replica's claims.
    pub replica: String,
    /// "Now" for the state machine and the shop's wall clock in messages.
    pub clock: domain::Clock,
}

impl Default for CheckerConfig {
    fn default() -> Self {
        CheckerConfig {
            prober: ProberConfig::default(),
            batch_size: 5_000,
            idle_poll: Duration::from_secs(1),
            canaries: Vec::new(),
            group_threshold: 5,
            replica: format!("checker-{}", Uuid::now_v7().simple()),
            clock: domain::Clock::default(),
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    pub checked: usize,
    pub up: usize,
    pub failed: usize,
    pub state_changes: usize,
    /// The canaries failed too: failures were not counted.
    pub network_down: bool,
}

/// A claimed host with what the state machine and the messages need.
#[derive(Debug, Clone)]
pub(crate) struct ClaimedHost {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub port: i32,
    pub state: HostState,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub down_notified_at: Option<DateTime<Utc>>,
    pub renotify_minutes: Option<i32>,
    pub customer_id: Option<Uuid>,
    pub in_maintenance: bool,
}

/// Runs sweeps until `shutdown`; errors are logged and the loop goes on.
pub async fn run(pool: PgPool, config: CheckerConfig, shutdown: CancellationToken) {
    let prober = Prober::new(config.prober.clone());
    tracing::info!(replica = %config.replica, "port checker started");
    while !shutdown.is_cancelled() {
        let pause = match sweep_once(&pool, &prober, &config).await {
            Ok(report) if report.checked > 0 => Duration::ZERO,
            Ok(_) => config.idle_poll,
            Err(error) => {
                tracing::error!(%error, "port check sweep failed");
                config.idle_poll * 5
            }
        };
        if !pause.is_zero() {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
    tracing::info!(replica = %config.replica, "port checker stopped");
}

async fn claim(pool: &PgPool, config: &CheckerConfig) -> Result<Vec<ClaimedHost>, MonitoringError> {
    // Long enough for every check of the batch to finish and be written.
    let hold = config.prober.timeout.as_secs_f64() + 30.0;
    let rows = sqlx::query!(
        r#"WITH due AS (
               SELECT id FROM monitored_host
               WHERE next_check_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
               ORDER BY next_check_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           UPDATE monitored_host h SET claimed_by = $1, claimed_until = now() + make_interval(secs => $3)
           FROM due WHERE h.id = due.id
           RETURNING h.id, h.name, h.address, h.port, h.status AS "status: HostStatus", h.consecutive_failures, h.failures_before_down,
                     h.check_interval_seconds, h.next_check_at, h.status_changed_at, h.down_notified_at, h.renotify_minutes,
                     h.customer_id,
                     EXISTS (SELECT 1 FROM maintenance_window m WHERE m.host_id = h.id AND now() >= m.starts_at AND now() < m.ends_at) AS "in_maintenance!""#,
        config.replica,
        config.batch_size,
        hold
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ClaimedHost {
            id: row.id,
            name: row.name,
            address: row.address,
            port: row.port,
            state: HostState {
                status: row.status,
                consecutive_failures: row.consecutive_failures,
                failures_before_down: row.failures_before_down,
                interval: Duration::from_secs(
                    u64::try_from(row.check_interval_seconds).unwrap_or(300),
                ),
                due_at: row.next_check_at,
            },
            status_changed_at: row.status_changed_at,
            down_notified_at: row.down_notified_at,
            renotify_minutes: row.renotify_minutes,
            customer_id: row.customer_id,
            in_maintenance: row.in_maintenance,
        })
        .collect())
}

fn describe(reason: &DownReason) -> String {
    match reason {
        DownReason::Refused => "connection refused".to_owned(),
        DownReason::Timeout => "no answer within the timeout".to_owned(),
        DownReason::Unreachable => "network unreachable".to_owned(),
        DownReason::DnsFailed => "the name did not resolve".to_owned(),
        DownReason::NotAllowed(message) | DownReason::Other(message) => message.clone(),
    }
}

/// Claims what is due, checks it, and writes the results; one sweep.
pub async fn sweep_once(
    pool: &PgPool,
    prober: &Prober,
    config: &CheckerConfig,
) -> Result<SweepReport, MonitoringError> {
    let hosts = claim(pool, config).await?;
    if hosts.is_empty() {
        return Ok(SweepReport::default());
    }
    let mut targets = Vec::with_capacity(hosts.len() + config.canaries.len());
    let mut results: Vec<Option<CheckResult>> = vec![None; hosts.len()];
    for (index, host) in hosts.iter().enumerate() {
        match (Host::parse(&host.address), u16::try_from(host.port)) {
            (Ok(address), Ok(port)) => targets.push(ProbeTarget {
                id: i64::try_from(index).unwrap_or(i64::MAX),
                host: address,
                port,
            }),
            // Stored before validation tightened, or edited by hand.
            _ => {
                results[index] = Some(CheckResult::Down {
                    reason: "invalid address or port".to_owned(),
                })
            }
        }
    }
    for (index, (host, port)) in config.canaries.iter().enumerate() {
        targets.push(ProbeTarget {
            id: -1 - i64::try_from(index).unwrap_or(0),
            host: host.clone(),
            port: *port,
        });
    }
    let mut canaries_up = 0;
    for probe in prober.sweep(targets).await {
        let result = match probe.outcome {
            ProbeOutcome::Up { latency } => CheckResult::Up {
                latency_ms: i32::try_from(latency.as_millis()).unwrap_or(i32::MAX),
            },
            ProbeOutcome::Down { reason } => CheckResult::Down {
                reason: describe(&reason),
            },
        };
        match usize::try_from(probe.id) {
            Ok(index) => results[index] = Some(result),
            Err(_) => canaries_up += usize::from(matches!(result, CheckResult::Up { .. })),
        }
    }
    let any_failed = results
        .iter()
        .any(|result| !matches!(result, Some(CheckResult::Up { .. })));
    let network_down = !config.canaries.is_empty() && canaries_up == 0 && any_failed;
    let results: Vec<CheckResult> = results
        .into_iter()
        .map(|result| {
            result.unwrap_or(CheckResult::Down {
                reason: "not checked".to_owned(),
            })
        })
        .collect();
    notices::record(pool, config, &hosts, &results, network_down).await
}
