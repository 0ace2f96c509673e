import { beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import ProductPage from './ProductPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'

const PRODUCT = 'GET /api/v1/catalog/products/vps-pro'

const vpsPro = {
  id: 3,
  kind: 'vps',
  slug: 'vps-pro',
  category: { slug: 'vps-indonesia', name: 'VPS' },
  name: 'VPS Pro',
  summary: '4 vCPU, 8 GB RAM',
  description: null,
  spec: { kind: 'vps', cores: 4, ram_mb: 8192, disk_gb: 120, rate_limit_mbps: 100 },
  regions: [
    { code: 'jkt', name: 'Jakarta' },
    { code: 'sby', name: 'Surabaya' },
  ],
  os_templates: [{ code: 'ubuntu-24.04', name: 'Ubuntu 24.04 LTS' }],
  featured: true,
  currency: 'IDR',
  offers: [
    { cycle: 'monthly', price_minor: 250_000, setup_fee_minor: 50_000, renew_minor: null, transfer_minor: null },
    { cycle: 'annual', price_minor: 2_550_000, setup_fee_minor: 50_000, renew_minor: null, transfer_minor: null },
  ],
  stock_available: null,
}

async function mountPage(routes: Record<string, Route>) {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/products/vps-pro')
  const w = mount(ProductPage, { global: { plugins: [createAppI18n('id'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}
const $ = (id: string) => `[data-testid="${id}"]`

describe('ProductPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('shows the plan, starts on the monthly cycle and sums the period price with the setup fee', async () => {
    const { w, fetch } = await mountPage({ [PRODUCT]: { body: vpsPro } })
    expect(calls(fetch)).toEqual([PRODUCT])
    const asked = new URL((fetch.mock.calls[0]![0] as Request).url)
    expect(asked.searchParams.get('currency')).toBe('IDR')
    expect(asked.searchParams.get('lang')).toBe('id')
    expect(w.get($('product-name')).text()).toBe('VPS Pro')
    expect(w.get($('product-spec')).text()).toContain('4 vCPU')
    expect(w.get($('product-price-period')).text().replace(/\s/g, ' ')).toBe('Rp 250.000')
    expect(w.get($('product-setup-fee')).text().replace(/\s/g, ' ')).toBe('Rp 50.000')
    expect(w.get($('product-first-payment')).text().replace(/\s/g, ' ')).toBe('Rp 300.000')
    expect(w.find($('product-region')).exists()).toBe(true)

    await w.get(`${$('cycle-annual')} input`).setValue(true)
    await flush()
    expect(w.get($('product-first-payment')).text().replace(/\s/g, ' ')).toBe('Rp 2.600.000')
    expect(w.get($('cycle-annual')).text()).toContain('−15%')
    expect(w.get($('cycle-annual')).text().replace(/\s/g, ' ')).toContain('Rp 2.550.000')
  })

  it('says so when the product is not on sale', async () => {
    const { w } = await mountPage({ [PRODUCT]: problem(404, 'not_found') })
    expect(w.find($('product-missing')).exists()).toBe(true)
    expect(w.find($('product-order')).exists()).toBe(false)
  })
})
