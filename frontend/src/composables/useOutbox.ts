import { reactive } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import { CHANNELS, OUTBOX_STATUSES, type Channel, type OutboxStatus } from '../api/enums'
import { useCursorPages } from './useCursorPages'

export type OutboxMessage = components['schemas']['OutboxMessage']

/** The filter menus' lists: the enums of the generated schema. */
export { OUTBOX_STATUSES, CHANNELS as OUTBOX_CHANNELS, type OutboxStatus }
export type OutboxChannel = Channel
export const OUTBOX_PAGE_SIZE = 50

export interface OutboxFilters {
  status: OutboxStatus | null
  channel: OutboxChannel | null
}

/** Failed (will retry) and dead (gave up) messages can be queued again. */
export const canResend = (m: Pick<OutboxMessage, 'status'>) => m.status === 'failed' || m.status === 'dead'

/**
 * The notification outbox (any staff role): newest first, filtered by status and channel,
 * paged by cursor; `refresh()` re-reads the first page and merges it (auto-refresh),
 * `resend()` queues a failed or dead message again.
 */
export function useOutbox(api: ApiClient = defaultApi) {
  const filters = reactive<OutboxFilters>({ status: null, channel: null })
  function query(cursor: string | null) {
    const q: Record<string, string | number> = { limit: OUTBOX_PAGE_SIZE }
    if (filters.status) q.status = filters.status
    if (filters.channel) q.channel = filters.channel
    if (cursor) q.cursor = cursor
    return q
  }

  async function page(cursor: string | null) {
    const { data, response } = await api.GET('/api/v1/notifications/outbox', { params: { query: query(cursor) } })
    if (!data) throw ApiProblem.unexpected(response)
    return data
  }

  const pages = useCursorPages<OutboxMessage>(page)
  const { items: messages, nextCursor, loading, problem } = pages

  /**
   * Re-read the first page quietly and merge it: new and changed messages replace what the
   * list shows down to the oldest message of that page; older pages already loaded stay.
   */
  async function refresh(): Promise<void> {
    if (loading.value) return
    const mine = pages.stamp()
    try {
      const data = await page(null)
      if (!pages.isCurrent(mine)) return
      const fresh = data.items
      const oldest = fresh.length ? Math.min(...fresh.map((m) => m.id)) : null
      const newestShown = messages.value.length ? Math.max(...messages.value.map((m) => m.id)) : null
      if (!data.next_cursor || oldest === null || newestShown === null || oldest > newestShown) {
        // The first page is everything, or it does not reach what we show: start over from it.
        messages.value = fresh
        nextCursor.value = data.next_cursor ?? null
      } else {
        messages.value = [...fresh, ...messages.value.filter((m) => m.id < oldest)]
      }
      problem.value = null
    } catch (e) {
      if (pages.isCurrent(mine)) problem.value = toApiProblem(e)
    }
  }

  function replace(message: OutboxMessage): OutboxMessage {
    messages.value = messages.value.map((m) => (m.id === message.id ? message : m))
    return message
  }

  async function resend(id: number): Promise<OutboxMessage> {
    const { data, response } = await api.POST('/api/v1/notifications/outbox/{id}/resend', { params: { path: { id } } })
    if (!data) throw ApiProblem.unexpected(response)
    return replace(data)
  }

  return { filters, messages, nextCursor, loading, problem, search: pages.first, loadMore: pages.more, refresh, resend }
}
