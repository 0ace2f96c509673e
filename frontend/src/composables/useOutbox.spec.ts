import { describe, expect, it } from 'vitest'
import { useOutbox } from './useOutbox'
import { mockFetch } from '../test/fetch'
import { message } from '../test/notifications'

describe('useOutbox.refresh', () => {
  it('merges the first page into what is shown and keeps older pages', async () => {
    let first = { items: [message(4), message(3)], next_cursor: 'c1' as string | null }
    mockFetch({
      'GET /api/v1/notifications/outbox': (request) =>
        new URL(request.url).searchParams.get('cursor') === 'c1'
          ? { body: { items: [message(2), message(1)], next_cursor: null } }
          : { body: first },
    })
    const outbox = useOutbox()
    await outbox.search()
    await outbox.loadMore()
    expect(outbox.messages.value.map((m) => m.id)).toEqual([4, 3, 2, 1])

    // A new message, and 3 was resent elsewhere.
    first = { items: [message(5), message(4), message(3, { status: 'pending' })], next_cursor: 'c1' }
    await outbox.refresh()
    expect(outbox.messages.value.map((m) => [m.id, m.status])).toEqual([
      [5, 'sent'],
      [4, 'sent'],
      [3, 'pending'],
      [2, 'sent'],
      [1, 'sent'],
    ])
    expect(outbox.nextCursor.value).toBeNull()

    // The first page no longer reaches what we show: start over from it.
    first = { items: [message(9), message(8)], next_cursor: 'c9' }
    await outbox.refresh()
    expect(outbox.messages.value.map((m) => m.id)).toEqual([9, 8])
    expect(outbox.nextCursor.value).toBe('c9')
  })
})
