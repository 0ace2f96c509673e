import { ref, shallowRef } from 'vue'
import { api as defaultApi, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'
import type { ActionRequest, Service, ServiceView } from '../lib/provisioning'

export type OtpChallenge = components['schemas']['OtpChallenge']

/** The buyer's services, newest first (`GET /services`). */
export function useMyServices(api: ApiClient = defaultApi) {
  const services = shallowRef<Service[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/services')
      services.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
      loaded.value = true
    }
  }
  return { services, loading, loaded, problem, load }
}

/**
 * One of the buyer's services with what it can do: power actions, the emailed reinstall
 * code, the password shown once, asking the hypervisor for the power state now.
 */
export function useMyService(id: () => number, api: ApiClient = defaultApi) {
  const view = shallowRef<ServiceView | null>(null)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  const path = () => ({ params: { path: { id: id() } } })

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/services/{id}', path())
      view.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }
  async function act(body: ActionRequest): Promise<number> {
    const { data, response } = await api.POST('/api/v1/services/{id}/actions', { ...path(), body })
    return unwrap(data, response).run_id
  }
  async function sendReinstallCode(): Promise<OtpChallenge> {
    const { data, response } = await api.POST('/api/v1/services/{id}/reinstall-code', path())
    return unwrap(data, response)
  }
  async function revealPassword(): Promise<string> {
    const { data, response } = await api.POST('/api/v1/services/{id}/password', path())
    return unwrap(data, response).password
  }
  async function checkPower(): Promise<string> {
    const { data, response } = await api.POST('/api/v1/services/{id}/power', path())
    return unwrap(data, response).power_state
  }
  return { view, loading, problem, load, act, sendReinstallCode, revealPassword, checkPower }
}
