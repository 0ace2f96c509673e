//! Provisioning: delivering what billing sold. Proxmox VMs, WHM hosting
//! accounts, domains, IP pools, digital goods and provider purchases, MikroTik
//! PPP secrets, each step a durable, resumable job on the job runner. May read
//! what billing sold, never the other way round.
//!
//! Only the crate boundary exists so far; features arrive with their issues.
