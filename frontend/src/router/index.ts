import {
  createRouter,
  createWebHistory,
  type RouteLocationNormalizedLoaded,
  type RouteLocationRaw,
  type RouteRecordRaw,
  type RouterHistory,
} from 'vue-router'
import HomePage from '../pages/HomePage.vue'
import { BROADCAST_ROLES, BUYER_ROLES, CONTENT_ROLES, FINANCE_ROLES, GATEWAY_ROLES, ISP_ROLES, LIFECYCLE_ROLES, PROMO_ROLES, MONITOR_ROLES, PRODUCT_CREATE_ROLES, PROVISIONING_ROLES, SALES_ROLES, SERVICE_ROLES, SERVICE_STAFF_ROLES, STAFF_ROLES, type Role } from '../api/roles'
import { installGuards } from './guards'

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title shown in the browser tab. */
    titleKey?: string
    /** Only for a signed-in user (else `/login?redirect=`). */
    requiresAuth?: boolean
    /** The user needs at least one of these roles (else the Forbidden page). Implies requiresAuth. */
    roles?: readonly Role[]
    /** Sign-in / registration: a signed-in user is sent on to their landing page. */
    guestOnly?: boolean
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: HomePage, meta: { titleKey: 'nav.storefront' } },
  {
    path: '/products',
    name: 'products',
    component: () => import('../pages/store/ProductsPage.vue'),
    meta: { titleKey: 'nav.products' },
  },
  {
    path: '/products/:slug',
    name: 'product',
    component: () => import('../pages/store/ProductPage.vue'),
    meta: { titleKey: 'nav.products' },
  },
  {
    path: '/domains',
    name: 'domains',
    component: () => import('../pages/store/DomainSearchPage.vue'),
    meta: { titleKey: 'nav.domains' },
  },
  {
    path: '/checkout',
    name: 'checkout',
    component: () => import('../pages/store/CheckoutPage.vue'),
    meta: { titleKey: 'checkout.title', requiresAuth: true, roles: BUYER_ROLES },
  },
  {
    path: '/login',
    name: 'login',
    component: () => import('../pages/auth/LoginPage.vue'),
    meta: { titleKey: 'auth.login.title', guestOnly: true },
  },
  {
    path: '/register',
    name: 'register',
    component: () => import('../pages/auth/RegisterPage.vue'),
    meta: { titleKey: 'auth.register.title', guestOnly: true },
  },
  {
    path: '/verify-email',
    name: 'verify-email',
    component: () => import('../pages/auth/VerifyEmailPage.vue'),
    meta: { titleKey: 'auth.verify.title' },
  },
  {
    path: '/forgot-password',
    name: 'forgot-password',
    component: () => import('../pages/auth/ForgotPasswordPage.vue'),
    meta: { titleKey: 'auth.forgot.title' },
  },
  {
    path: '/reset-password',
    name: 'reset-password',
    component: () => import('../pages/auth/ResetPasswordPage.vue'),
    meta: { titleKey: 'auth.reset.title' },
  },
  {
    path: '/accept-invitation',
    name: 'accept-invitation',
    component: () => import('../pages/auth/AcceptInvitationPage.vue'),
    meta: { titleKey: 'auth.invitation.title' },
  },
  {
    path: '/client',
    meta: { titleKey: 'client.title', requiresAuth: true },
    children: [
      {
        path: '',
        name: 'client',
        component: () => import('../pages/ClientAreaPage.vue'),
        meta: { titleKey: 'client.title' },
      },
      {
        path: 'account',
        name: 'client-account',
        component: () => import('../pages/client/AccountPage.vue'),
        meta: { titleKey: 'account.title' },
      },
      {
        path: 'orders',
        name: 'client-orders',
        component: () => import('../pages/client/OrdersPage.vue'),
        meta: { titleKey: 'orders.title', roles: BUYER_ROLES },
      },
      {
        path: 'orders/:id(\\d+)',
        name: 'client-order',
        component: () => import('../pages/client/OrderPage.vue'),
        meta: { titleKey: 'orders.detailTitle', roles: BUYER_ROLES },
      },
      {
        path: 'invoices',
        name: 'client-invoices',
        component: () => import('../pages/client/InvoicesPage.vue'),
        meta: { titleKey: 'invoices.title', roles: BUYER_ROLES },
      },
      {
        path: 'invoices/:id(\\d+)',
        name: 'client-invoice',
        component: () => import('../pages/client/InvoicePage.vue'),
        meta: { titleKey: 'invoices.detailTitle', roles: BUYER_ROLES },
      },
      {
        path: 'services',
        name: 'client-services',
        component: () => import('../pages/client/ServicesPage.vue'),
        meta: { titleKey: 'services.title', roles: SERVICE_ROLES },
      },
      {
        path: 'services/:id(\\d+)',
        name: 'client-service',
        component: () => import('../pages/client/ServicePage.vue'),
        meta: { titleKey: 'services.title', roles: SERVICE_ROLES },
      },
      {
        path: 'renewals',
        name: 'client-renewals',
        component: () => import('../pages/client/RenewalsPage.vue'),
        meta: { titleKey: 'renewals.title', roles: SERVICE_ROLES },
      },
      {
        path: 'wallet',
        name: 'client-wallet',
        component: () => import('../pages/client/WalletPage.vue'),
        meta: { titleKey: 'wallet.title', roles: BUYER_ROLES },
      },
    ],
  },
  {
    path: '/staff',
    meta: { titleKey: 'staff.title', requiresAuth: true, roles: STAFF_ROLES },
    children: [
      {
        path: '',
        name: 'staff',
        component: () => import('../pages/StaffAreaPage.vue'),
        meta: { titleKey: 'staff.title' },
      },
      {
        path: 'team',
        name: 'staff-team',
        component: () => import('../pages/staff/TeamPage.vue'),
        meta: { titleKey: 'team.title', roles: ['owner'] },
      },
      {
        path: 'audit',
        name: 'staff-audit',
        component: () => import('../pages/staff/AuditLogPage.vue'),
        meta: { titleKey: 'audit.title', roles: ['owner'] },
      },
      {
        path: 'templates',
        name: 'staff-templates',
        component: () => import('../pages/staff/TemplatesPage.vue'),
        // Every staff role reads what customers will be told; only the owner edits.
        meta: { titleKey: 'templates.title', roles: ['owner', 'sysadmin', 'business', 'finance'] },
      },
      {
        path: 'telegram-chats',
        name: 'staff-telegram-chats',
        component: () => import('../pages/staff/TelegramChatsPage.vue'),
        meta: { titleKey: 'staffChats.title', roles: ['owner'] },
      },
      {
        path: 'alerts',
        name: 'staff-alerts',
        component: () => import('../pages/staff/AlertsPage.vue'),
        meta: { titleKey: 'alerts.title', roles: ['owner'] },
      },
      {
        path: 'outbox',
        name: 'staff-outbox',
        component: () => import('../pages/staff/OutboxPage.vue'),
        meta: { titleKey: 'outbox.title' },
      },
      {
        path: 'broadcasts',
        name: 'staff-broadcasts',
        component: () => import('../pages/staff/BroadcastsPage.vue'),
        meta: { titleKey: 'broadcasts.title', roles: BROADCAST_ROLES },
      },
      {
        path: 'hosts',
        name: 'staff-hosts',
        component: () => import('../pages/staff/HostsPage.vue'),
        meta: { titleKey: 'monitor.title', roles: MONITOR_ROLES },
      },
      {
        path: 'hosts/import',
        name: 'staff-hosts-import',
        component: () => import('../pages/staff/ImportPage.vue'),
        meta: { titleKey: 'imports.title', roles: MONITOR_ROLES },
      },
      // ISP: customers on MikroTik routers, their PPPoE status and map (owner, sysadmin, business).
      { path: 'isp', redirect: { name: 'staff-isp-customers' }, meta: { titleKey: 'isp.customers.title', roles: ISP_ROLES } },
      {
        path: 'isp/customers',
        name: 'staff-isp-customers',
        component: () => import('../pages/staff/isp/CustomersPage.vue'),
        meta: { titleKey: 'isp.customers.title', roles: ISP_ROLES },
      },
      {
        path: 'isp/customers/import',
        name: 'staff-isp-customers-import',
        component: () => import('../pages/staff/isp/CustomersImportPage.vue'),
        meta: { titleKey: 'isp.imports.title', roles: ISP_ROLES },
      },
      {
        path: 'isp/routers',
        name: 'staff-isp-routers',
        component: () => import('../pages/staff/isp/RoutersPage.vue'),
        meta: { titleKey: 'isp.routers.title', roles: ISP_ROLES },
      },
      {
        path: 'isp/routers/:id(\\d+)',
        name: 'staff-isp-router',
        component: () => import('../pages/staff/isp/RouterPage.vue'),
        meta: { titleKey: 'isp.routers.detailTitle', roles: ISP_ROLES },
      },
      {
        path: 'sales',
        name: 'staff-sales',
        component: () => import('../pages/staff/SalesPage.vue'),
        meta: { titleKey: 'sales.title', roles: SALES_ROLES },
      },
      {
        path: 'content',
        name: 'staff-content',
        component: () => import('../pages/staff/ContentPage.vue'),
        meta: { titleKey: 'content.title', roles: CONTENT_ROLES },
      },
      {
        path: 'orders',
        name: 'staff-orders',
        component: () => import('../pages/staff/OrdersPage.vue'),
        meta: { titleKey: 'staffOrders.title' },
      },
      {
        path: 'finance/invoices',
        name: 'staff-finance-invoices',
        component: () => import('../pages/staff/finance/InvoicesPage.vue'),
        meta: { titleKey: 'finance.invoices.title', roles: FINANCE_ROLES },
      },
      {
        path: 'finance/payments',
        name: 'staff-finance-payments',
        component: () => import('../pages/staff/finance/PaymentsPage.vue'),
        meta: { titleKey: 'finance.payments.title', roles: FINANCE_ROLES },
      },
      {
        path: 'finance/manual',
        name: 'staff-finance-manual',
        component: () => import('../pages/staff/finance/ManualPaymentsPage.vue'),
        meta: { titleKey: 'finance.manual.title', roles: FINANCE_ROLES },
      },
      {
        path: 'finance/flags',
        name: 'staff-finance-flags',
        component: () => import('../pages/staff/finance/PaymentFlagsPage.vue'),
        meta: { titleKey: 'finance.flags.title', roles: FINANCE_ROLES },
      },
      {
        path: 'finance/settings',
        name: 'staff-finance-settings',
        component: () => import('../pages/staff/finance/BillingSettingsPage.vue'),
        meta: { titleKey: 'finance.settings.title', roles: FINANCE_ROLES },
      },
      {
        path: 'lifecycle',
        name: 'staff-lifecycle',
        component: () => import('../pages/staff/LifecyclePage.vue'),
        meta: { titleKey: 'lifecycle.title', roles: LIFECYCLE_ROLES },
      },
      {
        path: 'promos',
        name: 'staff-promos',
        component: () => import('../pages/staff/PromosPage.vue'),
        meta: { titleKey: 'promos.title', roles: PROMO_ROLES },
      },
      {
        path: 'gateways',
        name: 'staff-gateways',
        component: () => import('../pages/staff/GatewaysPage.vue'),
        meta: { titleKey: 'gateways.title', roles: GATEWAY_ROLES },
      },
      // Provisioning: integrations, nodes and templates, IP pools, runs and every service (owner, sysadmin).
      {
        path: 'integrations',
        name: 'staff-integrations',
        component: () => import('../pages/staff/provisioning/IntegrationsPage.vue'),
        meta: { titleKey: 'provisioning.integrations.title', roles: PROVISIONING_ROLES },
      },
      {
        path: 'nodes',
        name: 'staff-nodes',
        component: () => import('../pages/staff/provisioning/NodesPage.vue'),
        meta: { titleKey: 'provisioning.nodes.title', roles: PROVISIONING_ROLES },
      },
      {
        path: 'ip-pools',
        name: 'staff-ip-pools',
        component: () => import('../pages/staff/provisioning/IpPoolsPage.vue'),
        meta: { titleKey: 'provisioning.pools.title', roles: PROVISIONING_ROLES },
      },
      {
        path: 'provisioning',
        name: 'staff-provisioning',
        component: () => import('../pages/staff/provisioning/DeliveryLogPage.vue'),
        meta: { titleKey: 'provisioning.runs.title', roles: PROVISIONING_ROLES },
      },
      {
        path: 'services',
        name: 'staff-services',
        component: () => import('../pages/staff/provisioning/ServicesPage.vue'),
        meta: { titleKey: 'provisioning.services.title', roles: SERVICE_STAFF_ROLES },
      },
      {
        path: 'services/:id(\\d+)',
        name: 'staff-service',
        component: () => import('../pages/staff/provisioning/ServicePage.vue'),
        meta: { titleKey: 'provisioning.services.detailTitle', roles: SERVICE_STAFF_ROLES },
      },
      // The catalog: every staff role reads it; each page offers the edits the user's roles allow.
      { path: 'catalog', redirect: { name: 'staff-catalog-products' }, meta: { titleKey: 'catalog.products.title' } },
      {
        path: 'catalog/products',
        name: 'staff-catalog-products',
        component: () => import('../pages/staff/catalog/ProductsPage.vue'),
        meta: { titleKey: 'catalog.products.title' },
      },
      {
        path: 'catalog/products/new',
        name: 'staff-catalog-product-new',
        component: () => import('../pages/staff/catalog/ProductEditorPage.vue'),
        meta: { titleKey: 'catalog.editor.newTitle', roles: PRODUCT_CREATE_ROLES },
      },
      {
        path: 'catalog/products/:id(\\d+)',
        name: 'staff-catalog-product',
        component: () => import('../pages/staff/catalog/ProductEditorPage.vue'),
        meta: { titleKey: 'catalog.editor.title' },
      },
      {
        path: 'catalog/lists',
        name: 'staff-catalog-lists',
        component: () => import('../pages/staff/catalog/CatalogListsPage.vue'),
        meta: { titleKey: 'catalog.lists.title' },
      },
      {
        path: 'catalog/groups',
        name: 'staff-catalog-groups',
        component: () => import('../pages/staff/catalog/CustomerGroupsPage.vue'),
        meta: { titleKey: 'catalog.groups.title' },
      },
    ],
  },
  {
    path: '/forbidden',
    name: 'forbidden',
    component: () => import('../pages/ForbiddenPage.vue'),
    meta: { titleKey: 'forbidden.title' },
  },
  {
    path: '/status',
    name: 'status',
    component: () => import('../pages/StatusPage.vue'),
    meta: { titleKey: 'status.title' },
  },
  {
    path: '/p/:slug',
    name: 'static-page',
    component: () => import('../pages/StaticPage.vue'),
    meta: { titleKey: 'storefront.page.title' },
  },
  {
    path: '/announcements',
    name: 'announcements',
    component: () => import('../pages/AnnouncementsPage.vue'),
    meta: { titleKey: 'storefront.announcements.title' },
  },
  {
    path: '/health',
    name: 'health',
    component: () => import('../pages/HealthPage.vue'),
    meta: { titleKey: 'health.title' },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('../pages/NotFoundPage.vue'),
    meta: { titleKey: 'notFound.title' },
  },
]

/** The sign-in page, coming back to `route` afterwards. */
export function loginLocation(route: Pick<RouteLocationNormalizedLoaded, 'fullPath'>): RouteLocationRaw {
  return { name: 'login', query: { redirect: route.fullPath } }
}

/** True when the page needs a signed-in user (so losing the session must leave it). */
export function isProtected(route: Pick<RouteLocationNormalizedLoaded, 'matched'>): boolean {
  return route.matched.some((r) => r.meta.requiresAuth || r.meta.roles)
}

export function createAppRouter(history: RouterHistory = createWebHistory(import.meta.env.BASE_URL)) {
  const router = createRouter({
    history,
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })
  installGuards(router)
  return router
}
