//! Errors of starting and querying the fakes.

use std::{io, net::SocketAddr, time::Duration};

/// Why a fake could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The listening socket could not be bound (port taken, bad address, ...).
    #[error("cannot bind the {service} fake to {addr}")]
    Bind {
        service: &'static str,
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    /// The socket was bound but the operating system would not tell its port,
    /// which matters because tests bind port 0 and must learn the real one.
    #[error("cannot read the bound address of the {service} fake")]
    LocalAddr {
        service: &'static str,
        #[source]
        source: io::Error,
    },
}

/// No stored message matched within the time a test was willing to wait.
///
/// The message lists what the sink did receive, because "nothing arrived" and
/// "something arrived, but not what you expected" need different fixes.
#[derive(Debug, thiserror::Error)]
#[error("no matching mail arrived within {waited:?}; the sink holds {}: [{}]", .received.len(), .received.join("; "))]
pub struct WaitTimeout {
    /// How long the caller waited.
    pub waited: Duration,
    /// One line per stored message: recipients and subject.
    pub received: Vec<String>,
}
