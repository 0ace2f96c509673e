import type { components } from './schema'

export type Role = components['schemas']['Role']

/** Every role, in the order the UI lists them. */
export const ALL_ROLES = ['client', 'reseller', 'sysadmin', 'business', 'finance', 'owner'] as const satisfies readonly Role[]

/** Roles of the back office; staff always sign in with a one-time code. */
export const STAFF_ROLES = ['sysadmin', 'business', 'finance', 'owner'] as const satisfies readonly Role[]

/** Roles that may send broadcasts (`/api/v1/notifications/broadcasts`). */
export const BROADCAST_ROLES = ['business', 'owner'] as const satisfies readonly Role[]

/** Roles that run the server monitor and its Excel import (`/api/v1/monitoring/**`). */
export const MONITOR_ROLES = ['owner', 'sysadmin', 'business'] as const satisfies readonly Role[]

/** Roles that run the ISP side (`/api/v1/isp/**`): routers, customers, their status, map and sync. */
export const ISP_ROLES = ['owner', 'sysadmin', 'business'] as const satisfies readonly Role[]

/** Roles that add, change, delete and test MikroTik routers (their credentials). */
export const ISP_ROUTER_EDIT_ROLES = ['owner', 'sysadmin'] as const satisfies readonly Role[]

/** Roles that keep the sales book (`/api/v1/sales`). */
export const SALES_ROLES = ['owner', 'business', 'finance'] as const satisfies readonly Role[]

/** Roles that edit the storefront's content (`/api/v1/staff/content/**`). */
export const CONTENT_ROLES = ['owner', 'business'] as const satisfies readonly Role[]
/** Roles that edit listings, prices, stock and categories of the catalog. */
export const CATALOG_EDIT_ROLES = ['owner', 'business'] as const satisfies readonly Role[]

/** Roles that edit products' technical attributes, regions and OS templates. */
export const TECHNICAL_ROLES = ['owner', 'sysadmin'] as const satisfies readonly Role[]

/** Roles that may add a product (each side with what it knows). */
export const PRODUCT_CREATE_ROLES = ['owner', 'business', 'sysadmin'] as const satisfies readonly Role[]

/** Roles that buy: checkout, orders, invoices, the wallet (`/api/v1/orders`, `/invoices`, `/wallet`). */
export const BUYER_ROLES = ['client', 'reseller'] as const satisfies readonly Role[]

/** Roles that keep the money side: invoices, payments, manual transfers, flags, billing settings. */
export const FINANCE_ROLES = ['owner', 'finance'] as const satisfies readonly Role[]

/** Who changes a client's plan for them (`PlanChangeStaff`). */
export const PLAN_CHANGE_ROLES = ['owner', 'finance', 'business'] as const satisfies readonly Role[]

/**
 * Roles that run the billing lifecycle: the automation log, preview and dry run, the shop's and
 * products' days, a service's overrides and staff cancellations (`/api/v1/staff/lifecycle/**`).
 */
export const LIFECYCLE_ROLES = ['owner', 'finance'] as const satisfies readonly Role[]

/** Roles that run promo codes and vouchers (`/api/v1/staff/promo-codes`). */
export const PROMO_ROLES = ['owner', 'business'] as const satisfies readonly Role[]

/** Roles that see the payment gateways (finance reads and tests them). */
export const GATEWAY_ROLES = ['owner', 'sysadmin', 'finance'] as const satisfies readonly Role[]

/** Roles that change the payment gateways' settings and secrets. */
export const GATEWAY_EDIT_ROLES = ['owner', 'sysadmin'] as const satisfies readonly Role[]

/** Roles that see their own delivered services (`/api/v1/services`). */
export const SERVICE_ROLES = ['client', 'reseller', 'owner'] as const satisfies readonly Role[]

/** Roles that run provisioning: integrations, nodes, IP pools, runs, every service (`/api/v1/staff/...`). */
export const PROVISIONING_ROLES = ['owner', 'sysadmin'] as const satisfies readonly Role[]
/** Who may read every client's services: the provisioning admins, and finance (their billing lifecycle). */
export const SERVICE_STAFF_ROLES = ['owner', 'sysadmin', 'finance'] as const satisfies readonly Role[]

export function isStaffRole(role: Role): boolean {
  return (STAFF_ROLES as readonly Role[]).includes(role)
}

/** True when `have` holds at least one of `wanted`. */
export function hasAnyRole(have: readonly Role[], wanted: readonly Role[]): boolean {
  return wanted.some((r) => have.includes(r))
}
