import type { NavigationGuardWithThis } from 'vue-router'
import { useSessionStore } from '../../stores/session'

/** 4th: sign-in and registration pages send a signed-in user on to where they were going. */
export const guestOnly: NavigationGuardWithThis<undefined> = (to) => {
  const session = useSessionStore()
  if (!to.matched.some((r) => r.meta.guestOnly) || !session.isAuthenticated) return true
  return session.landingPath(to.query.redirect)
}
