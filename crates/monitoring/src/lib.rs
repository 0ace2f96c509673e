//! Monitoring: TCP port checks of monitored hosts, expiry watch, the public
//! status page, and the sales book of hosts and accounts sold outside the
//! catalog with its Excel import and export. State changes enqueue
//! notifications in the same transaction.

pub mod bounds;
pub mod checker;
mod error;
pub mod expiry;
pub mod host;
pub mod import;
pub mod probe;
pub mod retention;
pub mod sales;
pub mod spreadsheet;
pub mod status;
pub mod uptime;

pub use error::MonitoringError;
