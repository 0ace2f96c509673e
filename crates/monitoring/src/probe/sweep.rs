//! The sweep engine: one TCP connect per target, many in flight at once, each
//! bounded by the check timeout.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::Host;
use super::policy::AddressPolicy;

/// With several addresses, the next one is tried this long after the
/// previous one started without an answer (RFC 8305 "Happy Eyeballs"
/// recommends 250 ms), or at once when the previous one failed.
pub const CONNECTION_ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// The seed's connect timeout (SPEC C6).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Checks in flight at once unless configured otherwise.
///
/// A target that never answers (a firewall dropping SYNs, a dead host) holds
/// its slot for the whole timeout, so a sweep lasts about
/// `ceil(hanging / concurrency) × timeout` plus the time the answering targets
/// take. With 4096 slots a sweep finishes in one timeout as long as fewer than
/// ~4000 targets hang, which covers a reseller's whole fleet being unreachable
/// at once. Each slot is one socket, hence [`raise_fd_limit`].
pub const DEFAULT_CONCURRENCY: usize = 4096;

/// File descriptors left to the rest of the process (database pool, HTTP
/// server, log files) when the sweep sizes itself to `RLIMIT_NOFILE`.
const FDS_RESERVED_FOR_THE_REST: u64 = 256;

/// One host:port to check; `id` is the caller's key (the monitored host's
/// row), returned untouched in its [`ProbeResult`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeTarget {
    pub id: i64,
    pub host: Host,
    pub port: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeResult {
    pub id: i64,
    pub outcome: ProbeOutcome,
    /// When the check finished.
    pub checked_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The handshake completed. `latency` runs from the start of the check to
    /// the completed connect, name resolution included.
    Up {
        latency: Duration,
    },
    Down {
        reason: DownReason,
    },
}

impl ProbeOutcome {
    pub fn is_up(&self) -> bool {
        matches!(self, Self::Up { .. })
    }
}

/// Why a check failed, in the terms an operator acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownReason {
    /// The host answered with a reset: it is up but nothing listens on the port.
    Refused,
    /// No answer within the timeout (host down, or SYNs dropped on the way).
    Timeout,
    /// The network or host is unreachable from here (an ICMP error or no route).
    Unreachable,
    /// The hostname did not resolve to any address within the timeout.
    DnsFailed,
    /// The address (or every address the name resolved to) is one the
    /// shop's rules do not probe; the text says which and why.
    NotAllowed(String),
    /// Any other socket error, with the system's message.
    Other(String),
}

/// Where hostnames resolve: the system resolver, or a fixed table that tests
/// use to give a name several addresses (a test resolver hook).
#[derive(Clone, Debug, Default)]
pub enum Resolver {
    #[default]
    System,
    Static(Arc<HashMap<String, Vec<IpAddr>>>),
}

