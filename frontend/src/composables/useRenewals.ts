import { ref, shallowRef } from 'vue'
import { api as defaultApi, expectOk, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { BillingPreferences, Cancellation, CancellationRequest, Renewal } from '../lib/lifecycle'

/**
 * The buyer's recurring services, soonest due first (`GET /renewals`): each with its open
 * renewal invoice and pending cancellation; cancelling one (at once or at the end of the
 * period) and taking that back; and the wallet preference (renewal invoices paid at once from
 * the wallet when it covers them).
 */
export function useRenewals(api: ApiClient = defaultApi) {
  const renewals = shallowRef<Renewal[]>([])
  const preferences = shallowRef<BillingPreferences | null>(null)
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/renewals')
      renewals.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
      loaded.value = true
    }
  }

  async function loadPreferences(): Promise<void> {
    const { data, response } = await api.GET('/api/v1/account/billing-preferences')
    preferences.value = unwrap(data, response)
  }

  async function setAutoPay(on: boolean): Promise<BillingPreferences> {
    const { data, response } = await api.PUT('/api/v1/account/billing-preferences', { body: { apply_wallet_to_renewals: on } })
    preferences.value = unwrap(data, response)
    return preferences.value
  }

  async function cancel(serviceId: number, body: CancellationRequest): Promise<Cancellation> {
    const { data, response } = await api.POST('/api/v1/services/{id}/cancellation', { params: { path: { id: serviceId } }, body })
    return unwrap(data, response)
  }

  async function withdraw(serviceId: number): Promise<void> {
    const { response } = await api.DELETE('/api/v1/services/{id}/cancellation', { params: { path: { id: serviceId } } })
    expectOk(response)
  }

  return { renewals, preferences, loading, loaded, problem, load, loadPreferences, setAutoPay, cancel, withdraw }
}
