import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import CheckoutPage from './CheckoutPage.vue'
import { createAppI18n } from '../../i18n'
import { flush, mockFetch, problem, type Route } from '../../test/fetch'

const voucher = {
  id: 11,
  kind: 'digital',
  slug: 'voucher-game',
  category: null,
  name: 'Voucher Game',
  summary: null,
  description: null,
  spec: { kind: 'digital', terms_id: null, terms_en: null },
  regions: [],
  os_templates: [],
  featured: false,
  currency: 'IDR',
  offers: [{ cycle: 'one_time', price_minor: 50_000, setup_fee_minor: 0, renew_minor: null, transfer_minor: null }],
  stock_available: 3,
}
const quote = (extra: Record<string, unknown> = {}) => ({
  product_name: 'Voucher Game', currency: 'IDR', unit_price_minor: 50_000, setup_fee_minor: 0, subtotal_minor: 50_000,
  discount_minor: 0, tax_minor: 4_955, tax_rate_bp: 1100, prices_include_tax: true, total_minor: 50_000, promo_code: null, ...extra,
})
const order = { id: 5, status: 'active' }
const invoice = { id: 8, status: 'paid' }
const base: Record<string, Route> = {
  'GET /api/v1/catalog/products/voucher-game': { body: voucher },
  'GET /api/v1/payment-methods': { body: [{ method: 'manual', currencies: ['IDR'], instructions: 'BCA' }, { method: 'wallet', currencies: ['IDR', 'USD'] }] },
  'GET /api/v1/wallet': { body: [{ currency: 'IDR', balance_minor: 100_000 }] },
  'GET /api/v1/account': problem(401, 'unauthorized'),
}

const mounted: Array<{ unmount: () => void }> = []
async function mountPage(routes: Record<string, Route>) {
  const fetch = mockFetch({ ...base, ...routes })
  const stub = { template: '<div />' }
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/checkout', name: 'checkout', component: CheckoutPage },
      { path: '/products/:slug', name: 'product', component: stub },
      { path: '/products', component: stub },
      { path: '/client/orders/:id', name: 'client-order', component: stub },
      { path: '/client/invoices/:id', name: 'client-invoice', component: stub },
      { path: '/client/wallet', name: 'client-wallet', component: stub },
      { path: '/client/account', name: 'client-account', component: stub },
    ],
  })
  await router.push('/checkout?product=voucher-game&cycle=one_time')
  const w = mount(CheckoutPage, { global: { plugins: [createAppI18n('id'), router] }, attachTo: document.body })
  await flush(10)
  await new Promise((r) => setTimeout(r, 300))
  await flush(5)
  mounted.push(w)
  return { w, fetch, router }
}
const $ = (id: string) => `[data-testid="${id}"]`
const sent = (fetch: ReturnType<typeof mockFetch>, method: string, path: string) =>
  fetch.mock.calls.map(([r]) => r as Request).filter((r) => r.method === method && new URL(r.url).pathname === path)

