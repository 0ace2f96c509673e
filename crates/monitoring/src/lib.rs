//! Monitoring: TCP port checks of monitored hosts, expiry watch, MikroTik
//! PPPoE online status and node resources, with the sales book of hosts sold
//! outside the catalog. State changes enqueue notifications in the same
//! transaction.

pub mod probe;
pub mod spreadsheet;
