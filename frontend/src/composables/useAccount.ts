import { computed } from 'vue'
import { api as defaultApi, ApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import { useSessionStore, type Account, type OtpChallenge } from '../stores/session'

export type Profile = components['schemas']['Profile']
export type BillingAddress = components['schemas']['BillingAddress']
export type UpdateProfileRequest = components['schemas']['UpdateProfileRequest']
export type UpdateBillingAddressRequest = components['schemas']['UpdateBillingAddressRequest']

/**
 * The signed-in user's own account: profile, billing address, password and 2FA. The Account
 * itself lives in the session store (the header and the guards read it too); every update
 * the API answers with a fresh Account replaces it there.
 */
export function useAccount(api: ApiClient = defaultApi) {
  const session = useSessionStore()
  const account = computed(() => session.account)

  async function reload(): Promise<Account> {
    return session.loadAccount()
  }

  async function updateProfile(body: UpdateProfileRequest): Promise<Account> {
    const { data, response } = await api.PUT('/api/v1/account/profile', { body })
    if (!data) throw ApiProblem.unexpected(response)
    session.setAccount(data)
    return data
  }

  async function updateBillingAddress(body: UpdateBillingAddressRequest): Promise<Account> {
    const { data, response } = await api.PUT('/api/v1/account/billing-address', { body })
    if (!data) throw ApiProblem.unexpected(response)
    session.setAccount(data)
    return data
  }

  /** Other sessions end at once; the API tokens are revoked unless `keepApiTokens`. */
  async function changePassword(currentPassword: string, newPassword: string, keepApiTokens = false): Promise<void> {
    const { response } = await api.POST('/api/v1/account/password', {
      body: { current_password: currentPassword, new_password: newPassword, keep_api_tokens: keepApiTokens },
    })
    if (!response.ok) throw ApiProblem.unexpected(response)
  }

  /** Email a code that confirms turning 2FA on or off. */
  async function requestOtpChallenge(): Promise<OtpChallenge> {
    const { data, response } = await api.POST('/api/v1/account/otp/challenge')
    if (!data) throw ApiProblem.unexpected(response)
    return data
  }

  /** Turn 2FA on or off with the emailed code (staff cannot turn it off: 403 `otp_required_for_staff`). */
  async function setOtp(enabled: boolean, challengeId: string, code: string): Promise<Account> {
    const { data, response } = await api.PUT('/api/v1/account/otp', {
      body: { enabled, challenge_id: challengeId, code },
    })
    if (!data) throw ApiProblem.unexpected(response)
    session.setAccount(data)
    return data
  }

  return { account, reload, updateProfile, updateBillingAddress, changePassword, requestOtpChallenge, setOtp }
}
