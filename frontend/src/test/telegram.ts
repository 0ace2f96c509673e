import type { LinkedChat, TelegramLinkCode } from '../composables/useTelegramLink'
import type { StaffChat } from '../composables/useStaffChats'
import type { OwnerAlert } from '../composables/useOwnerAlerts'

/** Fixtures shaped like the Telegram API answers. */
export function linkedChat(extra: Partial<LinkedChat> = {}): LinkedChat {
  return { chat_id: 5550001, label: '@rina', linked_at: '2025-05-01T02:00:00Z', blocked_at: null, ...extra }
}

export function linkCode(extra: Partial<TelegramLinkCode> = {}): TelegramLinkCode {
  const code = extra.code ?? 'AbCdEfGhJkMnPqRsTuVwXyZ2'
  return {
    code,
    bot_username: 'juragan_bot',
    deep_link: `https://t.me/juragan_bot?start=${code}`,
    expires_at: new Date(Date.now() + 15 * 60 * 1000).toISOString(),
    ...extra,
  }
}

export function staffChat(chatId: number, extra: Partial<StaffChat> = {}): StaffChat {
  return {
    chat_id: chatId,
    label: `Chat ${chatId}`,
    receives_alerts: false,
    blocked_at: null,
    created_at: '2025-05-01T02:00:00Z',
    ...extra,
  }
}

export function ownerAlert(id: number, extra: Partial<OwnerAlert> = {}): OwnerAlert {
  return {
    id,
    kind: 'change',
    source: 'template.edited',
    title: `template.edited: template auth.login_code/id (${id})`,
    detail: 'by owner@example.test',
    delivery: 'sent',
    created_at: '2025-05-01T02:00:00Z',
    ...extra,
  }
}
