import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import StatusPage from './StatusPage.vue'
import { createAppI18n } from '../i18n'
import { createAppRouter } from '../router'
import { calls, flush, mockFetch, type Route } from '../test/fetch'
import { publicHost, statusPage } from '../test/monitoring'

const STATUS = 'GET /api/v1/status'

async function mountPage(routes: Record<string, Route>, locale: 'en' | 'id' = 'en') {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/status')
  const w = mount(StatusPage, { global: { plugins: [createAppI18n(locale), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch, router }
}
const $ = (id: string) => `[data-testid="${id}"]`

describe('StatusPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    localStorage.clear()
    setActivePinia(createPinia())
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('is public and shows each host: UP/DOWN, last check, response time, days left with badges, maintenance and uptime', async () => {
    const { w, fetch, router } = await mountPage(
      {
        [STATUS]: {
          body: statusPage([
            publicHost('RDP Budi'),
            publicHost('VPS Sari', { status: 'down', response_time_ms: null, days_left: 3, expiring: true, uptime: { last_24h: 91.5, last_7d: 98.2, last_30d: 99.1 } }),
            publicHost('VPS Lama', { status: 'up', days_left: -4, expired: true, in_maintenance: true, last_checked_at: null, uptime: { last_24h: null, last_7d: null, last_30d: null } }),
          ]),
        },
      },
      'id',
    )
    expect(router.currentRoute.value.name).toBe('status') // no sign-in needed
    expect(calls(fetch)).toEqual([STATUS])
    expect(fetch.mock.calls[0]![0] instanceof Request && (fetch.mock.calls[0]![0] as Request).headers.has('authorization')).toBe(false)

    const rows = w.findAll($('status-row'))
    expect(rows.map((r) => [r.attributes('data-name'), r.attributes('data-status')])).toEqual([
      ['RDP Budi', 'up'],
      ['VPS Sari', 'down'],
      ['VPS Lama', 'up'],
    ])
    const [budi, sari, lama] = rows
    expect(budi!.get($('status-host-status')).text()).toBe('UP')
    // Checked 20 s before the fixture was built; mounting on a busy machine can take a few more.
    expect(budi!.get($('status-last-check')).text()).toMatch(/^(2\d|[3-5]\d) detik yang lalu$/)
    expect(budi!.get($('status-response')).text()).toBe('18 ms')
    expect(budi!.get($('status-days-left')).text()).toBe('40 hari lagi')
    expect(budi!.get($('status-uptime-24h')).text()).toBe('100%')
    expect(budi!.get($('status-uptime-30d')).text()).toBe('98,75%')
    expect(budi!.find($('status-expiring')).exists()).toBe(false)

    expect(sari!.get($('status-host-status')).text()).toBe('DOWN')
    expect(sari!.get($('status-response')).text()).toBe('—')
    expect(sari!.get($('status-expiring')).text()).toBe('Segera berakhir')
    expect(sari!.get($('status-uptime-24h')).classes()).toContain('up-poor')

    expect(lama!.get($('status-expired')).text()).toBe('Kedaluwarsa')
    expect(lama!.get($('status-maintenance')).text()).toBe('Pemeliharaan')
    expect(lama!.get($('status-last-check')).text()).toBe('Belum dicek')
    expect(lama!.get($('status-uptime-7d')).text()).toBe('—')

    const summary = w.get($('status-summary'))
    expect(summary.attributes('data-state')).toBe('down')
    expect(summary.text()).toBe('1 server sedang DOWN')
    w.unmount()
  })

  it('says when everything is up, shows an empty state, and refreshes every 30 seconds', async () => {
    vi.useFakeTimers({ toFake: ['setInterval'] })
    let hosts = [publicHost('RDP Budi')]
    const { w, fetch } = await mountPage({ [STATUS]: () => ({ body: statusPage(hosts) }) })
    expect(w.get($('status-summary')).attributes('data-state')).toBe('ok')
    expect(w.get($('status-summary')).text()).toBe('All servers are up')
    expect(w.find($('status-empty')).exists()).toBe(false)

    hosts = []
    vi.advanceTimersByTime(29_000)
    await flush()
    expect(calls(fetch)).toEqual([STATUS])
    vi.advanceTimersByTime(1_000)
    await flush(10)
    expect(calls(fetch)).toEqual([STATUS, STATUS])
    expect(w.findAll($('status-row'))).toHaveLength(0)
    expect(w.get($('status-empty')).text()).toContain('There are no servers on the status page yet.')
    expect(w.get($('status-summary')).attributes('data-state')).toBe('empty')
    w.unmount()
  })

  it('keeps the last answer on screen when a refresh fails', async () => {
    let fail = false
    const { w } = await mountPage({ [STATUS]: () => (fail ? new TypeError('offline') : { body: statusPage([publicHost('RDP Budi')]) }) })
    fail = true
    await w.get($('status-refresh')).trigger('click')
    await flush(10)
    expect(w.get($('status-error')).attributes('data-code')).toBe('network_error')
    expect(w.findAll($('status-row'))).toHaveLength(1)
    w.unmount()
  })
})
