//! Writing a sweep back: one statement for every host's new state, its
//! hourly rollup and the state-change rows, then the messages those changes
//! cause, all in one transaction (the messages go through the outbox).

use chrono::{DateTime, Utc};
use notify::client_notice::notify_client;
use notify::telegram_chat;
use notify::template::{Language, RenderedMessage, TemplateCache, catalog};
use sqlx::PgConnection;

use super::state::{self, CheckResult};
use super::{CheckerConfig, ClaimedHost, SweepReport};
use crate::MonitoringError;
use crate::host::HostStatus;

fn duration_words(from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> String {
    let Some(from) = from else {
        return "?".to_owned();
    };
    let minutes = (to - from).num_minutes().max(0);
    match minutes {
        0 => "< 1 menit".to_owned(),
        1..=59 => format!("{minutes} menit"),
        60..=2879 => format!("{} jam {} menit", minutes / 60, minutes % 60),
        _ => format!("{} hari", minutes / 1440),
    }
}

fn host_label(host: &ClaimedHost) -> String {
    if host.address.contains(':') {
        format!("[{}]:{}", host.address, host.port)
    } else {
        format!("{}:{}", host.address, host.port)
    }
}

pub(crate) async fn record(
    pool: &sqlx::PgPool,
    config: &CheckerConfig,
    hosts: &[ClaimedHost],
    results: &[CheckResult],
    network_down: bool,
) -> Result<SweepReport, MonitoringError> {
    let now = config.clock.now();
    let mut report = SweepReport {
        checked: hosts.len(),
        network_down,
        ..SweepReport::default()
    };
    let (mut ids, mut statuses, mut failures, mut latencies, mut errors, mut next_checks) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut changed, mut from_statuses, mut counted, mut ups, mut notified) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut went_down = Vec::new();
    let mut came_up = Vec::new();
    let mut still_down = Vec::new();
    for (host, result) in hosts.iter().zip(results) {
        let transition = state::apply(&host.state, result, network_down, now);
        let (latency, error) = match result {
            CheckResult::Up { latency_ms } => (Some(*latency_ms), None),
            CheckResult::Down { reason } => (None, Some(reason.clone())),
        };
        let is_up = matches!(result, CheckResult::Up { .. });
        report.up += usize::from(is_up);
        report.failed += usize::from(!is_up);
        let mut notify_down = false;
        if let Some(previous) = transition.changed_from {
            report.state_changes += 1;
            if transition.status == HostStatus::Down && !host.in_maintenance {
                went_down.push((host, error.clone().unwrap_or_default()));
                notify_down = true;
            }
            // UP is news only after a DOWN that was announced.
            if transition.status == HostStatus::Up
                && previous == HostStatus::Down
                && host.down_notified_at.is_some()
            {
                came_up.push(host);
            }
        } else if transition.status == HostStatus::Down && !host.in_maintenance {
            match (host.down_notified_at, host.renotify_minutes) {
                // It went down inside a maintenance window that has ended.
                (None, _) => {
                    went_down.push((host, error.clone().unwrap_or_default()));
                    notify_down = true;
                }
                (Some(last), Some(minutes))
                    if now - last >= chrono::Duration::minutes(i64::from(minutes)) =>
                {
                    still_down.push((host, error.clone().unwrap_or_default()));
                    notify_down = true;
                }
                _ => {}
            }
        }
        ids.push(host.id);
        statuses.push(transition.status.as_str().to_owned());
        failures.push(transition.consecutive_failures);
        latencies.push(latency);
        errors.push(error);
        next_checks.push(transition.next_check_at);
        changed.push(transition.changed_from.is_some());
        from_statuses.push(
            transition
                .changed_from
                .unwrap_or(transition.status)
                .as_str()
                .to_owned(),
        );
        counted.push(transition.counted);
        ups.push(is_up);
        notified.push(notify_down);
    }

    let mut tx = pool.begin().await?;
    // The sweep's one write: states, rollups and state changes together.
    let written: Vec<i64> = sqlx::query_scalar!(
        r#"WITH r AS (
               SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::text[], $6::timestamptz[],
                                    $7::bool[], $8::text[], $9::bool[], $10::bool[], $11::bool[])
                   AS r(id, status, failures, latency_ms, error, next_check_at, changed, from_status, counted, up, notified)),
           upd AS (
               UPDATE monitored_host h SET
                   status = r.status, consecutive_failures = r.failures, last_checked_at = now(),
                   last_latency_ms = r.latency_ms, last_error = r.error, next_check_at = r.next_check_at,
                   status_changed_at = CASE WHEN r.changed THEN now() ELSE h.status_changed_at END,
                   down_notified_at = CASE WHEN r.notified THEN now() WHEN r.status <> 'down' THEN NULL ELSE h.down_notified_at END,
                   claimed_by = NULL, claimed_until = NULL
               FROM r WHERE h.id = r.id AND h.claimed_by = $12
               RETURNING h.id),
           changes AS (
               INSERT INTO host_state_change (host_id, from_status, to_status, reason)
               SELECT r.id, r.from_status, r.status, r.error FROM r JOIN upd USING (id) WHERE r.changed),
           rollup AS (
               INSERT INTO host_check_hourly (host_id, hour, checks, up_checks, latency_sum_ms)
               SELECT r.id, date_trunc('hour', now()), 1, r.up::int, coalesce(r.latency_ms, 0) FROM r JOIN upd USING (id) WHERE r.counted
               ON CONFLICT (host_id, hour) DO UPDATE SET
                   checks = host_check_hourly.checks + 1,
                   up_checks = host_check_hourly.up_checks + EXCLUDED.up_checks,
                   latency_sum_ms = host_check_hourly.latency_sum_ms + EXCLUDED.latency_sum_ms)
           SELECT id AS "id!" FROM upd"#,
        &ids,
        &statuses,
        &failures,
        &latencies as &[Option<i32>],
        &errors as &[Option<String>],
        &next_checks,
        &changed,
        &from_statuses,
        &counted,
        &ups,
        &notified,
        config.replica
    )
    .fetch_all(&mut *tx)
    .await?;
    // A claim that lapsed (this replica stalled) was taken over: its
    // messages are the other replica's to send.
    let ours = |id: i64| written.contains(&id);
    went_down.retain(|(host, _)| ours(host.id));
    came_up.retain(|host| ours(host.id));
    still_down.retain(|(host, _)| ours(host.id));

    let mut templates = TemplateCache::new(Language::Id);
    if network_down {
        announce_offline(&mut tx, &mut templates, config).await?;
    } else if !config.canaries.is_empty() {
        sqlx::query!("UPDATE monitor_state SET network_down_since = NULL WHERE network_down_since IS NOT NULL").execute(&mut *tx).await?;
    }
    announce_down(&mut tx, &mut templates, config, &went_down, now).await?;
    for (host, error) in &still_down {
        let message = host_message(
            &mut tx,
            &mut templates,
            catalog::HOST_DOWN,
            host,
            &[
                (
                    "since",
                    config
                        .clock
                        .local_time(host.status_changed_at.unwrap_or(now)),
                ),
                ("error", error.clone()),
            ],
        )
        .await?;
        telegram_chat::notify_staff(&mut tx, catalog::HOST_DOWN, &message).await?;
    }
    for host in &came_up {
        let message = host_message(
            &mut tx,
            &mut templates,
            catalog::HOST_UP,
            host,
            &[("downtime", duration_words(host.status_changed_at, now))],
        )
        .await?;
        telegram_chat::notify_staff(&mut tx, catalog::HOST_UP, &message).await?;
        tell_customer(&mut tx, host, catalog::HOST_UP, &message).await?;
    }
    tx.commit().await?;
    Ok(report)
}

