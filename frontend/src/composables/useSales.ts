import { computed, reactive, ref, shallowRef } from 'vue'
import { api as defaultApi, deleteTolerating404, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'
import { LIMITS } from '../api/limits'

export type Sale = components['schemas']['Sale']
export type SaleInput = components['schemas']['SaleInput']
export type SaleKind = components['schemas']['SaleKind']
export type MonthlyTotal = components['schemas']['MonthlyTotal']

export const SALE_KINDS = ['host', 'account'] as const satisfies readonly SaleKind[]
/** Fields a sale can be refused for (`errors[].field` of a 422). */
export const SALE_FIELDS = ['kind', 'sold_on', 'name', 'merchant', 'item_type', 'qty', 'price_minor', 'currency'] as const
export const SALE_LIMITS = {
  nameMax: LIMITS.SaleInput.name.maxLength,
  merchantMax: LIMITS.SaleInput.merchant.maxLength,
  itemTypeMax: LIMITS.SaleInput.item_type.maxLength,
} as const

export interface SaleFilters {
  kind: SaleKind | null
  /** `YYYY-MM-DD`, inclusive. */
  from: string | null
  to: string | null
  currency: string | null
  q: string
}

/** One month of the book: its totals, one per currency (never added together). */
export interface MonthTotals {
  month: string
  totals: MonthlyTotal[]
}

/** The server's totals grouped by month, newest first; currencies stay apart, IDR first. */
export function totalsByMonth(totals: readonly MonthlyTotal[]): MonthTotals[] {
  const months = new Map<string, MonthlyTotal[]>()
  for (const total of totals) {
    const list = months.get(total.month) ?? []
    list.push(total)
    months.set(total.month, list)
  }
  return [...months.entries()]
    .sort(([a], [b]) => b.localeCompare(a))
    .map(([month, list]) => ({ month, totals: [...list].sort((a, b) => (a.currency === b.currency ? 0 : a.currency === 'IDR' ? -1 : b.currency === 'IDR' ? 1 : a.currency.localeCompare(b.currency))) }))
}

/** Over the whole filtered period: one line per currency. */
export function grandTotals(totals: readonly MonthlyTotal[]): MonthlyTotal[] {
  const byCurrency = new Map<string, MonthlyTotal>()
  for (const total of totals) {
    const sum = byCurrency.get(total.currency) ?? { month: '', currency: total.currency, sales: 0, quantity: 0, amount_minor: 0 }
    sum.sales += total.sales
    sum.quantity += total.quantity
    sum.amount_minor += total.amount_minor
    byCurrency.set(total.currency, sum)
  }
  return [...byCurrency.values()].sort((a, b) => (a.currency === 'IDR' ? -1 : b.currency === 'IDR' ? 1 : a.currency.localeCompare(b.currency)))
}

/**
 * The sales book (owner, business, finance): sales under a filter (kind, date range,
 * currency, search) with the server's totals per month and currency; add, correct, delete.
 * Changes re-read the book, since the totals move with them.
 */
export function useSales(api: ApiClient = defaultApi) {
  const filters = reactive<SaleFilters>({ kind: null, from: null, to: null, currency: null, q: '' })
  const items = ref<Sale[]>([])
  const totals = ref<MonthlyTotal[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const query: { kind?: SaleKind; from?: string; to?: string; currency?: string; q?: string } = {}
      if (filters.kind) query.kind = filters.kind
      if (filters.from) query.from = filters.from
      if (filters.to) query.to = filters.to
      if (filters.currency) query.currency = filters.currency
      const q = filters.q.trim()
      if (q) query.q = q
      const { data: answer, response } = await api.GET('/api/v1/sales', { params: { query } })
      const data = unwrap(answer, response)
      if (mine !== generation) return
      items.value = data.items
      totals.value = data.totals
      loaded.value = true
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  async function create(body: SaleInput): Promise<Sale> {
    const { data: answer, response } = await api.POST('/api/v1/sales', { body })
    const data = unwrap(answer, response)
    void load()
    return data
  }

  async function update(id: number, body: SaleInput): Promise<Sale> {
    const { data: answer, response } = await api.PUT('/api/v1/sales/{id}', { params: { path: { id } }, body })
    const data = unwrap(answer, response)
    void load()
    return data
  }

  /** Delete a sale; one already gone (404) leaves the list too. */
  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/sales/{id}', { params: { path: { id } } }))
    items.value = items.value.filter((s) => s.id !== id)
    void load()
  }

  const months = computed(() => totalsByMonth(totals.value))
  const overall = computed(() => grandTotals(totals.value))

  return { filters, items, totals, months, overall, loading, loaded, problem, load, create, update, remove }
}
