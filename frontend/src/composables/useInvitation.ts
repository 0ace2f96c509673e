import { api as defaultApi, ApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type AcceptInvitationRequest = components['schemas']['AcceptInvitationRequest']

/** A staff invitation: the invited person picks their name and password. */
export function useInvitation(api: ApiClient = defaultApi) {
  async function acceptInvitation(body: AcceptInvitationRequest): Promise<void> {
    const { response } = await api.POST('/api/v1/auth/invitations/accept', { body })
    if (!response.ok) throw ApiProblem.unexpected(response)
  }

  return { acceptInvitation }
}
