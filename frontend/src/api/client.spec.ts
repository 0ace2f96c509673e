import { describe, expect, it, vi } from 'vitest'
import { ApiProblem, createApiClient } from './client'
import { parseRetryAfter } from './problem'
import { mockFetch, problem } from '../test/fetch'
import { account } from '../test/identity'

const api = createApiClient('http://localhost')

describe('api client', () => {
  it('returns typed data for a 2xx JSON answer', async () => {
    mockFetch({ '/healthz': { body: { status: 'ok', version: '1.2.3' } } })
    const { data } = await api.GET('/healthz')
    expect(data).toEqual({ status: 'ok', version: '1.2.3' })
  })

  it('throws an ApiProblem with code, detail and field errors for application/problem+json', async () => {
    mockFetch({
      '/healthz': {
        status: 422,
        contentType: 'application/problem+json; charset=utf-8',
        body: {
          type: 'https://juragan.example/problems/validation',
          title: 'Validation failed',
          status: 422,
          code: 'validation_failed',
          detail: 'Two fields are invalid.',
          errors: [
            { field: 'email', code: 'invalid', message: 'not an email address' },
            { field: 'phone', code: 'invalid', message: 'not an Indonesian number' },
          ],
        },
      },
    })
    const err = await api.GET('/healthz').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiProblem)
    const p = err as ApiProblem
    expect(p.status).toBe(422)
    expect(p.code).toBe('validation_failed')
    expect(p.title).toBe('Validation failed')
    expect(p.detail).toBe('Two fields are invalid.')
    expect(p.message).toBe('Two fields are invalid.')
    expect(p.errors).toHaveLength(2)
    expect(p.fieldErrors('phone')).toEqual([{ field: 'phone', code: 'invalid', message: 'not an Indonesian number' }])
    expect(p.isClientSide).toBe(false)
  })

  it('fills missing problem members from the HTTP status', async () => {
    mockFetch({ '/healthz': { status: 500, contentType: 'application/problem+json', body: { title: 'Boom' } } })
    const p = (await api.GET('/healthz').catch((e: unknown) => e)) as ApiProblem
    expect(p).toBeInstanceOf(ApiProblem)
    expect(p.status).toBe(500)
    expect(p.code).toBe('http_500')
    expect(p.detail).toBeNull()
    expect(p.errors).toEqual([])
  })

  it('leaves a declared non-2xx JSON answer (readyz 503) to the caller as a typed error', async () => {
    const body = { ready: false, checks: [{ name: 'redis', ok: false, latency_ms: 3, error: 'refused' }] }
    mockFetch({ '/readyz': { status: 503, body } })
    const { data, error, response } = await api.GET('/readyz')
    expect(data).toBeUndefined()
    expect(response.status).toBe(503)
    expect(error).toEqual(body)
  })

  it('turns a failed fetch into an ApiProblem with code network_error', async () => {
    mockFetch({ '/healthz': new TypeError('Failed to fetch') })
    const p = (await api.GET('/healthz').catch((e: unknown) => e)) as ApiProblem
    expect(p).toBeInstanceOf(ApiProblem)
    expect(p.code).toBe('network_error')
    expect(p.status).toBe(0)
    expect(p.detail).toBe('Failed to fetch')
    expect(p.isClientSide).toBe(true)
  })

  it('uses the page origin as base URL by default', async () => {
    const fetch = mockFetch({ '/healthz': { body: { status: 'ok', version: 'x' } } })
    await createApiClient().GET('/healthz')
    const req = fetch.mock.calls[0]![0] as Request
    expect(req.url).toBe(`${window.location.origin}/healthz`)
  })
})

