import type { NavigationGuardWithThis } from 'vue-router'
import { hasAnyRole } from '../../api/roles'
import { useSessionStore } from '../../stores/session'

/** 3rd: every matched record's `meta.roles` must be met (any one role of each list), else Forbidden. */
export const requireRoles: NavigationGuardWithThis<undefined> = (to) => {
  const session = useSessionStore()
  const allowed = to.matched.every((r) => !r.meta.roles || hasAnyRole(session.roles, r.meta.roles))
  if (allowed) return true
  return { name: 'forbidden', query: { from: to.fullPath }, replace: true }
}
