import { api as defaultApi, ApiProblem, type ApiClient } from '../api/client'

/** Forgotten password: request an emailed link, then set a new password with its token. */
export function usePasswordReset(api: ApiClient = defaultApi) {
  /** Always 202, whether or not the address has an account. */
  async function requestReset(email: string): Promise<void> {
    const { response } = await api.POST('/api/v1/auth/password/forgot', { body: { email } })
    if (!response.ok) throw ApiProblem.unexpected(response)
  }

  async function resetPassword(token: string, newPassword: string): Promise<void> {
    const { response } = await api.POST('/api/v1/auth/password/reset', {
      body: { token, new_password: newPassword },
    })
    if (!response.ok) throw ApiProblem.unexpected(response)
  }

  return { requestReset, resetPassword }
}
