import type { OutboxMessage } from '../composables/useOutbox'

/** Fixtures shaped like the notification API's answers. */
export function message(id: number, extra: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id,
    channel: 'email',
    recipient: 'budi@example.test',
    event: 'auth.account_locked',
    subject: `Message ${id}`,
    body: `Body of message ${id}`,
    status: 'sent',
    attempts: 1,
    last_error: null,
    created_at: '2025-05-01T02:00:00Z',
    sent_at: '2025-05-01T02:00:05Z',
    ...extra,
  }
}
