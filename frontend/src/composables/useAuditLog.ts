import { reactive } from 'vue'
import { api as defaultApi, ApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import { useCursorPages } from './useCursorPages'

export type AuditEntry = components['schemas']['AuditEntry']

export interface AuditFilters {
  /** The acting user's ID (the API filters by UUID only). */
  actor: string
  entityType: string
  action: string
  /** Inclusive local-day range as [start ms, end ms] from the date picker, or null. */
  range: [number, number] | null
}

export const AUDIT_PAGE_SIZE = 50

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

function emptyFilters(): AuditFilters {
  return { actor: '', entityType: '', action: '', range: null }
}

/** Local midnight at the start of the day of `ms`, and the last millisecond of the day of `ms`. */
function dayStart(ms: number): string {
  const d = new Date(ms)
  d.setHours(0, 0, 0, 0)
  return d.toISOString()
}
function dayEnd(ms: number): string {
  const d = new Date(ms)
  d.setHours(23, 59, 59, 999)
  return d.toISOString()
}

/** The audit log (owner only): filtered, newest first, paged by cursor ("load more"). */
export function useAuditLog(api: ApiClient = defaultApi) {
  const filters = reactive<AuditFilters>(emptyFilters())
  function query(cursor: string | null) {
    const q: Record<string, string | number> = { limit: AUDIT_PAGE_SIZE }
    if (filters.actor.trim()) q.actor = filters.actor.trim()
    if (filters.entityType.trim()) q.entity_type = filters.entityType.trim()
    if (filters.action.trim()) q.action = filters.action.trim()
    if (filters.range) {
      q.from = dayStart(filters.range[0])
      q.to = dayEnd(filters.range[1])
    }
    if (cursor) q.cursor = cursor
    return q
  }

  const pages = useCursorPages<AuditEntry>(async (cursor) => {
    const { data, response } = await api.GET('/api/v1/audit-log', { params: { query: query(cursor) } })
    if (!data) throw ApiProblem.unexpected(response)
    return data
  })
  const { items: entries, nextCursor, loading, problem } = pages
  /** First page for the current filters. */
  const search = pages.first

  function resetFilters(): Promise<void> {
    Object.assign(filters, emptyFilters())
    return search()
  }

  return { filters, entries, nextCursor, loading, problem, search, loadMore: pages.more, resetFilters }
}
