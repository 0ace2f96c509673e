import { ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type StatusPage = components['schemas']['StatusPage']
export type PublicHostStatus = components['schemas']['PublicHostStatus']

/**
 * The public status page (no sign-in): the hosts staff made public. A failed re-read keeps
 * the last answer on screen with the problem beside it.
 */
export function useStatusPage(api: ApiClient = defaultApi) {
  const page = shallowRef<StatusPage | null>(null)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load(): Promise<void> {
    if (loading.value) return
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/status')
      if (!data) throw ApiProblem.unexpected(response)
      page.value = data
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  return { page, loading, problem, load }
}
