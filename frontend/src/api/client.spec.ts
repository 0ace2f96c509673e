import { describe, expect, it } from 'vitest'
import { ApiProblem, createApiClient } from './client'
import { mockFetch } from '../test/fetch'

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
