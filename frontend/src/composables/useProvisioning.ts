import { ref, shallowRef, type Ref } from 'vue'
import { api as defaultApi, deleteTolerating404, expectOk, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type {
  ActionRequest,
  Integration,
  IntegrationInput,
  IntegrationTest,
  NodeSettings,
  Pool,
  PoolAddress,
  PoolInput,
  PveNode,
  PveTemplate,
  Run,
  RunDetail,
  RunStatus,
  Service,
  ServiceView,
  SyncReport,
  WhmPackage,
} from '../lib/provisioning'

/** A list read with its loading flag and last problem. */
function useRead<T>(read: () => Promise<T[]>) {
  const items = shallowRef<T[]>([]) as Ref<T[]>
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  async function load(): Promise<void> {
    loading.value = true
    try {
      items.value = await read()
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
      loaded.value = true
    }
  }
  return { items, loading, loaded, problem, load }
}

/** Proxmox clusters and WHM servers (owner, sysadmin): add, change, delete, test, sync. */
export function useIntegrations(api: ApiClient = defaultApi) {
  const list = useRead(async () => {
    const { data, response } = await api.GET('/api/v1/staff/integrations')
    return unwrap(data, response)
  })
  async function save(id: number | null, body: IntegrationInput): Promise<Integration> {
    const { data, response } =
      id === null
        ? await api.POST('/api/v1/staff/integrations', { body })
        : await api.PUT('/api/v1/staff/integrations/{id}', { params: { path: { id } }, body })
    const saved = unwrap(data, response)
    void list.load()
    return saved
  }
  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/staff/integrations/{id}', { params: { path: { id } } }))
    list.items.value = list.items.value.filter((i) => i.id !== id)
  }
  async function test(id: number): Promise<IntegrationTest> {
    const { data, response } = await api.POST('/api/v1/staff/integrations/{id}/test', { params: { path: { id } } })
    const result = unwrap(data, response)
    void list.load()
    return result
  }
  async function sync(id: number): Promise<SyncReport> {
    try {
      const { data, response } = await api.POST('/api/v1/staff/integrations/{id}/sync', { params: { path: { id } } })
      return unwrap(data, response)
    } finally {
      // A failed sync is recorded on the integration (`sync_error`): show it either way.
      void list.load()
    }
  }
  return { integrations: list.items, loading: list.loading, loaded: list.loaded, problem: list.problem, load: list.load, save, remove, test, sync }
}

/** IPv4 pools per region (owner, sysadmin): add, delete, the addresses in use. */
export function useIpPools(api: ApiClient = defaultApi) {
  const list = useRead(async () => {
    const { data, response } = await api.GET('/api/v1/staff/ip-pools')
    return unwrap(data, response)
  })
  async function create(body: PoolInput): Promise<Pool> {
    const { data, response } = await api.POST('/api/v1/staff/ip-pools', { body })
    const saved = unwrap(data, response)
    void list.load()
    return saved
  }
  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/staff/ip-pools/{id}', { params: { path: { id } } }))
    list.items.value = list.items.value.filter((p) => p.id !== id)
  }
  async function addresses(id: number): Promise<PoolAddress[]> {
    const { data, response } = await api.GET('/api/v1/staff/ip-pools/{id}/addresses', { params: { path: { id } } })
    return unwrap(data, response)
  }
  return { pools: list.items, loading: list.loading, loaded: list.loaded, problem: list.problem, load: list.load, create, remove, addresses }
}

/** Proxmox nodes, templates and WHM packages as last synced (owner, sysadmin). */
export function useInventory(api: ApiClient = defaultApi) {
  const nodes = useRead<PveNode>(async () => {
    const { data, response } = await api.GET('/api/v1/staff/nodes')
    return unwrap(data, response)
  })
  const templates = useRead<PveTemplate>(async () => {
    const { data, response } = await api.GET('/api/v1/staff/templates')
    return unwrap(data, response)
  })
  const packages = useRead<WhmPackage>(async () => {
    const { data, response } = await api.GET('/api/v1/staff/whm-packages')
    return unwrap(data, response)
  })
  async function saveNode(id: number, body: NodeSettings): Promise<void> {
    const { response } = await api.PUT('/api/v1/staff/nodes/{id}', { params: { path: { id } }, body })
    expectOk(response)
    nodes.items.value = nodes.items.value.map((n) => (n.id === id ? { ...n, accepts_new: body.accepts_new, region_id: body.region_id ?? null } : n))
  }
  async function mapTemplate(id: number, osTemplateId: number | null): Promise<void> {
    const { response } = await api.PUT('/api/v1/staff/templates/{id}', { params: { path: { id } }, body: { os_template_id: osTemplateId } })
    expectOk(response)
    // The mapping also reaches the template's copies on the cluster's other nodes.
    void templates.load()
  }
  return { nodes, templates, packages, saveNode, mapTemplate }
}

/** Deliveries and actions, newest first (owner, sysadmin); a failed one can be retried. */
export function useRuns(api: ApiClient = defaultApi) {
  const status = ref<RunStatus | null>(null)
  const list = useRead<Run>(async () => {
    const { data, response } = await api.GET('/api/v1/staff/provisioning/runs', { params: { query: { limit: 100, ...(status.value ? { status: status.value } : {}) } } })
    return unwrap(data, response)
  })
  async function detail(id: number): Promise<RunDetail> {
    const { data, response } = await api.GET('/api/v1/staff/provisioning/runs/{id}', { params: { path: { id } } })
    return unwrap(data, response)
  }
  async function retry(id: number): Promise<number> {
    const { data, response } = await api.POST('/api/v1/staff/provisioning/runs/{id}/retry', { params: { path: { id } } })
    const started = unwrap(data, response).run_id
    void list.load()
    return started
  }
  return { runs: list.items, loading: list.loading, loaded: list.loaded, problem: list.problem, load: list.load, status, detail, retry }
}

/** Every client's services (owner, sysadmin). */
export function useStaffServices(api: ApiClient = defaultApi) {
  const kind = ref<Service['kind'] | null>(null)
  const status = ref<Service['status'] | null>(null)
  const list = useRead<Service>(async () => {
    const query = { limit: 200, ...(kind.value ? { kind: kind.value } : {}), ...(status.value ? { status: status.value } : {}) }
    const { data, response } = await api.GET('/api/v1/staff/services', { params: { query } })
    return unwrap(data, response)
  })
  return { services: list.items, loading: list.loading, loaded: list.loaded, problem: list.problem, load: list.load, kind, status }
}

/** One service as staff see it (node and VM id included), with any action on it. */
export function useStaffService(id: () => number, api: ApiClient = defaultApi) {
  const view = shallowRef<ServiceView | null>(null)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  const path = () => ({ params: { path: { id: id() } } })
  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff/services/{id}', path())
      view.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }
  async function act(body: ActionRequest): Promise<number> {
    const { data, response } = await api.POST('/api/v1/staff/services/{id}/actions', { ...path(), body })
    return unwrap(data, response).run_id
  }
  return { view, loading, problem, load, act }
}
