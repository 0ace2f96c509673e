import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiProblem, PROBLEM_JSON } from './problem'

export { ApiProblem, isApiProblem, toApiProblem } from './problem'
export type { Problem, FieldError } from './problem'

/**
 * Turns every `application/problem+json` answer into a thrown {@link ApiProblem},
 * and a failed fetch (server unreachable) into an `ApiProblem` with code `network_error`.
 * Other non-2xx answers (e.g. `/readyz` 503 with a `Readiness` body) are left to the
 * caller as openapi-fetch's typed `error`.
 */
export const problemMiddleware: Middleware = {
  async onResponse({ response }) {
    const type = response.headers.get('content-type') ?? ''
    if (!type.toLowerCase().startsWith(PROBLEM_JSON)) return undefined
    let body: unknown = null
    try {
      body = await response.clone().json()
    } catch {
      // malformed body: fall back to status line
    }
    throw ApiProblem.fromBody(body, response)
  },
  onError({ error }) {
    return error instanceof ApiProblem ? error : ApiProblem.network(error)
  },
}

/** Same origin as the page: the Rust server serves both the SPA and the API. */
function sameOrigin(): string {
  return typeof window !== 'undefined' ? window.location.origin : ''
}

/** Build a client; the app uses the single {@link api} instance below. */
export function createApiClient(baseUrl: string = sameOrigin()) {
  const client = createClient<paths>({
    baseUrl,
    // Resolve fetch at call time so tests (and polyfills) can replace it.
    fetch: (request: Request) => globalThis.fetch(request),
    headers: { Accept: `application/json, ${PROBLEM_JSON}` },
  })
  client.use(problemMiddleware)
  return client
}

/** The one configured API client. */
export const api = createApiClient()
export type ApiClient = typeof api
