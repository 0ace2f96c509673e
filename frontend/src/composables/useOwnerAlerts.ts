import { api as defaultApi, ApiProblem, type ApiClient } from '../api/client'
import { useCursorPages } from './useCursorPages'
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
  const pages = useCursorPages<OwnerAlert>(async (cursor) => {
    const query: { limit: number; cursor?: string } = { limit: ALERTS_PAGE_SIZE }
    if (cursor) query.cursor = cursor
    const { data, response } = await api.GET('/api/v1/notifications/alerts', { params: { query } })
    if (!data) throw ApiProblem.unexpected(response)
    return data
  })
  const { items: alerts, nextCursor, loading, problem } = pages
  return { alerts, nextCursor, loading, problem, load: pages.first, loadMore: pages.more }
}
