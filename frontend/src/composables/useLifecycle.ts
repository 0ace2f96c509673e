import { ref, shallowRef } from 'vue'
import { api as defaultApi, expectOk, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import { PREVIEW_DAYS, type Cancellation, type CancellationRequest, type LifecycleTerms, type PreviewItem, type ProductTerms, type ServiceOverride, type SweepRecord, type SweepReport, type ServiceLifecycle } from '../lib/lifecycle'

/** Sweeps the automation log lists. */
export const LOG_LIMIT = 50

/**
 * The lifecycle's automation, as owner and finance run it: the log of sweeps (newest first),
 * the decisions of the coming days, and a sweep run now — dry (what it would do, nothing
 * written) or for real (the log is read again after it).
 */
export function useLifecycleAutomation(api: ApiClient = defaultApi) {
  const sweeps = shallowRef<SweepRecord[]>([])
  const preview = shallowRef<PreviewItem[]>([])
  const days = ref<number | null>(PREVIEW_DAYS.initial)
  const loading = ref(false)
  const loaded = ref(false)
  const previewLoading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  const previewProblem = shallowRef<ApiProblem | null>(null)

  async function loadLog(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff/lifecycle/sweeps', { params: { query: { limit: LOG_LIMIT } } })
      sweeps.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
      loaded.value = true
    }
  }

  async function loadPreview(): Promise<void> {
    previewLoading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff/lifecycle/preview', { params: { query: { days: days.value ?? PREVIEW_DAYS.initial } } })
      preview.value = unwrap(data, response)
      previewProblem.value = null
    } catch (e) {
      previewProblem.value = toApiProblem(e)
    } finally {
      previewLoading.value = false
    }
  }

  async function sweep(dryRun: boolean): Promise<SweepReport> {
    const { data, response } = await api.POST('/api/v1/staff/lifecycle/sweeps', { body: { dry_run: dryRun } })
    return unwrap(data, response)
  }

  return { sweeps, preview, days, loading, loaded, previewLoading, problem, previewProblem, loadLog, loadPreview, sweep }
}

/** The shop's lifecycle days (products without their own follow them). */
export function useLifecycleSettings(api: ApiClient = defaultApi) {
  async function read(): Promise<LifecycleTerms> {
    const { data, response } = await api.GET('/api/v1/staff/lifecycle/settings')
    return unwrap(data, response)
  }
  async function save(terms: LifecycleTerms): Promise<LifecycleTerms> {
    const { data, response } = await api.PUT('/api/v1/staff/lifecycle/settings', { body: terms })
    return unwrap(data, response)
  }
  return { read, save }
}

/** A product's lifecycle terms: its own, or back to the shop's (`DELETE`). */
export function useProductLifecycle(api: ApiClient = defaultApi) {
  const path = (id: number) => ({ params: { path: { id } } })
  async function read(productId: number): Promise<ProductTerms> {
    const { data, response } = await api.GET('/api/v1/staff/catalog/products/{id}/lifecycle', path(productId))
    return unwrap(data, response)
  }
  async function save(productId: number, terms: LifecycleTerms): Promise<ProductTerms> {
    const { data, response } = await api.PUT('/api/v1/staff/catalog/products/{id}/lifecycle', { ...path(productId), body: terms })
    return unwrap(data, response)
  }
  async function reset(productId: number): Promise<ProductTerms> {
    const { data, response } = await api.DELETE('/api/v1/staff/catalog/products/{id}/lifecycle', path(productId))
    return unwrap(data, response)
  }
  return { read, save, reset }
}

/** Staff's lifecycle hand on one service: other days or an extension (with a reason), and cancelling it. */
export function useServiceLifecycle(id: () => number, api: ApiClient = defaultApi) {
  const path = () => ({ params: { path: { id: id() } } })
  /** Its terms, the days that apply, its overrides and a pending cancellation. */
  async function load(): Promise<ServiceLifecycle> {
    const { data, response } = await api.GET('/api/v1/staff/services/{id}/lifecycle', path())
    return unwrap(data, response)
  }
  async function override(body: ServiceOverride): Promise<void> {
    const { response } = await api.PUT('/api/v1/staff/services/{id}/lifecycle', { ...path(), body })
    expectOk(response)
  }
  async function cancel(body: CancellationRequest): Promise<Cancellation> {
    const { data, response } = await api.POST('/api/v1/staff/services/{id}/cancellation', { ...path(), body })
    return unwrap(data, response)
  }
  async function withdraw(): Promise<void> {
    const { response } = await api.DELETE('/api/v1/staff/services/{id}/cancellation', path())
    expectOk(response)
  }
  return { load, override, cancel, withdraw }
}
