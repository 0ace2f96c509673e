import { vi } from 'vitest'

export type Route = { status?: number; body?: unknown; contentType?: string } | Error

/** Replace global fetch with one answering by URL path; returns the mock for call assertions. */
export function mockFetch(routes: Record<string, Route>) {
  const mock = vi.fn(async (input: Request | string | URL) => {
    const url = new URL(input instanceof Request ? input.url : String(input), 'http://localhost')
    const route = routes[url.pathname]
    if (!route) return new Response('not mocked', { status: 599, headers: { 'content-type': 'text/plain' } })
    if (route instanceof Error) throw route
    const status = route.status ?? 200
    return new Response(JSON.stringify(route.body ?? null), {
      status,
      headers: { 'content-type': route.contentType ?? 'application/json' },
    })
  })
  vi.stubGlobal('fetch', mock)
  return mock
}

/** Let pending promises and Vue re-renders run. */
export async function flush(times = 5) {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0))
}
