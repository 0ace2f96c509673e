import { reactive, ref, shallowRef } from 'vue'
import { api as defaultApi, deleteTolerating404, expectOk, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'
import { HOST_STATUSES } from '../api/enums'
import { LIMITS } from '../api/limits'

export type MonitoredHost = components['schemas']['MonitoredHost']
export type HostInput = components['schemas']['HostInput']
export type HostDetail = components['schemas']['HostDetail']
export type HostStatus = components['schemas']['HostStatus']
export type Uptime = components['schemas']['Uptime']
export type StateChange = components['schemas']['StateChange']
export type MaintenanceWindow = components['schemas']['MaintenanceWindow']
export type NewMaintenanceWindow = components['schemas']['NewMaintenanceWindow']
export type MonitorSettings = components['schemas']['MonitorSettings']

/** Which hosts a bulk publish / unpublish changes: the selected rows, or every host the filter matches. */
export type HostSelection = { ids: number[] } | 'all_matching'

/** The generated schema's `HostStatus` enum, for the status filter. */
export { HOST_STATUSES }

/** Fields a host can be refused for (`errors[].field` of a 422), shown beside their inputs. */
export const HOST_FIELDS = [
  'name',
  'address',
  'port',
  'expires_on',
  'price_minor',
  'currency',
  'notes',
  'customer_id',
  'is_public',
  'check_interval_seconds',
  'failures_before_down',
  'renotify_minutes',
  'record_sale',
] as const
export const MAINTENANCE_FIELDS = ['starts_at', 'ends_at', 'reason'] as const

const HOST = LIMITS.HostInput

/** The API's limits and defaults (HostInput, from the generated schema), checked before sending. */
export const HOST_LIMITS = {
  nameMax: HOST.name.maxLength,
  notesMax: HOST.notes.maxLength,
  interval: { min: HOST.check_interval_seconds.minimum, max: HOST.check_interval_seconds.maximum, default: HOST.check_interval_seconds.default },
  failures: { min: HOST.failures_before_down.minimum, max: HOST.failures_before_down.maximum, default: HOST.failures_before_down.default },
  renotify: { min: HOST.renotify_minutes.minimum, max: HOST.renotify_minutes.maximum },
} as const

/** A maintenance window's reason, at most this many characters. */
export const MAINTENANCE_REASON_MAX = LIMITS.NewMaintenanceWindow.reason.maxLength

/** "Segera berakhir": the status page's badge starts this many days before the expiry date. */
export const EXPIRING_DAYS = 7

export type ExpiryState = 'expired' | 'expiring' | 'ok'

/** Expired once the day is past (negative days left), expiring within {@link EXPIRING_DAYS}. */
export function expiryState(daysLeft: number | null | undefined): ExpiryState | null {
  if (daysLeft === null || daysLeft === undefined) return null
  if (daysLeft < 0) return 'expired'
  return daysLeft <= EXPIRING_DAYS ? 'expiring' : 'ok'
}

export interface HostFilters {
  status: HostStatus | null
  q: string
}

/** A downloaded export: the workbook and the name the server gave it. */
export interface ExportedWorkbook {
  blob: Blob
  fileName: string
}

/** The file name in a `Content-Disposition` answer, else `fallback`. */
export function fileNameOf(response: Response, fallback: string): string {
  const disposition = response.headers.get('content-disposition') ?? ''
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(disposition)
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''))
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition)
  return plain?.[1]?.trim() || fallback
}

/**
 * Monitored hosts (owner, sysadmin, business): the filtered list (re-read quietly by the
 * page's poll), add / change / remove, one host's detail (uptime, state changes,
 * maintenance windows), and the Excel export.
 */
