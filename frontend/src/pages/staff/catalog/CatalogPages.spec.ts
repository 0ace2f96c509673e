import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import type { Component } from 'vue'
import CatalogListsPage from './CatalogListsPage.vue'
import CustomerGroupsPage from './CustomerGroupsPage.vue'
import ProductsPage from './ProductsPage.vue'
import { createAppI18n } from '../../../i18n'
import { createAppRouter } from '../../../router'
import { useSessionStore } from '../../../stores/session'
import type { Role } from '../../../api/roles'
import { CATALOG_LISTS, GROUPS, productRow } from '../../../test/catalog'
import { calls, flush, mockFetch, problem, type Route } from '../../../test/fetch'
import { account } from '../../../test/identity'

async function mountAs(page: Component, path: string, roles: Role[], routes: Record<string, Route>, locale: 'en' | 'id' = 'en') {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(roles) })
  const fetch = mockFetch({ ...CATALOG_LISTS, ...routes })
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const w = mount(page, { global: { plugins: [createAppI18n(locale), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}
const $ = (id: string) => `[data-testid="${id}"]`
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ').trim()

describe('catalog pages', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => vi.unstubAllGlobals())

  it('lists products with the default tier’s rupiah price and the stock of digital goods', async () => {
    const { w } = await mountAs(ProductsPage, '/staff/catalog/products', ['finance'], {
      'GET /api/v1/staff/catalog/products': {
        body: {
          items: [
            productRow(1, { category_id: 1, from_price_idr: 1_500_000, price_count: 4 }),
            productRow(2, { kind: 'digital', name_id: 'Netflix 1 bulan', visible: false, stock_available: 12 }),
          ],
          total: 2,
          page: 1,
          limit: 25,
        },
      },
    }, 'id')
    const rows = w.findAll($('product-row'))
    expect(rows.map((r) => r.attributes('data-kind'))).toEqual(['vps', 'digital'])
    expect(plain(rows[0]!.get($('product-row-from')).text())).toBe('Rp 1.500.000')
    expect(rows[0]!.text()).toContain('VPS') // category name
    expect(rows[1]!.text()).toContain('Tersembunyi')
    expect(rows[1]!.get($('product-row-stock')).text()).toBe('12')
    expect(w.find($('products-add')).exists()).toBe(false) // finance reads only
    w.unmount()
  })

  it('says clearly why a region in use cannot be deleted, and shows regions read-only to the business side', async () => {
    const routes = { 'DELETE /api/v1/staff/catalog/regions/1': problem(409, 'in_use', { detail: 'products are sold in this region: remove it from them first' }) }
    const { w, fetch } = await mountAs(CatalogListsPage, '/staff/catalog/lists', ['sysadmin'], routes)
    expect(w.find($('lists-add-categories')).exists()).toBe(false)
    expect(w.get($('lists-readonly')).text()).toContain('business team')
    await w.findAll('.n-tabs-tab').find((t) => t.text() === 'Regions')!.trigger('click')
    await flush()
    expect(w.find($('lists-add-regions')).exists()).toBe(true)
    await w.findAll($('region-row'))[0]!.get($('region-delete')).trigger('click')
    await flush()
    document.querySelector<HTMLElement>($('region-delete-confirm'))!.click()
    await flush(10)
    expect(calls(fetch)).toContain('DELETE /api/v1/staff/catalog/regions/1')
    const error = w.get($('lists-error'))
    expect(error.attributes('data-code')).toBe('in_use')
    expect(error.text()).toContain('It is still in use.')
    expect(error.text()).toContain('products are sold in this region')
    expect(w.findAll($('region-row'))).toHaveLength(2)
    w.unmount()
  })

  it('shows groups with member counts read-only to staff other than the owner', async () => {
    const { w } = await mountAs(CustomerGroupsPage, '/staff/catalog/groups', ['business'], {})
    expect(w.findAll($('group-row')).map((r) => r.attributes('data-code'))).toEqual(GROUPS.map((g) => g.code))
    expect(w.findAll($('group-row-members')).map((c) => c.text())).toEqual(['0', '3'])
    expect(w.find($('groups-add')).exists()).toBe(false)
    expect(w.find($('group-rename')).exists()).toBe(false)
    expect(w.get($('groups-readonly')).text()).toContain('only the owner')
    w.unmount()
  })

  it("lets the owner add a group, and shows the server's refusal to delete a built-in one", async () => {
    let posted: unknown = null
    const { w } = await mountAs(CustomerGroupsPage, '/staff/catalog/groups', ['owner'], {
      'POST /api/v1/staff/customer-groups': async (request) => {
        posted = await request.json()
        return { status: 201, body: { id: 3, code: 'gold', name: 'Gold', is_default: false, member_count: 0 } }
      },
      'DELETE /api/v1/staff/customer-groups/2': problem(409, 'in_use', { detail: 'the member and reseller groups are built in and stay' }),
    })
    await w.get($('groups-add')).trigger('click')
    await flush()
    const input = (id: string, value: string) => {
      const el = document.querySelector<HTMLInputElement>($(id))!
      el.value = value
      el.dispatchEvent(new Event('input'))
    }
    input('group-code', 'Gold')
    input('group-name', 'Gold')
    document.querySelector<HTMLElement>($('group-save'))!.click()
    await flush(10)
    expect(posted).toEqual({ code: 'gold', name: 'Gold' })
    expect(w.findAll($('group-row')).map((r) => r.attributes('data-code'))).toEqual(['member', 'reseller', 'gold'])

    await w.findAll($('group-row'))[1]!.get($('group-delete')).trigger('click')
    await flush()
    document.querySelector<HTMLElement>($('group-delete-confirm'))!.click()
    await flush(10)
    expect(w.get($('groups-error')).text()).toContain('built in and stay')
    w.unmount()
  })
})
