import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import LifecyclePage from './LifecyclePage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { useSessionStore } from '../../stores/session'
import type { Role } from '../../api/roles'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { account } from '../../test/identity'
import { COUNT_KEYS, type LifecycleTerms, type SweepCounts, type SweepRecord, type SweepReport } from '../../lib/lifecycle'

const counts = (extra: Partial<SweepCounts> = {}): SweepCounts => ({ ...(Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as SweepCounts), ...extra })

function sweepRecord(id: number, extra: Partial<SweepRecord> = {}): SweepRecord {
  return {
    id,
    shop_day: '2026-12-06',
    started_at: '2026-12-06T01:00:00Z',
    finished_at: '2026-12-06T01:00:01Z',
    duration_ms: 1250,
    counts: counts(),
    failures: [],
    ...extra,
  }
}

const TERMS: LifecycleTerms = { renew_days_before: 7, suspend_after_days: 3, terminate_after_days: 15, late_fee_minor: 0 }

const BASE: Record<string, Route> = {
  'GET /api/v1/staff/lifecycle/sweeps': {
    body: [
      sweepRecord(12, { counts: counts({ invoiced: 2, paid_from_wallet: 1, failed: 1 }), failures: [{ service_id: 44, step: 'suspend', error: 'proxmox: connection refused' }] } as unknown as Partial<SweepRecord>),
      sweepRecord(11, { started_at: '2026-12-06T00:00:00Z' }),
    ],
  },
  'GET /api/v1/staff/lifecycle/preview': {
    body: [
      { day: '2026-12-08', step: 'suspend', service_id: 5, label: 'VPS Sari', client_email: 'sari@example.test', period: '2026-12-05' },
      { day: '2026-12-06', step: 'invoice', service_id: 7, label: 'VPS Budi', client_email: 'budi@example.test', period: '2026-12-13' },
      { day: '2026-12-08', step: 'invoice', service_id: 9, label: 'Hosting tokobudi.id', client_email: 'budi@example.test', period: '2026-12-15' },
    ],
  },
  'GET /api/v1/staff/lifecycle/settings': { body: TERMS },
}