export function useHosts(api: ApiClient = defaultApi) {
  const filters = reactive<HostFilters>({ status: null, q: '' })
  const hosts = ref<MonitoredHost[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  /** When the list was last read (for "checked 5 s ago" next to the poll). */
  const readAt = ref<number>(Date.now())
  /** Bumped by every read, so a late answer for older filters is dropped. */
  let generation = 0

  async function load({ quiet = false }: { quiet?: boolean } = {}): Promise<void> {
    const mine = ++generation
    if (!quiet) loading.value = true
    try {
      const query: { status?: HostStatus; q?: string } = {}
      if (filters.status) query.status = filters.status
      const q = filters.q.trim()
      if (q) query.q = q
      const { data: answer, response } = await api.GET('/api/v1/monitoring/hosts', { params: { query } })
      const data = unwrap(answer, response)
      if (mine !== generation) return
      hosts.value = data
      readAt.value = Date.now()
      loaded.value = true
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** The poll: re-read without the spinner, unless a read is already under way. */
  function refresh(): Promise<void> {
    return loading.value ? Promise.resolve() : load({ quiet: true })
  }

  function replace(host: MonitoredHost) {
    hosts.value = hosts.value.some((h) => h.id === host.id) ? hosts.value.map((h) => (h.id === host.id ? host : h)) : [...hosts.value, host]
  }

  async function create(body: HostInput): Promise<MonitoredHost> {
    const { data: answer, response } = await api.POST('/api/v1/monitoring/hosts', { body })
    const data = unwrap(answer, response)
    replace(data)
    return data
  }

  async function update(id: number, body: HostInput): Promise<MonitoredHost> {
    const { data: answer, response } = await api.PUT('/api/v1/monitoring/hosts/{id}', { params: { path: { id } }, body })
    const data = unwrap(answer, response)
    replace(data)
    return data
  }

  /** Remove a host; one that is already gone (404) leaves the list too. */
  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/monitoring/hosts/{id}', { params: { path: { id } } }))
    hosts.value = hosts.value.filter((h) => h.id !== id)
  }

  async function detail(id: number): Promise<HostDetail> {
    const { data: answer, response } = await api.GET('/api/v1/monitoring/hosts/{id}', { params: { path: { id } } })
    const data = unwrap(answer, response)
    replace(data.host)
    return data
  }

  async function addMaintenance(id: number, body: NewMaintenanceWindow): Promise<MaintenanceWindow> {
    const { data: answer, response } = await api.POST('/api/v1/monitoring/hosts/{id}/maintenance', { params: { path: { id } }, body })
    const data = unwrap(answer, response)
    return data
  }

  async function removeMaintenance(id: number, windowId: number): Promise<void> {
    const { response } = await api.DELETE('/api/v1/monitoring/hosts/{id}/maintenance/{window_id}', {
      params: { path: { id, window_id: windowId } },
    })
    expectOk(response)
  }

  /**
   * Publish or unpublish hosts on the status page: the selected ids, or every host matching
   * the list's current filter. Re-reads the list; answers how many hosts changed.
   */
  async function setPublic(isPublic: boolean, selection: HostSelection): Promise<number> {
    const q = filters.q.trim()
    const body =
      selection === 'all_matching'
        ? { is_public: isPublic, all_matching: { status: filters.status, q: q || null } }
        : { is_public: isPublic, ids: selection.ids }
    const { data: answer, response } = await api.POST('/api/v1/monitoring/hosts/visibility', { body })
    const data = unwrap(answer, response)
    await load({ quiet: true })
    return data.updated
  }

  /** Every host and account sale as an .xlsx (fetched with the session's token). */
  async function exportWorkbook(): Promise<ExportedWorkbook> {
    const { data: answer, response } = await api.GET('/api/v1/monitoring/export', { parseAs: 'blob' })
    const data = unwrap(answer, response)
    return { blob: data, fileName: fileNameOf(response, 'juragan.xlsx') }
  }

  return {
    filters,
    hosts,
    loading,
    loaded,
    problem,
    readAt,
    load,
    refresh,
    create,
    update,
    remove,
    detail,
    addMaintenance,
    removeMaintenance,
    setPublic,
    exportWorkbook,
  }
}

/** The shop's monitoring settings (owner, sysadmin): read and save. */
export function useMonitorSettings(api: ApiClient = defaultApi) {
  async function read(): Promise<MonitorSettings> {
    const { data: answer, response } = await api.GET('/api/v1/monitoring/settings')
    return unwrap(answer, response)
  }

  async function save(body: MonitorSettings): Promise<MonitorSettings> {
    const { data: answer, response } = await api.PUT('/api/v1/monitoring/settings', { body })
    return unwrap(answer, response)
  }

  return { read, save }
}

/** Hand a downloaded file to the browser as a download. */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  link.style.display = 'none'
  document.body.appendChild(link)
  link.click()
  link.remove()
  // Give the browser a moment to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
