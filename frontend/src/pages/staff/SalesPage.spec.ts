import { beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import SalesPage from './SalesPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { monthlyTotal, sale } from '../../test/monitoring'
import { grandTotals, totalsByMonth, type SaleInput } from '../../composables/useSales'

const LIST = 'GET /api/v1/sales'

async function mountPage(routes: Record<string, Route>, locale: 'en' | 'id' = 'en') {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/sales')
  const w = mount(SalesPage, { global: { plugins: [createAppI18n(locale), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ').trim()
function type(id: string, value: string) {
  const input = inDoc(id) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
const itemText = (id: string) => inDoc(id)!.closest('.n-form-item')!.textContent ?? ''

const BOOK = {
  items: [
    sale(3, { kind: 'host', name: 'RDP Budi', item_type: 'vps', merchant: '', price_minor: 1250, currency: 'USD', sold_on: '2025-05-10' }),
    sale(2, { name: 'Netflix 1 bulan', qty: 3, price_minor: 50000, sold_on: '2025-05-03' }),
    sale(1, { name: 'Spotify', price_minor: 25000, sold_on: '2025-04-20' }),
  ],
  totals: [
    monthlyTotal('2025-04', 'IDR', 25000),
    monthlyTotal('2025-05', 'USD', 1250),
    monthlyTotal('2025-05', 'IDR', 150000, { sales: 1, quantity: 3 }),
  ],
}

describe('SalesPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('shows totals per month and per currency, never adding rupiah and dollars together', async () => {
    const { w } = await mountPage({ [LIST]: { body: BOOK } }, 'id')
    const overall = w.findAll($('sales-total'))
    expect(overall.map((c) => [c.attributes('data-currency'), c.attributes('data-amount')])).toEqual([
      ['IDR', '175000'],
      ['USD', '1250'],
    ])
    expect(plain(overall[0]!.text())).toContain('Rp 175.000')
    expect(plain(overall[1]!.text())).toMatch(/US\$ ?12,50/)
    const months = w.findAll($('sales-month-row'))
    expect(months.map((r) => [r.attributes('data-month'), r.attributes('data-currency'), r.attributes('data-amount')])).toEqual([
      ['2025-05', 'IDR', '150000'],
      ['2025-05', 'USD', '1250'],
      ['2025-04', 'IDR', '25000'],
    ])
    expect(months[0]!.text()).toContain('Mei 2025')
    expect(plain(months[0]!.get($('sales-month-amount')).text())).toBe('Rp 150.000')
    expect(months[1]!.find('.sales__month').text()).toBe('') // the month is named once
    expect(w.text()).not.toContain('176.250') // no mixed sum anywhere

    const rows = w.findAll($('sale-row'))
    expect(rows.map((r) => r.attributes('data-kind'))).toEqual(['host', 'account', 'account'])
    expect(rows[0]!.text()).toContain('VPS/RDP')
    expect(plain(rows[1]!.get($('sale-row-price')).text())).toBe('Rp 50.000')
    expect(plain(rows[1]!.get($('sale-row-total')).text())).toBe('Rp 150.000')
    w.unmount()
  })

  it('filters by kind, currency, dates and search', async () => {
    const { w, fetch } = await mountPage({ [LIST]: { body: { items: [], totals: [] } } })
    expect(w.get($('sales-empty')).text()).toBe('No sales yet.')
    await w.get(`${$('sales-filter-kind')} .n-base-selection`).trigger('click')
    await flush()
    ;[...document.querySelectorAll<HTMLElement>('.n-base-select-option')].find((o) => o.textContent === 'Account')!.click()
    await flush(10)
    await w.get(`${$('sales-filter-currency')} .n-base-selection`).trigger('click')
    await flush()
    ;[...document.querySelectorAll<HTMLElement>('.n-base-select-option')].find((o) => o.textContent === 'USD')!.click()
    await flush(10)
    await w.get($('sales-search')).setValue('netflix')
    await new Promise((r) => setTimeout(r, 350))
    await flush(10)
    const last = new URL((fetch.mock.calls.at(-1)![0] as Request).url)
    expect(Object.fromEntries(last.searchParams)).toEqual({ kind: 'account', currency: 'USD', q: 'netflix' })
    expect(w.get($('sales-empty')).text()).toBe('No sale matches these filters.')
    w.unmount()
  })

  it('records a sale with the price in minor units, shows 422 errors under their fields, edits and deletes', async () => {
    const posted: SaleInput[] = []
    let refuse = true
    const { w, fetch } = await mountPage({
      [LIST]: { body: BOOK },
      'POST /api/v1/sales': async (request) => {
        const body = (await request.json()) as SaleInput
        posted.push(body)
        if (refuse) {
          return problem(422, 'validation_failed', {
            errors: [
              { field: 'merchant', code: 'too_long', message: 'at most 200 characters' },
              { field: 'qty', code: 'out_of_range', message: 'a quantity of at least 1' },
            ],
          })
        }
        return { status: 201, body: sale(9, { ...body, qty: body.qty ?? 1, currency: body.currency ?? 'IDR', item_type: body.item_type ?? '', merchant: body.merchant ?? '' }) }
      },
      'PUT /api/v1/sales/2': async (request) => {
        const body = (await request.json()) as SaleInput
        return { body: sale(2, { name: body.name, price_minor: body.price_minor }) }
      },
      'DELETE /api/v1/sales/1': { status: 204 },
    })
    await w.get($('sales-add')).trigger('click')
    await flush()
    type('sale-name', 'Canva Pro')
    type('sale-merchant', 'Shopee')
    type('sale-type', 'canva')
    type('sale-qty', '2')
    inDoc('sale-currency-USD')!.querySelector('input')!.click()
    type('sale-price', '4.35')
    await flush()
    expect(plain(inDoc('sale-price-preview')!.textContent!)).toContain('$4.35 × 2 = $8.70')
    inDoc('sale-save')!.click()
    await flush(10)
    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatchObject({ kind: 'account', name: 'Canva Pro', merchant: 'Shopee', item_type: 'canva', qty: 2, price_minor: 435, currency: 'USD' })
    expect(posted[0]!.sold_on).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(itemText('sale-merchant')).toContain('At most 200 characters.')
    expect(itemText('sale-qty')).toContain('At least 1.')
    expect(inDoc('sale-form-error')!.getAttribute('data-code')).toBe('validation_failed')

    refuse = false
    inDoc('sale-save')!.click()
    await flush(10)
    expect(w.get($('sales-notice')).text()).toContain('The sale of Canva Pro is recorded.')
    expect(calls(fetch).filter((c) => c === LIST)).toHaveLength(2) // totals re-read

    await w.findAll($('sale-row'))[1]!.get($('sale-edit')).trigger('click')
    await flush()
    expect((inDoc('sale-price') as HTMLInputElement).value).toBe('50000')
    type('sale-price', '55.000')
    inDoc('sale-save')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('PUT /api/v1/sales/2')

    await w.findAll($('sale-row'))[2]!.get($('sale-delete')).trigger('click')
    await flush()
    inDoc('sale-delete-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('DELETE /api/v1/sales/1')
    w.unmount()
  })
})

describe('sales totals', () => {
  it('groups per month (newest first) and keeps each currency apart, IDR first', () => {
    const totals = [monthlyTotal('2025-04', 'USD', 100), monthlyTotal('2025-05', 'USD', 200), monthlyTotal('2025-04', 'IDR', 5000)]
    expect(totalsByMonth(totals).map((m) => [m.month, m.totals.map((t) => `${t.currency}:${t.amount_minor}`)])).toEqual([
      ['2025-05', ['USD:200']],
      ['2025-04', ['IDR:5000', 'USD:100']],
    ])
    expect(grandTotals(totals).map((t) => [t.currency, t.amount_minor, t.sales])).toEqual([
      ['IDR', 5000, 1],
      ['USD', 300, 2],
    ])
  })
})
