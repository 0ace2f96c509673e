import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import { createAppRouter } from '../index'
import { useSessionStore } from '../../stores/session'
import type { Role } from '../../api/roles'
import { mockFetch } from '../../test/fetch'
import { account, tokenPair } from '../../test/identity'

function signIn(...roles: Role[]) {
  useSessionStore().$patch({ accessToken: 'access-1', account: account(roles) })
}

async function visit(path: string) {
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  return router.currentRoute.value
}

describe('router guards', () => {
  beforeEach(() => {
    localStorage.clear()
    document.cookie = 'juragan_session=; max-age=0; path=/'
    setActivePinia(createPinia())
    mockFetch({})
  })

  it('requireAuth: a visitor is sent to /login with the page to come back to', async () => {
    const to = await visit('/client/account?tab=security')
    expect(to.name).toBe('login')
    expect(to.query.redirect).toBe('/client/account?tab=security')
    expect((await visit('/staff/team')).query.redirect).toBe('/staff/team')
  })

  it('public pages stay public', async () => {
    for (const path of ['/', '/health', '/status', '/login', '/register', '/verify-email', '/forgot-password', '/reset-password?token=x', '/accept-invitation?token=x']) {
      expect((await visit(path)).fullPath).toBe(path)
    }
  })

  it('requireRoles: a client may use /client but is forbidden from the staff area', async () => {
    signIn('client')
    expect((await visit('/client')).name).toBe('client')
    expect((await visit('/client/account')).name).toBe('client-account')
    const to = await visit('/staff')
    expect(to.name).toBe('forbidden')
    expect(to.query.from).toBe('/staff')
  })

  it('requireRoles: any staff role opens /staff, Outbox and Templates (read only), only the owner opens Team, Audit, Telegram chats and Alerts', async () => {
    signIn('finance')
    expect((await visit('/staff')).name).toBe('staff')
    expect((await visit('/staff/outbox')).name).toBe('staff-outbox')
    expect((await visit('/staff/team')).name).toBe('forbidden')
    expect((await visit('/staff/audit')).name).toBe('forbidden')
    expect((await visit('/staff/templates')).name).toBe('staff-templates')
    expect((await visit('/staff/telegram-chats')).name).toBe('forbidden')
    expect((await visit('/staff/alerts')).name).toBe('forbidden')

    setActivePinia(createPinia())
    signIn('owner')
    expect((await visit('/staff/team')).name).toBe('staff-team')
    expect((await visit('/staff/audit')).name).toBe('staff-audit')
    expect((await visit('/staff/templates')).name).toBe('staff-templates')
    expect((await visit('/staff/telegram-chats')).name).toBe('staff-telegram-chats')
    expect((await visit('/staff/alerts')).name).toBe('staff-alerts')
  })

  it('requireRoles: Broadcasts is for business staff and the owner only', async () => {
    signIn('finance', 'sysadmin')
    expect((await visit('/staff/broadcasts')).name).toBe('forbidden')

    setActivePinia(createPinia())
    signIn('business')
    expect((await visit('/staff/broadcasts')).name).toBe('staff-broadcasts')
    expect((await visit('/staff/templates')).name).toBe('staff-templates')

    setActivePinia(createPinia())
    signIn('owner')
    expect((await visit('/staff/broadcasts')).name).toBe('staff-broadcasts')
  })

  it('requireRoles: Monitoring and its import for owner, sysadmin and business; the sales book for owner, business and finance', async () => {
    signIn('sysadmin')
    expect((await visit('/staff/hosts')).name).toBe('staff-hosts')
    expect((await visit('/staff/hosts/import')).name).toBe('staff-hosts-import')
    expect((await visit('/staff/sales')).name).toBe('forbidden')

    setActivePinia(createPinia())
    signIn('finance')
    expect((await visit('/staff/hosts')).name).toBe('forbidden')
    expect((await visit('/staff/hosts/import')).name).toBe('forbidden')
    expect((await visit('/staff/sales')).name).toBe('staff-sales')

    setActivePinia(createPinia())
    signIn('business')
    expect((await visit('/staff/hosts')).name).toBe('staff-hosts')
    expect((await visit('/staff/sales')).name).toBe('staff-sales')

    setActivePinia(createPinia())
    signIn('client')
    expect((await visit('/staff/hosts')).name).toBe('forbidden')
  })

  it('guestOnly: a signed-in user skips login/register to the requested page or their area', async () => {
    signIn('client')
    expect((await visit('/login')).fullPath).toBe('/client')
    expect((await visit('/register')).fullPath).toBe('/client')
    expect((await visit('/login?redirect=/client/account')).fullPath).toBe('/client/account')
    expect((await visit('/login?redirect=//evil.example')).fullPath).toBe('/client')

    setActivePinia(createPinia())
    signIn('sysadmin')
    expect((await visit('/login')).fullPath).toBe('/staff')
  })

  it('waits for the session to be restored (refresh with the cookie) before deciding', async () => {
    document.cookie = 'juragan_session=1; path=/'
    mockFetch({
      'POST /api/v1/auth/refresh': { body: tokenPair(2) },
      'GET /api/v1/account': { body: account(['owner']) },
    })
    expect((await visit('/staff/audit')).name).toBe('staff-audit')
  })
})
