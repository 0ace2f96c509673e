import { ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type ApiToken = components['schemas']['ApiToken']
export type CreatedApiToken = components['schemas']['CreatedApiToken']
export type CreateApiTokenRequest = components['schemas']['CreateApiTokenRequest']

/** Personal API tokens for integrators; the secret is only ever in the create answer. */
export function useApiTokens(api: ApiClient = defaultApi) {
  const tokens = ref<ApiToken[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/account/api-tokens')
      if (!data) throw ApiProblem.unexpected(response)
      tokens.value = data
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function create(body: CreateApiTokenRequest): Promise<CreatedApiToken> {
    const { data, response } = await api.POST('/api/v1/account/api-tokens', { body })
    if (!data) throw ApiProblem.unexpected(response)
    tokens.value = [data.token, ...tokens.value.filter((t) => t.id !== data.token.id)]
    return data
  }

  async function revoke(id: string): Promise<void> {
    const { response } = await api.DELETE('/api/v1/account/api-tokens/{id}', { params: { path: { id } } })
    if (!response.ok) throw ApiProblem.unexpected(response)
    tokens.value = tokens.value.map((t) => (t.id === id ? { ...t, revoked: true } : t))
  }

  return { tokens, loading, problem, load, create, revoke }
}
