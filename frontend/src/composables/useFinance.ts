import { reactive, ref, shallowRef } from 'vue'
import { api as defaultApi, expectOk, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'
import type { InvoiceStatus } from '../lib/billing'
import { fileNameOf } from './useHosts'
import { usePagedList } from './usePagedList'

export type StaffInvoice = components['schemas']['StaffInvoice']
export type CreditNote = components['schemas']['CreditNote']
export type RefundInput = components['schemas']['RefundInput']
export type RefundDestination = components['schemas']['RefundDestination']
export type ReceivedPayment = components['schemas']['ReceivedPayment']
export type ManualPayment = components['schemas']['ManualPayment']
export type PaymentFlag = components['schemas']['PaymentFlag']
export type BillingSettings = components['schemas']['BillingSettings']
export type BillingSettingsInput = components['schemas']['BillingSettingsInput']

export const REFUND_DESTINATIONS = ['wallet', 'paid_out'] as const satisfies readonly RefundDestination[]

export interface InvoiceFilters {
  status: InvoiceStatus | null
  /** `YYYY-MM-DD`, inclusive (shop time). */
  from: string | null
  to: string | null
  q: string
}

/** The filters as the list and the export take them (blank ones left out). */
export function invoiceQuery(filters: InvoiceFilters) {
  const q = filters.q.trim()
  return {
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.from ? { from: filters.from } : {}),
    ...(filters.to ? { to: filters.to } : {}),
    ...(q ? { q } : {}),
  }
}

/**
 * Every invoice of the shop (owner, finance) under a filter, a page at a time; one in full (its
 * payments and credit notes); the filtered list as an .xlsx; a refund as a credit note.
 */
export function useStaffInvoices(api: ApiClient = defaultApi) {
  const filters = reactive<InvoiceFilters>({ status: null, from: null, to: null, q: '' })
  const list = usePagedList(async (page, limit) => {
    const { data, response } = await api.GET('/api/v1/staff/invoices', { params: { query: { ...invoiceQuery(filters), page, limit } } })
    return unwrap(data, response)
  })

  async function detail(id: number): Promise<StaffInvoice> {
    const { data, response } = await api.GET('/api/v1/staff/invoices/{id}', { params: { path: { id } } })
    return unwrap(data, response)
  }

  async function exportWorkbook(): Promise<{ blob: Blob; fileName: string }> {
    const { data, response } = await api.GET('/api/v1/staff/invoices/export', { params: { query: invoiceQuery(filters) }, parseAs: 'blob' })
    return { blob: unwrap(data, response) as unknown as Blob, fileName: fileNameOf(response, 'invoices.xlsx') }
  }

  async function refund(id: number, body: RefundInput): Promise<CreditNote> {
    const { data, response } = await api.POST('/api/v1/staff/invoices/{id}/refunds', { params: { path: { id } }, body })
    const note = unwrap(data, response)
    void list.load()
    return note
  }

  return { ...list, filters, detail, exportWorkbook, refund }
}

/** Money received (every method), newest first, by method and date. */
export function useReceivedPayments(api: ApiClient = defaultApi) {
  const filters = reactive<{ method: string | null; from: string | null; to: string | null }>({ method: null, from: null, to: null })
  const items = ref<ReceivedPayment[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  async function load(): Promise<void> {
    loading.value = true
    try {
      const query = {
        limit: 200,
        ...(filters.method ? { method: filters.method } : {}),
        ...(filters.from ? { from: filters.from } : {}),
        ...(filters.to ? { to: filters.to } : {}),
      }
      const { data, response } = await api.GET('/api/v1/staff/payments', { params: { query } })
      items.value = unwrap(data, response)
      loaded.value = true
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }
  return { filters, items, loading, loaded, problem, load }
}

/** Bank transfers waiting for finance: the proof image, then confirm (with the bank's reference) or reject (with the reason). */
export function useManualPayments(api: ApiClient = defaultApi) {
  const open = ref(true)
  const items = ref<ManualPayment[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff/manual-payments', { params: { query: { open: open.value } } })
      items.value = unwrap(data, response)
      loaded.value = true
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }
  async function proof(id: number): Promise<Blob> {
    const { data, response } = await api.GET('/api/v1/staff/manual-payments/{id}/proof', { params: { path: { id } }, parseAs: 'blob' })
    return unwrap(data, response) as unknown as Blob
  }
  async function confirm(id: number, note: string) {
    const { data, response } = await api.POST('/api/v1/staff/manual-payments/{id}/confirm', { params: { path: { id } }, body: { note } })
    const decided = unwrap(data, response)
    void load()
    return decided
  }
  async function reject(id: number, note: string) {
    const { data, response } = await api.POST('/api/v1/staff/manual-payments/{id}/reject', { params: { path: { id } }, body: { note } })
    const decided = unwrap(data, response)
    void load()
    return decided
  }
  return { open, items, loading, loaded, problem, load, proof, confirm, reject }
}

/** Payments that did not match their invoice (partial, over, late, reversed…), to look into and resolve. */
export function usePaymentFlags(api: ApiClient = defaultApi) {
  const open = ref(true)
  const items = ref<PaymentFlag[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff/payment-flags', { params: { query: { open: open.value } } })
      items.value = unwrap(data, response)
      loaded.value = true
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }
  async function resolve(id: number): Promise<void> {
    const { response } = await api.POST('/api/v1/staff/payment-flags/{id}/resolve', { params: { path: { id } } })
    expectOk(response)
    void load()
  }
  return { open, items, loading, loaded, problem, load, resolve }
}

/** The shop's billing settings: PPN, order timeout, the seller on invoices, bank instructions. */
export function useBillingSettings(api: ApiClient = defaultApi) {
  async function read(): Promise<BillingSettings> {
    const { data, response } = await api.GET('/api/v1/staff/billing-settings')
    return unwrap(data, response)
  }
  async function save(body: BillingSettingsInput): Promise<BillingSettings> {
    const { data, response } = await api.PUT('/api/v1/staff/billing-settings', { body })
    return unwrap(data, response)
  }
  return { read, save }
}
