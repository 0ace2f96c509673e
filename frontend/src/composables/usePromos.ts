import { reactive } from 'vue'
import { api as defaultApi, deleteTolerating404, unwrap, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import { usePagedList } from './usePagedList'

export type PromoCode = components['schemas']['PromoCode']
export type PromoInput = components['schemas']['PromoInput']
export type DiscountKind = components['schemas']['DiscountKind']
export type VoucherBatchInput = components['schemas']['VoucherBatchInput']
export type VoucherBatch = components['schemas']['VoucherBatch']

export const DISCOUNT_KINDS = ['percent', 'fixed'] as const satisfies readonly DiscountKind[]
/** Fields a code can be refused for (`errors[].field` of a 422). */
export const PROMO_FIELDS = [
  'code', 'description', 'discount_kind', 'percent', 'amount_minor', 'currency', 'starts_at', 'ends_at',
  'max_uses', 'max_uses_per_user', 'recurring', 'active', 'product_ids', 'category_ids',
] as const
export const VOUCHER_FIELDS = ['prefix', 'count', 'batch', 'description', 'discount_kind', 'percent', 'amount_minor', 'currency', 'starts_at', 'ends_at', 'product_ids', 'category_ids'] as const

export interface PromoFilters {
  q: string
  batch: string
  /** null: active and inactive. */
  active: boolean | null
}

/** Promo codes and vouchers (owner, business): search, add, change, delete, generate a batch. */
export function usePromos(api: ApiClient = defaultApi) {
  const filters = reactive<PromoFilters>({ q: '', batch: '', active: null })
  const list = usePagedList(async (page, limit) => {
    const q = filters.q.trim()
    const batch = filters.batch.trim()
    const query = { page, limit, ...(q ? { q } : {}), ...(batch ? { batch } : {}), ...(filters.active === null ? {} : { active: filters.active }) }
    const { data, response } = await api.GET('/api/v1/staff/promo-codes', { params: { query } })
    return unwrap(data, response)
  })

  async function create(body: PromoInput): Promise<PromoCode> {
    const { data, response } = await api.POST('/api/v1/staff/promo-codes', { body })
    const code = unwrap(data, response)
    void list.load()
    return code
  }
  async function update(id: number, body: PromoInput): Promise<PromoCode> {
    const { data, response } = await api.PUT('/api/v1/staff/promo-codes/{id}', { params: { path: { id } }, body })
    const code = unwrap(data, response)
    void list.load()
    return code
  }
  /** Delete a code; one already gone (404) counts as done. A code orders used answers 409 `promo_in_use`. */
  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/staff/promo-codes/{id}', { params: { path: { id } } }))
    void list.load()
  }
  async function generate(body: VoucherBatchInput): Promise<VoucherBatch> {
    const { data, response } = await api.POST('/api/v1/staff/promo-codes/vouchers', { body })
    const batch = unwrap(data, response)
    void list.load()
    return batch
  }

  return { ...list, filters, create, update, remove, generate }
}
