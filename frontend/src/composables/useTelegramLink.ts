import { computed, ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import { useCountdown } from './useCountdown'
import { useVisibleInterval } from './useVisibleInterval'

export type TelegramLinkStatus = components['schemas']['TelegramLinkStatus']
export type LinkedChat = components['schemas']['LinkedChat']
export type TelegramLinkCode = components['schemas']['TelegramLinkCode']

/** How often the link status is re-read while a code is waiting for the bot. */
export const TELEGRAM_POLL_MS = 3000
/** A code is valid this long (the API's CODE_TTL); caps a countdown from a skewed clock. */
export const TELEGRAM_CODE_TTL_SECONDS = 15 * 60

/** What the Telegram card shows. */
export type TelegramLinkState = 'loading' | 'error' | 'unavailable' | 'unlinked' | 'pending' | 'expired' | 'linked' | 'blocked'

/**
 * Seconds a code has left: `expires_at` measured against the server's clock (the answer's
 * `Date` header) when there is one, so a browser clock that is off does not matter.
 */
export function secondsLeft(expiresAt: string, serverNow: number | null, now: number = Date.now()): number {
  const expires = Date.parse(expiresAt)
  if (Number.isNaN(expires)) return TELEGRAM_CODE_TTL_SECONDS
  const left = (expires - (serverNow ?? now)) / 1000
  return Math.max(0, Math.min(TELEGRAM_CODE_TTL_SECONDS, Math.ceil(left)))
}

/**
 * The signed-in user's Telegram link (client area): whether the shop has a bot, the linked
 * chat, a one-time code with its deep link and countdown, and unlinking. While a code is
 * shown the status is re-read every 3 s (tab visible) until the bot reports the link.
 * Needs a component (effect scope): it polls and counts down until that goes away.
 */
export function useTelegramLink(api: ApiClient = defaultApi) {
  const status = shallowRef<TelegramLinkStatus | null>(null)
  const loading = ref(false)
  /** The last problem reading the status. */
  const problem = shallowRef<ApiProblem | null>(null)
  /** The code being shown, until it is used, cancelled or replaced. */
  const code = shallowRef<TelegramLinkCode | null>(null)
  /** Set when the status changed to linked while a code was shown. */
  const justLinked = ref(false)
  const countdown = useCountdown()
  /** `linked_at` of the chat linked when the code was made: a new link has another one. */
  let linkedBefore: string | null = null
  let polling = false

  const chat = computed<LinkedChat | null>(() => status.value?.chat ?? null)
  const available = computed(() => status.value?.available ?? false)
  const state = computed<TelegramLinkState>(() => {
    if (!status.value) return loading.value || !problem.value ? 'loading' : 'error'
    if (!status.value.available) return 'unavailable'
    if (code.value) return countdown.active.value ? 'pending' : 'expired'
    if (chat.value) return chat.value.blocked_at ? 'blocked' : 'linked'
    return 'unlinked'
  })

  async function read(): Promise<TelegramLinkStatus> {
    const { data, response } = await api.GET('/api/v1/account/telegram')
    if (!data) throw ApiProblem.unexpected(response)
    return { available: data.available, chat: data.chat ?? null }
  }

  async function load(): Promise<void> {
    loading.value = true
    try {
      status.value = await read()
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  /** Re-read the status while a code waits; a new link ends the wait. */
  async function check(): Promise<void> {
    if (!code.value || polling) return
    polling = true
    try {
      const fresh = await read()
      if (!code.value) return // cancelled meanwhile
      status.value = fresh
      if (!fresh.available) {
        stopWaiting()
      } else if (fresh.chat && fresh.chat.linked_at !== linkedBefore) {
        stopWaiting()
        justLinked.value = true
      }
    } catch {
      // A failed poll is tried again on the next tick; the code stays on screen.
    } finally {
      polling = false
    }
  }

  function stopWaiting() {
    code.value = null
    countdown.reset()
  }

  /** A new code (earlier ones stop working); `telegram_unavailable` turns the card off. */
  async function createCode(): Promise<TelegramLinkCode> {
    justLinked.value = false
    try {
      const { data, response } = await api.POST('/api/v1/account/telegram/link-code')
      if (!data) throw ApiProblem.unexpected(response)
      linkedBefore = chat.value?.linked_at ?? null
      code.value = data
      countdown.start(secondsLeft(data.expires_at, Date.parse(response.headers.get('date') ?? '') || null))
      return data
    } catch (e) {
      const p = toApiProblem(e)
      if (p.code === 'telegram_unavailable') status.value = { available: false, chat: status.value?.chat ?? null }
      throw p
    }
  }

  /** Stop waiting for the bot; the code simply expires unused. */
  function cancel() {
    stopWaiting()
  }

  /** Forget the linked chat. Nothing linked any more (404) is the wanted outcome too. */
  async function unlink(): Promise<void> {
    justLinked.value = false
    try {
      const { response } = await api.DELETE('/api/v1/account/telegram')
      if (!response.ok) throw ApiProblem.unexpected(response)
    } catch (e) {
      const p = toApiProblem(e)
      if (p.status !== 404) throw p
    }
    if (status.value) status.value = { ...status.value, chat: null }
  }

  useVisibleInterval(() => (state.value === 'pending' ? check() : undefined), TELEGRAM_POLL_MS)

  return {
    status,
    chat,
    available,
    state,
    loading,
    problem,
    code,
    justLinked,
    secondsLeft: countdown.remaining,
    load,
    check,
    createCode,
    cancel,
    unlink,
  }
}
