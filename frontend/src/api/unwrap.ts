import { ApiProblem, toApiProblem } from './problem'

/**
 * The body of an openapi-fetch answer, typed as the operation's success body. A problem+json
 * answer has already been thrown by the client's middleware; any other answer without a body
 * (an undocumented status, a non-JSON page from a proxy) becomes an `unexpected_response`
 * {@link ApiProblem}, so callers handle one error type.
 */
export function unwrap<T>(data: T | undefined, response: Pick<Response, 'status' | 'statusText'>): T {
  if (data === undefined) throw ApiProblem.unexpected(response)
  return data
}

/** A bodiless answer (204) must still be a success. */
export function expectOk(response: Pick<Response, 'ok' | 'status' | 'statusText'>): void {
  if (!response.ok) throw ApiProblem.unexpected(response)
}

/**
 * Run a DELETE that may race another user's: an answer of 404 (already gone) counts as done,
 * since what the caller wanted is true; every other problem is thrown.
 */
export async function deleteTolerating404(call: () => Promise<{ response: Pick<Response, 'ok' | 'status' | 'statusText'> }>): Promise<void> {
  try {
    const { response } = await call()
    expectOk(response)
  } catch (e) {
    const problem = toApiProblem(e)
    if (problem.status !== 404) throw problem
  }
}
