import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiProblem, PROBLEM_JSON } from './problem'

export { ApiProblem, isApiProblem, toApiProblem } from './problem'
export { deleteTolerating404, expectOk, unwrap } from './unwrap'
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

/**
 * What the auth middleware needs from the session (the session store registers itself
 * with {@link setAuthHandlers}; the client knows nothing about Pinia or the router).
 */
export interface AuthHandlers {
  /** The current access token, or null when signed out. */
  accessToken(): string | null
  /**
   * Get a new access token with the refresh token. Must be single-flight: concurrent
   * callers share one `POST /auth/refresh`. Resolves true when a new token is in place,
   * false when the refresh token was refused (or there is none); throws when the server
   * could not be reached (the session is then kept).
   */
  refresh(): Promise<boolean>
  /** Refresh was refused: clear the session and send the user to sign in. */
  expired(): void
}

/** Endpoints that carry their own credentials in the body; a 401 there is an answer, not an expiry. */
export const AUTH_PATH_PREFIX = '/api/v1/auth/'

let registeredHandlers: AuthHandlers | null = null

/** Connect the one client to the session (called by the session store when it is created). */
export function setAuthHandlers(handlers: AuthHandlers | null): void {
  registeredHandlers = handlers
}

/**
 * Adds `Authorization: Bearer <access>` to API calls and, when a call outside `/auth/`
 * answers 401, refreshes the session once (shared by every call that failed at the same
 * time) and replays the request once with the new token. If the refresh is refused the
 * session is expired and the 401 problem reaches the caller.
 */
export function createAuthMiddleware(handlers: () => AuthHandlers | null = () => registeredHandlers): Middleware {
  // Requests keep their body only until fetch reads it: keep a copy to replay.
  const pending = new Map<string, Request>()
  const isAuthEndpoint = (schemaPath: string) => schemaPath.startsWith(AUTH_PATH_PREFIX)

  return {
    onRequest({ request, schemaPath, id }) {
      const auth = handlers()
      if (!auth || isAuthEndpoint(schemaPath)) return undefined
      const token = auth.accessToken()
      if (token) request.headers.set('Authorization', `Bearer ${token}`)
      pending.set(id, request.clone())
      return request
    },
    async onResponse({ response, schemaPath, id, options }) {
      const replay = pending.get(id)
      pending.delete(id)
      const auth = handlers()
      if (response.status !== 401 || !auth || !replay || isAuthEndpoint(schemaPath)) return undefined
      let refreshed: boolean
      try {
        refreshed = await auth.refresh()
      } catch {
        return undefined // server unreachable: keep the session, report the 401
      }
      if (!refreshed) {
        auth.expired()
        return undefined
      }
      const token = auth.accessToken()
      if (!token) return undefined
      replay.headers.set('Authorization', `Bearer ${token}`)
      return options.fetch(replay)
    },
    onError({ id }) {
      pending.delete(id)
      return undefined
    },
  }
}

/** Same origin as the page: the Rust server serves both the SPA and the API. */
function sameOrigin(): string {
  return typeof window !== 'undefined' ? window.location.origin : ''
}

export interface ApiClientOptions {
  /** Where the auth middleware finds the session; defaults to the handlers set by {@link setAuthHandlers}. */
  auth?: () => AuthHandlers | null
}

/** Build a client; the app uses the single {@link api} instance below. */
export function createApiClient(baseUrl: string = sameOrigin(), options: ApiClientOptions = {}) {
  const client = createClient<paths>({
    baseUrl,
    // Resolve fetch at call time so tests (and polyfills) can replace it.
    fetch: (request: Request) => globalThis.fetch(request),
    headers: { Accept: `application/json, ${PROBLEM_JSON}` },
  })
  // onResponse runs in reverse order: auth sees a 401 (and may replay it) before
  // the problem middleware turns whatever answer remains into a thrown ApiProblem.
  client.use(problemMiddleware)
  client.use(createAuthMiddleware(options.auth))
  return client
}

/** The one configured API client. */
export const api = createApiClient()
export type ApiClient = typeof api
