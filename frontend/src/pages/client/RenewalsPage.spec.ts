import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import RenewalsPage from './RenewalsPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { useSessionStore } from '../../stores/session'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { account } from '../../test/identity'
import type { CancellationRequest, Renewal } from '../../lib/lifecycle'

function renewal(id: number, extra: Partial<Renewal> = {}): Renewal {
  return {
    service_id: id,
    label: `VPS Jakarta ${id}`,
    kind: 'vps',
    status: 'active',
    cycle: 'monthly',
    next_due_on: '2027-01-06',
    recurring_minor: 150_000,
    currency: 'IDR',
    invoice_id: null,
    invoice_number: null,
    invoice_total_minor: null,
    invoice_status: null,
    suspend_on: '2027-01-09',
    terminate_on: '2027-01-21',
    cancel_on: null,
    ...extra,
  }
}

async function mountPage(routes: Record<string, Route>, locale: 'en' | 'id' = 'id') {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(['client']) })
  const fetch = mockFetch({ 'GET /api/v1/account/billing-preferences': { body: { apply_wallet_to_renewals: false } }, ...routes })
  const router = createAppRouter(createMemoryHistory())
  await router.push('/client/renewals')
  const w = mount(RenewalsPage, { global: { plugins: [createAppI18n(locale), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ').replace(/\s+/g, ' ').trim()

describe('RenewalsPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it('lists each subscription with its due date, price, open invoice to pay and the days it is cut off if unpaid', async () => {
    const { w } = await mountPage({
      'GET /api/v1/renewals': {
        body: [
          renewal(7, { invoice_id: 41, invoice_number: 'INV-2026-000041', invoice_total_minor: 150_000, invoice_status: 'unpaid' }),
          renewal(8, { label: 'Hosting tokobudi.id', kind: 'hosting', cycle: 'annual', next_due_on: '2027-06-01', recurring_minor: 600_000 }),
          renewal(9, { cancel_on: '2027-02-01' }),
        ],
      },
    })
    const rows = w.findAll($('renewal-row'))
    expect(rows.map((r) => [r.attributes('data-id'), r.attributes('data-state')])).toEqual([
      ['7', 'unpaid'],
      ['8', 'upcoming'],
      ['9', 'cancelling'],
    ])
    const first = rows[0]!
    expect(plain(first.get($('renewal-due')).text())).toBe('6 Jan 2027')
    expect(plain(first.get($('renewal-price')).text())).toBe('Rp 150.000')
    expect(plain(first.get($('renewal-invoice-total')).text())).toBe('Rp 150.000')
    expect(first.get($('renewal-invoice-number')).attributes('href')).toBe('/client/invoices/41')
    expect(first.get($('renewal-pay')).attributes('href')).toBe('/client/invoices/41')
    expect(first.get($('renewal-pay')).text()).toBe('Bayar')
    expect(plain(first.get($('renewal-warning')).text())).toBe('Belum dibayar: ditangguhkan 9 Jan 2027, dihentikan 21 Jan 2027')
    expect(first.find($('renewal-cancel')).exists()).toBe(true)

    const second = rows[1]!
    expect(second.text()).toContain('per periode: Tahunan')
    expect(second.get($('renewal-no-invoice')).text()).toBe('Belum terbit')
    expect(second.find($('renewal-warning')).exists()).toBe(false)
    expect(second.find($('renewal-pay')).exists()).toBe(false)

    const third = rows[2]!
    expect(plain(third.get($('renewal-cancel-on')).text())).toBe('Berakhir 1 Feb 2027')
    expect(third.find($('renewal-cancel')).exists()).toBe(false)
    expect(third.get($('renewal-withdraw')).text()).toBe('Batalkan pembatalan')
    w.unmount()
  })

  it('says so when there is nothing recurring', async () => {
    const { w } = await mountPage({ 'GET /api/v1/renewals': { body: [] } }, 'en')
    expect(w.get($('renewals-empty')).text()).toBe('You have no subscriptions yet.')
    w.unmount()
  })

  it('turns wallet auto-pay on and off', async () => {
    const sent: unknown[] = []
    const { w } = await mountPage({
      'GET /api/v1/renewals': { body: [] },
      'PUT /api/v1/account/billing-preferences': async (request) => {
        const body = (await request.json()) as { apply_wallet_to_renewals: boolean }
        sent.push(body)
        return { body }
      },
    })
    const toggle = w.get($('renewals-autopay-switch'))
    expect(toggle.attributes('data-on')).toBe('false')
    await toggle.trigger('click')
    await flush(10)
    expect(sent).toEqual([{ apply_wallet_to_renewals: true }])
    expect(w.get($('renewals-autopay-switch')).attributes('data-on')).toBe('true')
    expect(w.get($('renewals-notice')).text()).toContain('dibayar otomatis dari saldo')
    w.unmount()
  })

  it('cancels at the end of the period with a reason, shows the server’s field error, then withdraws', async () => {
    const posted: CancellationRequest[] = []
    let cancelled = false
    let refuse = true
    const { w, fetch } = await mountPage({
      'GET /api/v1/renewals': () => ({ body: [renewal(7, cancelled ? { cancel_on: '2027-01-06' } : {})] }),
      'POST /api/v1/services/7/cancellation': async (request) => {
        posted.push((await request.json()) as CancellationRequest)
        if (refuse) {
          refuse = false
          return problem(422, 'validation_failed', { errors: [{ field: 'reason', code: 'length', message: 'at most 500 characters' }] })
        }
        cancelled = true
        return { body: { service_id: 7, requested_at: '2026-12-06T03:00:00Z', cancel_on: '2027-01-06', reason: 'pindah', carried_out: false } }
      },
      'DELETE /api/v1/services/7/cancellation': () => {
        cancelled = false
        return { status: 204 }
      },
    })
    await w.get($('renewal-cancel')).trigger('click')
    await flush()
    expect(inDoc('cancel-service-form')).not.toBeNull()
    expect(inDoc('cancel-hint')!.textContent).toContain('6 Jan 2027')
    const reason = inDoc('cancel-reason') as HTMLTextAreaElement
    reason.value = 'pindah'
    reason.dispatchEvent(new Event('input'))
    await flush()
    inDoc('cancel-service-save')!.click()
    await flush(10)
    expect(posted).toEqual([{ when: 'end_of_period', reason: 'pindah' }])
    // The reason's error is shown at the field, not in the alert's list.
    expect(inDoc('cancel-reason')!.closest('.n-form-item')!.textContent).toContain('Paling banyak 500 karakter.')
    expect(inDoc('cancel-service-form-error')!.textContent).not.toContain('reason')

    inDoc('cancel-service-save')!.click()
    await flush(10)
    expect(posted).toHaveLength(2)
    expect(w.get($('renewals-notice')).text()).toContain('berakhir pada 6 Jan 2027')
    const row = w.get($('renewal-row'))
    expect(row.attributes('data-state')).toBe('cancelling')

    await row.get($('renewal-withdraw')).trigger('click')
    await flush()
    inDoc('renewal-withdraw-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('DELETE /api/v1/services/7/cancellation')
    expect(w.get($('renewal-row')).attributes('data-state')).toBe('upcoming')
    expect(w.get($('renewals-notice')).text()).toContain('berlanjut')
    w.unmount()
  })

  it('cancels at once when asked, and shows a refusal in words', async () => {
    const posted: CancellationRequest[] = []
    const { w } = await mountPage(
      {
        'GET /api/v1/renewals': { body: [renewal(7)] },
        'POST /api/v1/services/7/cancellation': async (request) => {
          posted.push((await request.json()) as CancellationRequest)
          return problem(409, 'cancellation_underway')
        },
      },
      'en',
    )
    await w.get($('renewal-cancel')).trigger('click')
    await flush()
    ;(inDoc('cancel-when-immediately')!.querySelector('input') as HTMLInputElement).click()
    await flush()
    expect(inDoc('cancel-hint')!.textContent).toContain('stopped and its data removed')
    inDoc('cancel-service-save')!.click()
    await flush(10)
    expect(posted).toEqual([{ when: 'immediately' }])
    expect(inDoc('cancel-service-form-error')!.textContent).toContain('being carried out')
    w.unmount()
  })
})
