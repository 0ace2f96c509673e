import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { api } from '../api/client'
import { SESSION_MARKER_COOKIE, SIGNED_OUT_SIGNAL_KEY, safeRedirect, useSessionStore } from './session'
import { calls, flush, mockFetch, problem } from '../test/fetch'
import { account, challenge, tokenPair } from '../test/identity'

describe('session store', () => {
  beforeEach(() => {
    localStorage.clear()
    document.cookie = `${SESSION_MARKER_COOKIE}=; max-age=0; path=/`
    setActivePinia(createPinia())
  })

  it('login → authenticated: access token in memory only, nothing in storage, account loaded', async () => {
    const sent: unknown[] = []
    const fetch = mockFetch({
      'POST /api/v1/auth/login': async (r) => {
        sent.push(await r.json())
        return { body: { status: 'authenticated', tokens: tokenPair(1), otp_challenge: null } }
      },
      'GET /api/v1/account': (r) =>
        r.headers.get('authorization') === 'Bearer access-1' ? { body: account(['client']) } : problem(401, 'unauthorized'),
    })
    const session = useSessionStore()
    const outcome = await session.login('budi@example.test', 'correct horse battery')

    expect(outcome.status).toBe('authenticated')
    expect(session.isAuthenticated).toBe(true)
    expect(session.accessToken).toBe('access-1')
    expect(localStorage.length).toBe(0)
    expect(sent).toEqual([{ email: 'budi@example.test', password: 'correct horse battery' }]) // refresh token: cookie
    expect(session.roles).toEqual(['client'])
    expect(session.isStaff).toBe(false)
    expect(session.displayName).toBe('Budi Santoso')
    expect(session.landingPath()).toBe('/client')
    expect(session.landingPath('/client/account?tab=security')).toBe('/client/account?tab=security')
    expect(calls(fetch)).toEqual(['POST /api/v1/auth/login', 'GET /api/v1/account'])
  })

  it('login → otp_required: no tokens until verifyOtp, then a staff session landing on /staff', async () => {
    const fetch = mockFetch({
      'POST /api/v1/auth/login': { body: { status: 'otp_required', tokens: null, otp_challenge: challenge() } },
      'POST /api/v1/auth/login/otp': async (r) => {
        const body = (await r.json()) as { challenge_id: string; code: string }
        return body.challenge_id === 'ch-1' && body.code === '123456' ? { body: tokenPair(2) } : problem(422, 'otp_invalid')
      },
      'GET /api/v1/account': { body: account(['finance']) },
    })
    const session = useSessionStore()
    const outcome = await session.login('finance@example.test', 'correct horse battery')

    expect(outcome).toEqual({ status: 'otp_required', challenge: challenge() })
    expect(session.isAuthenticated).toBe(false)

    await expect(session.verifyOtp('ch-1', '000000')).rejects.toMatchObject({ code: 'otp_invalid' })
    expect(session.isAuthenticated).toBe(false)

    await session.verifyOtp('ch-1', '123456')
    expect(session.isAuthenticated).toBe(true)
    expect(session.isStaff).toBe(true)
    expect(session.isOwner).toBe(false)
    expect(session.landingPath()).toBe('/staff')
    expect(localStorage.length).toBe(0)
    expect(calls(fetch).filter((c) => c === 'POST /api/v1/auth/login/otp')).toHaveLength(2)
  })

  it('refresh is single-flight: concurrent callers share one POST /auth/refresh, sent with the cookie', async () => {
    const fetch = mockFetch({
      'POST /api/v1/auth/refresh': async (r) => {
        const body = await r.text()
        await new Promise((done) => setTimeout(done, 10))
        // No token in the body: the browser attaches the HttpOnly cookie (same origin).
        return body === '' && r.credentials !== 'omit' ? { body: tokenPair(2) } : problem(401, 'unauthorized')
      },
    })
    const session = useSessionStore()
    const results = await Promise.all([session.refresh(), session.refresh(), session.refresh()])

    expect(results).toEqual([true, true, true])
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(session.accessToken).toBe('access-2')
    expect(localStorage.length).toBe(0)
  })

  it('concurrent 401s from the API trigger one refresh, then every request is replayed', async () => {
    const session = useSessionStore()
    session.$patch({ accessToken: 'access-1' })
    const fetch = mockFetch({
      'POST /api/v1/auth/refresh': async () => {
        await new Promise((done) => setTimeout(done, 10))
        return { body: tokenPair(2) }
      },
      'GET /api/v1/account': (r) =>
        r.headers.get('authorization') === 'Bearer access-2' ? { body: account() } : problem(401, 'unauthorized'),
      'GET /api/v1/account/sessions': (r) =>
        r.headers.get('authorization') === 'Bearer access-2' ? { body: [] } : problem(401, 'unauthorized'),
    })
    const [a, b, c] = await Promise.all([
      api.GET('/api/v1/account'),
      api.GET('/api/v1/account/sessions'),
      api.GET('/api/v1/account'),
    ])
    expect(a.data?.email).toBe('budi@example.test')
    expect(b.data).toEqual([])
    expect(c.data?.email).toBe('budi@example.test')
    expect(calls(fetch).filter((x) => x === 'POST /api/v1/auth/refresh')).toHaveLength(1)
    expect(fetch).toHaveBeenCalledTimes(7) // 3 × 401, 1 refresh, 3 replays
  })

  it('a refused refresh clears the session', async () => {
    mockFetch({ 'POST /api/v1/auth/refresh': problem(401, 'unauthorized') })
    const session = useSessionStore()
    session.$patch({ accessToken: 'access-1', account: account() })
    expect(await session.refresh()).toBe(false)
    expect(session.accessToken).toBeNull()
    expect(session.account).toBeNull()
  })

  it('keeps the session when the server cannot be reached or fails (5xx)', async () => {
    mockFetch({ 'POST /api/v1/auth/refresh': new TypeError('Failed to fetch') })
    const session = useSessionStore()
    session.$patch({ accessToken: 'access-1', account: account() })
    await expect(session.refresh()).rejects.toMatchObject({ code: 'network_error' })
    mockFetch({ 'POST /api/v1/auth/refresh': problem(503, 'unavailable') })
    await expect(session.refresh()).rejects.toMatchObject({ status: 503 })
    expect(session.accessToken).toBe('access-1')
  })

  it('an expired session (refresh refused during an API call) notifies the router hook', async () => {
    const session = useSessionStore()
    session.$patch({ accessToken: 'access-1', account: account() })
    mockFetch({
      'POST /api/v1/auth/refresh': problem(401, 'unauthorized'),
      'GET /api/v1/account': problem(401, 'unauthorized'),
    })
    let expired = 0
    session.onExpired(() => expired++)
    await expect(api.GET('/api/v1/account')).rejects.toMatchObject({ status: 401 })
    expect(expired).toBe(1)
    expect(session.isAuthenticated).toBe(false)
  })

  it('logout revokes the session on the server (the cookie names it), then forgets everything (even if that fails)', async () => {
    const revoked: string[] = []
    mockFetch({
      'POST /api/v1/auth/login': { body: { status: 'authenticated', tokens: tokenPair(1), otp_challenge: null } },
      'GET /api/v1/account': { body: account() },
      'POST /api/v1/auth/logout': async (r) => {
        revoked.push(await r.text())
        return { status: 204 }
      },
    })
    const session = useSessionStore()
    await session.login('budi@example.test', 'correct horse battery')
    await session.logout()
    expect(revoked).toEqual(['']) // no token in the body: the cookie carries it
    expect(session.isAuthenticated).toBe(false)
    expect(session.account).toBeNull()
    expect(localStorage.getItem(SIGNED_OUT_SIGNAL_KEY)).not.toBeNull() // other tabs follow

    // offline: still signed out locally
    await session.login('budi@example.test', 'correct horse battery')
    mockFetch({ 'POST /api/v1/auth/logout': new TypeError('Failed to fetch') })
    await session.logout()
    expect(session.isAuthenticated).toBe(false)
  })

  it('signing out in another tab signs out here', async () => {
    const session = useSessionStore()
    session.$patch({ accessToken: 'access-1', account: account() })
    window.dispatchEvent(new StorageEvent('storage', { key: SIGNED_OUT_SIGNAL_KEY, newValue: '1' }))
    expect(session.isAuthenticated).toBe(false)
    expect(session.accessToken).toBeNull()
  })

  it('restores the session on start (a reload) by refreshing with the cookie, once', async () => {
    document.cookie = `${SESSION_MARKER_COOKIE}=1; path=/`
    const fetch = mockFetch({
      'POST /api/v1/auth/refresh': { body: tokenPair(2) },
      'GET /api/v1/account': { body: account(['owner']) },
    })
    const session = useSessionStore()
    await Promise.all([session.restore(), session.restore()])
    expect(session.restored).toBe(true)
    expect(session.isAuthenticated).toBe(true)
    expect(session.isOwner).toBe(true)
    expect(calls(fetch)).toEqual(['POST /api/v1/auth/refresh', 'GET /api/v1/account'])
  })

  it('starts signed out without asking when there is no session marker, or when the refresh is refused', async () => {
    const fetch = mockFetch({ 'POST /api/v1/auth/refresh': problem(401, 'unauthorized') })
    const fresh = useSessionStore()
    await fresh.restore()
    expect(fresh.isAuthenticated).toBe(false)
    expect(fetch).not.toHaveBeenCalled()

    document.cookie = `${SESSION_MARKER_COOKIE}=1; path=/`
    setActivePinia(createPinia())
    const session = useSessionStore()
    await session.restore()
    await flush()
    expect(session.restored).toBe(true)
    expect(session.isAuthenticated).toBe(false)
    expect(calls(fetch)).toEqual(['POST /api/v1/auth/refresh'])
  })

  it('only accepts in-app paths as the post-login redirect', () => {
    expect(safeRedirect('/client/account')).toBe('/client/account')
    expect(safeRedirect('//evil.example/x')).toBeNull()
    expect(safeRedirect('https://evil.example')).toBeNull()
    expect(safeRedirect('/\\evil.example')).toBeNull()
    expect(safeRedirect('/login?redirect=/x')).toBeNull()
    expect(safeRedirect(['/client'])).toBeNull()
  })
})
