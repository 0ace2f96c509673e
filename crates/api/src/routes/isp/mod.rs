//! ISP customers on MikroTik routers (SPEC C7): the routers, their status
//! sync, the customers with their map and isolation, and the customers'
//! Excel import and export.

mod customers;
mod routers;
mod workbook;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    routers::configure(config);
    // Before customers: `/customers/imports` and `/customers/export` are
    // not a customer id.
    workbook::configure(config);
    customers::configure(config);
}

/// Who sees the ISP side and runs "Sync now": the owner, sysadmins and the
/// business side (who sell the plans and take the customers' calls).
pub struct IspStaff;
impl crate::auth::Policy for IspStaff {
    const ROLES: &'static [identity::Role] = &[
        identity::Role::Owner,
        identity::Role::Sysadmin,
        identity::Role::Business,
    ];
}

/// Who manage routers (addresses, credentials, isolation settings): the
/// owner and sysadmins.
pub struct RouterAdmins;
impl crate::auth::Policy for RouterAdmins {
    const ROLES: &'static [identity::Role] = &[identity::Role::Owner, identity::Role::Sysadmin];
}
