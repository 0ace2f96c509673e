import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, type EffectScope } from 'vue'
import { secondsLeft, TELEGRAM_POLL_MS, useTelegramLink } from './useTelegramLink'
import { calls, flush, mockFetch, problem, type Answer, type Route } from '../test/fetch'
import { linkCode, linkedChat } from '../test/telegram'

const STATUS = 'GET /api/v1/account/telegram'
const CODE = 'POST /api/v1/account/telegram/link-code'
const UNLINK = 'DELETE /api/v1/account/telegram'

let scope: EffectScope | undefined
function setup(routes: Record<string, Route>) {
  scope?.stop()
  const fetch = mockFetch(routes)
  scope = effectScope()
  const link = scope.run(() => useTelegramLink())!
  return { fetch, link }
}

async function tick(ms = TELEGRAM_POLL_MS) {
  vi.advanceTimersByTime(ms)
  await flush()
}

describe('useTelegramLink', () => {
  beforeEach(() => {
    // Drive the 3 s poll by hand; setTimeout and Date stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  })
  afterEach(() => {
    scope?.stop()
    scope = undefined
    vi.useRealTimers()
  })

  it('creates a code, polls every 3 s while it waits, and stops once the bot linked the chat', async () => {
    let polls = 0
    const { fetch, link } = setup({
      [STATUS]: () => {
        polls++
        return { body: { available: true, chat: polls < 3 ? null : linkedChat() } }
      },
      [CODE]: { status: 201, body: linkCode() },
    })
    await link.load()
    expect(link.state.value).toBe('unlinked')

    // Nothing to wait for: no polling.
    await tick(3 * TELEGRAM_POLL_MS)
    expect(calls(fetch)).toEqual([STATUS])

    const code = await link.createCode()
    expect(code.deep_link).toBe('https://t.me/juragan_bot?start=AbCdEfGhJkMnPqRsTuVwXyZ2')
    expect(link.state.value).toBe('pending')
    expect(link.code.value?.code).toBe('AbCdEfGhJkMnPqRsTuVwXyZ2')
    expect(link.secondsLeft.value).toBeGreaterThan(14 * 60)

    await tick(TELEGRAM_POLL_MS - 1)
    expect(calls(fetch)).toEqual([STATUS, CODE])
    await tick(1)
    expect(calls(fetch)).toEqual([STATUS, CODE, STATUS])
    expect(link.state.value).toBe('pending') // not yet

    await tick()
    expect(calls(fetch)).toEqual([STATUS, CODE, STATUS, STATUS])
    expect(link.state.value).toBe('linked')
    expect(link.justLinked.value).toBe(true)
    expect(link.code.value).toBeNull()
    expect(link.chat.value?.label).toBe('@rina')

    await tick(10_000)
    expect(calls(fetch)).toHaveLength(4)
  })

  it('does not take the chat already linked for a new link; a new linked_at ends the wait', async () => {
    let relinked = false
    const { link } = setup({
      [STATUS]: () => ({
        body: {
          available: true,
          chat: relinked ? linkedChat({ linked_at: '2025-06-01T00:00:00Z' }) : linkedChat({ blocked_at: '2025-05-20T00:00:00Z' }),
        },
      }),
      [CODE]: { status: 201, body: linkCode() },
    })
    await link.load()
    expect(link.state.value).toBe('blocked')
    await link.createCode()
    await tick()
    expect(link.state.value).toBe('pending') // the old, blocked link is still there
    relinked = true
    await tick()
    expect(link.state.value).toBe('linked')
    expect(link.chat.value?.blocked_at).toBeNull()
    expect(link.justLinked.value).toBe(true)
  })

  it('counts the code down on the server clock, and stops polling when it expires or is cancelled', async () => {
    const serverNow = Date.parse('2030-01-01T00:00:00Z') // the browser clock is years off
    const { fetch, link } = setup({
      [STATUS]: { body: { available: true, chat: null } },
      [CODE]: {
        status: 201,
        body: linkCode({ expires_at: new Date(serverNow + 600_000).toISOString() }),
        headers: { date: new Date(serverNow).toUTCString() },
      },
    })
    await link.load()
    await link.createCode()
    expect(link.secondsLeft.value).toBe(600)

    link.cancel()
    expect(link.state.value).toBe('unlinked')
    await tick(10_000)
    expect(calls(fetch)).toEqual([STATUS, CODE])

    expect(secondsLeft('2030-01-01T00:00:05Z', null, serverNow)).toBe(5)
    expect(secondsLeft('2029-12-31T23:59:00Z', null, serverNow)).toBe(0)
    expect(secondsLeft('2030-01-02T00:00:00Z', null, serverNow)).toBe(15 * 60) // never more than a code lives
  })

  it('shows an expired code as expired and does not poll for it', async () => {
    const { fetch, link } = setup({
      [STATUS]: { body: { available: true, chat: null } },
      [CODE]: { status: 201, body: linkCode({ expires_at: new Date(Date.now() - 1000).toISOString() }) },
    })
    await link.load()
    await link.createCode()
    expect(link.state.value).toBe('expired')
    await tick(10_000)
    expect(calls(fetch)).toEqual([STATUS, CODE])
  })

  it('says when the shop has no bot, also when creating a code is refused with telegram_unavailable', async () => {
    const { link } = setup({
      [STATUS]: { body: { available: false, chat: null } },
      [CODE]: problem(422, 'telegram_unavailable', { detail: 'this shop has no Telegram bot configured' }),
    })
    await link.load()
    expect(link.state.value).toBe('unavailable')

    const other = setup({
      [STATUS]: { body: { available: true, chat: null } },
      [CODE]: problem(422, 'telegram_unavailable'),
    }).link
    await other.load()
    await expect(other.createCode()).rejects.toMatchObject({ code: 'telegram_unavailable', status: 422 })
    expect(other.state.value).toBe('unavailable')
    expect(other.code.value).toBeNull()
  })

  it('unlinks; nothing linked any more (404) ends the same way, other problems are thrown', async () => {
    let answer: Answer = { status: 204 }
    const { fetch, link } = setup({
      [STATUS]: { body: { available: true, chat: linkedChat() } },
      [UNLINK]: () => answer,
    })
    await link.load()
    expect(link.state.value).toBe('linked')
    await link.unlink()
    expect(link.state.value).toBe('unlinked')
    expect(calls(fetch)).toEqual([STATUS, UNLINK])

    await link.load()
    answer = problem(404, 'not_found', { detail: 'no Telegram chat is linked' })
    await link.unlink()
    expect(link.chat.value).toBeNull()

    await link.load()
    answer = problem(500, 'internal')
    await expect(link.unlink()).rejects.toMatchObject({ status: 500 })
    expect(link.state.value).toBe('linked')
  })

  it('keeps the error of a failed first read for the card to show', async () => {
    const { link } = setup({ [STATUS]: problem(500, 'internal', { detail: 'database down' }) })
    expect(link.state.value).toBe('loading')
    await link.load()
    expect(link.state.value).toBe('error')
    expect(link.problem.value?.detail).toBe('database down')
  })
})
