import { reactive, ref, shallowRef } from 'vue'
import { api as defaultApi, deleteTolerating404, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components, operations } from '../api/schema'
import { enumMembers } from '../api/enums'
import { LIMITS } from '../api/limits'
import { fileNameOf, type ExportedWorkbook } from './useHosts'

type Schemas = components['schemas']
export type IspRouter = Schemas['IspRouter']
export type RouterInput = Schemas['RouterInput']
export type RouterTest = Schemas['RouterTest']
export type IspSyncReport = operations['syncRouter']['responses'][200]['content']['application/json']
export type SyncLogEntry = Schemas['SyncLogEntry']
export type IspCustomer = Schemas['IspCustomer']
export type CustomerInput = Schemas['CustomerInput']
export type CustomerPage = Schemas['CustomerPage']
export type CustomerMarker = Schemas['CustomerMarker']
export type MapSettings = Schemas['MapSettings']
export type IsolationOutcome = Schemas['IsolationOutcome']
export type IsolationEvent = Schemas['IsolationEvent']
export type Connection = Schemas['Connection']
export type RouterTransport = Schemas['RouterTransport']
export type IsolationMode = Schemas['IsolationMode']
export type InternetPlan = Schemas['StaffProductRow']

export const CONNECTIONS = enumMembers<Connection>()(['online', 'offline'])
export const ROUTER_TRANSPORTS = enumMembers<RouterTransport>()(['api', 'api_tls', 'rest'])
export const ISOLATION_MODES = enumMembers<IsolationMode>()(['off', 'disable', 'profile'])

/** The port the server takes when none is given (RouterInput.port). */
export const DEFAULT_PORTS: Record<RouterTransport, number> = { api: 8728, api_tls: 8729, rest: 443 }
/** Seconds between automatic syncs when none is given: seed 004's "every 2 minutes". */
export const DEFAULT_SYNC_INTERVAL = 120
/** Rows per page of the customer table (the API takes 1 to 500). */
export const CUSTOMERS_PAGE_SIZE = 50
/** The map and the table are re-read this often while the tab is visible. */
export const ISP_POLL_MS = 30_000

export const ROUTER_LIMITS = LIMITS.RouterInput
export const CUSTOMER_LIMITS = LIMITS.CustomerInput

/** Fields a router or a customer can be refused for (`errors[].field` of a 422), shown beside their inputs. */
export const ROUTER_FIELDS = [
  'name',
  'host',
  'transport',
  'port',
  'tls_fingerprint',
  'username',
  'password',
  'sync_enabled',
  'sync_interval_seconds',
  'isolation_mode',
  'isolation_profile',
  'note',
] as const
export const CUSTOMER_FIELDS = [
  'name',
  'pppoe_username',
  'address',
  'phone',
  'latitude',
  'longitude',
  'product_id',
  'router_id',
  'service_id',
  'note',
] as const

/** Seed 004's console line: "Status updated: 5 active connections, 3 customers online". */
export function statusLine(report: Pick<IspSyncReport, 'active_connections' | 'customers_online'>): string {
  return `Status updated: ${report.active_connections ?? 0} active connections, ${report.customers_online ?? 0} customers online`
}

/** Log a sync in the browser console as seed 004 does (F12): the status line, or why the router could not be read. */
export function logSync(report: IspSyncReport, routerName: string): void {
  if (report.ok) console.info(statusLine(report))
  else console.warn(`Sync of ${routerName} failed: ${report.message}`)
}

/** The router's connection as the status box shows it: the last sync's outcome, else the last test's. */
export function routerConnected(router: IspRouter): boolean | null {
  return router.last_sync_ok ?? router.last_test_ok ?? null
}

