import { describe, expect, it } from 'vitest'
import { ApiProblem } from './problem'
import { deleteTolerating404, expectOk, unwrap } from './unwrap'

const answer = (status: number) => new Response(null, { status, statusText: `S${status}` })
const problem = (status: number, code: string) =>
  new ApiProblem({ type: `urn:juragan:problem:${code}`, title: code, status, code, detail: null })

describe('unwrap', () => {
  it('gives the body of an answer that has one', () => {
    expect(unwrap({ id: 7 }, answer(200))).toEqual({ id: 7 })
    // A falsy body is still a body.
    expect(unwrap(0, answer(200))).toBe(0)
    expect(unwrap('', answer(200))).toBe('')
  })

  it('throws an unexpected_response problem carrying the status when there is no body', () => {
    const thrown = (() => {
      try {
        unwrap(undefined, answer(502))
      } catch (e) {
        return e
      }
    })()
    expect(thrown).toBeInstanceOf(ApiProblem)
    expect(thrown).toMatchObject({ status: 502, code: 'unexpected_response', title: 'S502' })
  })
})

describe('expectOk', () => {
  it('passes a success and throws on anything else', () => {
    expect(() => expectOk(answer(204))).not.toThrow()
    expect(() => expectOk(answer(500))).toThrow(ApiProblem)
  })
})

describe('deleteTolerating404', () => {
  it('is done on 204', async () => {
    await expect(deleteTolerating404(async () => ({ response: answer(204) }))).resolves.toBeUndefined()
  })

  it('counts a 404 problem (someone removed it first) as done', async () => {
    await expect(
      deleteTolerating404(async () => {
        throw problem(404, 'not_found')
      }),
    ).resolves.toBeUndefined()
  })

  it('passes every other problem on, typed', async () => {
    await expect(
      deleteTolerating404(async () => {
        throw problem(409, 'conflict')
      }),
    ).rejects.toMatchObject({ status: 409, code: 'conflict' })
    await expect(deleteTolerating404(async () => ({ response: answer(500) }))).rejects.toMatchObject({ status: 500, code: 'unexpected_response' })
    await expect(
      deleteTolerating404(async () => {
        throw new TypeError('Failed to fetch')
      }),
    ).rejects.toMatchObject({ code: 'network_error' })
  })
})
