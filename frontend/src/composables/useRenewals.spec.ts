import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApiClient } from '../api/client'
import { flush, mockFetch, problem } from '../test/fetch'
import { useRenewals } from './useRenewals'
import { useLifecycleAutomation, useProductLifecycle, useServiceLifecycle } from './useLifecycle'

const api = () => createApiClient('http://localhost', { auth: () => null })

describe('useRenewals', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('loads the renewals, keeps a problem instead of throwing, and reads the preference', async () => {
    mockFetch({
      'GET /api/v1/renewals': problem(503, 'service_unavailable'),
      'GET /api/v1/account/billing-preferences': { body: { apply_wallet_to_renewals: true } },
    })
    const r = useRenewals(api())
    await r.load()
    expect(r.problem.value?.code).toBe('service_unavailable')
    expect(r.loaded.value).toBe(true)
    await r.loadPreferences()
    expect(r.preferences.value).toEqual({ apply_wallet_to_renewals: true })
  })

  it('sends cancellations and their withdrawal to the service, and the switch to the account', async () => {
    const bodies: Record<string, unknown> = {}
    const fetch = mockFetch({
      'POST /api/v1/services/7/cancellation': async (request) => {
        bodies.cancel = await request.json()
        return { body: { service_id: 7, requested_at: '2026-12-06T03:00:00Z', cancel_on: '2026-12-06', reason: null, carried_out: true } }
      },
      'DELETE /api/v1/services/7/cancellation': { status: 204 },
      'PUT /api/v1/account/billing-preferences': async (request) => {
        bodies.prefs = await request.json()
        return { body: bodies.prefs }
      },
    })
    const r = useRenewals(api())
    const done = await r.cancel(7, { when: 'immediately' })
    expect(done.carried_out).toBe(true)
    await r.withdraw(7)
    await r.setAutoPay(false)
    expect(bodies).toEqual({ cancel: { when: 'immediately' }, prefs: { apply_wallet_to_renewals: false } })
    expect(r.preferences.value).toEqual({ apply_wallet_to_renewals: false })
    expect(fetch).toHaveBeenCalledTimes(3)
  })

  it('refuses a withdrawal the server refuses', async () => {
    mockFetch({ 'DELETE /api/v1/services/7/cancellation': problem(409, 'cancellation_underway') })
    await expect(useRenewals(api()).withdraw(7)).rejects.toMatchObject({ code: 'cancellation_underway' })
  })
})

describe('useLifecycle', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('asks for 50 sweeps and the chosen days of preview (the default when the box is cleared)', async () => {
    const urls: URL[] = []
    mockFetch({
      'GET /api/v1/staff/lifecycle/sweeps': (request) => {
        urls.push(new URL(request.url))
        return { body: [] }
      },
      'GET /api/v1/staff/lifecycle/preview': (request) => {
        urls.push(new URL(request.url))
        return { body: [] }
      },
    })
    const a = useLifecycleAutomation(api())
    await a.loadLog()
    await a.loadPreview()
    a.days.value = null
    await a.loadPreview()
    a.days.value = 31
    await a.loadPreview()
    expect(urls.map((u) => `${u.pathname.split('/').pop()}?${u.searchParams}`)).toEqual(['sweeps?limit=50', 'preview?days=7', 'preview?days=7', 'preview?days=31'])
  })

  it('puts product terms, resets them with DELETE, and overrides a service (204)', async () => {
    const seen: string[] = []
    const terms = { product_id: 3, own: true, renew_days_before: 10, suspend_after_days: 3, terminate_after_days: 15, late_fee_minor: 0 }
    mockFetch({
      'PUT /api/v1/staff/catalog/products/3/lifecycle': (r) => (seen.push(r.method), { body: terms }),
      'DELETE /api/v1/staff/catalog/products/3/lifecycle': (r) => (seen.push(r.method), { body: { ...terms, own: false } }),
      'PUT /api/v1/staff/services/9/lifecycle': (r) => (seen.push(`${r.method} service`), { status: 204 }),
    })
    const product = useProductLifecycle(api())
    expect((await product.save(3, { renew_days_before: 10, suspend_after_days: 3, terminate_after_days: 15, late_fee_minor: 0 })).own).toBe(true)
    expect((await product.reset(3)).own).toBe(false)
    await useServiceLifecycle(() => 9, api()).override({ reason: 'janji bayar', extended_until: '2026-12-20' })
    await flush()
    expect(seen).toEqual(['PUT', 'DELETE', 'PUT service'])
  })
})
