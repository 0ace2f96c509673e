//! Provisioning: sysadmin's integrations (Proxmox clusters, WHM servers),
//! their nodes, templates and packages, IP pools and the log of every
//! delivery and action run; the client's services with their actions.

mod integrations;
mod ip_pools;
mod runs;
mod services;

use identity::Role;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Policy;

pub fn configure(config: &mut ServiceConfig) {
    integrations::configure(config);
    ip_pools::configure(config);
    runs::configure(config);
    services::configure(config);
}

/// Integrations, pools, runs and service actions: the people who run the
/// machines.
pub struct ProvisioningAdmins;
impl Policy for ProvisioningAdmins {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Sysadmin];
}

/// Every client's services, to read: the admins, and finance, who keep an
/// eye on their billing lifecycle (acting on them stays the admins').
pub struct ServiceReaders;
impl Policy for ServiceReaders {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Sysadmin, Role::Finance];
}

/// Who holds services: clients and resellers, and the owner.
pub struct ServiceHolders;
impl Policy for ServiceHolders {
    const ROLES: &'static [Role] = &[Role::Client, Role::Reseller, Role::Owner];
}
