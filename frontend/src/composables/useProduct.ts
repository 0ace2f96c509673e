import { XLSX_TYPE } from './useImport'
import { ref, shallowRef } from 'vue'
import { api as defaultApi, deleteTolerating404, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'
import type { PriceInput } from '../lib/catalog/priceGrid'
import type { SpecInput } from '../lib/catalog/spec'

export type StaffProduct = components['schemas']['StaffProduct']
export type NewProduct = components['schemas']['NewProduct']
export type ListingInput = components['schemas']['ListingInput']
export type StockAdded = components['schemas']['StockAdded']
export type StockCounts = components['schemas']['StockCounts']

/** The listing as the editor holds it (sort order typed as text). */
export interface ListingDraft {
  slug: string
  category_id: number | null
  name_id: string
  name_en: string
  summary_id: string
  summary_en: string
  description_id: string
  description_en: string
  visible: boolean
  featured: boolean
  sort_order: string
}

/** Fields a listing can be refused for (`errors[].field` of a 422 / 409). */
export const LISTING_FIELDS = [
  'slug',
  'category_id',
  'name_id',
  'name_en',
  'summary_id',
  'summary_en',
  'description_id',
  'description_en',
  'visible',
  'featured',
  'sort_order',
] as const

export function emptyListing(): ListingDraft {
  return {
    slug: '',
    category_id: null,
    name_id: '',
    name_en: '',
    summary_id: '',
    summary_en: '',
    description_id: '',
    description_en: '',
    visible: true,
    featured: false,
    sort_order: '0',
  }
}

export function listingDraftFrom(p: StaffProduct): ListingDraft {
  return {
    slug: p.slug,
    category_id: p.category_id ?? null,
    name_id: p.name_id,
    name_en: p.name_en ?? '',
    summary_id: p.summary_id ?? '',
    summary_en: p.summary_en ?? '',
    description_id: p.description_id ?? '',
    description_en: p.description_en ?? '',
    visible: p.visible,
    featured: p.featured,
    sort_order: String(p.sort_order),
  }
}

const optional = (text: string) => (text.trim() === '' ? null : text.trim())

/** The draft as the server's `ListingInput`: empty optional texts are sent as absent. */
export function listingInputFrom(d: ListingDraft): ListingInput {
  const order = d.sort_order.trim()
  return {
    slug: d.slug.trim(),
    category_id: d.category_id,
    name_id: d.name_id.trim(),
    name_en: optional(d.name_en),
    summary_id: optional(d.summary_id),
    summary_en: optional(d.summary_en),
    description_id: optional(d.description_id),
    description_en: optional(d.description_en),
    visible: d.visible,
    featured: d.featured,
    sort_order: /^-?\d+$/.test(order) ? Number(order) : 0,
  }
}

/** A pasted list: one item a line, surrounding spaces and blank lines dropped. */
export function stockLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/**
 * One product in the staff editor: read it, add it, and save each side on its own — the
 * listing (business), the technical attributes (sysadmins), the price table (business) and a
 * digital product's stock (counts only; items are never read back). Each save answers the
 * whole product, which replaces the one held.
 */
export function useProduct(api: ApiClient = defaultApi) {
  const product = ref<StaffProduct | null>(null)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load(id: number): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff/catalog/products/{id}', { params: { path: { id } } })
      product.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  const path = (id: number) => ({ params: { path: { id } } })

  async function create(body: NewProduct): Promise<StaffProduct> {
    const { data, response } = await api.POST('/api/v1/staff/catalog/products', { body })
    return (product.value = unwrap(data, response))
  }

  async function saveListing(id: number, body: ListingInput): Promise<StaffProduct> {
    const { data, response } = await api.PUT('/api/v1/staff/catalog/products/{id}', { ...path(id), body })
    return (product.value = unwrap(data, response))
  }

  async function saveSpec(id: number, body: SpecInput): Promise<StaffProduct> {
    const { data, response } = await api.PUT('/api/v1/staff/catalog/products/{id}/spec', { ...path(id), body })
    return (product.value = unwrap(data, response))
  }

  async function savePrices(id: number, prices: PriceInput[]): Promise<StaffProduct> {
    const { data, response } = await api.PUT('/api/v1/staff/catalog/products/{id}/prices', { ...path(id), body: { prices } })
    return (product.value = unwrap(data, response))
  }

  async function addStock(id: number, items: string[]): Promise<StockAdded> {
    const { data, response } = await api.POST('/api/v1/staff/catalog/products/{id}/stock', { ...path(id), body: { items } })
    const added = unwrap(data, response)
    if (product.value?.id === id) product.value = { ...product.value, stock: added.counts }
    return added
  }

  /** Add stock from a supplier's workbook: the first column of its first sheet. */
  async function addStockFromWorkbook(id: number, file: Blob): Promise<StockAdded> {
    // The raw bytes as the body: the spec types it as `number[]` (a `Vec<u8>` body).
    const bytes = new Uint8Array(await file.arrayBuffer())
    const { data, response } = await api.POST('/api/v1/staff/catalog/products/{id}/stock/xlsx', {
      ...path(id),
      body: bytes as unknown as number[],
      bodySerializer: (body: unknown) => body,
      headers: { 'Content-Type': XLSX_TYPE },
    })
    const added = unwrap(data, response)
    if (product.value?.id === id) product.value = { ...product.value, stock: added.counts }
    return added
  }

  /** Remove every item not reserved or sold; answers how many went. */
  async function discardStock(id: number): Promise<number> {
    const { data, response } = await api.DELETE('/api/v1/staff/catalog/products/{id}/stock', path(id))
    const { discarded } = unwrap(data, response)
    const stock = product.value?.id === id ? product.value.stock : null
    if (product.value && stock) product.value = { ...product.value, stock: { ...stock, available: 0 } }
    return discarded
  }

  /** Delete the product; one already gone (404) counts as deleted. */
  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/staff/catalog/products/{id}', path(id)))
    product.value = null
  }

  return { product, loading, problem, load, create, saveListing, saveSpec, savePrices, addStock, addStockFromWorkbook, discardStock, remove }
}