describe('auth middleware', () => {
  function session(initial: string | null = 'old') {
    const state = { token: initial, refreshes: 0, expired: 0, refreshTo: 'new' as string | null }
    const handlers = {
      accessToken: () => state.token,
      refresh: vi.fn(async () => {
        state.refreshes++
        state.token = state.refreshTo
        return state.refreshTo !== null
      }),
      expired: vi.fn(() => {
        state.expired++
        state.token = null
      }),
    }
    return { state, handlers, client: createApiClient('http://localhost', { auth: () => handlers }) }
  }
  const unauthorized = problem(401, 'unauthorized', { detail: 'token expired' })
  const bearer = (r: Request) => r.headers.get('authorization')

  it('sends the access token as a Bearer header, but not to the /auth/ endpoints', async () => {
    const { client } = session('abc')
    const fetch = mockFetch({
      '/api/v1/account': { body: account() },
      '/api/v1/auth/logout': { status: 204 },
    })
    await client.GET('/api/v1/account')
    await client.POST('/api/v1/auth/logout', { body: { refresh_token: 'r' } })
    const [first, second] = fetch.mock.calls.map(([r]) => r as Request)
    expect(bearer(first!)).toBe('Bearer abc')
    expect(bearer(second!)).toBeNull()
  })

  it('on a 401 refreshes once and replays the request, body included, with the new token', async () => {
    const { state, handlers, client } = session('old')
    const seen: Array<{ auth: string | null; body: unknown }> = []
    const fetch = mockFetch({
      'PUT /api/v1/account/profile': async (r) => {
        seen.push({ auth: bearer(r), body: await r.json() })
        return bearer(r) === 'Bearer new' ? { body: account() } : unauthorized
      },
    })
    const body = { full_name: 'Budi', phone: '081234567890', company: null }
    const { data } = await client.PUT('/api/v1/account/profile', { body })
    expect(data?.email).toBe('budi@example.test')
    expect(handlers.refresh).toHaveBeenCalledTimes(1)
    expect(fetch).toHaveBeenCalledTimes(2)
    expect(seen).toEqual([
      { auth: 'Bearer old', body },
      { auth: 'Bearer new', body },
    ])
    expect(state.expired).toBe(0)
  })

  it('when the refresh is refused, expires the session and throws the 401 problem', async () => {
    const { state, handlers, client } = session('old')
    state.refreshTo = null
    const fetch = mockFetch({ '/api/v1/account': unauthorized })
    const err = await client.GET('/api/v1/account').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiProblem)
    expect((err as ApiProblem).status).toBe(401)
    expect(handlers.refresh).toHaveBeenCalledTimes(1)
    expect(handlers.expired).toHaveBeenCalledTimes(1)
    expect(fetch).toHaveBeenCalledTimes(1) // no replay without a token
  })

  it('retries only once: a second 401 after the refresh reaches the caller', async () => {
    const { handlers, client } = session('old')
    const fetch = mockFetch({ '/api/v1/account': unauthorized })
    const err = (await client.GET('/api/v1/account').catch((e: unknown) => e)) as ApiProblem
    expect(err.code).toBe('unauthorized')
    expect(handlers.refresh).toHaveBeenCalledTimes(1)
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('does not refresh on a 401 from an /auth/ endpoint (wrong password is an answer)', async () => {
    const { handlers, client } = session('old')
    mockFetch({ '/api/v1/auth/login': problem(401, 'invalid_credentials') })
    const err = (await client.POST('/api/v1/auth/login', { body: { email: 'a@b.c', password: 'x' } }).catch((e: unknown) => e)) as ApiProblem
    expect(err.code).toBe('invalid_credentials')
    expect(handlers.refresh).not.toHaveBeenCalled()
  })

  it('keeps the session when the refresh cannot reach the server', async () => {
    const { handlers, client } = session('old')
    handlers.refresh.mockRejectedValueOnce(ApiProblem.network(new TypeError('Failed to fetch')))
    mockFetch({ '/api/v1/account': unauthorized })
    const err = (await client.GET('/api/v1/account').catch((e: unknown) => e)) as ApiProblem
    expect(err.status).toBe(401)
    expect(handlers.expired).not.toHaveBeenCalled()
  })

  it('reads Retry-After (seconds or HTTP date) into the problem', async () => {
    mockFetch({ '/api/v1/auth/login': problem(429, 'rate_limited', {}, { 'Retry-After': '42' }) })
    const p = (await api.POST('/api/v1/auth/login', { body: { email: 'a@b.c', password: 'x' } }).catch((e: unknown) => e)) as ApiProblem
    expect(p.retryAfter).toBe(42)
    expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThanOrEqual(29)
    expect(parseRetryAfter('soon')).toBeNull()
  })
})
