import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import PlanChangeCard from './PlanChangeCard.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { useSessionStore } from '../../stores/session'
import type { PlanChange, PlanQuote } from '../../lib/planChange'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { account } from '../../test/identity'

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))

function quote(over: Partial<PlanQuote>): PlanQuote {
  return {
    product_id: 8,
    product_name: 'VPS Besar',
    spec: { kind: 'vps', cores: 4, ram_mb: 8192, disk_gb: 120, rate_limit_mbps: null },
    cycle: 'monthly',
    currency: 'IDR',
    recurring_minor: 200_000,
    period_start: '2027-01-31',
    period_end: '2027-02-28',
    days_left: 10,
    period_days: 28,
    credit_minor: 35_714,
    charge_minor: 71_429,
    settle_minor: 35_715,
    unavailable: null,
    ...over,
  }
}

function change(over: Partial<PlanChange>): PlanChange {
  return {
    id: 3,
    service_id: 5,
    from_product_id: 1,
    to_product_id: 8,
    from_name: 'VPS Kecil',
    to_name: 'VPS Besar',
    currency: 'IDR',
    from_recurring_minor: 100_000,
    to_recurring_minor: 200_000,
    shop_day: '2027-02-18',
    period_start: '2027-01-31',
    period_end: '2027-02-28',
    days_left: 10,
    period_days: 28,
    credit_minor: 35_714,
    charge_minor: 71_429,
    settle_minor: 35_715,
    status: 'awaiting_payment',
    invoice_id: 42,
    requested_at: '2027-02-18T03:00:00Z',
    decided_at: null,
    ...over,
  }
}

async function mountCard(routes: Record<string, Route>, scope: 'client' | 'staff' = 'client') {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(scope === 'client' ? ['client'] : ['finance']) })
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  const push = vi.spyOn(router, 'push')
  const w = mount(PlanChangeCard, { props: { serviceId: 5, scope }, global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush()
  return { w, fetch, push }
}

describe('PlanChangeCard', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it('shows each plan with what moving today settles, and why a plan cannot be chosen', async () => {
    const { w } = await mountCard({
      'GET /api/v1/services/5/plan-changes': { body: [] },
      'GET /api/v1/services/5/plan-options': {
        body: [
          quote({ product_id: 7, product_name: 'VPS Mini', recurring_minor: 50_000, settle_minor: -17_857, spec: { kind: 'vps', cores: 1, ram_mb: 2048, disk_gb: 40, rate_limit_mbps: null }, unavailable: { code: 'disk_cannot_shrink', message: 'a disk cannot shrink: the VPS has 60 GB, this plan 40 GB' } }),
          quote({ product_id: 9, product_name: 'VPS Hemat', recurring_minor: 60_000, settle_minor: -14_286 }),
          quote({}),
        ],
      },
    })
    const plans = w.findAll($('plan-option'))
    expect(plans.map((p) => p.attributes('data-product'))).toEqual(['7', '9', '8'])
    expect(plans[0]!.find($('plan-option-unavailable')).text()).toContain('A disk cannot shrink')
    expect(plans[0]!.find($('plan-option-7')).exists()).toBe(false)
    expect(plans[1]!.find($('plan-option-today')).text()).toMatch(/14,286.*back to your wallet/)
    expect(plans[2]!.find($('plan-option-today')).text()).toMatch(/Pay .*35,715 today/)
    expect(plans[2]!.text()).toContain('4 vCPU · 8 GB RAM · 120 GB')
    expect(plans[2]!.text()).toContain('10 of 28 days left')
  })

  it('an upgrade goes to its invoice; a service that cannot change says why instead of plans', async () => {
    const { w, fetch, push } = await mountCard({
      'GET /api/v1/services/5/plan-changes': { body: [] },
      'GET /api/v1/services/5/plan-options': { body: [quote({})] },
      'POST /api/v1/services/5/plan-changes': async (request) => {
        expect(await request.json()).toEqual({ product_id: 8 })
        return { status: 201, body: change({}) }
      },
    })
    await w.find($('plan-option-8')).trigger('click')
    await flush()
    inDoc('plan-option-8-confirm')!.click()
    await flush()
    expect(calls(fetch)).toContain('POST /api/v1/services/5/plan-changes')
    expect(push).toHaveBeenCalledWith({ name: 'client-invoice', params: { id: 42 } })

    const closed = await mountCard({
      'GET /api/v1/services/5/plan-changes': { body: [] },
      'GET /api/v1/services/5/plan-options': problem(409, 'renewal_due', { detail: 'the service is due for renewal' }),
    })
    expect(closed.w.find($('plan-change-closed')).text()).toContain('pay the renewal invoice first')
    expect(closed.w.find($('plan-change-error')).exists()).toBe(false)
    expect(closed.w.findAll($('plan-option'))).toHaveLength(0)
  })

  it('a pending upgrade can be paid or withdrawn, and blocks another; staff see the credit of a downgrade', async () => {
    let changes = [change({})]
    const { w, fetch } = await mountCard({
      'GET /api/v1/services/5/plan-changes': () => ({ body: changes }),
      'GET /api/v1/services/5/plan-options': { body: [quote({})] },
      'DELETE /api/v1/services/5/plan-changes/pending': () => {
        changes = [change({ status: 'cancelled', decided_at: '2027-02-18T04:00:00Z' })]
        return { status: 204 }
      },
    })
    expect(w.find($('plan-change-pending')).text()).toContain('VPS Besar')
    expect(w.find($('plan-change-pay')).attributes('href')).toContain('/42')
    expect(w.find($('plan-option-8')).attributes('disabled')).toBeDefined()
    await w.find($('plan-change-withdraw')).trigger('click')
    await flush()
    inDoc('plan-change-withdraw-confirm')!.click()
    await flush()
    expect(calls(fetch)).toContain('DELETE /api/v1/services/5/plan-changes/pending')
    expect(w.find($('plan-change-pending')).exists()).toBe(false)
    expect(w.find($('plan-change-entry')).attributes('data-status')).toBe('cancelled')

    const staff = await mountCard(
      {
        'GET /api/v1/staff/services/5/plan-changes': { body: [] },
        'GET /api/v1/staff/services/5/plan-options': { body: [quote({ product_id: 9, product_name: 'VPS Hemat', settle_minor: -14_286 })] },
        'POST /api/v1/staff/services/5/plan-changes': { status: 201, body: change({ to_product_id: 9, to_name: 'VPS Hemat', settle_minor: -14_286, status: 'applied', invoice_id: null }) },
      },
      'staff',
    )
    expect(staff.w.find($('plan-change-withdraw')).exists()).toBe(false)
    await staff.w.find($('plan-option-9')).trigger('click')
    await flush()
    inDoc('plan-option-9-confirm')!.click()
    await flush()
    expect(staff.w.find($('plan-change-notice')).text()).toMatch(/Now on VPS Hemat; .*14,286 was credited/)
  })
})