/** MikroTik routers (owner, sysadmin, business read and sync; owner, sysadmin change and test). */
export function useIspRouters(api: ApiClient = defaultApi) {
  const routers = ref<IspRouter[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load({ quiet = false }: { quiet?: boolean } = {}): Promise<void> {
    if (!quiet) loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/isp/routers')
      routers.value = unwrap(data, response)
      loaded.value = true
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  function replace(router: IspRouter) {
    routers.value = routers.value.some((r) => r.id === router.id) ? routers.value.map((r) => (r.id === router.id ? router : r)) : [...routers.value, router]
  }

  async function get(id: number): Promise<IspRouter> {
    const { data, response } = await api.GET('/api/v1/isp/routers/{id}', { params: { path: { id } } })
    const router = unwrap(data, response)
    replace(router)
    return router
  }

  /** Add (`id` null) or change a router; a change without a password keeps the stored one. */
  async function save(id: number | null, body: RouterInput): Promise<IspRouter> {
    const { data, response } =
      id === null
        ? await api.POST('/api/v1/isp/routers', { body })
        : await api.PUT('/api/v1/isp/routers/{id}', { params: { path: { id } }, body })
    const router = unwrap(data, response)
    replace(router)
    return router
  }

  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/isp/routers/{id}', { params: { path: { id } } }))
    routers.value = routers.value.filter((r) => r.id !== id)
  }

  async function test(id: number): Promise<RouterTest> {
    const { data, response } = await api.POST('/api/v1/isp/routers/{id}/test', { params: { path: { id } } })
    return unwrap(data, response)
  }

  /** Sync now; the router is re-read afterwards for its last sync (time, counts, message). */
  async function sync(id: number): Promise<IspSyncReport> {
    const { data, response } = await api.POST('/api/v1/isp/routers/{id}/sync', { params: { path: { id } } })
    const report = unwrap(data, response)
    await get(id).catch(() => undefined)
    return report
  }

  async function syncLog(id: number, limit = 50): Promise<SyncLogEntry[]> {
    const { data, response } = await api.GET('/api/v1/isp/routers/{id}/syncs', { params: { path: { id }, query: { limit } } })
    return unwrap(data, response)
  }

  return { routers, loading, loaded, problem, load, get, save, remove, test, sync, syncLog }
}

type CustomerQuery = NonNullable<operations['listIspCustomers']['parameters']['query']>

export interface CustomerFilters {
  routerId: number | null
  connection: Connection | null
  productId: number | null
  isolated: boolean | null
  q: string
}

/** ISP customers: the filtered page with the counts of the whole filtered list, changes, isolation and the export. */
export function useIspCustomers(api: ApiClient = defaultApi) {
  const filters = reactive<CustomerFilters>({ routerId: null, connection: null, productId: null, isolated: null, q: '' })
  const page = ref(1)
  const customers = ref<IspCustomer[]>([])
  const counts = reactive({ total: 0, online: 0, offline: 0 })
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  /** Bumped by every read, so a late answer for older filters is dropped. */
  let generation = 0

  async function load({ quiet = false }: { quiet?: boolean } = {}): Promise<void> {
    const mine = ++generation
    if (!quiet) loading.value = true
    try {
      const query: CustomerQuery = {
        limit: CUSTOMERS_PAGE_SIZE,
        offset: (page.value - 1) * CUSTOMERS_PAGE_SIZE,
      }
      if (filters.routerId !== null) query.router_id = filters.routerId
      if (filters.connection) query.connection = filters.connection
      if (filters.productId !== null) query.product_id = filters.productId
      if (filters.isolated !== null) query.isolated = filters.isolated
      const q = filters.q.trim()
      if (q) query.q = q
      const { data, response } = await api.GET('/api/v1/isp/customers', { params: { query } })
      const answer = unwrap(data, response)
      if (mine !== generation) return
      customers.value = answer.customers
      Object.assign(counts, { total: answer.total, online: answer.online, offline: answer.offline })
      loaded.value = true
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** From the first page again (a filter changed). */
  function reset(): Promise<void> {
    page.value = 1
    return load()
  }

  function goTo(n: number): Promise<void> {
    page.value = n
    return load()
  }

  /** The poll: re-read without the spinner, unless a read is already under way. */
  function refresh(): Promise<void> {
    return loading.value ? Promise.resolve() : load({ quiet: true })
  }

  function replace(customer: IspCustomer) {
    customers.value = customers.value.map((c) => (c.id === customer.id ? customer : c))
  }

  async function save(id: number | null, body: CustomerInput): Promise<IspCustomer> {
    const { data, response } =
      id === null
        ? await api.POST('/api/v1/isp/customers', { body })
        : await api.PUT('/api/v1/isp/customers/{id}', { params: { path: { id } }, body })
    const customer = unwrap(data, response)
    if (id === null) await load({ quiet: true })
    else replace(customer)
    return customer
  }

  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/isp/customers/{id}', { params: { path: { id } } }))
    await load({ quiet: true })
  }

  /** Isolate (isolir) or restore a customer by hand; the row is re-read for its new state. */
  async function setIsolated(id: number, isolated: boolean): Promise<IsolationOutcome> {
    const { data, response } = isolated
      ? await api.POST('/api/v1/isp/customers/{id}/isolate', { params: { path: { id } } })
      : await api.POST('/api/v1/isp/customers/{id}/restore', { params: { path: { id } } })
    const outcome = unwrap(data, response)
    await load({ quiet: true })
    return outcome
  }

  async function events(id: number): Promise<IsolationEvent[]> {
    const { data, response } = await api.GET('/api/v1/isp/customers/{id}/events', { params: { path: { id } } })
    return unwrap(data, response)
  }

  /** Every customer as an .xlsx (fetched with the session's token). */
  async function exportWorkbook(): Promise<ExportedWorkbook> {
    const { data, response } = await api.GET('/api/v1/isp/customers/export', { parseAs: 'blob' })
    return { blob: unwrap(data, response) as unknown as Blob, fileName: fileNameOf(response, 'pelanggan-isp.xlsx') }
  }

  return { filters, page, customers, counts, loading, loaded, problem, load, reset, goTo, refresh, save, remove, setIsolated, events, exportWorkbook }
}

/** The map's markers (every customer with coordinates) and its tile server. */
export function useIspMap(api: ApiClient = defaultApi) {
  const markers = ref<CustomerMarker[]>([])
  const settings = shallowRef<MapSettings | null>(null)
  const problem = shallowRef<ApiProblem | null>(null)

  async function loadMarkers(routerId: number | null = null): Promise<void> {
    try {
      const { data, response } = await api.GET('/api/v1/isp/customers/markers', {
        params: { query: routerId === null ? {} : { router_id: routerId } },
      })
      markers.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    }
  }

  async function loadSettings(): Promise<void> {
    try {
      const { data, response } = await api.GET('/api/v1/isp/map-settings')
      settings.value = unwrap(data, response)
    } catch {
      // No tile server then: the markers are drawn on a plain background.
      settings.value = { tile_url: null, attribution: '' }
    }
  }

  return { markers, settings, problem, loadMarkers, loadSettings }
}

/** The plans a customer can be on: the catalog's `internet` products (the first 100). */
export async function listInternetPlans(api: ApiClient = defaultApi): Promise<InternetPlan[]> {
  const { data, response } = await api.GET('/api/v1/staff/catalog/products', { params: { query: { kind: 'internet', limit: 100 } } })
  return unwrap(data, response).items
}

/*
 * The customers' Excel import. The row status, summary and outcome are read through the
 * operations that return them: the generated names (`RowStatus`, `ImportSummary`,
 * `SyncReport`, …) are shared with the monitoring and provisioning schemas.
 */
export type CustomerImport = Schemas['CustomerImport']
export type CustomerImportRow = Schemas['CustomerImportRow']
export type CustomerImportStatus = CustomerImportRow['status']
export type CustomerImportSummary = CustomerImport['summary']
export type CustomerImportChange = CustomerImportRow['changes'][number]
export type CustomerImportProblem = CustomerImportRow['problems'][number]
export type CustomerField = Schemas['CustomerField']
export type CustomerImportResult = operations['confirmIspCustomerImport']['responses'][200]['content']['application/json']

export const IMPORT_PAGE_SIZE = 50
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
export const IMPORT_STATUSES = enumMembers<CustomerImportStatus>()(['new', 'update', 'unchanged', 'invalid'])

/** The customers' Excel import: upload for a preview (nothing written), page through it by status, confirm or cancel. */
export function useCustomerImport(api: ApiClient = defaultApi) {
  async function upload(file: Blob, fileName: string): Promise<CustomerImport> {
    const bytes = new Uint8Array(await file.arrayBuffer())
    const { data, response } = await api.POST('/api/v1/isp/customers/imports', {
      params: { query: { file_name: fileName } },
      body: bytes as unknown as number[],
      bodySerializer: (body: unknown) => body,
      headers: { 'Content-Type': XLSX_TYPE },
    })
    return unwrap(data, response)
  }

  /** One page (1-based) of the preview's rows, all or of one status. */
  async function page(id: string, status: CustomerImportStatus | 'all', n: number): Promise<CustomerImport> {
    const { data, response } = await api.GET('/api/v1/isp/customers/imports/{id}', {
      params: { path: { id }, query: { ...(status === 'all' ? {} : { status }), offset: (n - 1) * IMPORT_PAGE_SIZE, limit: IMPORT_PAGE_SIZE } },
    })
    return unwrap(data, response)
  }

  async function confirm(id: string): Promise<CustomerImportResult> {
    const { data, response } = await api.POST('/api/v1/isp/customers/imports/{id}/confirm', { params: { path: { id } } })
    return unwrap(data, response)
  }

  /** Discard the preview; one already gone (404) is fine. */
  async function cancel(id: string): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/isp/customers/imports/{id}', { params: { path: { id } } }))
  }

  return { upload, page, confirm, cancel }
}
