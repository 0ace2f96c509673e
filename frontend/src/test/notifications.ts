import type { OutboxMessage } from '../composables/useOutbox'
import type { Broadcast, BroadcastProgress } from '../composables/useBroadcasts'

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

/** A broadcast as the API answers it; `progress` is merged into a finished 3-recipient run. */
export function broadcast(
  id: number,
  extra: Partial<Omit<Broadcast, 'progress'>> & { progress?: Partial<BroadcastProgress> } = {},
): Broadcast {
  const { progress, ...rest } = extra
  return {
    id,
    channel: 'email',
    subject: `Promo ${id}`,
    body: `Hello from broadcast ${id}`,
    photo_url: null,
    status: 'done',
    created_at: '2025-05-01T02:00:00Z',
    finished_at: '2025-05-01T02:01:00Z',
    ...rest,
    progress: { total: 3, sent: 3, failed: 0, blocked: 0, unknown: 0, skipped: 0, remaining: 0, ...progress },
  }
}
