import { beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import OutboxPage from './OutboxPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { message } from '../../test/notifications'

async function mountPage(routes: Record<string, Route>) {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/outbox')
  const w = mount(OutboxPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const row = (w: Awaited<ReturnType<typeof mountPage>>['w'], id: number) => w.get(`${$('outbox-row')}[data-id="${id}"]`)

describe('OutboxPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('lists messages; Resend on a failed or dead row queues it again and updates the row', async () => {
    const { w, fetch } = await mountPage({
      'GET /api/v1/notifications/outbox': {
        body: {
          items: [
            message(3, { status: 'dead', attempts: 5, last_error: 'SMTP 550 mailbox unavailable', sent_at: null }),
            message(2, { status: 'failed', attempts: 2, last_error: 'timeout', sent_at: null }),
            message(1, { channel: 'telegram', recipient: '12345' }),
          ],
          next_cursor: null,
        },
      },
      'POST /api/v1/notifications/outbox/3/resend': {
        body: message(3, { status: 'pending', attempts: 5, last_error: 'SMTP 550 mailbox unavailable', sent_at: null }),
      },
      'POST /api/v1/notifications/outbox/2/resend': problem(404, 'not_found', { detail: 'No failed or dead message 2' }),
    })

    const rows = w.findAll($('outbox-row'))
    expect(rows.map((r) => [r.attributes('data-id'), r.attributes('data-status'), r.attributes('data-event')])).toEqual([
      ['3', 'dead', 'auth.account_locked'],
      ['2', 'failed', 'auth.account_locked'],
      ['1', 'sent', 'auth.account_locked'],
    ])
    expect(row(w, 3).get($('outbox-status')).text()).toBe('Gave up')
    expect(row(w, 3).get($('outbox-last-error')).text()).toBe('SMTP 550 mailbox unavailable')
    expect(row(w, 1).text()).toContain('Telegram')
    expect(row(w, 1).find($('outbox-resend')).exists()).toBe(false)
    expect(w.find($('outbox-load-more')).exists()).toBe(false)

    await row(w, 3).get($('outbox-resend')).trigger('click')
    await flush(10)
    expect(row(w, 3).attributes('data-status')).toBe('pending')
    expect(row(w, 3).find($('outbox-resend')).exists()).toBe(false)
    expect(w.get($('outbox-notice')).text()).toContain('#3')

    await row(w, 2).get($('outbox-resend')).trigger('click')
    await flush(10)
    expect(w.get($('outbox-error')).attributes('data-code')).toBe('not_found')
    expect(w.get($('outbox-error')).text()).toContain('No failed or dead message 2')
    expect(calls(fetch)).toContain('POST /api/v1/notifications/outbox/3/resend')
    w.unmount()
  })

  it('expands a row to its body, loads more by cursor, and says when nothing matches', async () => {
    const { w, fetch } = await mountPage({
      'GET /api/v1/notifications/outbox': (request) => {
        const q = new URL(request.url).searchParams
        if (q.get('status') === 'blocked') return { body: { items: [], next_cursor: null } }
        return q.get('cursor') === 'c2'
          ? { body: { items: [message(1)], next_cursor: null } }
          : { body: { items: [message(3), message(2)], next_cursor: 'c2' } }
      },
    })
    expect(w.findAll($('outbox-row'))).toHaveLength(2)
    expect(w.find($('outbox-body')).exists()).toBe(false)
    await row(w, 2).get($('outbox-expand')).trigger('click')
    expect(w.get($('outbox-body')).text()).toBe('Body of message 2')

    await w.get($('outbox-load-more')).trigger('click')
    await flush(10)
    expect(w.findAll($('outbox-row')).map((r) => r.attributes('data-id'))).toEqual(['3', '2', '1'])
    expect(w.find($('outbox-load-more')).exists()).toBe(false)
    const urls = fetch.mock.calls.map(([r]) => new URL((r as Request).url).search)
    expect(urls[1]).toContain('cursor=c2')

    // The status filter (an NSelect) searches again from the first page.
    w.getComponent({ name: 'Select' }).vm.$emit('update:value', 'blocked')
    await flush(10)
    expect(w.findAll($('outbox-row'))).toHaveLength(0)
    expect(w.get($('outbox-empty')).text()).toBe('No messages match these filters.')
    expect(new URL((fetch.mock.calls.at(-1)![0] as Request).url).searchParams.get('status')).toBe('blocked')
    w.unmount()
  })
})
