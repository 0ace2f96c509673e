import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRequest, DEFAULT_EXPIRY_DAYS, EXPIRY_CHOICES, needsStepUp, useApiTokens, useStaffApiTokens } from './useApiTokens'
import { toApiProblem } from '../api/client'
import { calls, mockFetch, problem } from '../test/fetch'

function token(id: string, revoked = false) {
  return {
    id,
    name: `token ${id}`,
    prefix: 'jrg_abcdef',
    roles: ['finance'],
    created_at: '2026-01-01T00:00:00Z',
    last_used_at: null,
    expires_at: '2026-01-31T00:00:00Z',
    revoked,
  }
}

describe('API token creation', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('offers expiries of at most a year, 90 days by default', () => {
    expect(EXPIRY_CHOICES).toContain(DEFAULT_EXPIRY_DAYS)
    expect(Math.max(...EXPIRY_CHOICES)).toBe(365)
  })

  it('sends the password only once the step-up asked for it', () => {
    const form = { name: ' sync ', roles: ['finance' as const], expiresInDays: 30 }
    expect(createRequest(form, null)).toEqual({ name: 'sync', roles: ['finance'], expires_in_days: 30 })
    expect(createRequest(form, 'rahasia')).toEqual({ name: 'sync', roles: ['finance'], expires_in_days: 30, current_password: 'rahasia' })
  })

  it('recognises the step-up answer, then creates with the password', async () => {
    let sent: Record<string, unknown> = {}
    const fetch = mockFetch({
      'POST /api/v1/account/api-tokens': async (request) => {
        sent = await request.json()
        if (!sent.current_password) return problem(403, 'step_up_required')
        return { status: 201, body: { token: token('t1'), secret: 'jrg_secret' } }
      },
    })
    const tokens = useApiTokens()
    const refused = await tokens.create(createRequest({ name: 'sync', roles: ['finance'], expiresInDays: 90 }, null)).catch(toApiProblem)
    expect(needsStepUp(refused as ReturnType<typeof toApiProblem>)).toBe(true)
    expect(needsStepUp(toApiProblem(new Error('offline')))).toBe(false)
    const created = await tokens.create(createRequest({ name: 'sync', roles: ['finance'], expiresInDays: 90 }, 'rahasia'))
    expect(created.secret).toBe('jrg_secret')
    expect(sent.current_password).toBe('rahasia')
    expect(tokens.tokens.value.map((t) => t.id)).toEqual(['t1'])
    expect(calls(fetch)).toEqual(['POST /api/v1/account/api-tokens', 'POST /api/v1/account/api-tokens'])
  })
})

describe('useStaffApiTokens', () => {
  afterEach(() => vi.unstubAllGlobals())

  it("lists a member's tokens and revokes one by the member's path", async () => {
    const fetch = mockFetch({
      'GET /api/v1/staff/m1/api-tokens': { body: [token('t1'), token('t2', true)] },
      'DELETE /api/v1/staff/m1/api-tokens/t1': { status: 204 },
    })
    const staffTokens = useStaffApiTokens()
    await staffTokens.load('m1')
    expect(staffTokens.tokens.value.map((t) => t.revoked)).toEqual([false, true])
    await staffTokens.revoke('m1', 't1')
    expect(staffTokens.tokens.value.map((t) => t.revoked)).toEqual([true, true])
    expect(calls(fetch)).toEqual(['GET /api/v1/staff/m1/api-tokens', 'DELETE /api/v1/staff/m1/api-tokens/t1'])
  })

  it('keeps the problem when the member is not staff', async () => {
    mockFetch({ 'GET /api/v1/staff/nobody/api-tokens': problem(404, 'not_found') })
    const staffTokens = useStaffApiTokens()
    await staffTokens.load('nobody')
    expect(staffTokens.problem.value?.code).toBe('not_found')
    expect(staffTokens.tokens.value).toEqual([])
  })
})
