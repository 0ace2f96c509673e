import { reactive, ref, shallowRef } from 'vue'
import { api as defaultApi, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { ProductKind } from '../api/enums'
import type { components } from '../api/schema'

export type StaffProductRow = components['schemas']['StaffProductRow']

export interface ProductFilters {
  kind: ProductKind | null
  categoryId: number | null
  q: string
}

export const PRODUCTS_PAGE_SIZE = 25

/**
 * The staff product list: every product, hidden ones too, under a filter (kind, category,
 * name or slug), one page at a time. A filter change goes back to the first page.
 */
export function useProducts(api: ApiClient = defaultApi) {
  const filters = reactive<ProductFilters>({ kind: null, categoryId: null, q: '' })
  const page = ref(1)
  const items = ref<StaffProductRow[]>([])
  const total = ref(0)
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const query: { kind?: ProductKind; category_id?: number; q?: string; page: number; limit: number } = {
        page: page.value,
        limit: PRODUCTS_PAGE_SIZE,
      }
      if (filters.kind) query.kind = filters.kind
      if (filters.categoryId !== null) query.category_id = filters.categoryId
      const q = filters.q.trim()
      if (q) query.q = q
      const { data: answer, response } = await api.GET('/api/v1/staff/catalog/products', { params: { query } })
      const data = unwrap(answer, response)
      if (mine !== generation) return
      items.value = data.items
      total.value = data.total
      loaded.value = true
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** Reload from the first page (after a filter changed). */
  function reset(): Promise<void> {
    page.value = 1
    return load()
  }

  function goTo(n: number): Promise<void> {
    page.value = n
    return load()
  }

  return { filters, page, items, total, loading, loaded, problem, load, reset, goTo }
}
