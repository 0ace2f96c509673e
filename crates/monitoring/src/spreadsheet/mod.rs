//! Excel import and export of hosts and sales.
