import { shallowRef } from 'vue'
import { api as defaultApi, expectOk, unwrap, type ApiClient } from '../api/client'
import type { PlanChange, PlanQuote } from '../lib/planChange'

/**
 * One service's plan changes: the other plans with what each costs today, the changes asked for
 * (newest first), asking for one and — the client — withdrawing an upgrade that waits for its
 * payment. `scope` picks the client's own endpoints or staff's (owner, finance, business).
 */
export function usePlanChange(serviceId: () => number, scope: 'client' | 'staff', api: ApiClient = defaultApi) {
  const options = shallowRef<PlanQuote[]>([])
  const changes = shallowRef<PlanChange[]>([])
  const path = () => ({ params: { path: { id: serviceId() } } })

  async function loadOptions(): Promise<PlanQuote[]> {
    const { data, response } =
      scope === 'client' ? await api.GET('/api/v1/services/{id}/plan-options', path()) : await api.GET('/api/v1/staff/services/{id}/plan-options', path())
    options.value = unwrap(data, response)
    return options.value
  }

  async function loadChanges(): Promise<PlanChange[]> {
    const { data, response } =
      scope === 'client' ? await api.GET('/api/v1/services/{id}/plan-changes', path()) : await api.GET('/api/v1/staff/services/{id}/plan-changes', path())
    changes.value = unwrap(data, response)
    return changes.value
  }

  async function change(productId: number): Promise<PlanChange> {
    const body = { product_id: productId }
    const { data, response } =
      scope === 'client'
        ? await api.POST('/api/v1/services/{id}/plan-changes', { ...path(), body })
        : await api.POST('/api/v1/staff/services/{id}/plan-changes', { ...path(), body })
    return unwrap(data, response)
  }

  async function withdraw(): Promise<void> {
    const { response } = await api.DELETE('/api/v1/services/{id}/plan-changes/pending', path())
    expectOk(response)
  }

  return { options, changes, loadOptions, loadChanges, change, withdraw }
}
