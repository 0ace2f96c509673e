import { vi } from 'vitest'

export type Answer = { status?: number; body?: unknown; contentType?: string; headers?: Record<string, string> }
/** A fixed answer, a thrown error (network failure), or a function of the request. */
export type Route = Answer | Error | ((request: Request) => Answer | Error | Promise<Answer | Error>)

const NULL_BODY = new Set([101, 204, 205, 304])

/** A problem+json answer, as the API sends it. */
export function problem(status: number, code: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>): Answer {
  return {
    status,
    contentType: 'application/problem+json',
    body: { type: `urn:juragan:problem:${code}`, title: code, status, code, ...extra },
    ...(headers ? { headers } : {}),
  }
}

/**
 * Replace global fetch with one answering by URL path (`/path` for any method or
 * `POST /path` for one); returns the mock for call assertions.
 */
export function mockFetch(routes: Record<string, Route>) {
  const mock = vi.fn(async (input: Request | string | URL) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), 'http://localhost'))
    const url = new URL(request.url, 'http://localhost')
    let route = routes[`${request.method} ${url.pathname}`] ?? routes[url.pathname]
    if (typeof route === 'function') route = await route(request)
    if (!route) return new Response('not mocked', { status: 599, headers: { 'content-type': 'text/plain' } })
    if (route instanceof Error) throw route
    const status = route.status ?? 200
    return new Response(NULL_BODY.has(status) ? null : JSON.stringify(route.body ?? null), {
      status,
      headers: { 'content-type': route.contentType ?? 'application/json', ...route.headers },
    })
  })
  vi.stubGlobal('fetch', mock)
  return mock
}

/** The requests a mock received, as [method, path] pairs. */
export function calls(mock: ReturnType<typeof mockFetch>): string[] {
  return mock.mock.calls.map(([input]) => {
    const r = input as Request
    return `${r.method} ${new URL(r.url).pathname}`
  })
}

/** Let pending promises and Vue re-renders run. */
export async function flush(times = 5) {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0))
}
