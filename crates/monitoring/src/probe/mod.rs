//! TCP port probes: the validated [`Host`] of a monitored server, and the
//! [`Prober`] that checks a whole batch of host:port targets by TCP connect
//! with a per-check timeout and bounded concurrency. Scheduling, UP/DOWN
//! history and notifications live with the callers; this module only answers
//! "does this port accept a connection right now, and if not, why".

mod host;
pub mod policy;
mod sweep;

pub use host::{Host, HostError};
pub use policy::{AddressClass, AddressPolicy, RefusedAddress};
pub use sweep::{
    CONNECTION_ATTEMPT_DELAY, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, DownReason, ProbeOutcome,
    ProbeResult, ProbeTarget, Prober, ProberConfig, Resolver, all_down, raise_fd_limit,
};
