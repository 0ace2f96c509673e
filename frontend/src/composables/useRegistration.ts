import { api as defaultApi, ApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type RegisterRequest = components['schemas']['RegisterRequest']
export type RegisterResponse = components['schemas']['RegisterResponse']

/** Registration and email verification (public, no token). */
export function useRegistration(api: ApiClient = defaultApi) {
  async function register(body: RegisterRequest): Promise<RegisterResponse> {
    const { data, response } = await api.POST('/api/v1/auth/register', { body })
    if (!data) throw ApiProblem.unexpected(response)
    return data
  }

  async function verifyEmail(email: string, code: string): Promise<void> {
    const { response } = await api.POST('/api/v1/auth/verify-email', { body: { email, code } })
    if (!response.ok) throw ApiProblem.unexpected(response)
  }

  /** Always 202 (does not reveal whether the account exists); 429 during the cooldown. */
  async function resendVerification(email: string): Promise<void> {
    const { response } = await api.POST('/api/v1/auth/verify-email/resend', { body: { email } })
    if (!response.ok) throw ApiProblem.unexpected(response)
  }

  return { register, verifyEmail, resendVerification }
}
