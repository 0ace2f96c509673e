import { ref } from 'vue'
import { api as defaultApi, unwrap, type ApiClient } from '../api/client'

/** A select option (a type alias, so naive-ui's option type takes it). */
export type TargetOption = { label: string; value: number }

/**
 * What a promo code can be limited to: the catalog's products (searched as one types, the
 * first 100 at first) and its categories. Read-only; a failure leaves the lists empty and the
 * code unrestricted-able only.
 */
export function usePromoTargets(api: ApiClient = defaultApi) {
  const products = ref<TargetOption[]>([])
  const categories = ref<TargetOption[]>([])
  const searching = ref(false)
  let generation = 0

  async function searchProducts(q = ''): Promise<void> {
    const mine = ++generation
    searching.value = true
    try {
      const query = { page: 1, limit: 100, ...(q.trim() ? { q: q.trim() } : {}) }
      const { data, response } = await api.GET('/api/v1/staff/catalog/products', { params: { query } })
      if (mine !== generation) return
      const found = unwrap(data, response).items.map((p) => ({ label: p.name_id, value: p.id }))
      // Keep the chosen ones that the search does not return, so their labels stay.
      const known = new Map(products.value.map((o) => [o.value, o]))
      for (const o of found) known.set(o.value, o)
      products.value = [...known.values()]
    } catch {
      // the restriction lists are a help: without them the code can still be saved
    } finally {
      if (mine === generation) searching.value = false
    }
  }

  async function loadCategories(): Promise<void> {
    try {
      const { data, response } = await api.GET('/api/v1/staff/catalog/categories')
      categories.value = unwrap(data, response).map((c) => ({ label: c.name_id, value: c.id }))
    } catch {
      categories.value = []
    }
  }

  return { products, categories, searching, searchProducts, loadCategories }
}
