import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import ProductEditorPage from './ProductEditorPage.vue'
import { createAppI18n } from '../../../i18n'
import { createAppRouter } from '../../../router'
import { useSessionStore } from '../../../stores/session'
import type { Role } from '../../../api/roles'
import type { NewProduct, StaffProduct } from '../../../composables/useProduct'
import type { PriceInput } from '../../../lib/catalog/priceGrid'
import { SPEC_FIELDS } from '../../../lib/catalog/spec'
import { CATALOG_LISTS, staffProduct } from '../../../test/catalog'
import { calls, flush, mockFetch, problem, type Route } from '../../../test/fetch'
import { account } from '../../../test/identity'

async function mountEditor(path: string, roles: Role[], routes: Record<string, Route>) {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(roles) })
  const fetch = mockFetch({ ...CATALOG_LISTS, ...routes })
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const w = mount(ProductEditorPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch, router }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
function type(id: string, value: string) {
  const input = inDoc(id) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
const itemText = (id: string) => inDoc(id)!.closest('.n-form-item')!.textContent ?? ''
async function choose(w: ReturnType<typeof mount>, testid: string, label: string) {
  await w.get(`${$(testid)} .n-base-selection`).trigger('click')
  await flush()
  ;[...document.querySelectorAll<HTMLElement>('.n-base-select-option')].find((o) => o.textContent?.trim() === label)!.click()
  await flush()
}
const specItems = (w: ReturnType<typeof mount>) => w.findAll('[data-testid^="spec-item-"]').map((i) => i.attributes('data-testid')!.slice('spec-item-'.length))

const SPECS: Record<StaffProduct['kind'], StaffProduct['spec']> = {
  vps: { kind: 'vps', cores: 2, ram_mb: 4096, disk_gb: 60, rate_limit_mbps: 100 },
  hosting: { kind: 'hosting', whm_package: 'juragan_basic', disk_mb: 2048, bandwidth_gb: null, addon_domains: 1 },
  domain: { kind: 'domain', tld: 'co.id' },
  digital: { kind: 'digital', terms_id: 'Akun sharing, jangan ganti password.', terms_en: null },
  data_package: { kind: 'data_package', provider_sku: 'XL-XTRA-10', operator: 'xl', quota_mb: 10240, validity_days: 30 },
  internet: { kind: 'internet', pppoe_profile: '20mbps', download_mbps: 20, upload_mbps: 5 },
}

describe('ProductEditorPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it.each(Object.keys(SPECS) as StaffProduct['kind'][])('shows only the fields of a %s', async (kind) => {
    const product = staffProduct(7, { kind, spec: SPECS[kind], regions: kind === 'vps' ? ['jkt'] : [], os_templates: kind === 'vps' ? ['debian-12'] : [] })
    const { w } = await mountEditor('/staff/catalog/products/7', ['owner'], { 'GET /api/v1/staff/catalog/products/7': { body: product } })
    expect(specItems(w)).toEqual(SPEC_FIELDS[kind])
    expect(w.get($('spec-kind-fixed')).text()).toContain('cannot change')
    if (kind === 'vps') expect((inDoc('spec-cores') as HTMLInputElement).value).toBe('2')
    if (kind === 'domain') expect((inDoc('spec-tld') as HTMLInputElement).value).toBe('co.id')
    if (kind === 'internet') expect((inDoc('spec-pppoe_profile') as HTMLInputElement).value).toBe('20mbps')
    w.unmount()
  })

  it.each([
    ['owner', { listing: true, spec: true, prices: true, delete: true, stock: true }],
    ['business', { listing: true, spec: false, prices: true, delete: true, stock: true }],
    ['sysadmin', { listing: false, spec: true, prices: false, delete: false, stock: false }],
    ['finance', { listing: false, spec: false, prices: false, delete: false, stock: false }],
  ] as const)('lets %s edit only its own sections', async (role, may) => {
    const product = staffProduct(9, { kind: 'digital', spec: SPECS.digital, regions: [], os_templates: [], stock: { available: 5, reserved: 1, sold: 12 } })
    const { w } = await mountEditor('/staff/catalog/products/9', [role], { 'GET /api/v1/staff/catalog/products/9': { body: product } })
    expect(w.find($('listing-save')).exists()).toBe(may.listing)
    expect(w.find($('section-listing-readonly')).exists()).toBe(!may.listing)
    expect((inDoc('listing-name-id') as HTMLInputElement).disabled).toBe(!may.listing)
    expect(w.find($('spec-save')).exists()).toBe(may.spec)
    expect(w.find($('section-technical-readonly')).exists()).toBe(!may.spec)
    expect((inDoc('spec-terms_id') as HTMLTextAreaElement).disabled).toBe(!may.spec)
    expect(w.find($('prices-save')).exists()).toBe(may.prices)
    expect((inDoc('price-member-IDR-monthly-price') as HTMLInputElement).disabled).toBe(!may.prices)
    expect(w.find($('product-delete')).exists()).toBe(may.delete)
    expect(w.find($('section-stock')).exists()).toBe(may.stock)
    w.unmount()
  })

  it('adds a domain: slug from the name, the TLD, prices in minor units; a taken TLD and a bad price shown at their fields', async () => {
    const posted: NewProduct[] = []
    let answer: 'taken' | 'invalid' | 'ok' = 'taken'
    const { w, router } = await mountEditor('/staff/catalog/products/new', ['business'], {
      'POST /api/v1/staff/catalog/products': async (request) => {
        const body = (await request.json()) as NewProduct
        posted.push(body)
        if (answer === 'taken') {
          return problem(409, 'taken', { detail: 'another domain product sells this TLD', errors: [{ field: 'spec.tld', code: 'taken', message: 'another domain product sells this TLD' }] })
        }
        if (answer === 'invalid') {
          return problem(422, 'validation_failed', {
            errors: [
              { field: 'prices[1].renew_minor', code: 'out_of_range', message: 'from 0 to 1000000000000' },
              { field: 'name_id', code: 'too_long', message: 'at most 120 characters' },
            ],
          })
        }
        return { status: 201, body: staffProduct(31, { kind: 'domain', spec: { kind: 'domain', tld: 'my.id' }, slug: body.slug, name_id: body.name_id, regions: [], os_templates: [] }) }
      },
      'GET /api/v1/staff/catalog/products/31': { body: staffProduct(31, { kind: 'domain', spec: { kind: 'domain', tld: 'my.id' }, regions: [], os_templates: [] }) },
    })
    expect(w.get($('product-editor')).attributes('data-mode')).toBe('create')
    expect(w.find($('prices-no-kind')).exists()).toBe(true)

    type('listing-name-id', 'Domain .my.id Murah')
    await flush()
    expect((inDoc('listing-slug') as HTMLInputElement).value).toBe('domain-my-id-murah')

    await choose(w, 'spec-kind', 'Domain')
    expect(specItems(w)).toEqual(['tld'])
    type('spec-tld', 'my.id')
    type('price-member-IDR-annual-price', '15.000')
    type('price-member-IDR-annual-renew', '25.000')
    type('price-reseller-IDR-annual-price', '12.000')
    type('price-reseller-IDR-annual-renew', '20000')
    type('price-reseller-IDR-annual-transfer', '11.000')
    await flush()
    inDoc('product-create')!.click()
    await flush(10)

    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatchObject({ kind: 'domain', slug: 'domain-my-id-murah', name_id: 'Domain .my.id Murah', visible: true, featured: false, sort_order: 0, spec: { tld: 'my.id' } })
    expect(posted[0]!.prices).toEqual<PriceInput[]>([
      { group: 'member', currency: 'IDR', cycle: 'annual', price_minor: 15_000, renew_minor: 25_000 },
      { group: 'reseller', currency: 'IDR', cycle: 'annual', price_minor: 12_000, renew_minor: 20_000, transfer_minor: 11_000 },
    ])
    expect(itemText('spec-tld')).toContain('Already in use')

    answer = 'invalid'
    inDoc('product-create')!.click()
    await flush(10)
    expect(inDoc('price-error-reseller-IDR-annual-renew')!.textContent).toContain('from 0 to 1000000000000')
    expect(itemText('listing-name-id')).toContain('at most 120 characters')
    expect(inDoc('create-error')!.getAttribute('data-code')).toBe('validation_failed')
    expect(inDoc('create-error')!.textContent).not.toContain('prices[1]') // shown at its cell, not listed again

    answer = 'ok'
    inDoc('product-create')!.click()
    await flush(10)
    expect(router.currentRoute.value.fullPath).toBe('/staff/catalog/products/31')
    expect(w.get($('product-notice')).text()).toContain('is added')
    w.unmount()
  })

  it('does not send a price table it cannot read, and lets a sysadmin add a product without prices', async () => {
    const { w, fetch } = await mountEditor('/staff/catalog/products/new', ['sysadmin'], {})
    expect(w.find($('section-prices')).exists()).toBe(false)
    type('listing-name-id', 'VPS Surabaya')
    await choose(w, 'spec-kind', 'VPS')
    expect(specItems(w)).toEqual(['cores', 'ram_mb', 'disk_gb', 'rate_limit_mbps', 'regions', 'os_templates'])
    type('spec-cores', '0')
    inDoc('product-create')!.click()
    await flush(10)
    expect(itemText('spec-cores')).toContain('from 1 to 256')
    expect(itemText('spec-regions')).toContain('at least one')
    expect(w.find($('product-invalid')).exists()).toBe(true)
    expect(calls(fetch)).not.toContain('POST /api/v1/staff/catalog/products')
    w.unmount()
  })

  it('saves the whole price table of an existing product in minor units', async () => {
    const puts: PriceInput[][] = []
    const product = staffProduct(5, {
      prices: [{ group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 150_000, setup_fee_minor: 50_000, renew_minor: null, transfer_minor: null }],
    })
    const { w } = await mountEditor('/staff/catalog/products/5', ['business'], {
      'GET /api/v1/staff/catalog/products/5': { body: product },
      'PUT /api/v1/staff/catalog/products/5/prices': async (request) => {
        const { prices } = (await request.json()) as { prices: PriceInput[] }
        puts.push(prices)
        return { body: { ...product, prices: prices.map((p) => ({ setup_fee_minor: 0, renew_minor: null, transfer_minor: null, ...p })) } }
      },
    })
    expect((inDoc('price-member-IDR-monthly-price') as HTMLInputElement).value).toBe('150000')
    expect((inDoc('price-member-IDR-monthly-setup') as HTMLInputElement).value).toBe('50000')
    type('price-member-IDR-monthly-setup', '')
    type('price-reseller-IDR-annual-price', 'Rp 1.200.000')
    await w.get($('price-currency')).findAll('.n-tabs-tab').find((t) => t.text().startsWith('USD'))!.trigger('click')
    await flush()
    type('price-member-USD-monthly-price', '9.99')
    await flush()
    inDoc('prices-save')!.click()
    await flush(10)
    expect(puts).toEqual([
      [
        { group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 150_000 },
        { group: 'member', currency: 'USD', cycle: 'monthly', price_minor: 999 },
        { group: 'reseller', currency: 'IDR', cycle: 'annual', price_minor: 1_200_000 },
      ],
    ])
    expect(w.get($('product-notice')).text()).toContain('3 set')
    w.unmount()
  })

  it('adds pasted stock to a digital product and reports duplicates', async () => {
    const product = staffProduct(9, { kind: 'digital', spec: SPECS.digital, regions: [], os_templates: [], stock: { available: 5, reserved: 1, sold: 12 } })
    let items: string[] = []
    const { w } = await mountEditor('/staff/catalog/products/9', ['business'], {
      'GET /api/v1/staff/catalog/products/9': { body: product },
      'POST /api/v1/staff/catalog/products/9/stock': async (request) => {
        items = ((await request.json()) as { items: string[] }).items
        return { body: { added: 2, duplicates: 1, counts: { available: 7, reserved: 1, sold: 12 } } }
      },
    })
    expect(w.get($('stock-available')).text()).toContain('5')
    const paste = inDoc('stock-paste') as HTMLTextAreaElement
    paste.value = 'KODE-1\n\n  KODE-2  \nKODE-1\n'
    paste.dispatchEvent(new Event('input'))
    await flush()
    inDoc('stock-add')!.click()
    await flush(10)
    expect(items).toEqual(['KODE-1', 'KODE-2', 'KODE-1'])
    expect(w.get($('stock-notice')).text()).toBe('2 added, 1 duplicates skipped.')
    expect(w.get($('stock-available')).text()).toContain('7')
    w.unmount()
  })

  it('uploads a supplier workbook as raw .xlsx bytes and shows the new counts', async () => {
    const product = staffProduct(9, { kind: 'digital', spec: SPECS.digital, regions: [], os_templates: [], stock: { available: 5, reserved: 1, sold: 12 } })
    let sent: { type: string | null; size: number } | null = null
    const { w } = await mountEditor('/staff/catalog/products/9', ['business'], {
      'GET /api/v1/staff/catalog/products/9': { body: product },
      'POST /api/v1/staff/catalog/products/9/stock/xlsx': async (request) => {
        sent = { type: request.headers.get('content-type'), size: (await request.arrayBuffer()).byteLength }
        return { body: { added: 3, duplicates: 0, counts: { available: 8, reserved: 1, sold: 12 } } }
      },
    })
    const input = inDoc('stock-workbook-input') as HTMLInputElement
    const file = new File([new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3])], 'stok.xlsx')
    Object.defineProperty(input, 'files', { value: [file] })
    input.dispatchEvent(new Event('change'))
    await flush(10)
    expect(sent).toEqual({ type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: 7 })
    expect(w.get($('stock-notice')).text()).toBe('3 added, 0 duplicates skipped.')
    expect(w.get($('stock-available')).text()).toContain('8')
    w.unmount()
  })
})
