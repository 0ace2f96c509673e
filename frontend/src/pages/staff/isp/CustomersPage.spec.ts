import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import CustomersPage from './CustomersPage.vue'
import { createAppI18n } from '../../../i18n'
import { createAppRouter } from '../../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../../test/fetch'
import { ispCustomer, ispRouter, markersOf, syncReport } from '../../../test/isp'
import type { IspCustomer } from '../../../composables/useIsp'
import { useSessionStore } from '../../../stores/session'
import { account } from '../../../test/identity'

const LIST = 'GET /api/v1/isp/customers'
const MARKERS = 'GET /api/v1/isp/customers/markers'
const ROUTERS = 'GET /api/v1/isp/routers'
const page = (customers: IspCustomer[]) => ({
  body: {
    customers,
    total: customers.length,
    online: customers.filter((c) => c.connection === 'online').length,
    offline: customers.filter((c) => c.connection === 'offline').length,
  },
})

/** The page's reads, from a list of customers the test changes as the server would. */
function routesFor(state: { customers: IspCustomer[] }, extra: Record<string, Route> = {}): Record<string, Route> {
  return {
    [LIST]: () => page(state.customers),
    [MARKERS]: () => ({ body: markersOf(state.customers) }),
    [ROUTERS]: { body: [ispRouter(1, { name: 'Core Sempu' })] },
    'GET /api/v1/isp/routers/1': { body: ispRouter(1, { name: 'Core Sempu' }) },
    'GET /api/v1/isp/map-settings': { body: { tile_url: null, attribution: '' } },
    'GET /api/v1/staff/catalog/products': { body: { items: [], total: 0, page: 1, limit: 100 } },
    ...extra,
  }
}

