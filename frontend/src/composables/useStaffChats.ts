import { ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import { LIMITS } from '../api/limits'

export type StaffChat = components['schemas']['StaffChat']
export type NewStaffChat = components['schemas']['NewStaffChat']
export type QueuedMessage = components['schemas']['OutboxMessage']

/** Fields a staff chat can be refused for (`errors[].field` of a 422). */
export const STAFF_CHAT_FIELDS = ['chat_id', 'label', 'receives_alerts'] as const
/** The longest label the API takes. */
export const STAFF_CHAT_LABEL_MAX = LIMITS.NewStaffChat.label.maxLength

/** A Telegram chat id as typed: an optional minus (groups) and digits, not zero, a safe integer. */
export function parseChatId(value: string): number | null {
  const text = value.trim()
  if (!/^-?\d{1,16}$/.test(text)) return null
  const id = Number(text)
  return Number.isSafeInteger(id) && id !== 0 ? id : null
}

/** Groups and channels have negative ids; people positive ones. */
export const isGroupChat = (chatId: number) => chatId < 0

/**
 * The staff Telegram chats (owner only): list, add or edit (POST upserts by chat id, which
 * also clears a blocked mark), remove, and queue a test message through the outbox.
 */
export function useStaffChats(api: ApiClient = defaultApi) {
  const chats = ref<StaffChat[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/notifications/staff-chats')
      if (!data) throw ApiProblem.unexpected(response)
      chats.value = data
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function save(body: NewStaffChat): Promise<StaffChat> {
    const { data, response } = await api.POST('/api/v1/notifications/staff-chats', { body })
    if (!data) throw ApiProblem.unexpected(response)
    chats.value = chats.value.some((c) => c.chat_id === data.chat_id)
      ? chats.value.map((c) => (c.chat_id === data.chat_id ? data : c))
      : [...chats.value, data]
    return data
  }

  /** Remove a chat; one that is already gone (404) leaves the list too. */
  async function remove(chatId: number): Promise<void> {
    try {
      const { response } = await api.DELETE('/api/v1/notifications/staff-chats/{chat_id}', { params: { path: { chat_id: chatId } } })
      if (!response.ok) throw ApiProblem.unexpected(response)
    } catch (e) {
      const p = toApiProblem(e)
      if (p.status !== 404) throw p
    }
    chats.value = chats.value.filter((c) => c.chat_id !== chatId)
  }

  /** Queue a test message; answers the outbox message to follow. */
  async function sendTest(chatId: number): Promise<QueuedMessage> {
    const { data, response } = await api.POST('/api/v1/notifications/staff-chats/{chat_id}/test', {
      params: { path: { chat_id: chatId } },
    })
    if (!data) throw ApiProblem.unexpected(response)
    return data
  }

  return { chats, loading, problem, load, save, remove, sendTest }
}
