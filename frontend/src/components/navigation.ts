import { BROADCAST_ROLES, BUYER_ROLES, CONTENT_ROLES, FINANCE_ROLES, GATEWAY_ROLES, ISP_ROLES, LIFECYCLE_ROLES, MONITOR_ROLES, PROMO_ROLES, PROVISIONING_ROLES, SALES_ROLES, SERVICE_ROLES, hasAnyRole, type Role } from '../api/roles'

/** The areas in the header nav; labels are i18n keys. */
export interface NavItem {
  key: string
  labelKey: string
  to?: string
  /** Plain link that leaves the SPA (served by the backend). */
  href?: string
  /** Shown only to staff, or only to the owner; everyone else does not see the entry. */
  audience?: 'staff' | 'owner'
  /** Shown only to users holding one of these roles. */
  roles?: readonly Role[]
  /** A group: a menu of these entries (shown when at least one of them is). */
  children?: readonly NavItem[]
}

export const NAV_ITEMS: readonly NavItem[] = [
  { key: 'storefront', labelKey: 'nav.storefront', to: '/' },
  { key: 'products', labelKey: 'nav.products', to: '/products' },
  { key: 'domains', labelKey: 'nav.domains', to: '/domains' },
  { key: 'client', labelKey: 'nav.client', to: '/client' },
  {
    key: 'purchases',
    labelKey: 'nav.purchases',
    roles: BUYER_ROLES,
    children: [
      { key: 'client-orders', labelKey: 'nav.orders', to: '/client/orders', roles: BUYER_ROLES },
      { key: 'client-invoices', labelKey: 'nav.invoices', to: '/client/invoices', roles: BUYER_ROLES },
      { key: 'client-wallet', labelKey: 'nav.wallet', to: '/client/wallet', roles: BUYER_ROLES },
    ],
  },
  { key: 'client-services', labelKey: 'nav.services', to: '/client/services', roles: SERVICE_ROLES },
  { key: 'client-renewals', labelKey: 'nav.renewals', to: '/client/renewals', roles: SERVICE_ROLES },
  { key: 'staff', labelKey: 'nav.staff', to: '/staff', audience: 'staff' },
  { key: 'outbox', labelKey: 'nav.outbox', to: '/staff/outbox', audience: 'staff' },
  { key: 'broadcasts', labelKey: 'nav.broadcasts', to: '/staff/broadcasts', audience: 'staff', roles: BROADCAST_ROLES },
  { key: 'hosts', labelKey: 'nav.hosts', to: '/staff/hosts', audience: 'staff', roles: MONITOR_ROLES },
  {
    key: 'isp',
    labelKey: 'nav.isp',
    audience: 'staff',
    roles: ISP_ROLES,
    children: [
      { key: 'isp-customers', labelKey: 'nav.ispCustomers', to: '/staff/isp/customers', audience: 'staff', roles: ISP_ROLES },
      { key: 'isp-routers', labelKey: 'nav.ispRouters', to: '/staff/isp/routers', audience: 'staff', roles: ISP_ROLES },
    ],
  },
  { key: 'sales', labelKey: 'nav.sales', to: '/staff/sales', audience: 'staff', roles: SALES_ROLES },
  { key: 'content', labelKey: 'nav.content', to: '/staff/content', audience: 'staff', roles: CONTENT_ROLES },
  {
    key: 'catalog',
    labelKey: 'nav.catalog',
    audience: 'staff',
    children: [
      { key: 'catalog-products', labelKey: 'nav.catalogProducts', to: '/staff/catalog/products', audience: 'staff' },
      { key: 'catalog-lists', labelKey: 'nav.catalogLists', to: '/staff/catalog/lists', audience: 'staff' },
      { key: 'catalog-groups', labelKey: 'nav.catalogGroups', to: '/staff/catalog/groups', audience: 'staff' },
    ],
  },
  {
    key: 'billing',
    labelKey: 'nav.billing',
    audience: 'staff',
    children: [
      { key: 'staff-orders', labelKey: 'nav.staffOrders', to: '/staff/orders', audience: 'staff' },
      { key: 'finance-invoices', labelKey: 'nav.financeInvoices', to: '/staff/finance/invoices', audience: 'staff', roles: FINANCE_ROLES },
      { key: 'finance-payments', labelKey: 'nav.financePayments', to: '/staff/finance/payments', audience: 'staff', roles: FINANCE_ROLES },
      { key: 'finance-manual', labelKey: 'nav.financeManual', to: '/staff/finance/manual', audience: 'staff', roles: FINANCE_ROLES },
      { key: 'finance-flags', labelKey: 'nav.financeFlags', to: '/staff/finance/flags', audience: 'staff', roles: FINANCE_ROLES },
      { key: 'finance-settings', labelKey: 'nav.financeSettings', to: '/staff/finance/settings', audience: 'staff', roles: FINANCE_ROLES },
      { key: 'lifecycle', labelKey: 'nav.lifecycle', to: '/staff/lifecycle', audience: 'staff', roles: LIFECYCLE_ROLES },
      // Finance reads services here; the admins find them under provisioning.
      { key: 'finance-services', labelKey: 'nav.staffServices', to: '/staff/services', audience: 'staff', roles: ['finance'] },
      { key: 'promos', labelKey: 'nav.promos', to: '/staff/promos', audience: 'staff', roles: PROMO_ROLES },
      { key: 'gateways', labelKey: 'nav.gateways', to: '/staff/gateways', audience: 'staff', roles: GATEWAY_ROLES },
    ],
  },
  {
    key: 'provisioning',
    labelKey: 'nav.provisioning',
    audience: 'staff',
    roles: PROVISIONING_ROLES,
    children: [
      { key: 'integrations', labelKey: 'nav.integrations', to: '/staff/integrations', audience: 'staff', roles: PROVISIONING_ROLES },
      { key: 'nodes', labelKey: 'nav.nodes', to: '/staff/nodes', audience: 'staff', roles: PROVISIONING_ROLES },
      { key: 'ip-pools', labelKey: 'nav.ipPools', to: '/staff/ip-pools', audience: 'staff', roles: PROVISIONING_ROLES },
      { key: 'delivery-log', labelKey: 'nav.deliveryLog', to: '/staff/provisioning', audience: 'staff', roles: PROVISIONING_ROLES },
      { key: 'staff-services', labelKey: 'nav.staffServices', to: '/staff/services', audience: 'staff', roles: PROVISIONING_ROLES },
    ],
  },
  { key: 'team', labelKey: 'nav.team', to: '/staff/team', audience: 'owner' },
  { key: 'audit', labelKey: 'nav.audit', to: '/staff/audit', audience: 'owner' },
  { key: 'templates', labelKey: 'nav.templates', to: '/staff/templates', audience: 'owner' },
  { key: 'telegram-chats', labelKey: 'nav.telegramChats', to: '/staff/telegram-chats', audience: 'owner' },
  { key: 'alerts', labelKey: 'nav.alerts', to: '/staff/alerts', audience: 'owner' },
  { key: 'health', labelKey: 'nav.health', to: '/health' },
  { key: 'api-docs', labelKey: 'nav.apiDocs', href: '/api/docs/' },
]

type Viewer = { isStaff: boolean; isOwner: boolean; roles?: readonly Role[] }

const maySee = (item: NavItem, who: Viewer) =>
  (!item.audience || (item.audience === 'staff' ? who.isStaff : who.isOwner)) && (!item.roles || hasAnyRole(who.roles ?? [], item.roles))

/** The entries this user may see; a group keeps only its visible entries, and goes when none is left. */
export function visibleNavItems(who: Viewer, items: readonly NavItem[] = NAV_ITEMS): NavItem[] {
  return items.flatMap((item) => {
    if (!maySee(item, who)) return []
    if (!item.children) return [item]
    const children = visibleNavItems(who, item.children)
    return children.length ? [{ ...item, children }] : []
  })
}
