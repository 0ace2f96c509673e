import { ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type OwnerAlert = components['schemas']['OwnerAlert']
export type AlertKind = components['schemas']['AlertKind']

export const ALERT_KINDS = ['error', 'change'] as const satisfies readonly AlertKind[]
/** `sent` alone, `held` for the window's summary, `summarised` once the summary went out. */
export const ALERT_DELIVERIES = ['sent', 'held', 'summarised'] as const
export const ALERTS_PAGE_SIZE = 50

/**
 * The owner's alerts (owner only): logged errors and important changes, newest first,
 * paged by cursor ("load more"); `load()` starts over from the newest.
 */
export function useOwnerAlerts(api: ApiClient = defaultApi) {
  const alerts = ref<OwnerAlert[]>([])
  const nextCursor = ref<string | null>(null)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  /** Bumped by every request, so a late answer for an older list is dropped. */
  let generation = 0

  async function fetchPage(cursor: string | null): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const query: { limit: number; cursor?: string } = { limit: ALERTS_PAGE_SIZE }
      if (cursor) query.cursor = cursor
      const { data, response } = await api.GET('/api/v1/notifications/alerts', { params: { query } })
      if (!data) throw ApiProblem.unexpected(response)
      if (mine !== generation) return
      alerts.value = cursor ? [...alerts.value, ...data.items.filter((a) => !alerts.value.some((b) => b.id === a.id))] : data.items
      nextCursor.value = data.next_cursor ?? null
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** The newest page (first load and refresh). */
  function load(): Promise<void> {
    return fetchPage(null)
  }

  function loadMore(): Promise<void> {
    return nextCursor.value ? fetchPage(nextCursor.value) : Promise.resolve()
  }

  return { alerts, nextCursor, loading, problem, load, loadMore }
}
