import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import InvoicePage from './InvoicePage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { useSessionStore } from '../../stores/session'
import type { Invoice } from '../../lib/billing'
import { flush, mockFetch, problem, type Route } from '../../test/fetch'
import { account } from '../../test/identity'

function invoice(extra: Partial<Invoice> = {}): Invoice {
  return {
    id: 41,
    number: 'INV-2026-000041',
    user_id: '0b9d6a52-6f3e-4c5e-9a43-3f7f0c1d2e01',
    purpose: 'renewal',
    currency: 'IDR',
    subtotal_minor: 150_000,
    discount_minor: 0,
    tax_minor: 14_865,
    total_minor: 150_000,
    tax_rate_bp: 1100,
    prices_include_tax: true,
    amount_paid_minor: 0,
    balance_due_minor: 150_000,
    status: 'unpaid',
    buyer: { name: 'Budi Santoso', email: 'budi@example.test', address: ['Jl. Pemuda 5', 'Semarang'] },
    lines: [{ kind: 'item', description: 'VPS Jakarta (06/01/2027 – 06/02/2027)', quantity: 1, unit_minor: 150_000, amount_minor: 150_000 }],
    issued_at: '2026-12-06T02:00:00Z',
    due_at: '2027-01-05T17:00:00Z',
    time_zone: 'Asia/Jakarta',
    order_id: null,
    renewal: { service_id: 7, start: '2027-01-06', end: '2027-02-06' },
    ...extra,
  }
}

async function mountPage(routes: Record<string, Route>) {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(['client']) })
  mockFetch({
    'GET /api/v1/payment-methods': { body: [{ method: 'wallet', currencies: ['IDR'] }] },
    'GET /api/v1/wallet': { body: [{ currency: 'IDR', balance_minor: 200_000 }] },
    ...routes,
  })
  const router = createAppRouter(createMemoryHistory())
  await router.push('/client/invoices/41')
  const w = mount(InvoicePage, { global: { plugins: [createAppI18n('id'), router] }, attachTo: document.body })
  await flush(10)
  return w
}

const $ = (id: string) => `[data-testid="${id}"]`
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ').replace(/\s+/g, ' ').trim()

describe('InvoicePage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it('names the service and the period a renewal invoice pays for, links to the service, and takes the wallet', async () => {
    const w = await mountPage({
      'GET /api/v1/invoices/41': { body: invoice() },
      'GET /api/v1/services/7': {
        body: { service: { id: 7, order_id: 3, user_id: 'u', product_id: 2, kind: 'vps', label: 'VPS Jakarta', status: 'active', created_at: '2026-12-06T02:00:00Z' }, runs: [] },
      },
    })
    const renewal = w.get($('invoice-renewal'))
    expect(plain(renewal.text())).toBe('Perpanjangan VPS Jakarta 6 Jan 2027 – 6 Feb 2027')
    expect(renewal.get($('invoice-renewal-service')).attributes('href')).toBe('/client/services/7')
    expect(w.text()).toContain('Perpanjangan ·')
    // Due at midnight in Jakarta, whatever the reader's time zone.
    expect(plain(w.text())).toMatch(/Jatuh tempo 6 Jan 2027,? 00[.:]00/)
    expect(w.find($('pay-wallet')).exists()).toBe(true)
    w.unmount()
  })

  it('still names the service by number when it cannot be read', async () => {
    const w = await mountPage({
      'GET /api/v1/invoices/41': { body: invoice() },
      'GET /api/v1/services/7': problem(404, 'not_found'),
    })
    expect(plain(w.get($('invoice-renewal')).text())).toBe('Perpanjangan #7 6 Jan 2027 – 6 Feb 2027')
    w.unmount()
  })

  it('says nothing of a renewal on an order’s invoice', async () => {
    const w = await mountPage({ 'GET /api/v1/invoices/41': { body: invoice({ purpose: 'order', order_id: 3, renewal: null }) } })
    expect(w.find($('invoice-renewal')).exists()).toBe(false)
    expect(w.get($('invoice-order-link')).attributes('href')).toBe('/client/orders/3')
    w.unmount()
  })
})
