import { computed, ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type Session = components['schemas']['Session']

/** The signed-in user's sessions (one per device / browser); others can be revoked. */
export function useSessions(api: ApiClient = defaultApi) {
  const sessions = ref<Session[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  const others = computed(() => sessions.value.filter((s) => !s.current))

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/account/sessions')
      if (!data) throw ApiProblem.unexpected(response)
      sessions.value = data
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function revoke(id: string): Promise<void> {
    const { response } = await api.DELETE('/api/v1/account/sessions/{id}', { params: { path: { id } } })
    if (!response.ok) throw ApiProblem.unexpected(response)
    sessions.value = sessions.value.filter((s) => s.id !== id)
  }

  /** Sign out every other device. */
  async function revokeOthers(): Promise<void> {
    for (const s of others.value) await revoke(s.id)
  }

  return { sessions, others, loading, problem, load, revoke, revokeOthers }
}
