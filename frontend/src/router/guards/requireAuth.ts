import type { NavigationGuardWithThis } from 'vue-router'
import { useSessionStore } from '../../stores/session'

/** 2nd: pages with `meta.requiresAuth` (or `meta.roles`) send visitors to sign in, then back. */
export const requireAuth: NavigationGuardWithThis<undefined> = (to) => {
  const needsAuth = to.matched.some((r) => r.meta.requiresAuth || r.meta.roles)
  if (!needsAuth || useSessionStore().isAuthenticated) return true
  return { name: 'login', query: { redirect: to.fullPath } }
}
