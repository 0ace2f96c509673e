import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from 'vue-router'
import HomePage from '../pages/HomePage.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title shown in the browser tab. */
    titleKey?: string
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: HomePage, meta: { titleKey: 'nav.storefront' } },
  {
    path: '/client',
    name: 'client',
    component: () => import('../pages/ClientAreaPage.vue'),
    meta: { titleKey: 'client.title' },
  },
  {
    path: '/staff',
    name: 'staff',
    component: () => import('../pages/StaffAreaPage.vue'),
    meta: { titleKey: 'staff.title' },
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

export function createAppRouter(history: RouterHistory = createWebHistory(import.meta.env.BASE_URL)) {
  return createRouter({
    history,
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })
}
