import { ref, shallowRef } from 'vue'
import { api as defaultApi, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'

export type GatewayView = components['schemas']['GatewayView']
export type GatewayInput = components['schemas']['GatewayInput']
export type ConnectionTest = components['schemas']['ConnectionTest']

export const GATEWAYS = ['midtrans', 'xendit', 'pakasir', 'manual'] as const
export type Gateway = (typeof GATEWAYS)[number]

/** The settings each gateway takes (secrets included), in the order the form shows them. */
export const GATEWAY_FIELDS: Record<Gateway, ReadonlyArray<'base_url' | 'checkout_base_url' | 'project' | 'api_key' | 'callback_token' | 'instructions'>> = {
  midtrans: ['base_url', 'checkout_base_url', 'api_key'],
  xendit: ['base_url', 'api_key', 'callback_token'],
  pakasir: ['base_url', 'checkout_base_url', 'project', 'api_key'],
  manual: ['instructions'],
}
export const SECRET_FIELDS = ['api_key', 'callback_token'] as const

/** The form of one gateway: plain settings as stored, secrets blank (blank keeps the stored one). */
export interface GatewayDraft {
  enabled: boolean
  base_url: string
  checkout_base_url: string
  project: string
  instructions: string
  api_key: string
  callback_token: string
}

export function gatewayDraft(view: GatewayView | null): GatewayDraft {
  return {
    enabled: view?.enabled ?? false,
    base_url: view?.base_url ?? '',
    checkout_base_url: view?.checkout_base_url ?? '',
    project: view?.project ?? '',
    instructions: view?.instructions ?? '',
    api_key: '',
    callback_token: '',
  }
}

/**
 * What to send for a draft: the gateway's own settings (blank ones as null) and only the secrets
 * typed anew — a secret left blank is left out, so the stored one stays.
 */
export function gatewayInput(gateway: Gateway, draft: GatewayDraft): GatewayInput {
  const input: GatewayInput = { enabled: draft.enabled }
  for (const field of GATEWAY_FIELDS[gateway]) {
    const value = draft[field].trim()
    if ((SECRET_FIELDS as readonly string[]).includes(field)) {
      if (value) input[field] = value
    } else {
      input[field] = value || null
    }
  }
  return input
}

/** Payment gateways (owner and sysadmins change them; finance reads and tests). */
export function useGateways(api: ApiClient = defaultApi) {
  const gateways = shallowRef<GatewayView[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff/payment-gateways')
      gateways.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }
  async function save(gateway: Gateway, body: GatewayInput): Promise<GatewayView> {
    const { data, response } = await api.PUT('/api/v1/staff/payment-gateways/{gateway}', { params: { path: { gateway } }, body })
    const saved = unwrap(data, response)
    gateways.value = gateways.value.map((g) => (g.gateway === gateway ? saved : g))
    if (!gateways.value.some((g) => g.gateway === gateway)) gateways.value = [...gateways.value, saved]
    return saved
  }
  async function test(gateway: Gateway): Promise<ConnectionTest> {
    const { data, response } = await api.POST('/api/v1/staff/payment-gateways/{gateway}/test', { params: { path: { gateway } } })
    return unwrap(data, response)
  }
  return { gateways, loading, problem, load, save, test }
}
