import { ref, shallowRef } from 'vue'
import { api as defaultApi, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { Invoice, PaymentAttempt, PaymentMethod, PaymentMethodInfo } from '../lib/billing'
import { fileNameOf } from './useHosts'
import { usePagedList } from './usePagedList'

/** Image types a transfer proof may be, and its largest size (the server's limits). */
export const PROOF_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const
export const PROOF_MAX_BYTES = 2 * 1024 * 1024

/** The signed-in buyer's invoices, newest first, a page at a time. */
export function useMyInvoices(api: ApiClient = defaultApi) {
  return usePagedList(async (page, limit) => {
    const { data, response } = await api.GET('/api/v1/invoices', { params: { query: { page, limit } } })
    return unwrap(data, response)
  })
}

/** The ways to pay the shop offers now (public: the checkout shows them before sign-in too). */
export function usePaymentMethods(api: ApiClient = defaultApi) {
  const methods = shallowRef<PaymentMethodInfo[]>([])
  const problem = shallowRef<ApiProblem | null>(null)
  async function load(): Promise<void> {
    try {
      const { data, response } = await api.GET('/api/v1/payment-methods')
      methods.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    }
  }
  return { methods, problem, load }
}

/**
 * One of the buyer's invoices and its payment: start one with a method, read or re-check an
 * attempt (the server asks the gateway), and upload a transfer proof for a manual payment.
 */
export function useMyInvoice(id: () => number, api: ApiClient = defaultApi) {
  const invoice = shallowRef<Invoice | null>(null)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/invoices/{id}', { params: { path: { id: id() } } })
      invoice.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function pay(method: PaymentMethod): Promise<PaymentAttempt> {
    const { data, response } = await api.POST('/api/v1/invoices/{id}/payments', { params: { path: { id: id() } }, body: { method } })
    return unwrap(data, response)
  }

  async function check(attemptId: number): Promise<PaymentAttempt> {
    const { data, response } = await api.POST('/api/v1/payments/{id}/check', { params: { path: { id: attemptId } } })
    return unwrap(data, response)
  }

  async function attempt(attemptId: number): Promise<PaymentAttempt> {
    const { data, response } = await api.GET('/api/v1/payments/{id}', { params: { path: { id: attemptId } } })
    return unwrap(data, response)
  }

  /** The image's bytes as the body, typed by its own type (png, jpeg, webp). */
  async function uploadProof(attemptId: number, file: Blob): Promise<PaymentAttempt> {
    const bytes = new Uint8Array(await file.arrayBuffer())
    const { data, response } = await api.POST('/api/v1/payments/{id}/proof', {
      params: { path: { id: attemptId } },
      // The raw bytes as the body: the spec types it as `number[]` (a `Vec<u8>` body).
      body: bytes as unknown as number[],
      bodySerializer: (body: unknown) => body,
      headers: { 'Content-Type': file.type },
    })
    return unwrap(data, response)
  }

  /** The printable invoice as a PDF (made by the server), in the page's language. */
  async function pdf(lang: 'id' | 'en'): Promise<{ blob: Blob; fileName: string }> {
    const { data, response } = await api.GET('/api/v1/invoices/{id}/document.pdf', {
      params: { path: { id: id() }, query: { lang } },
      parseAs: 'blob',
    })
    return { blob: unwrap(data, response) as unknown as Blob, fileName: fileNameOf(response, `${invoice.value?.number ?? 'invoice'}.pdf`) }
  }

  return { invoice, loading, problem, load, pay, check, attempt, uploadProof, pdf }
}