async function mountPage(routes: Record<string, Route> = {}, roles: Role[] = ['owner'], locale: 'en' | 'id' = 'en') {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(roles) })
  const fetch = mockFetch({ ...BASE, ...routes })
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/lifecycle')
  const w = mount(LifecyclePage, { global: { plugins: [createAppI18n(locale), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
function type(id: string, value: string) {
  const input = inDoc(id) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
const itemText = (id: string) => inDoc(id)!.closest('.n-form-item')!.textContent ?? ''

describe('LifecyclePage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it('shows the log newest first with what each sweep did, its failures on demand, and the coming days by day', async () => {
    const { w, fetch } = await mountPage()
    const rows = w.findAll($('sweep-row'))
    expect(rows.map((r) => r.attributes('data-id'))).toEqual(['12', '11'])
    expect(rows[0]!.findAll($('sweep-count')).map((c) => [c.attributes('data-key'), c.attributes('data-n')])).toEqual([
      ['invoiced', '2'],
      ['paid_from_wallet', '1'],
      ['failed', '1'],
    ])
    expect(rows[0]!.text()).toContain('Invoiced: 2')
    expect(rows[0]!.text()).toContain('1.2 s')
    expect(rows[1]!.get($('sweep-count-none')).text()).toBe('Nothing to do')
    expect(rows[0]!.find($('sweep-failures')).exists()).toBe(false)
    await rows[0]!.get($('sweep-failures-toggle')).trigger('click')
    expect(w.get($('sweep-failure')).text()).toContain('#44 · Suspend: proxmox: connection refused')
    // The owner may open the service (provisioning's page).
    expect(w.get($('sweep-failure')).find('a').attributes('href')).toBe('/staff/services/44')

    const days = w.findAll($('preview-day'))
    expect(days.map((d) => d.attributes('data-day'))).toEqual(['2026-12-06', '2026-12-08'])
    expect(days[1]!.findAll($('preview-item')).map((i) => i.attributes('data-step'))).toEqual(['invoice', 'suspend'])
    expect(days[1]!.text()).toContain('2 decisions')
    expect(days[1]!.text()).toContain('sari@example.test · due Dec 5, 2026')
    const preview = fetch.mock.calls.map(([r]) => new URL((r as Request).url)).find((u) => u.pathname.endsWith('/preview'))!
    expect(preview.searchParams.get('days')).toBe('7')
    w.unmount()
  })

  it('links finance to the services (they read them), and a role that cannot read them gets the numbers only', async () => {
    const finance = await mountPage({}, ['finance'])
    await finance.w.get($('sweep-failures-toggle')).trigger('click')
    expect(finance.w.get($('sweep-failure')).find('a').exists()).toBe(true)
    finance.w.unmount()
    const business = await mountPage({}, ['business'])
    await business.w.get($('sweep-failures-toggle')).trigger('click')
    expect(business.w.get($('sweep-failure')).find('a').exists()).toBe(false)
    expect(business.w.findAll(`${$('preview-item')} a`)).toHaveLength(0)
    business.w.unmount()
  })

  it('reads the preview again for another number of days', async () => {
    const { w, fetch } = await mountPage()
    type('lifecycle-preview-days', '14')
    ;(inDoc('lifecycle-preview-days') as HTMLInputElement).dispatchEvent(new Event('blur'))
    await new Promise((r) => setTimeout(r, 350))
    await flush(10)
    const last = fetch.mock.calls.map(([r]) => new URL((r as Request).url)).filter((u) => u.pathname.endsWith('/preview')).at(-1)!
    expect(last.searchParams.get('days')).toBe('14')
    w.unmount()
  })

  it('runs a dry run and shows what it would do, without writing', async () => {
    const report: SweepReport = {
      id: null,
      shop_day: '2026-12-06',
      dry_run: true,
      counts: counts({ invoiced: 2, suspended: 1 }),
      failures: [],
      planned: [
        { step: 'invoice', service_id: 7, period: '2026-12-13' },
        { step: 'invoice', service_id: 9, period: '2026-12-15' },
        { step: 'suspend', service_id: 5, period: '2026-12-03', invoice_id: 31 },
      ],
      timings: [],
      duration_ms: 40,
    }
    const bodies: unknown[] = []
    const { w, fetch } = await mountPage({
      'POST /api/v1/staff/lifecycle/sweeps': async (request) => {
        bodies.push(await request.json())
        return { body: report }
      },
    })
    await w.get($('lifecycle-dry-run')).trigger('click')
    await flush(10)
    expect(bodies).toEqual([{ dry_run: true }])
    const card = w.get($('lifecycle-dry-report'))
    expect(card.text()).toContain('3 decisions planned')
    expect(card.findAll($('sweep-count')).map((s) => [s.attributes('data-key'), s.attributes('data-n')])).toEqual([
      ['invoiced', '2'],
      ['suspended', '1'],
    ])
    expect(card.findAll($('planned-row')).map((r) => r.attributes('data-service'))).toEqual(['7', '9', '5'])
    expect(card.text()).toContain('Invoice #31')
    // Nothing was written: the log is not read again.
    expect(calls(fetch).filter((c) => c === 'GET /api/v1/staff/lifecycle/sweeps')).toHaveLength(1)
    w.unmount()
  })

  it('runs the sweep now only once confirmed, then reads the log again', async () => {
    const bodies: unknown[] = []
    let ran = false
    const { w, fetch } = await mountPage({
      'GET /api/v1/staff/lifecycle/sweeps': () => ({ body: ran ? [sweepRecord(13, { counts: counts({ invoiced: 1 }) }), sweepRecord(12)] : [sweepRecord(12)] }),
      'POST /api/v1/staff/lifecycle/sweeps': async (request) => {
        bodies.push(await request.json())
        ran = true
        return { body: { id: 13, shop_day: '2026-12-06', dry_run: false, counts: counts({ invoiced: 1 }), failures: [], planned: [], timings: [], duration_ms: 2100 } }
      },
    })
    await w.get($('lifecycle-run')).trigger('click')
    await flush()
    expect(bodies).toEqual([])
    inDoc('lifecycle-run-confirm')!.click()
    await flush(10)
    expect(bodies).toEqual([{ dry_run: false }])
    expect(w.get($('lifecycle-notice')).text()).toBe('Sweep #13 finished in 2.1 s.')
    expect(w.findAll($('sweep-row')).map((r) => [r.attributes('data-id'), r.attributes('data-invoiced')])).toEqual([
      ['13', '1'],
      ['12', '0'],
    ])
    expect(calls(fetch).filter((c) => c === 'GET /api/v1/staff/lifecycle/sweeps')).toHaveLength(2)
    w.unmount()
  })

  it('saves the shop’s days, checks termination after suspension, and shows the server’s errors at their fields', async () => {
    const sent: LifecycleTerms[] = []
    let refuse = true
    const { w } = await mountPage({
      'PUT /api/v1/staff/lifecycle/settings': async (request) => {
        const body = (await request.json()) as LifecycleTerms
        sent.push(body)
        if (refuse) {
          refuse = false
          return problem(422, 'validation_failed', { errors: [{ field: 'renew_days_before', code: 'out_of_range', message: '0 to 60 days' }] })
        }
        return { body }
      },
    })
    expect((inDoc('lifecycle-settings-renew') as HTMLInputElement).value).toBe('7')
    type('lifecycle-settings-terminate', '2')
    await flush()
    await w.get($('lifecycle-settings-save')).trigger('click')
    await flush(10)
    expect(sent).toEqual([])
    expect(itemText('lifecycle-settings-terminate')).toContain('Termination must come after suspension.')

    type('lifecycle-settings-terminate', '20')
    type('lifecycle-settings-renew', '14')
    await flush()
    await w.get($('lifecycle-settings-save')).trigger('click')
    await flush(10)
    expect(sent).toEqual([{ renew_days_before: 14, suspend_after_days: 3, terminate_after_days: 20, late_fee_minor: 0, late_fee_currency: 'IDR' }])
    expect(itemText('lifecycle-settings-renew')).toContain('0 to 60 days.')
    expect(inDoc('lifecycle-settings-error')!.textContent).not.toContain('renew_days_before')

    await w.get($('lifecycle-settings-save')).trigger('click')
    await flush(10)
    expect(sent).toHaveLength(2)
    expect(w.get($('lifecycle-settings-saved')).text()).toBe('Settings saved.')
    w.unmount()
  })
})
