//! The per-host state machine, free of I/O: what one check result does to a
//! host's status, failure count and next check.
//!
//! - one success: UP;
//! - a failure: PENDING until `failures_before_down` failures in a row, then
//!   DOWN; while PENDING the host is checked again soon (at most 30 s) so a
//!   real outage is confirmed quickly instead of one interval later;
//! - when the checker's own network is down (the canary fails too), a
//!   failure says nothing about the host: nothing changes and the result is
//!   not counted in uptime.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::host::HostStatus;

/// How soon a failing (PENDING) host is checked again.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct HostState {
    pub status: HostStatus,
    pub consecutive_failures: i32,
    pub failures_before_down: i32,
    pub interval: Duration,
    /// When this check was due.
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckResult {
    Up { latency_ms: i32 },
    Down { reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub status: HostStatus,
    pub consecutive_failures: i32,
    pub next_check_at: DateTime<Utc>,
    /// `Some(previous)` when the status changed.
    pub changed_from: Option<HostStatus>,
    /// Counted in the uptime rollup (not when the checker was offline).
    pub counted: bool,
}

/// The next due time on the host's own schedule: the old due time plus as
/// many whole intervals as needed to be in the future. Keeping the phase
/// keeps hosts spread evenly over the interval.
fn next_on_schedule(
    due_at: DateTime<Utc>,
    interval: Duration,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let interval =
        chrono::Duration::from_std(interval).unwrap_or_else(|_| chrono::Duration::seconds(300));
    if interval <= chrono::Duration::zero() {
        return now;
    }
    let behind = now - due_at;
    let steps = if behind < chrono::Duration::zero() {
        1
    } else {
        behind.num_milliseconds() / interval.num_milliseconds().max(1) + 1
    };
    due_at + interval * i32::try_from(steps).unwrap_or(i32::MAX)
}

pub fn apply(
    state: &HostState,
    result: &CheckResult,
    network_down: bool,
    now: DateTime<Utc>,
) -> Transition {
    let retry = now
        + chrono::Duration::from_std(RETRY_AFTER_FAILURE.min(state.interval))
            .unwrap_or_else(|_| chrono::Duration::seconds(30));
    let (status, failures, next_check_at, counted) = match result {
        CheckResult::Up { .. } => (
            HostStatus::Up,
            0,
            next_on_schedule(state.due_at, state.interval, now),
            true,
        ),
        CheckResult::Down { .. } if network_down => {
            (state.status, state.consecutive_failures, retry, false)
        }
        CheckResult::Down { .. } => {
            let failures = state.consecutive_failures.saturating_add(1);
            if failures >= state.failures_before_down {
                (
                    HostStatus::Down,
                    failures,
                    next_on_schedule(state.due_at, state.interval, now),
                    true,
                )
            } else {
                (HostStatus::Pending, failures, retry, true)
            }
        }
    };
    Transition {
        status,
        consecutive_failures: failures,
        next_check_at,
        changed_from: (status != state.status).then_some(state.status),
        counted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("a valid time")
    }

    fn state(status: HostStatus, failures: i32) -> HostState {
        HostState {
            status,
            consecutive_failures: failures,
            failures_before_down: 2,
            interval: Duration::from_secs(300),
            due_at: at(0),
        }
    }

    const DOWN: CheckResult = CheckResult::Down {
        reason: String::new(),
    };
    const UP: CheckResult = CheckResult::Up { latency_ms: 3 };

    #[test]
    fn two_failures_make_down_and_one_success_makes_up() {
        let first = apply(&state(HostStatus::Up, 0), &DOWN, false, at(1));
        assert_eq!(
            (first.status, first.consecutive_failures, first.changed_from),
            (HostStatus::Pending, 1, Some(HostStatus::Up))
        );
        assert_eq!(
            first.next_check_at,
            at(31),
            "a failing host is checked again soon"
        );

        let second = apply(&state(HostStatus::Pending, 1), &DOWN, false, at(31));
        assert_eq!(
            (
                second.status,
                second.consecutive_failures,
                second.changed_from
            ),
            (HostStatus::Down, 2, Some(HostStatus::Pending))
        );

        let still = apply(&state(HostStatus::Down, 2), &DOWN, false, at(100));
        assert_eq!((still.status, still.changed_from), (HostStatus::Down, None));

        let back = apply(&state(HostStatus::Down, 5), &UP, false, at(200));
        assert_eq!(
            (back.status, back.consecutive_failures, back.changed_from),
            (HostStatus::Up, 0, Some(HostStatus::Down))
        );
    }

    #[test]
    fn one_failure_is_enough_when_configured() {
        let mut host = state(HostStatus::Up, 0);
        host.failures_before_down = 1;
        assert_eq!(apply(&host, &DOWN, false, at(1)).status, HostStatus::Down);
    }

    #[test]
    fn a_new_host_goes_from_pending_to_up_without_a_false_alarm() {
        let first = apply(&state(HostStatus::Pending, 0), &UP, false, at(1));
        assert_eq!(
            (first.status, first.changed_from),
            (HostStatus::Up, Some(HostStatus::Pending))
        );
    }

    #[test]
    fn healthy_hosts_keep_their_phase() {
        let next = apply(&state(HostStatus::Up, 0), &UP, false, at(2));
        assert_eq!(next.next_check_at, at(300));
        // Far behind (the checker was stopped): the next slot of the same phase.
        let late = apply(&state(HostStatus::Up, 0), &UP, false, at(1_000));
        assert_eq!(late.next_check_at, at(1_200));
    }

    #[test]
    fn when_the_checker_is_offline_failures_change_nothing() {
        let host = state(HostStatus::Up, 0);
        let offline = apply(&host, &DOWN, true, at(1));
        assert_eq!(
            (
                offline.status,
                offline.consecutive_failures,
                offline.changed_from,
                offline.counted
            ),
            (HostStatus::Up, 0, None, false)
        );
        // A success is still a success.
        assert!(apply(&host, &UP, true, at(1)).counted);
    }
}
