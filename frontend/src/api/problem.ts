import type { components } from './schema'

export type Problem = components['schemas']['Problem']
export type FieldError = components['schemas']['ProblemFieldError']

/** Codes the client itself produces when there is no problem+json body to read. */
export const CLIENT_PROBLEM_CODES = ['network_error', 'unexpected_response'] as const
export type ClientProblemCode = (typeof CLIENT_PROBLEM_CODES)[number]

export const PROBLEM_JSON = 'application/problem+json'

/**
 * An RFC 9457 problem raised by the API (or synthesised by the client when the
 * server could not be reached or answered with something that is not JSON).
 */
export class ApiProblem extends Error {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly code: string
  readonly detail: string | null
  readonly errors: FieldError[]
  /** Seconds from a `Retry-After` header (429 `rate_limited`, cooldowns), else null. */
  readonly retryAfter: number | null

  constructor(problem: Problem, extra: { retryAfter?: number | null } = {}) {
    super(problem.detail || problem.title || problem.code)
    this.name = 'ApiProblem'
    this.type = problem.type
    this.title = problem.title
    this.status = problem.status
    this.code = problem.code
    this.detail = problem.detail ?? null
    this.errors = problem.errors ?? []
    this.retryAfter = extra.retryAfter ?? null
  }

  /** Errors for one field, e.g. to show under a form input. */
  fieldErrors(field: string): FieldError[] {
    return this.errors.filter((e) => e.field === field)
  }

  /** True when the client produced this problem itself (no server body). */
  get isClientSide(): boolean {
    return (CLIENT_PROBLEM_CODES as readonly string[]).includes(this.code)
  }

  /** Build from a problem+json body, tolerating missing or malformed members. */
  static fromBody(
    body: unknown,
    response: Pick<Response, 'status' | 'statusText'> & { headers?: Pick<Headers, 'get'> },
  ): ApiProblem {
    const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
    const errors = Array.isArray(raw.errors)
      ? raw.errors
          .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
          .map((e) => ({
            field: str(e.field) ?? '',
            code: str(e.code) ?? '',
            message: str(e.message) ?? '',
          }))
      : []
    return new ApiProblem(
      {
        type: str(raw.type) ?? 'about:blank',
        title: str(raw.title) ?? (response.statusText || `HTTP ${response.status}`),
        status: typeof raw.status === 'number' ? raw.status : response.status,
        code: str(raw.code) ?? `http_${response.status}`,
        detail: str(raw.detail) ?? null,
        errors,
      },
      { retryAfter: parseRetryAfter(response.headers?.get('retry-after') ?? null) },
    )
  }

  /** A response the typed client did not expect (wrong status or not JSON). */
  static unexpected(response: Pick<Response, 'status' | 'statusText'>): ApiProblem {
    return new ApiProblem({
      type: 'about:blank',
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      code: 'unexpected_response',
      detail: null,
    })
  }

  /** fetch itself failed: offline, DNS, connection refused, CORS. */
  static network(cause: unknown): ApiProblem {
    const problem = new ApiProblem({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      code: 'network_error',
      detail: cause instanceof Error ? cause.message : null,
    })
    return problem
  }
}

/** `Retry-After` is either delay-seconds or an HTTP date; answer whole seconds from now. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return null
  return Math.max(0, Math.ceil((at - now) / 1000))
}

export function isApiProblem(value: unknown): value is ApiProblem {
  return value instanceof ApiProblem
}

/** Normalise anything thrown by a client call into an ApiProblem. */
export function toApiProblem(value: unknown): ApiProblem {
  return isApiProblem(value) ? value : ApiProblem.network(value)
}
