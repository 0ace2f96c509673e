import { ref, shallowRef, type Ref } from 'vue'
import { ApiProblem, toApiProblem } from '../api/client'

/** A page as the API's cursor-paged lists answer. */
export interface CursorPage<T> {
  items: T[]
  next_cursor?: string | null
}

/**
 * A list read page by page with the API's `cursor`: the first page replaces what is shown,
 * "load more" appends the next one (skipping ids already shown). Every request bumps a
 * generation, so a late answer for an older list is dropped instead of overwriting a newer one.
 */
export function useCursorPages<T extends { id: number }>(fetch: (cursor: string | null) => Promise<CursorPage<T>>) {
  const items = ref<T[]>([]) as Ref<T[]>
  const nextCursor = ref<string | null>(null)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  let generation = 0

  async function fetchPage(cursor: string | null): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const data = await fetch(cursor)
      if (mine !== generation) return
      items.value = cursor ? [...items.value, ...data.items.filter((item) => !items.value.some((shown) => shown.id === item.id))] : data.items
      nextCursor.value = data.next_cursor ?? null
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** The first page (a new search, or a refresh that starts over). */
  function first(): Promise<void> {
    return fetchPage(null)
  }

  function more(): Promise<void> {
    return nextCursor.value ? fetchPage(nextCursor.value) : Promise.resolve()
  }

  /** For quiet refreshes: a stamp now, and whether no newer request started since. */
  const stamp = () => generation
  const isCurrent = (taken: number) => taken === generation

  return { items, nextCursor, loading, problem, first, more, stamp, isCurrent }
}
