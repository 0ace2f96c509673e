import { ref, shallowRef } from 'vue'
import { api as defaultApi, deleteTolerating404, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'

export type Category = components['schemas']['Category']
export type CategoryInput = components['schemas']['CategoryInput']
export type Region = components['schemas']['Region']
export type RegionInput = components['schemas']['RegionInput']
export type OsTemplate = components['schemas']['OsTemplate']
export type OsTemplateInput = components['schemas']['OsTemplateInput']

/** The OS families the server knows (`OsTemplateInput.family`). */
export const OS_FAMILIES = ['linux', 'windows', 'bsd', 'other'] as const

const byOrder = <T extends { sort_order: number }>(list: T[]) => [...list].sort((a, b) => a.sort_order - b.sort_order)

/**
 * The catalog's managed lists: categories (business edits), regions and OS templates
 * (sysadmins edit). Every staff role reads them; the product editor offers them as choices.
 * Each change re-reads its list, so the order stays the server's.
 */
export function useCatalogLists(api: ApiClient = defaultApi) {
  const categories = ref<Category[]>([])
  const regions = ref<Region[]>([])
  const osTemplates = ref<OsTemplate[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function loadCategories() {
    const { data, response } = await api.GET('/api/v1/staff/catalog/categories')
    categories.value = byOrder(unwrap(data, response))
  }
  async function loadRegions() {
    const { data, response } = await api.GET('/api/v1/staff/catalog/regions')
    regions.value = byOrder(unwrap(data, response))
  }
  async function loadOsTemplates() {
    const { data, response } = await api.GET('/api/v1/staff/catalog/os-templates')
    osTemplates.value = byOrder(unwrap(data, response))
  }

  /** Read the lists named (all three by default); a failure is kept in `problem`. */
  async function load(which: readonly ('categories' | 'regions' | 'osTemplates')[] = ['categories', 'regions', 'osTemplates']) {
    loading.value = true
    try {
      const loaders = { categories: loadCategories, regions: loadRegions, osTemplates: loadOsTemplates }
      await Promise.all(which.map((w) => loaders[w]()))
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function saveCategory(id: number | null, body: CategoryInput): Promise<Category> {
    const { data, response } =
      id === null
        ? await api.POST('/api/v1/staff/catalog/categories', { body })
        : await api.PUT('/api/v1/staff/catalog/categories/{id}', { params: { path: { id } }, body })
    const saved = unwrap(data, response)
    void loadCategories().catch(() => undefined)
    return saved
  }
  async function deleteCategory(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/staff/catalog/categories/{id}', { params: { path: { id } } }))
    categories.value = categories.value.filter((c) => c.id !== id)
  }

  async function saveRegion(id: number | null, body: RegionInput): Promise<Region> {
    const { data, response } =
      id === null
        ? await api.POST('/api/v1/staff/catalog/regions', { body })
        : await api.PUT('/api/v1/staff/catalog/regions/{id}', { params: { path: { id } }, body })
    const saved = unwrap(data, response)
    void loadRegions().catch(() => undefined)
    return saved
  }
  async function deleteRegion(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/staff/catalog/regions/{id}', { params: { path: { id } } }))
    regions.value = regions.value.filter((r) => r.id !== id)
  }

  async function saveOsTemplate(id: number | null, body: OsTemplateInput): Promise<OsTemplate> {
    const { data, response } =
      id === null
        ? await api.POST('/api/v1/staff/catalog/os-templates', { body })
        : await api.PUT('/api/v1/staff/catalog/os-templates/{id}', { params: { path: { id } }, body })
    const saved = unwrap(data, response)
    void loadOsTemplates().catch(() => undefined)
    return saved
  }
  async function deleteOsTemplate(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/staff/catalog/os-templates/{id}', { params: { path: { id } } }))
    osTemplates.value = osTemplates.value.filter((o) => o.id !== id)
  }

  return {
    categories,
    regions,
    osTemplates,
    loading,
    problem,
    load,
    saveCategory,
    deleteCategory,
    saveRegion,
    deleteRegion,
    saveOsTemplate,
    deleteOsTemplate,
  }
}