impl PartialEq for Resolver {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Resolver::System, Resolver::System) => true,
            (Resolver::Static(a), Resolver::Static(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Resolver {}

impl Resolver {
    /// A table of names and their addresses, in the order a resolver would
    /// return them.
    pub fn fixed(entries: impl IntoIterator<Item = (String, Vec<IpAddr>)>) -> Self {
        Resolver::Static(Arc::new(entries.into_iter().collect()))
    }

    async fn lookup(&self, name: &str, port: u16) -> Result<Vec<SocketAddr>, DownReason> {
        match self {
            Resolver::System => match tokio::net::lookup_host((name, port)).await {
                Ok(addresses) => Ok(addresses.collect()),
                Err(_) => Err(DownReason::DnsFailed),
            },
            Resolver::Static(table) => Ok(table
                .get(name)
                .map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
                .unwrap_or_default()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProberConfig {
    /// Budget for one check, name resolution included.
    pub timeout: Duration,
    /// Checks in flight at once; see [`DEFAULT_CONCURRENCY`] for how to size it.
    /// Zero is treated as one.
    pub concurrency: usize,
    /// Which addresses may be probed (see [`super::policy`]).
    pub addresses: AddressPolicy,
    pub resolver: Resolver,
}

impl Default for ProberConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            concurrency: DEFAULT_CONCURRENCY,
            addresses: AddressPolicy::default(),
            resolver: Resolver::System,
        }
    }
}

/// Checks batches of targets by TCP connect.
#[derive(Clone, Debug, Default)]
pub struct Prober {
    config: ProberConfig,
}

impl Prober {
    pub fn new(config: ProberConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &ProberConfig {
        &self.config
    }

    /// Checks every target and returns one result per target, in completion
    /// order (match them by `id`).
    ///
    /// All checks run as futures of the calling task, driven by
    /// `buffer_unordered`, so a sweep occupies at most one runtime worker at a
    /// time and never floods the scheduler with thousands of tasks competing
    /// with the API's requests. A check is a handful of syscalls and a timer;
    /// measured with `benches/port_sweep.rs` (10,000 targets, 2 cores), a task
    /// per target (JoinSet + Semaphore) or two round-robin shards saved only
    /// 10-20 % of the CPU time and no wall time, most of the cost being the
    /// kernel's.
    pub async fn sweep(&self, targets: Vec<ProbeTarget>) -> Vec<ProbeResult> {
        let concurrency = self.effective_concurrency(targets.len());
        let mut results = Vec::with_capacity(targets.len());
        let mut checks = futures::stream::iter(targets)
            .map(|target| check(target, &self.config))
            .buffer_unordered(concurrency);
        while let Some(result) = checks.next().await {
            results.push(result);
        }
        results
    }

    /// Checks a single target with the configured timeout.
    pub async fn probe(&self, target: ProbeTarget) -> ProbeResult {
        check(target, &self.config).await
    }

    /// The configured concurrency, capped by the number of targets and by the
    /// open-file limit: past that limit `socket()` fails with EMFILE, which
    /// would report healthy hosts as down. Waiting for a slot only makes the
    /// sweep slower, so the cap is the safe side.
    fn effective_concurrency(&self, targets: usize) -> usize {
        let configured = self.config.concurrency.clamp(1, targets.max(1));
        let Ok((soft_limit, _hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) else {
            return configured;
        };
        let available =
            usize::try_from(soft_limit.saturating_sub(FDS_RESERVED_FOR_THE_REST).max(1))
                .unwrap_or(usize::MAX);
        if configured > available {
            tracing::warn!(
                configured,
                available,
                soft_limit,
                "probe concurrency capped by RLIMIT_NOFILE; call raise_fd_limit() at start-up"
            );
            return available;
        }
        configured
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the new soft
/// limit. A sweep keeps one socket per slot open, far beyond the usual soft
/// limit of 1024, while the hard limit is typically much higher; `juragan
/// serve` calls this once at start-up.
pub fn raise_fd_limit() -> io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// True when there are results and every one of them is down. Used for the
/// canary self-check: when targets that should always answer all fail, the
/// problem is the prober's own network, and the sweep's DOWNs mean nothing.
pub fn all_down(results: &[ProbeResult]) -> bool {
    !results.is_empty() && results.iter().all(|result| !result.outcome.is_up())
}

async fn check(target: ProbeTarget, config: &ProberConfig) -> ProbeResult {
    let started = Instant::now();
    let outcome = match connect(&target.host, target.port, started + config.timeout, config).await {
        Ok(()) => ProbeOutcome::Up {
            latency: started.elapsed(),
        },
        Err(reason) => ProbeOutcome::Down { reason },
    };
    ProbeResult {
        id: target.id,
        outcome,
        checked_at: Utc::now(),
    }
}

/// Resolves (when needed), applies the address rules and connects before
/// `deadline`. One address (an IP literal, most names) is one connect, as
/// before; several are tried staggered until one answers.
async fn connect(
    host: &Host,
    port: u16,
    deadline: Instant,
    config: &ProberConfig,
) -> Result<(), DownReason> {
    let addresses = match host.ip() {
        // A literal passed the rules, with the saver's permissions, when it
        // was saved; only what nobody may probe is refused here (rows saved
        // before the rules existed).
        Some(ip) => {
            config
                .addresses
                .check(ip, true)
                .map_err(|refused| DownReason::NotAllowed(refused.to_string()))?;
            return connect_one(SocketAddr::new(ip, port), deadline).await;
        }
        None => resolve(host, port, deadline, config).await?,
    };
    match addresses.as_slice() {
        [only] => connect_one(*only, deadline).await,
        _ => connect_any(addresses, deadline).await,
    }
}

/// Every address the name resolves to that the rules allow, in the
/// resolver's order. Names are checked at every resolution, not when saved:
/// a name can be pointed at 127.0.0.1 after it was added. A resolver that
/// does not answer before the deadline counts as a DNS failure, not a host
/// timeout: the operator has to look at DNS, not at the server.
async fn resolve(
    host: &Host,
    port: u16,
    deadline: Instant,
    config: &ProberConfig,
) -> Result<Vec<SocketAddr>, DownReason> {
    let name = host.hostname().ok_or(DownReason::DnsFailed)?;
    let resolved = timeout_at(deadline, config.resolver.lookup(name, port))
        .await
        .map_err(|_elapsed| DownReason::DnsFailed)??;
    let mut refused = None;
    let allowed: Vec<SocketAddr> = resolved
        .into_iter()
        .filter(
            |address| match config.addresses.check(address.ip(), false) {
                Ok(()) => true,
                Err(error) => {
                    refused.get_or_insert(error);
                    false
                }
            },
        )
        .collect();
    match (allowed.is_empty(), refused) {
        (false, _) => Ok(allowed),
        (true, Some(refused)) => Err(DownReason::NotAllowed(format!(
            "{name} resolves to {refused}"
        ))),
        (true, None) => Err(DownReason::DnsFailed),
    }
}

/// One TCP connect, closed at once without sending anything.
async fn connect_one(address: SocketAddr, deadline: Instant) -> Result<(), DownReason> {
    match timeout_at(deadline, TcpStream::connect(address)).await {
        // Dropping the stream closes it with a normal FIN.
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(error)) => Err(classify(&error)),
        Err(_elapsed) => Err(DownReason::Timeout),
    }
}

/// Several addresses (A and AAAA, or several A records): the host is up when
/// any of them answers. The first starts at once and each next one
/// [`CONNECTION_ATTEMPT_DELAY`] later, or as soon as the one before it
/// failed, so a dead first address costs a quarter second rather than the
/// whole timeout. Down only when all failed; the reason is the first
/// address's.
async fn connect_any(addresses: Vec<SocketAddr>, deadline: Instant) -> Result<(), DownReason> {
    let mut waiting: VecDeque<SocketAddr> = addresses.into();
    let mut attempts = FuturesUnordered::new();
    let mut first_failure = None;
    if let Some(first) = waiting.pop_front() {
        attempts.push(connect_one(first, deadline));
    }
    loop {
        tokio::select! {
            Some(result) = attempts.next() => match result {
                Ok(()) => return Ok(()),
                Err(reason) => {
                    first_failure.get_or_insert(reason);
                    if let Some(next) = waiting.pop_front() {
                        attempts.push(connect_one(next, deadline));
                    } else if attempts.is_empty() {
                        return Err(first_failure.unwrap_or(DownReason::Timeout));
                    }
                }
            },
            () = tokio::time::sleep(CONNECTION_ATTEMPT_DELAY), if !waiting.is_empty() => {
                if let Some(next) = waiting.pop_front() {
                    attempts.push(connect_one(next, deadline));
                }
            }
            else => return Err(first_failure.unwrap_or(DownReason::Timeout)),
        }
    }
}

fn classify(error: &io::Error) -> DownReason {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => DownReason::Refused,
        io::ErrorKind::TimedOut => DownReason::Timeout,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            DownReason::Unreachable
        }
        _ => DownReason::Other(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_socket_errors_by_kind() {
        let kind = |kind: io::ErrorKind| classify(&io::Error::from(kind));
        assert_eq!(kind(io::ErrorKind::ConnectionRefused), DownReason::Refused);
        assert_eq!(kind(io::ErrorKind::TimedOut), DownReason::Timeout);
        assert_eq!(
            kind(io::ErrorKind::HostUnreachable),
            DownReason::Unreachable
        );
        assert_eq!(
            kind(io::ErrorKind::NetworkUnreachable),
            DownReason::Unreachable
        );
        assert!(matches!(
            kind(io::ErrorKind::AddrNotAvailable),
            DownReason::Other(_)
        ));
    }

    #[test]
    fn all_down_needs_at_least_one_result() {
        let result = |outcome| ProbeResult {
            id: 1,
            outcome,
            checked_at: Utc::now(),
        };
        let down = result(ProbeOutcome::Down {
            reason: DownReason::Timeout,
        });
        let up = result(ProbeOutcome::Up {
            latency: Duration::from_millis(1),
        });
        assert!(!all_down(&[]));
        assert!(all_down(&[down.clone(), down.clone()]));
        assert!(!all_down(&[down, up]));
    }

    #[test]
    fn concurrency_is_at_least_one_and_at_most_the_batch() {
        let prober = |concurrency| {
            Prober::new(ProberConfig {
                concurrency,
                ..ProberConfig::default()
            })
        };
        assert_eq!(prober(0).effective_concurrency(10), 1);
        assert_eq!(prober(8).effective_concurrency(3), 3);
        assert_eq!(prober(8).effective_concurrency(0), 1);
    }
}