describe('CheckoutPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    localStorage.clear()
    setActivePinia(createPinia())
  })
  // naive-ui's resize observers must not outlive the test's document.
  afterEach(async () => {
    for (const w of mounted.splice(0)) w.unmount()
    await flush(5)
  })

  it('quotes the product, applies a promo code and shows the discount and PPN', async () => {
    const { w, fetch } = await mountPage({
      'POST /api/v1/orders/quote': async (request) => {
        const body = await request.clone().json()
        return { body: body.promo_code === 'HEMAT10' ? quote({ discount_minor: 5_000, total_minor: 45_000, tax_minor: 4_459, promo_code: 'HEMAT10' }) : quote() }
      },
    })
    expect(w.get($('checkout-total')).text().replace(/\s/g, ' ')).toBe('Rp 50.000')
    expect(w.get($('checkout-tax')).text().replace(/\s/g, ' ')).toBe('Rp 4.955')
    await w.get($('checkout-promo')).setValue(' hemat10 ')
    await w.get($('checkout-promo-apply')).trigger('click')
    await flush(10)
    const last = await sent(fetch, 'POST', '/api/v1/orders/quote').at(-1)!.clone().json()
    expect(last).toEqual({ product_id: 11, cycle: 'one_time', currency: 'IDR', pay_with_wallet: false, promo_code: 'HEMAT10' })
    expect(w.get($('checkout-discount')).text().replace(/\s/g, ' ')).toBe('−Rp 5.000')
    expect(w.get($('checkout-total')).text().replace(/\s/g, ' ')).toBe('Rp 45.000')
    expect(w.get($('checkout-promo-applied')).text()).toContain('HEMAT10')
  })

  it('says why a promo code does not apply and quotes without it', async () => {
    const { w } = await mountPage({
      'POST /api/v1/orders/quote': async (request) => {
        const body = await request.clone().json()
        return body.promo_code
          ? problem(422, 'validation_failed', { errors: [{ field: 'promo_code', code: 'expired', message: 'this promo code has expired' }] })
          : { body: quote() }
      },
    })
    await w.get($('checkout-promo')).setValue('LAMA')
    await w.get($('checkout-promo-apply')).trigger('click')
    await flush(10)
    expect(w.text()).toContain('Kode promo ini sudah kedaluwarsa.')
    expect(w.find($('checkout-promo-applied')).exists()).toBe(false)
    expect(w.get($('checkout-total')).text().replace(/\s/g, ' ')).toBe('Rp 50.000')
  })

  it('places the order with an Idempotency-Key, the same one on a retry after a lost answer, and goes to the order', async () => {
    let tries = 0
    const { w, fetch, router } = await mountPage({
      'POST /api/v1/orders/quote': { body: quote() },
      'POST /api/v1/orders': () => (++tries === 1 ? new TypeError('Failed to fetch') : { status: 201, body: { order, invoice } }),
    })
    await w.get(`${$('checkout-method-wallet')} input`).setValue(true)
    await flush()
    expect(w.get($('checkout-wallet-balance')).text().replace(/\s/g, ' ')).toContain('Rp 100.000')
    await w.get($('checkout-place')).trigger('click')
    await flush(10)
    expect(w.find($('checkout-error')).attributes('data-code')).toBe('network_error')
    await w.get($('checkout-place')).trigger('click')
    await flush(10)
    const posts = sent(fetch, 'POST', '/api/v1/orders')
    expect(posts).toHaveLength(2)
    const keys = posts.map((r) => r.headers.get('Idempotency-Key'))
    expect(keys[0]).toBeTruthy()
    expect(keys[1]).toBe(keys[0])
    expect(await posts[1]!.clone().json()).toEqual({ product_id: 11, cycle: 'one_time', currency: 'IDR', pay_with_wallet: true })
    expect(router.currentRoute.value.fullPath).toBe('/client/orders/5?placed=1')
  })

  it('shows what the profile lacks when the server answers onboarding_incomplete, with a link to the account page', async () => {
    const { w, fetch } = await mountPage({
      'POST /api/v1/orders/quote': { body: quote() },
      'POST /api/v1/orders': problem(422, 'onboarding_incomplete', { errors: [{ field: 'profile.phone', code: 'required', message: 'required' }] }),
    })
    await w.get($('checkout-place')).trigger('click')
    await flush(10)
    expect(w.find($('checkout-onboarding')).exists()).toBe(true)
    expect(w.find($('checkout-missing-profile.phone')).exists()).toBe(true)
    expect(w.get($('checkout-account-link')).attributes('href')).toContain('/client/account')
    expect(w.find($('checkout-error')).exists()).toBe(false)
    expect(w.get($('checkout-place')).attributes('disabled')).toBeDefined()
    // A refusal is an answer: asking again (after fixing the profile) is a new attempt with a new key.
    expect(sent(fetch, 'POST', '/api/v1/orders')).toHaveLength(1)
  })
})
