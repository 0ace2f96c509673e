import { api as defaultApi, unwrap, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import type { CheckoutRequest, Quote } from '../lib/billing'

export type CheckoutOutcome = components['schemas']['CheckoutOutcome']

/** Price a checkout without placing it, and place it (with its Idempotency-Key). */
export function useCheckout(api: ApiClient = defaultApi) {
  async function quote(body: CheckoutRequest): Promise<Quote> {
    const { data, response } = await api.POST('/api/v1/orders/quote', { body })
    return unwrap(data, response)
  }

  async function place(body: CheckoutRequest, idempotencyKey: string): Promise<CheckoutOutcome> {
    const { data, response } = await api.POST('/api/v1/orders', { params: { header: { 'Idempotency-Key': idempotencyKey } }, body })
    return unwrap(data, response)
  }

  return { quote, place }
}
