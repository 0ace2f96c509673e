import type { Router } from 'vue-router'
import { guestOnly } from './guestOnly'
import { requireAuth } from './requireAuth'
import { requireRoles } from './requireRoles'
import { sessionReady } from './sessionReady'

/** Run in this order; the first that redirects wins. */
export const GUARDS = [sessionReady, requireAuth, requireRoles, guestOnly] as const

export function installGuards(router: Router): void {
  for (const guard of GUARDS) router.beforeEach(guard)
}

export { guestOnly, requireAuth, requireRoles, sessionReady }
