//! TCP port probes.
