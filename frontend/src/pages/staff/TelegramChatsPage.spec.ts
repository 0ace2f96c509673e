import { beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import TelegramChatsPage from './TelegramChatsPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { parseChatId } from '../../composables/useStaffChats'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { message } from '../../test/notifications'
import { staffChat } from '../../test/telegram'

const LIST = 'GET /api/v1/notifications/staff-chats'
const SAVE = 'POST /api/v1/notifications/staff-chats'

async function mountPage(routes: Record<string, Route>) {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/telegram-chats')
  const w = mount(TelegramChatsPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch, router }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
const row = (w: VueWrapper, chatId: number) => w.get(`${$('staff-chat-row')}[data-chat-id="${chatId}"]`)
const formItemOf = (w: VueWrapper, id: string) => w.findAll('.n-form-item').find((fi) => fi.find($(id)).exists())!

describe('TelegramChatsPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('lists the chats with their alerts and blocked tags, and helps find a chat id', async () => {
    const { w } = await mountPage({
      [LIST]: {
        body: [
          staffChat(111, { label: 'Owner', receives_alerts: true }),
          staffChat(-1001234567890, { label: 'Admin group', blocked_at: '2025-05-03T04:00:00Z' }),
        ],
      },
    })
    expect(w.findAll($('staff-chat-row')).map((r) => [r.attributes('data-chat-id'), r.attributes('data-alerts'), r.attributes('data-blocked')])).toEqual([
      ['111', 'true', 'false'],
      ['-1001234567890', 'false', 'true'],
    ])
    expect(row(w, 111).get($('staff-chat-alerts-tag')).text()).toBe('Receives alerts')
    expect(row(w, 111).find($('staff-chat-blocked')).exists()).toBe(false)
    expect(row(w, 111).text()).toContain('Person')
    const group = row(w, -1001234567890)
    expect(group.find($('staff-chat-alerts-tag')).exists()).toBe(false)
    expect(group.get($('staff-chat-blocked')).text()).toBe('Blocked the bot')
    expect(group.text()).toContain('Group')
    expect(group.text()).toContain('save the chat again')
    const help = w.get($('staff-chat-help')).text()
    expect(help).toContain('@userinfobot')
    expect(help).toContain('Group ids are negative')
    w.unmount()
  })

  it('adds a chat: checks the id first, shows the 422 field errors under their inputs, then saves', async () => {
    const posted: unknown[] = []
    let refuse = true
    const { w, fetch } = await mountPage({
      [LIST]: { body: [] },
      [SAVE]: async (request) => {
        const body = (await request.json()) as { chat_id: number; label: string; receives_alerts: boolean }
        posted.push(body)
        if (refuse) {
          return problem(422, 'validation_failed', {
            detail: 'Some fields are invalid',
            errors: [
              { field: 'label', code: 'invalid_length', message: 'a label of 1 to 100 characters' },
              { field: 'chat_id', code: 'invalid', message: 'this chat cannot be used' },
            ],
          })
        }
        return { body: staffChat(body.chat_id, { label: body.label, receives_alerts: body.receives_alerts }) }
      },
    })
    expect(w.get($('staff-chats-empty')).text()).toContain('No staff chats yet')

    // Client-side checks: no request for an id that is not a number.
    await w.get($('staff-chat-id')).setValue('12ab')
    await w.get($('staff-chat-label')).setValue('Owner')
    await w.get('form').trigger('submit')
    await flush(10)
    expect(formItemOf(w, 'staff-chat-id').text()).toContain('Enter a Telegram chat id')
    expect(calls(fetch)).toEqual([LIST])

    await w.get($('staff-chat-id')).setValue(' 5550002 ')
    await w.get('form').trigger('submit')
    await flush(10)
    expect(posted).toEqual([{ chat_id: 5550002, label: 'Owner', receives_alerts: true }])
    const alert = w.get($('staff-chat-error'))
    expect(alert.attributes('data-code')).toBe('validation_failed')
    expect(alert.text()).not.toContain('a label of 1 to 100 characters') // inline instead
    expect(formItemOf(w, 'staff-chat-label').text()).toContain('a label of 1 to 100 characters')
    expect(formItemOf(w, 'staff-chat-id').text()).toContain('this chat cannot be used')
    expect(w.findAll($('staff-chat-row'))).toHaveLength(0)

    refuse = false
    await w.get($('staff-chat-alerts')).trigger('click') // alerts off
    await w.get($('staff-chat-label')).setValue('  Owner phone ')
    await w.get('form').trigger('submit')
    await flush(10)
    expect(posted.at(-1)).toEqual({ chat_id: 5550002, label: 'Owner phone', receives_alerts: false })
    expect(w.find($('staff-chat-error')).exists()).toBe(false)
    expect(w.get($('staff-chat-notice')).text()).toContain('Owner phone is saved.')
    expect(row(w, 5550002).attributes('data-alerts')).toBe('false')
    expect((w.get($('staff-chat-id')).element as HTMLInputElement).value).toBe('') // ready for the next one
    w.unmount()
  })

  it('edits a chat in place: the id is fixed and saving updates the row', async () => {
    const posted: unknown[] = []
    const { w } = await mountPage({
      [LIST]: { body: [staffChat(111, { label: 'Owner', blocked_at: '2025-05-03T04:00:00Z' })] },
      [SAVE]: async (request) => {
        const body = (await request.json()) as { chat_id: number; label: string; receives_alerts: boolean }
        posted.push(body)
        return { body: staffChat(body.chat_id, { label: body.label, receives_alerts: body.receives_alerts, blocked_at: null }) }
      },
    })
    await row(w, 111).get($('staff-chat-edit')).trigger('click')
    await flush()
    expect(w.get($('staff-chat-form')).attributes('data-mode')).toBe('edit')
    const id = w.get($('staff-chat-id')).element as HTMLInputElement
    expect(id.value).toBe('111')
    expect(id.disabled).toBe(true)
    await w.get($('staff-chat-label')).setValue('Owner (Budi)')
    await w.get($('staff-chat-alerts')).trigger('click') // alerts on
    await w.get($('staff-chat-save')).trigger('click')
    await flush(10)
    expect(posted).toEqual([{ chat_id: 111, label: 'Owner (Budi)', receives_alerts: true }])
    expect(row(w, 111).get($('staff-chat-row-label')).text()).toBe('Owner (Budi)')
    expect(row(w, 111).attributes('data-blocked')).toBe('false') // saving again cleared the mark
    expect(w.findAll($('staff-chat-row'))).toHaveLength(1)
    expect(w.get($('staff-chat-form')).attributes('data-mode')).toBe('add')
    w.unmount()
  })

  it('removes a chat after confirming', async () => {
    const { w, fetch } = await mountPage({
      [LIST]: { body: [staffChat(111, { label: 'Owner' }), staffChat(222, { label: 'Admin' })] },
      'DELETE /api/v1/notifications/staff-chats/222': { status: 204 },
    })
    await row(w, 222).get($('staff-chat-remove')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toEqual([LIST])
    inDoc('staff-chat-remove-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toEqual([LIST, 'DELETE /api/v1/notifications/staff-chats/222'])
    expect(w.findAll($('staff-chat-row')).map((r) => r.attributes('data-chat-id'))).toEqual(['111'])
    expect(w.get($('staff-chat-notice')).text()).toContain('Admin is removed.')
    w.unmount()
  })

  it('sends a test message, says it was queued and links to the outbox; a 404 shows and re-reads the list', async () => {
    let listed = 0
    const { w, fetch, router } = await mountPage({
      [LIST]: () => {
        listed++
        return { body: listed === 1 ? [staffChat(111, { label: 'Owner' }), staffChat(222, { label: 'Gone' })] : [staffChat(111, { label: 'Owner' })] }
      },
      'POST /api/v1/notifications/staff-chats/111/test': {
        status: 202,
        body: message(77, { channel: 'telegram', recipient: '111', event: 'staff_chat.test', status: 'pending', sent_at: null }),
      },
      'POST /api/v1/notifications/staff-chats/222/test': problem(404, 'not_found', { detail: 'no such staff chat' }),
    })
    await row(w, 111).get($('staff-chat-test')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toContain('POST /api/v1/notifications/staff-chats/111/test')
    const notice = w.get($('staff-chat-notice'))
    expect(notice.text()).toContain('A test message to Owner is queued (outbox #77).')
    const link = w.get($('staff-chat-outbox-link'))
    expect(link.attributes('href')).toBe(router.resolve({ name: 'staff-outbox' }).href)

    await row(w, 222).get($('staff-chat-test')).trigger('click')
    await flush(10)
    expect(w.get($('staff-chats-error')).attributes('data-code')).toBe('not_found')
    expect(w.find($('staff-chat-notice')).exists()).toBe(false)
    expect(w.findAll($('staff-chat-row')).map((r) => r.attributes('data-chat-id'))).toEqual(['111'])
    w.unmount()
  })
})

describe('parseChatId', () => {
  it('takes people (positive) and groups (negative), not zero, words or unsafe numbers', () => {
    expect(parseChatId('5550001')).toBe(5550001)
    expect(parseChatId(' -1001234567890 ')).toBe(-1001234567890)
    expect(parseChatId('0')).toBeNull()
    expect(parseChatId('-0')).toBeNull()
    expect(parseChatId('12ab')).toBeNull()
    expect(parseChatId('1.5')).toBeNull()
    expect(parseChatId('')).toBeNull()
    expect(parseChatId('9999999999999999')).toBeNull()
  })
})
