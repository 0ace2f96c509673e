import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import ProductEditorPage from '../../pages/staff/catalog/ProductEditorPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { useSessionStore } from '../../stores/session'
import type { Role } from '../../api/roles'
import type { LifecycleTerms, ProductTerms } from '../../lib/lifecycle'
import { CATALOG_LISTS, staffProduct } from '../../test/catalog'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { account } from '../../test/identity'

const MONTHLY = [{ group: 'member', currency: 'IDR', cycle: 'monthly' as const, price_minor: 150_000, setup_fee_minor: 0, renew_minor: null, transfer_minor: null }]
const SHOP: ProductTerms = { product_id: 7, own: false, renew_days_before: 7, suspend_after_days: 3, terminate_after_days: 15, late_fee_minor: 0 }
const TERMS_PATH = '/api/v1/staff/catalog/products/7/lifecycle'

async function mountEditor(roles: Role[], routes: Record<string, Route>, prices = MONTHLY) {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(roles) })
  const fetch = mockFetch({
    ...CATALOG_LISTS,
    'GET /api/v1/staff/catalog/products/7': { body: staffProduct(7, { prices }) },
    [`GET ${TERMS_PATH}`]: { body: SHOP },
    ...routes,
  })
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/catalog/products/7')
  const w = mount(ProductEditorPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
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
const pick = async (id: string) => {
  ;(inDoc(id)!.querySelector('input') as HTMLInputElement).click()
  await flush()
}

describe('the product editor’s billing cycle', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it.each([
    [['owner'], true],
    [['finance'], true],
    [['business'], false],
    [['sysadmin'], false],
  ] as const)('is shown to %s: %s', async (roles, shown) => {
    const { w, fetch } = await mountEditor([...roles], {})
    expect(w.find($('section-lifecycle')).exists()).toBe(shown)
    expect(calls(fetch).includes(`GET ${TERMS_PATH}`)).toBe(shown)
    w.unmount()
  })

  it('is not shown for a product sold once', async () => {
    const { w } = await mountEditor(['owner'], {}, [{ ...MONTHLY[0]!, cycle: 'one_time' as never }])
    expect(w.find($('section-lifecycle')).exists()).toBe(false)
    w.unmount()
  })

  it('gives the product its own days and a late fee in rupiah, with the server’s errors at their fields', async () => {
    const sent: LifecycleTerms[] = []
    let refuse = true
    const { w } = await mountEditor(['finance'], {
      [`PUT ${TERMS_PATH}`]: async (request) => {
        const body = (await request.json()) as LifecycleTerms
        sent.push(body)
        if (refuse) {
          refuse = false
          return problem(422, 'validation_failed', { errors: [{ field: 'terminate_after_days', code: 'not_after_suspension', message: 'termination comes after suspension' }] })
        }
        return { body: { ...body, product_id: 7, own: true } }
      },
    })
    expect(inDoc('product-lifecycle-mode')!.getAttribute('data-mode')).toBe('shop')
    expect(w.get($('product-lifecycle-shop-days')).text()).toContain('invoiced 7 days before the due date, suspended 3 days and terminated 15 days after it')
    expect((w.get($('product-lifecycle-save')).element as HTMLButtonElement).disabled).toBe(true)

    await pick('product-lifecycle-own')
    expect((inDoc('product-lifecycle-renew') as HTMLInputElement).value).toBe('7')
    type('product-lifecycle-renew', '60')
    type('product-lifecycle-late-fee', '25.000')
    await flush()
    expect(w.text().replace(/[\u00a0\u202f]/g, ' ')).toContain('IDR 25,000 is added once to an overdue renewal invoice in IDR; invoices in another currency get no fee.')
    await w.get($('product-lifecycle-save')).trigger('click')
    await flush(10)
    expect(sent).toEqual([{ renew_days_before: 60, suspend_after_days: 3, terminate_after_days: 15, late_fee_minor: 25_000, late_fee_currency: 'IDR' }])
    expect(itemText('product-lifecycle-terminate')).toContain('Termination must come after suspension.')

    await w.get($('product-lifecycle-save')).trigger('click')
    await flush(10)
    expect(sent).toHaveLength(2)
    expect(w.get($('product-lifecycle-notice')).text()).toBe("The product's billing cycle is saved.")
    expect(inDoc('product-lifecycle-mode')!.getAttribute('data-mode')).toBe('own')
    w.unmount()
  })

  it('shows a late fee in dollars as dollars', async () => {
    const { w } = await mountEditor(['owner'], {
      [`GET ${TERMS_PATH}`]: { body: { ...SHOP, own: true, late_fee_minor: 500, late_fee_currency: 'USD' } },
    })
    expect(inDoc('product-lifecycle-late-fee-currency')!.getAttribute('data-currency')).toBe('USD')
    expect((inDoc('product-lifecycle-late-fee') as HTMLInputElement).value).toBe('5.00')
    expect(w.get($('product-lifecycle-late-fee-hint')).text()).toContain('in USD')
    w.unmount()
  })

  it('goes back to the shop’s days with DELETE', async () => {
    const { w, fetch } = await mountEditor(['owner'], {
      [`GET ${TERMS_PATH}`]: { body: { ...SHOP, own: true, renew_days_before: 60, late_fee_minor: 10_000 } },
      [`DELETE ${TERMS_PATH}`]: { body: SHOP },
    })
    expect(inDoc('product-lifecycle-mode')!.getAttribute('data-mode')).toBe('own')
    expect((inDoc('product-lifecycle-late-fee') as HTMLInputElement).value).toBe('10000')
    await pick('product-lifecycle-shop')
    await w.get($('product-lifecycle-save')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toContain(`DELETE ${TERMS_PATH}`)
    expect(w.get($('product-lifecycle-notice')).text()).toBe("This product uses the shop's default again.")
    expect(inDoc('product-lifecycle-mode')!.getAttribute('data-mode')).toBe('shop')
    w.unmount()
  })
})
