import { computed, ref, shallowRef, type Ref } from 'vue'
import { toApiProblem, type ApiProblem } from '../api/client'

/** A page as the API's numbered lists answer (`page` from 1). */
export interface NumberedPage<T> {
  items: T[]
  total: number
  page: number
  limit: number
}

/**
 * A list read a numbered page at a time (orders, invoices, promo codes). Every request bumps a
 * generation, so a late answer for an older page or filter is dropped instead of shown.
 */
export function usePagedList<T>(fetch: (page: number, limit: number) => Promise<NumberedPage<T>>, limit = 25) {
  const items = ref<T[]>([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(1)
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const data = await fetch(page.value, limit)
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

  /** Show page `to` (from 1). */
  async function goTo(to: number): Promise<void> {
    page.value = to
    await load()
  }

  /** Start again at the first page (a changed filter). */
  async function reload(): Promise<void> {
    page.value = 1
    await load()
  }

  const pages = computed(() => Math.max(1, Math.ceil(total.value / limit)))
  return { items, total, page, pages, limit, loading, loaded, problem, load, goTo, reload }
}