async function mountPage(routes: Record<string, Route>, path = '/staff/isp/customers') {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const w = mount(CustomersPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(15)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const row = (w: VueWrapper, id: number) => w.get(`${$('isp-customer-row')}[data-id="${id}"]`)
const marker = (id: number) => document.querySelector<SVGElement>(`.isp-marker-${id}`)

describe('ISP customers page', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
    useSessionStore().$patch({ accessToken: 'access-1', account: account(['business']) })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('shows ONLINE (pulsing) and OFFLINE badges, stale and isolated hints, the counts, and one coloured marker per customer with coordinates', async () => {
    const state = {
      customers: [
        ispCustomer(1, { name: 'Egi Setiawan Sempu', pppoe_username: 'egisetiawansempu', connection: 'online', session_started_at: new Date(Date.now() - 120 * 60_000).toISOString(), session_address: '10.10.10.2' }),
        ispCustomer(2, { name: 'Tanpa PPPoE', pppoe_username: '', latitude: null, longitude: null }),
        ispCustomer(3, { name: 'Usang', connection: 'online', stale: true }),
        ispCustomer(4, { name: 'Nunggak', isolated: true, last_seen_at: new Date(Date.now() - 3 * 86_400_000).toISOString() }),
      ],
    }
    const { w } = await mountPage(routesFor(state))

    const egi = row(w, 1)
    expect(egi.attributes('data-connection')).toBe('online')
    const online = egi.get($('isp-status'))
    expect(online.text()).toBe('ONLINE')
    expect(online.classes()).toContain('isp-status--online')
    expect(online.find('.isp-status__dot').exists()).toBe(true)
    expect(egi.get($('isp-customer-since')).text()).toContain('online since 2 hours ago')
    expect(egi.text()).toContain('10.10.10.2')

    const none = row(w, 2)
    expect(none.get($('isp-status')).text()).toBe('OFFLINE')
    expect(none.get($('isp-status')).classes()).toContain('isp-status--offline')
    expect(none.get($('isp-customer-since')).text()).toBe('no PPPoE name')

    const stale = row(w, 3)
    expect(stale.attributes('data-stale')).toBe('true')
    expect(stale.get($('isp-status')).classes()).toContain('isp-status--stale')
    expect(stale.get($('isp-customer-stale')).text()).toBe('stale')

    const isolated = row(w, 4)
    expect(isolated.get($('isp-customer-isolated')).text()).toBe('Isolated')
    expect(isolated.get($('isp-customer-since')).text()).toContain('last seen 3 days ago')
    expect(isolated.find($('isp-customer-restore')).exists()).toBe(true)

    expect(w.get($('isp-count-total')).text()).toBe('4 customers')
    expect(w.get($('isp-count-online')).text()).toBe('2 online')
    expect(w.get($('isp-count-offline')).text()).toBe('2 offline')

    // The map: no tile server, three markers (the customer without coordinates is left out).
    expect(w.get($('isp-map')).attributes('data-tiles')).toBe('false')
    expect(w.get($('isp-map')).attributes('data-count')).toBe('3')
    expect(document.querySelectorAll('.isp-marker')).toHaveLength(3)
    expect(marker(1)!.classList).toContain('isp-marker--online')
    expect(marker(1)!.getAttribute('data-customer-id')).toBe('1')
    expect(marker(2)).toBeNull()
    expect(marker(3)!.classList).toContain('isp-marker--stale')
    expect(marker(4)!.classList).toContain('isp-marker--offline')
    expect(marker(4)!.classList).toContain('isp-marker--isolated')
    expect(document.querySelector('.isp-marker-ring-4')).not.toBeNull()
    expect(w.get($('isp-router-status')).text()).toContain('✓ Connected')
    expect(w.get($('isp-router-status')).text()).toContain('Every 2 minutes')
    w.unmount()
  })

  it('Sync now syncs the router, logs "Status updated: …" in the console, and refreshes the table and the markers', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined)
    const state = { customers: [ispCustomer(1, { name: 'Egi Setiawan Sempu', pppoe_username: 'egisetiawansempu' }), ispCustomer(2, { pppoe_username: 'usertest' })] }
    const { w, fetch } = await mountPage(
      routesFor(state, {
        'POST /api/v1/isp/routers/1/sync': () => {
          // The router now lists egisetiawansempu among its active connections.
          state.customers = state.customers.map((c) => (c.id === 1 ? { ...c, connection: 'online' as const, session_started_at: new Date().toISOString() } : c))
          return { body: syncReport({ active_connections: 2, customers_online: 1, went_online: 1 }) }
        },
      }),
      '/staff/isp/customers?router=1',
    )
    expect(row(w, 1).attributes('data-connection')).toBe('offline')
    expect(marker(1)!.classList).toContain('isp-marker--offline')
    // The router filter came from the address: the list and the markers are that router's.
    const urls = fetch.mock.calls.map(([r]) => new URL((r as Request).url))
    expect(urls.find((u) => u.pathname === '/api/v1/isp/customers')!.searchParams.get('router_id')).toBe('1')
    expect(urls.find((u) => u.pathname === '/api/v1/isp/customers/markers')!.searchParams.get('router_id')).toBe('1')

    await w.get($('isp-sync-now')).trigger('click')
    await flush(15)
    expect(calls(fetch)).toContain('POST /api/v1/isp/routers/1/sync')
    expect(info).toHaveBeenCalledWith('Status updated: 2 active connections, 1 customers online')
    expect(w.get($('isp-sync-report')).text()).toContain('Status updated: 2 active connections, 1 customers online')
    expect(w.get($('isp-sync-report')).attributes('data-ok')).toBe('true')
    expect(row(w, 1).attributes('data-connection')).toBe('online')
    expect(row(w, 1).get($('isp-status')).text()).toBe('ONLINE')
    expect(marker(1)!.classList).toContain('isp-marker--online')
    expect(marker(2)!.classList).toContain('isp-marker--offline')
    expect(w.get($('isp-count-online')).text()).toBe('1 online')
    w.unmount()
  })

  it('shows why a sync could not run (409 sync_in_progress) and a router that could not be read', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    let busy = true
    const state = { customers: [ispCustomer(1)] }
    const { w } = await mountPage(
      routesFor(state, {
        'POST /api/v1/isp/routers/1/sync': () =>
          busy ? problem(409, 'sync_in_progress', { detail: 'a sync of this router is running' }) : { body: syncReport({ ok: false, active_connections: null, customers_online: null, message: 'connection refused: is the API service enabled?' }) },
      }),
    )
    await w.get($('isp-sync-now')).trigger('click')
    await flush(15)
    expect(w.get($('isp-sync-error')).attributes('data-code')).toBe('sync_in_progress')
    expect(w.get($('isp-sync-error')).text()).toContain('A sync of this router is already running.')
    busy = false
    await w.get($('isp-router-sync')).trigger('click')
    await flush(15)
    expect(w.get($('isp-sync-report')).attributes('data-ok')).toBe('false')
    expect(w.get($('isp-sync-report')).text()).toContain('connection refused: is the API service enabled?')
    expect(warn).toHaveBeenCalledWith('Sync of Core Sempu failed: connection refused: is the API service enabled?')
    w.unmount()
  })

  it('isolates a customer only after confirming, then restores them', async () => {
    const state = { customers: [ispCustomer(1, { name: 'Nunggak' })] }
    const { w, fetch } = await mountPage(
      routesFor(state, {
        'POST /api/v1/isp/customers/1/isolate': () => {
          state.customers = [{ ...state.customers[0]!, isolated: true }]
          return { body: { customer_id: 1, changed: true, isolated: true, sessions_removed: 1, detail: 'PPP secret disabled' } }
        },
        'POST /api/v1/isp/customers/1/restore': () => {
          state.customers = [{ ...state.customers[0]!, isolated: false }]
          return { body: { customer_id: 1, changed: true, isolated: false, sessions_removed: 0, detail: 'PPP secret enabled' } }
        },
      }),
    )
    await row(w, 1).get($('isp-customer-isolate')).trigger('click')
    await flush()
    expect(document.body.textContent).toContain('Isolate Nunggak?')
    expect(calls(fetch)).not.toContain('POST /api/v1/isp/customers/1/isolate')
    document.querySelector<HTMLElement>($('isp-customer-isolate-confirm'))!.click()
    await flush(15)
    expect(calls(fetch)).toContain('POST /api/v1/isp/customers/1/isolate')
    expect(w.get($('isp-customers-notice')).text()).toContain('Nunggak is isolated. PPP secret disabled 1 live session(s) ended.')
    expect(row(w, 1).attributes('data-isolated')).toBe('true')
    expect(marker(1)!.classList).toContain('isp-marker--isolated')

    await row(w, 1).get($('isp-customer-restore')).trigger('click')
    await flush()
    document.querySelector<HTMLElement>($('isp-customer-restore-confirm'))!.click()
    await flush(15)
    expect(calls(fetch)).toContain('POST /api/v1/isp/customers/1/restore')
    expect(row(w, 1).attributes('data-isolated')).toBe('false')
    w.unmount()
  })

  it('adds a customer: field errors of a 422 show under their inputs', async () => {
    const posted: unknown[] = []
    const state = { customers: [] as IspCustomer[] }
    const { w } = await mountPage(
      routesFor(state, {
        'POST /api/v1/isp/customers': async (request) => {
          const body = (await request.json()) as { name: string; pppoe_username: string }
          posted.push(body)
          if (body.pppoe_username === 'egi setiawan') {
            return problem(422, 'validation_failed', { errors: [{ field: 'pppoe_username', code: 'invalid', message: 'a PPPoE name has no spaces' }] })
          }
          const created = ispCustomer(9, { name: body.name, pppoe_username: body.pppoe_username })
          state.customers = [created]
          return { status: 201, body: created }
        },
      }),
    )
    expect(w.get($('isp-customers-empty')).text()).toContain('No customers yet')
    await w.get($('isp-customers-add')).trigger('click')
    await flush()
    const type = (id: string, value: string) => {
      const input = document.querySelector<HTMLInputElement>($(id))!
      input.value = value
      input.dispatchEvent(new Event('input'))
    }
    type('isp-customer-name', 'Egi Setiawan Sempu')
    type('isp-customer-pppoe', 'egi setiawan')
    type('isp-customer-latitude', '-8,4095')
    await flush()
    document.querySelector<HTMLElement>($('isp-customer-save'))!.click()
    await flush(10)
    // Only one coordinate: refused before sending.
    expect(posted).toEqual([])
    expect(document.querySelector($('isp-customer-longitude'))!.closest('.n-form-item')!.textContent).toContain('Enter both the latitude and the longitude')
    type('isp-customer-longitude', '112.7035')
    await flush()
    document.querySelector<HTMLElement>($('isp-customer-save'))!.click()
    await flush(10)
    expect(posted).toEqual([expect.objectContaining({ name: 'Egi Setiawan Sempu', pppoe_username: 'egi setiawan', latitude: -8.4095, longitude: 112.7035, router_id: 1 })])
    expect(document.querySelector($('isp-customer-pppoe'))!.closest('.n-form-item')!.textContent).toContain('a PPPoE name has no spaces')
    type('isp-customer-pppoe', 'egisetiawansempu')
    document.querySelector<HTMLElement>($('isp-customer-save'))!.click()
    await flush(15)
    expect(w.get($('isp-customers-notice')).text()).toContain('Egi Setiawan Sempu is added.')
    expect(row(w, 9).attributes('data-pppoe')).toBe('egisetiawansempu')
    w.unmount()
  })

  it('re-reads the table and the markers every 30 seconds while visible', async () => {
    vi.useFakeTimers({ toFake: ['setInterval'] })
    const state = { customers: [ispCustomer(1)] }
    const { w, fetch } = await mountPage(routesFor(state))
    state.customers = [{ ...state.customers[0]!, connection: 'online' }]
    vi.advanceTimersByTime(30_000)
    await flush(15)
    expect(calls(fetch).filter((c) => c === MARKERS)).toHaveLength(2)
    expect(row(w, 1).attributes('data-connection')).toBe('online')
    expect(marker(1)!.classList).toContain('isp-marker--online')
    w.unmount()
  })
})
