import { beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import RoutersPage from './RoutersPage.vue'
import RouterPage from './RouterPage.vue'
import { createAppI18n } from '../../../i18n'
import { createAppRouter } from '../../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../../test/fetch'
import { ispRouter, routerTest, syncLogEntry, syncReport } from '../../../test/isp'
import type { RouterInput } from '../../../composables/useIsp'
import type { Role } from '../../../api/roles'
import { useSessionStore } from '../../../stores/session'
import { account } from '../../../test/identity'

async function mountPage(component: typeof RoutersPage | typeof RouterPage, path: string, routes: Record<string, Route>, roles: Role[] = ['owner']) {
  useSessionStore().$patch({ accessToken: 'access-1', account: account(roles) })
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const w = mount(component, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(15)
  return { w, fetch, router }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
function type(id: string, value: string) {
  const input = inDoc(id) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
const itemText = (id: string) => inDoc(id)!.closest('.n-form-item')!.textContent ?? ''

describe('MikroTik routers', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('adds a router: checks the form, shows 422 field errors under their inputs, sends the default port as none, then opens the router', async () => {
    const posted: RouterInput[] = []
    const { w, router } = await mountPage(RoutersPage, '/staff/isp/routers', {
      'GET /api/v1/isp/routers': { body: [] },
      'POST /api/v1/isp/routers': async (request) => {
        const body = (await request.json()) as RouterInput
        posted.push(body)
        if (body.host === 'router sempu') {
          return problem(422, 'validation_failed', {
            errors: [
              { field: 'host', code: 'invalid_host', message: 'not a host name or IP address' },
              { field: 'password', code: 'too_long', message: 'at most 200 characters' },
            ],
          })
        }
        return { status: 201, body: ispRouter(5, { name: body.name, host: body.host }) }
      },
      'GET /api/v1/isp/routers/5': { body: ispRouter(5) },
      'GET /api/v1/isp/routers/5/syncs': { body: [] },
    })
    expect(w.get($('isp-routers-empty')).text()).toContain('No router yet')
    await w.get($('isp-routers-add')).trigger('click')
    await flush()
    expect(inDoc('isp-router-form')!.getAttribute('data-mode')).toBe('add')
    expect((inDoc('isp-router-port') as HTMLInputElement).placeholder).toBe('8728')
    expect(inDoc('isp-router-rights')!.textContent).toContain('read (api) for the status sync')

    // Client-side: name, host, user and password are required, the port is 1–65535.
    type('isp-router-port', '99999')
    inDoc('isp-router-save')!.click()
    await flush(10)
    expect(itemText('isp-router-name')).toContain('required')
    expect(itemText('isp-router-password')).toContain('required')
    expect(itemText('isp-router-port')).toContain('Enter a whole number from 1 to 65535.')
    expect(posted).toEqual([])

    type('isp-router-name', 'Core Sempu')
    type('isp-router-host', 'router sempu')
    type('isp-router-port', '')
    type('isp-router-username', 'juragan')
    type('isp-router-password', 'sandbox-router-pass')
    await flush()
    inDoc('isp-router-save')!.click()
    await flush(10)
    expect(posted).toEqual([
      expect.objectContaining({ name: 'Core Sempu', host: 'router sempu', transport: 'api', port: null, username: 'juragan', password: 'sandbox-router-pass', sync_enabled: true, sync_interval_seconds: 120, isolation_mode: 'off' }),
    ])
    expect(itemText('isp-router-host')).toContain('not a host name or IP address')
    expect(itemText('isp-router-password')).toContain('at most 200 characters')
    expect(inDoc('isp-router-form-error')!.getAttribute('data-code')).toBe('validation_failed')

    // API-SSL offers the certificate fingerprint and defaults to 8729.
    inDoc('isp-router-transport-api_tls')!.querySelector('input')!.click()
    await flush()
    expect((inDoc('isp-router-port') as HTMLInputElement).placeholder).toBe('8729')
    expect(inDoc('isp-router-fingerprint')).not.toBeNull()
    type('isp-router-host', '10.0.0.1')
    inDoc('isp-router-save')!.click()
    await flush(15)
    expect(posted.at(-1)).toMatchObject({ host: '10.0.0.1', transport: 'api_tls', tls_fingerprint: null })
    expect(router.currentRoute.value.name).toBe('staff-isp-router')
    expect(router.currentRoute.value.params.id).toBe('5')
    w.unmount()
  })

  it('edits a router without retyping its password (left out keeps it)', async () => {
    const put: RouterInput[] = []
    const { w } = await mountPage(RoutersPage, '/staff/isp/routers', {
      'GET /api/v1/isp/routers': { body: [ispRouter(1, { name: 'Core Sempu', isolation_mode: 'profile', isolation_profile: 'isolir' })] },
      'PUT /api/v1/isp/routers/1': async (request) => {
        const body = (await request.json()) as RouterInput
        put.push(body)
        return { body: ispRouter(1, { name: body.name }) }
      },
    })
    expect(w.get($('isp-router-password-masked')).text()).toBe('••••pass')
    await w.get($('isp-router-edit')).trigger('click')
    await flush()
    expect((inDoc('isp-router-password') as HTMLInputElement).value).toBe('')
    expect((inDoc('isp-router-password') as HTMLInputElement).placeholder).toContain('••••pass')
    expect((inDoc('isp-router-profile-name') as HTMLInputElement).value).toBe('isolir')
    type('isp-router-name', 'Core Sempu 2')
    inDoc('isp-router-save')!.click()
    await flush(10)
    expect(put).toHaveLength(1)
    expect(put[0]).not.toHaveProperty('password')
    expect(put[0]).toMatchObject({ name: 'Core Sempu 2', port: null, isolation_mode: 'profile', isolation_profile: 'isolir' })
    expect(w.get($('isp-routers-notice')).text()).toContain('Core Sempu 2 is saved.')
    w.unmount()
  })

  it('lets business staff sync but not add, edit, test or delete routers', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined)
    const { w, fetch } = await mountPage(
      RoutersPage,
      '/staff/isp/routers',
      {
        'GET /api/v1/isp/routers': { body: [ispRouter(1)] },
        'POST /api/v1/isp/routers/1/sync': { body: syncReport() },
        'GET /api/v1/isp/routers/1': { body: ispRouter(1) },
      },
      ['business'],
    )
    expect(w.find($('isp-routers-add')).exists()).toBe(false)
    expect(w.find($('isp-router-test')).exists()).toBe(false)
    expect(w.find($('isp-router-edit')).exists()).toBe(false)
    expect(w.find($('isp-router-delete')).exists()).toBe(false)
    await w.get($('isp-router-sync')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toContain('POST /api/v1/isp/routers/1/sync')
    expect(info).toHaveBeenCalledWith('Status updated: 5 active connections, 3 customers online')
    w.unmount()
  })
})

describe('one router', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  const detailRoutes = (extra: Record<string, Route> = {}): Record<string, Route> => ({
    'GET /api/v1/isp/routers/1': { body: ispRouter(1, { name: 'Core Sempu' }) },
    'GET /api/v1/isp/routers/1/syncs': { body: [syncLogEntry(2, { trigger: 'manual' }), syncLogEntry(1, { ok: false, active_connections: null, customers_online: null, message: 'timeout after 5 s' })] },
    ...extra,
  })

  it('shows the status box (connection, auto-sync, last sync, counts, duration) and the sync log', async () => {
    const { w } = await mountPage(RouterPage, '/staff/isp/routers/1', detailRoutes())
    expect(w.get($('isp-router-title')).text()).toBe('Core Sempu')
    expect(w.get($('isp-router-connection')).text()).toContain('✓ Connected')
    expect(w.get($('isp-router-auto-sync')).text()).toBe('Every 2 minutes')
    expect(w.get($('isp-router-last-sync')).text()).toMatch(/\d{2}:30:45/)
    expect(w.get($('isp-router-active')).text()).toBe('5')
    expect(w.get($('isp-router-online')).text()).toBe('3')
    expect(w.get($('isp-router-duration')).text()).toBe('840 ms')
    expect(w.get($('isp-router-rights')).text()).toContain('A read-only router user is enough')
    const rows = w.findAll($('isp-sync-log-row'))
    expect(rows.map((r) => r.attributes('data-ok'))).toEqual(['true', 'false'])
    expect(rows[0]!.text()).toContain('Sync now')
    expect(rows[1]!.text()).toContain('timeout after 5 s')
    expect(w.get($('isp-router-customers')).attributes('href')).toBe('/staff/isp/customers?router=1')
    w.unmount()
  })

  it('Test connection shows the identity, version and active sessions, or the precise error', async () => {
    let answer = routerTest()
    const { w, fetch } = await mountPage(RouterPage, '/staff/isp/routers/1', detailRoutes({ 'POST /api/v1/isp/routers/1/test': () => ({ body: answer }) }))
    await w.get($('isp-router-test')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toContain('POST /api/v1/isp/routers/1/test')
    const result = w.get($('isp-router-test-result'))
    expect(result.attributes('data-ok')).toBe('true')
    expect(result.text()).toContain('Connected to Core Sempu')
    expect(w.get($('isp-router-test-identity')).text()).toBe('Core-Sempu')
    expect(w.get($('isp-router-test-version')).text()).toBe('7.18.2 (stable)')
    expect(w.get($('isp-router-test-sessions')).text()).toBe('5')

    answer = routerTest({ ok: false, identity: null, version: null, board_name: null, active_sessions: null, message: 'connection refused (is the API service enabled? /ip service enable api)' })
    await w.get($('isp-router-test')).trigger('click')
    await flush(10)
    expect(w.get($('isp-router-test-result')).attributes('data-ok')).toBe('false')
    expect(w.get($('isp-router-test-result')).text()).toContain('Could not connect to Core Sempu')
    expect(w.get($('isp-router-test-message')).text()).toBe('connection refused (is the API service enabled? /ip service enable api)')
    expect(w.find($('isp-router-test-identity')).exists()).toBe(false)
    w.unmount()
  })

  it('Sync now shows the report, logs the status line and re-reads the status box', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined)
    let synced = false
    const { w } = await mountPage(
      RouterPage,
      '/staff/isp/routers/1',
      detailRoutes({
        'GET /api/v1/isp/routers/1': () => ({ body: ispRouter(1, synced ? { last_active_connections: 2, last_customers_online: 1 } : {}) }),
        'POST /api/v1/isp/routers/1/sync': () => {
          synced = true
          return { body: syncReport({ active_connections: 2, customers_online: 1 }) }
        },
      }),
    )
    await w.get($('isp-router-sync')).trigger('click')
    await flush(15)
    expect(w.get($('isp-sync-report')).text()).toContain('Status updated: 2 active connections, 1 customers online')
    expect(info).toHaveBeenCalledWith('Status updated: 2 active connections, 1 customers online')
    expect(w.get($('isp-router-active')).text()).toBe('2')
    expect(w.get($('isp-router-online')).text()).toBe('1')
    w.unmount()
  })
})
