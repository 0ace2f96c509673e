import { describe, expect, it } from 'vitest'
import { gatewayDraft, gatewayInput } from './useGateways'

describe('a gateway form', () => {
  const view = {
    gateway: 'pakasir', enabled: true, base_url: 'https://app.pakasir.com', checkout_base_url: null, project: 'toko',
    instructions: null, secrets: { api_key: '••••abcd' }, webhook_path: '/api/v1/payments/webhooks/pakasir/t0k3n', updated_at: null,
  }

  it('starts from the stored settings with the secrets blank', () => {
    expect(gatewayDraft(view)).toEqual({ enabled: true, base_url: 'https://app.pakasir.com', checkout_base_url: '', project: 'toko', instructions: '', api_key: '', callback_token: '' })
  })

  it('sends the gateway own settings, blank ones as null, and only the secrets typed anew', () => {
    const draft = { ...gatewayDraft(view), checkout_base_url: ' ', callback_token: 'not-a-pakasir-field' }
    expect(gatewayInput('pakasir', draft)).toEqual({ enabled: true, base_url: 'https://app.pakasir.com', checkout_base_url: null, project: 'toko' })
    expect(gatewayInput('pakasir', { ...draft, api_key: ' new-key ' })).toMatchObject({ api_key: 'new-key' })
    expect(gatewayInput('manual', { ...gatewayDraft(null), enabled: true, instructions: 'BCA 123' })).toEqual({ enabled: true, instructions: 'BCA 123' })
  })
})