async fn host_message(
    conn: &mut PgConnection,
    templates: &mut TemplateCache,
    event: &str,
    host: &ClaimedHost,
    extra: &[(&str, String)],
) -> Result<RenderedMessage, MonitoringError> {
    let mut values = vec![("name", host.name.clone()), ("host", host_label(host))];
    values.extend(extra.iter().cloned());
    Ok(templates.render(conn, event, &values).await?)
}

async fn tell_customer(
    conn: &mut PgConnection,
    host: &ClaimedHost,
    event: &str,
    message: &RenderedMessage,
) -> Result<(), MonitoringError> {
    if let Some(customer) = host.customer_id {
        notify_client(conn, customer, event, message).await?;
    }
    Ok(())
}

/// Many hosts down in one sweep: one staff message naming them; each
/// customer still hears about their own host.
async fn announce_down(
    conn: &mut PgConnection,
    templates: &mut TemplateCache,
    config: &CheckerConfig,
    went_down: &[(&ClaimedHost, String)],
    now: DateTime<Utc>,
) -> Result<(), MonitoringError> {
    let grouped = went_down.len() >= config.group_threshold.max(2);
    if grouped {
        let mut lines: Vec<String> = went_down
            .iter()
            .take(30)
            .map(|(host, error)| format!("{} ({}): {error}", host.name, host_label(host)))
            .collect();
        if went_down.len() > 30 {
            lines.push(format!("… +{}", went_down.len() - 30));
        }
        let message = templates
            .render(
                conn,
                catalog::HOSTS_DOWN,
                &[
                    ("count", went_down.len().to_string()),
                    ("hosts", lines.join("\n")),
                ],
            )
            .await?;
        telegram_chat::notify_staff(conn, catalog::HOSTS_DOWN, &message).await?;
    }
    for (host, error) in went_down {
        if grouped && host.customer_id.is_none() {
            // Staff heard about it in the grouped message; nobody else to tell.
            continue;
        }
        let message = host_message(
            conn,
            templates,
            catalog::HOST_DOWN,
            host,
            &[
                ("since", config.clock.local_time(now)),
                ("error", error.clone()),
            ],
        )
        .await?;
        if !grouped {
            telegram_chat::notify_staff(conn, catalog::HOST_DOWN, &message).await?;
        }
        tell_customer(conn, host, catalog::HOST_DOWN, &message).await?;
    }
    Ok(())
}

/// Once per outage of the checker's own network, whichever replica sees it
/// first.
async fn announce_offline(
    conn: &mut PgConnection,
    templates: &mut TemplateCache,
    config: &CheckerConfig,
) -> Result<(), MonitoringError> {
    let first = sqlx::query_scalar!("UPDATE monitor_state SET network_down_since = now() WHERE network_down_since IS NULL RETURNING true")
        .fetch_optional(&mut *conn)
        .await?;
    if first.is_some() {
        let canaries: Vec<String> = config
            .canaries
            .iter()
            .map(|(host, port)| format!("{host}:{port}"))
            .collect();
        let message = templates
            .render(
                conn,
                catalog::CHECKER_OFFLINE,
                &[("canary", canaries.join(", "))],
            )
            .await?;
        telegram_chat::notify_staff(conn, catalog::CHECKER_OFFLINE, &message).await?;
        tracing::warn!(canaries = %canaries.join(", "), "the port checker lost its network; host states are frozen");
    }
    Ok(())
}
