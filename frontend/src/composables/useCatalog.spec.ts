import { afterEach, describe, expect, it, vi } from 'vitest'
import { useProducts } from './useProducts'
import { useCustomerGroups } from './useCustomerGroups'
import { useCatalogLists } from './useCatalogLists'
import { stockLines } from './useProduct'
import { toApiProblem } from '../api/client'
import { GROUPS, customerGroup, productRow, region } from '../test/catalog'
import { calls, mockFetch, problem } from '../test/fetch'

const lastQuery = (fetch: ReturnType<typeof mockFetch>) => Object.fromEntries(new URL((fetch.mock.calls.at(-1)![0] as Request).url).searchParams)

describe('useProducts', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('asks for one page under the filters, and goes back to the first page when they change', async () => {
    const fetch = mockFetch({ 'GET /api/v1/staff/catalog/products': { body: { items: [productRow(1), productRow(2)], total: 60, page: 1, limit: 25 } } })
    const products = useProducts()
    await products.load()
    expect(lastQuery(fetch)).toEqual({ page: '1', limit: '25' })
    expect(products.items.value.map((p) => p.id)).toEqual([1, 2])
    expect(products.total.value).toBe(60)

    await products.goTo(3)
    expect(lastQuery(fetch)).toEqual({ page: '3', limit: '25' })
    products.filters.kind = 'digital'
    products.filters.categoryId = 4
    products.filters.q = '  netflix '
    await products.reset()
    expect(products.page.value).toBe(1)
    expect(lastQuery(fetch)).toEqual({ kind: 'digital', category_id: '4', q: 'netflix', page: '1', limit: '25' })
  })

  it('keeps the problem when the list cannot be read', async () => {
    mockFetch({ 'GET /api/v1/staff/catalog/products': problem(403, 'forbidden') })
    const products = useProducts()
    await products.load()
    expect(products.problem.value?.code).toBe('forbidden')
    expect(products.loaded.value).toBe(false)
  })
})

describe('useCustomerGroups', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('adds, renames and deletes groups; a built-in group stays with the server saying why', async () => {
    const fetch = mockFetch({
      'GET /api/v1/staff/customer-groups': { body: GROUPS },
      'POST /api/v1/staff/customer-groups': async (request) => ({ status: 201, body: customerGroup(3, ((await request.json()) as { code: string }).code) }),
      'PUT /api/v1/staff/customer-groups/3': async (request) => ({ body: customerGroup(3, 'gold', { name: ((await request.json()) as { name: string }).name }) }),
      'DELETE /api/v1/staff/customer-groups/3': { status: 204 },
      'DELETE /api/v1/staff/customer-groups/1': problem(409, 'in_use', { detail: 'the member and reseller groups are built in and stay' }),
    })
    const groups = useCustomerGroups()
    await groups.load()
    await groups.create({ code: 'gold', name: 'Gold' })
    expect(groups.groups.value.map((g) => g.code)).toEqual(['member', 'reseller', 'gold'])
    await groups.rename(3, 'Emas')
    expect(groups.groups.value[2]!.name).toBe('Emas')
    await groups.remove(3)
    expect(groups.groups.value.map((g) => g.code)).toEqual(['member', 'reseller'])

    const refused = await groups.remove(1).catch(toApiProblem)
    expect(refused).toMatchObject({ status: 409, code: 'in_use', detail: 'the member and reseller groups are built in and stay' })
    expect(groups.groups.value).toHaveLength(2)
    expect(calls(fetch)).toContain('PUT /api/v1/staff/customer-groups/3')
  })

  it('adds a member by email and removes one, re-reading the counts', async () => {
    let sent: unknown = null
    const fetch = mockFetch({
      'GET /api/v1/staff/customer-groups': { body: GROUPS },
      'POST /api/v1/staff/customer-groups/2/members': async (request) => {
        sent = await request.json()
        return { body: { user_id: 'u-1', email: 'budi@example.test', assigned_at: '2025-05-01T00:00:00Z' } }
      },
      'DELETE /api/v1/staff/customer-groups/2/members/u-1': { status: 204 },
    })
    const groups = useCustomerGroups()
    const member = await groups.addMember(2, '  budi@example.test ')
    expect(sent).toEqual({ email: 'budi@example.test' })
    expect(member.user_id).toBe('u-1')
    await groups.removeMember(2, 'u-1')
    expect(calls(fetch)).toEqual([
      'POST /api/v1/staff/customer-groups/2/members',
      'GET /api/v1/staff/customer-groups',
      'DELETE /api/v1/staff/customer-groups/2/members/u-1',
      'GET /api/v1/staff/customer-groups',
    ])
  })
})

describe('useCatalogLists', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('reads the lists in their order and keeps a region that products still use', async () => {
    mockFetch({
      'GET /api/v1/staff/catalog/regions': { body: [region(2, 'sby', 'Surabaya', { sort_order: 5 }), region(1, 'jkt', 'Jakarta', { sort_order: 1 })] },
      'DELETE /api/v1/staff/catalog/regions/1': problem(409, 'in_use', { detail: 'products are sold in this region: remove it from them first' }),
    })
    const lists = useCatalogLists()
    await lists.load(['regions'])
    expect(lists.regions.value.map((r) => r.code)).toEqual(['jkt', 'sby'])
    const refused = await lists.deleteRegion(1).catch(toApiProblem)
    expect(refused).toMatchObject({ code: 'in_use' })
    expect(lists.regions.value).toHaveLength(2)
  })
})

describe('stock paste', () => {
  it('is one item a line, trimmed, blank lines dropped', () => {
    expect(stockLines('A-1\r\n  B-2 \n\n\t\nA-1')).toEqual(['A-1', 'B-2', 'A-1'])
    expect(stockLines('   ')).toEqual([])
  })
})
