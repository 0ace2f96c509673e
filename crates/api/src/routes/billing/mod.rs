//! Orders, invoices, payments, the wallet, promo codes and the billing
//! lifecycle: the client's side (checkout, paying, their invoices, wallet
//! and renewals), the gateways' notifications, and the staff's side
//! (finance, promo codes, the lifecycle's log and days).

mod finance;
mod gateways;
mod invoices;
mod lifecycle;
mod orders;
mod payments;
mod plan_changes;
mod promos;
mod wallet;

use identity::Role;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Policy;

pub fn configure(config: &mut ServiceConfig) {
    orders::configure(config);
    invoices::configure(config);
    payments::configure(config);
    wallet::configure(config);
    promos::configure(config);
    finance::configure(config);
    gateways::configure(config);
    lifecycle::configure(config);
    plan_changes::configure(config);
}

/// Who buys: clients and resellers — and the owner, who may do anything
/// (a test purchase). Other staff accounts do not shop.
pub struct Buyers;
impl Policy for Buyers {
    const ROLES: &'static [Role] = &[Role::Client, Role::Reseller, Role::Owner];
}

/// Transactions, invoices, confirmations and refunds: finance.
pub struct FinanceStaff;
impl Policy for FinanceStaff {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Finance];
}

/// Promo codes and vouchers: the business side.
pub struct PromoEditors;
impl Policy for PromoEditors {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Business];
}

/// Gateway credentials are integration secrets: owner and sysadmins set
/// them; finance may see them masked and test them.
pub struct GatewayAdmins;
impl Policy for GatewayAdmins {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Sysadmin];
}

pub struct GatewayReaders;
impl Policy for GatewayReaders {
    const ROLES: &'static [Role] = &[Role::Owner, Role::Sysadmin, Role::Finance];
}

/// `page` (from 1) and `limit` (1–100, default 25) of a paged list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100; default 25.
    pub limit: Option<i64>,
}

impl PageQuery {
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, 100_000)
    }

    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(25).clamp(1, domain::PAGE_SIZE_MAX)
    }
}

/// The buyer as an invoice names them, from their account (checkout
/// requires a complete profile and billing address before this is read).
pub(crate) fn buyer_snapshot(
    account: &identity::account::Account,
) -> billing::invoice::BuyerSnapshot {
    let (name, phone) = match &account.profile {
        Some(profile) => (profile.full_name.clone(), profile.phone.clone()),
        None => (account.email.clone(), None),
    };
    let address = account
        .billing_address
        .as_ref()
        .map(|a| {
            let mut lines = vec![a.line1.clone()];
            lines.extend(a.line2.clone());
            lines.push(format!("{}, {} {}", a.city, a.province, a.postal_code));
            lines.push(a.country.clone());
            lines
        })
        .unwrap_or_default();
    billing::invoice::BuyerSnapshot {
        name,
        email: account.email.clone(),
        phone,
        address,
    }
}
