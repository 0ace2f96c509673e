import { ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type ApiToken = components['schemas']['ApiToken']
export type CreatedApiToken = components['schemas']['CreatedApiToken']
export type CreateApiTokenRequest = components['schemas']['CreateApiTokenRequest']

/** Expiry choices offered, in days; the server caps a token at the end of the sign-in session that makes it. */
export const EXPIRY_CHOICES = [7, 30, 90, 365] as const
export const DEFAULT_EXPIRY_DAYS = 90

/** The server wants the password again: the sign-in is older than 5 minutes. */
export function needsStepUp(problem: ApiProblem | null | undefined): boolean {
  return problem?.code === 'step_up_required'
}

/**
 * The create request: the password only when the step-up asked for it, so a fresh sign-in
 * never sends it.
 */
export function createRequest(
  form: { name: string; roles: CreateApiTokenRequest['roles']; expiresInDays: number },
  currentPassword: string | null,
): CreateApiTokenRequest {
  const body: CreateApiTokenRequest = { name: form.name.trim(), roles: form.roles, expires_in_days: form.expiresInDays }
  if (currentPassword) body.current_password = currentPassword
  return body
}

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

/** A staff member's API tokens, for the owner: list and revoke. */
export function useStaffApiTokens(api: ApiClient = defaultApi) {
  const tokens = ref<ApiToken[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load(memberId: string): Promise<void> {
    loading.value = true
    tokens.value = []
    try {
      const { data, response } = await api.GET('/api/v1/staff/{id}/api-tokens', { params: { path: { id: memberId } } })
      if (!data) throw ApiProblem.unexpected(response)
      tokens.value = data
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function revoke(memberId: string, tokenId: string): Promise<void> {
    const { response } = await api.DELETE('/api/v1/staff/{id}/api-tokens/{token_id}', {
      params: { path: { id: memberId, token_id: tokenId } },
    })
    if (!response.ok) throw ApiProblem.unexpected(response)
    tokens.value = tokens.value.map((t) => (t.id === tokenId ? { ...t, revoked: true } : t))
  }

  return { tokens, loading, problem, load, revoke }
}
