import { computed, ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import { LIMITS } from '../api/limits'
import { BROADCAST_STATUSES, CHANNELS } from '../api/enums'

export type Broadcast = components['schemas']['Broadcast']
export type BroadcastProgress = components['schemas']['BroadcastProgress']
export type NewBroadcast = components['schemas']['NewBroadcast']
export type BroadcastChannel = components['schemas']['Channel']

/** The generated schema's enums (`Channel`, `BroadcastStatus`). */
export { BROADCAST_STATUSES, CHANNELS as BROADCAST_CHANNELS }
/** Fields a new broadcast can be refused for (`errors[].field` of a 422). */
export const BROADCAST_FIELDS = ['channel', 'subject', 'body', 'photo_url'] as const
/** The longest message the API takes. */
export const BODY_MAX = LIMITS.NewBroadcast.body.maxLength
/** Telegram sends a message with a photo as the photo's caption, which holds less. */
export const CAPTION_MAX = 1024

/** Characters as the server counts them (code points, so an emoji is one). */
export const charCount = (text: string) => [...text].length

/** How many characters the body may have for this channel, with or without a photo. */
export function bodyLimit(channel: BroadcastChannel, hasPhoto: boolean): number {
  return channel === 'telegram' && hasPhoto ? CAPTION_MAX : BODY_MAX
}

export const isRunning = (b: Pick<Broadcast, 'status'>) => b.status === 'running'

/** Share of the recipients handled so far, 0–100: (total − remaining) / total. */
export function progressPercent(b: Pick<Broadcast, 'progress' | 'status'>): number {
  const { total, remaining } = b.progress
  if (total <= 0) return b.status === 'running' ? 0 : 100
  return Math.min(100, Math.max(0, Math.round(((total - remaining) / total) * 100)))
}

/** The request body for a draft: trimmed, subject only for email, no empty photo URL. */
export function toNewBroadcast(draft: { channel: BroadcastChannel; subject: string; body: string; photoUrl: string }): NewBroadcast {
  const photo = draft.photoUrl.trim()
  return {
    channel: draft.channel,
    subject: draft.channel === 'email' ? draft.subject.trim() : null,
    body: draft.body,
    photo_url: photo || null,
  }
}

/**
 * Broadcasts (business and owner): the newest ones with their progress, sending a new one,
 * cancelling a running one. `refresh()` re-reads the list quietly (for polling while one runs).
 */
export function useBroadcasts(api: ApiClient = defaultApi) {
  const broadcasts = ref<Broadcast[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  /** Bumped by every change we make, so a poll answer that started before it is dropped. */
  let generation = 0

  const anyRunning = computed(() => broadcasts.value.some(isRunning))

  async function list(): Promise<Broadcast[]> {
    const { data, response } = await api.GET('/api/v1/notifications/broadcasts')
    if (!data) throw ApiProblem.unexpected(response)
    return data
  }

  async function load(): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const data = await list()
      if (mine !== generation) return
      broadcasts.value = data
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  /** Re-read the list without the spinner; an answer overtaken by a send or cancel is dropped. */
  async function refresh(): Promise<void> {
    if (loading.value) return
    const mine = generation
    try {
      const data = await list()
      if (mine !== generation) return
      broadcasts.value = data
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    }
  }

  function upsert(broadcast: Broadcast): Broadcast {
    generation++
    broadcasts.value = broadcasts.value.some((b) => b.id === broadcast.id)
      ? broadcasts.value.map((b) => (b.id === broadcast.id ? broadcast : b))
      : [broadcast, ...broadcasts.value].sort((a, b) => b.id - a.id)
    return broadcast
  }

  async function create(body: NewBroadcast): Promise<Broadcast> {
    const { data, response } = await api.POST('/api/v1/notifications/broadcasts', { body })
    if (!data) throw ApiProblem.unexpected(response)
    return upsert(data)
  }

  async function cancel(id: number): Promise<Broadcast> {
    const { data, response } = await api.POST('/api/v1/notifications/broadcasts/{id}/cancel', { params: { path: { id } } })
    if (!data) throw ApiProblem.unexpected(response)
    return upsert(data)
  }

  return { broadcasts, loading, problem, anyRunning, load, refresh, create, cancel }
}
