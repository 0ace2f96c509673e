import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import ServiceLifecycleCard from './ServiceLifecycleCard.vue'
import ServicePage from '../../pages/staff/provisioning/ServicePage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { useSessionStore } from '../../stores/session'
import type { Role } from '../../api/roles'
import type { CancellationRequest, ServiceOverride } from '../../lib/lifecycle'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { account } from '../../test/identity'

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
function type(id: string, value: string) {
  const input = inDoc(id) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
const itemText = (id: string) => inDoc(id)!.closest('.n-form-item')!.textContent ?? ''

async function mountCard(routes: Record<string, Route>) {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(['finance']) })
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  const w = mount(ServiceLifecycleCard, { props: { serviceId: 5, label: 'VPS Sari' }, global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush()
  return { w, fetch }
}

describe('ServiceLifecycleCard', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it('asks for a reason, keeps blank days as the product’s, and shows the server’s errors at their fields', async () => {
    const sent: ServiceOverride[] = []
    let refuse = true
    const { w } = await mountCard({
      'PUT /api/v1/staff/services/5/lifecycle': async (request) => {
        sent.push((await request.json()) as ServiceOverride)
        if (refuse) {
          refuse = false
          return problem(422, 'validation_failed', { errors: [{ field: 'terminate_after_days', code: 'not_after_suspension', message: 'termination comes after suspension' }] })
        }
        return { status: 204 }
      },
    })
    await w.get($('service-lifecycle-save')).trigger('click')
    await flush(10)
    expect(sent).toEqual([])
    expect(itemText('service-lifecycle-reason')).toContain('This field is required.')

    type('service-lifecycle-terminate', '2')
    type('service-lifecycle-reason', '  Klien minta waktu  ')
    await flush()
    await w.get($('service-lifecycle-save')).trigger('click')
    await flush(10)
    expect(sent).toEqual([{ suspend_after_days: null, terminate_after_days: 2, extended_until: null, reason: 'Klien minta waktu' }])
    expect(itemText('service-lifecycle-terminate')).toContain('Termination must come after suspension.')

    type('service-lifecycle-terminate', '')
    type('service-lifecycle-suspend', '5')
    await flush()
    await w.get($('service-lifecycle-save')).trigger('click')
    await flush(10)
    expect(sent[1]).toEqual({ suspend_after_days: 5, terminate_after_days: null, extended_until: null, reason: 'Klien minta waktu' })
    expect(w.get($('service-lifecycle-notice')).text()).toBe('Overrides saved.')
    expect(w.emitted('changed')).toHaveLength(1)
    w.unmount()
  })

  it('cancels the service at the end of its period and withdraws the cancellation', async () => {
    const posted: CancellationRequest[] = []
    const { w, fetch } = await mountCard({
      'POST /api/v1/staff/services/5/cancellation': async (request) => {
        posted.push((await request.json()) as CancellationRequest)
        return { body: { service_id: 5, requested_at: '2026-12-06T03:00:00Z', cancel_on: '2027-01-06', reason: null, carried_out: false } }
      },
      'DELETE /api/v1/staff/services/5/cancellation': { status: 204 },
    })
    await w.get($('service-lifecycle-cancel')).trigger('click')
    await flush()
    expect(inDoc('cancel-service-form')!.textContent).toContain('Cancel VPS Sari')
    inDoc('cancel-service-save')!.click()
    await flush(10)
    expect(posted).toEqual([{ when: 'end_of_period' }])
    expect(w.get($('service-lifecycle-cancel-on')).attributes('data-date')).toBe('2027-01-06')
    expect(w.get($('service-lifecycle-cancel-on')).text()).toBe('The service ends on Jan 6, 2027.')

    await w.get($('service-lifecycle-withdraw')).trigger('click')
    await flush()
    inDoc('service-lifecycle-withdraw-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('DELETE /api/v1/staff/services/5/cancellation')
    expect(w.find($('service-lifecycle-cancel-on')).exists()).toBe(false)
    expect(w.get($('service-lifecycle-notice')).text()).toContain('Cancellation withdrawn')
    w.unmount()
  })
})

describe('the staff service page', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  const VIEW = {
    service: { id: 5, order_id: 3, user_id: '0b9d6a52-6f3e-4c5e-9a43-3f7f0c1d2e01', product_id: 2, kind: 'domain', label: 'tokobudi.id', status: 'active', created_at: '2026-11-06T03:00:00Z' },
    runs: [],
    latest: null,
    vps: null,
    hosting: null,
    domain: null,
  }

  it.each([
    [['owner'], true],
    [['sysadmin'], false],
  ] as const)('shows the billing cycle card to %s: %s', async (roles, shown) => {
    setActivePinia(createPinia())
    useSessionStore().$patch({ accessToken: 'access-1', account: account([...roles] as Role[]) })
    mockFetch({ 'GET /api/v1/staff/services/5': { body: VIEW } })
    const router = createAppRouter(createMemoryHistory())
    await router.push('/staff/services/5')
    const w = mount(ServicePage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
    await flush(10)
    expect(w.find($('staff-service-page')).exists()).toBe(true)
    expect(w.find($('service-lifecycle-card')).exists()).toBe(shown)
    w.unmount()
  })
})
