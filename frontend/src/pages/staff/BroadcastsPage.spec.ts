import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import BroadcastsPage from './BroadcastsPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { broadcast } from '../../test/notifications'

const LIST = 'GET /api/v1/notifications/broadcasts'
const CREATE = 'POST /api/v1/notifications/broadcasts'

async function mountPage(routes: Record<string, Route>) {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/broadcasts')
  const w = mount(BroadcastsPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
const row = (w: VueWrapper, id: number) => w.get(`${$('broadcast-row')}[data-id="${id}"]`)
/** The form item (label, control, feedback) holding the element with this test id. */
const formItemOf = (w: VueWrapper, id: string) => w.findAll('.n-form-item').find((fi) => fi.find($(id)).exists())!

async function chooseTelegram(w: VueWrapper) {
  await w.get(`${$('broadcast-channel-telegram')} input`).setValue(true)
  await flush()
}

describe('BroadcastsPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
    // Drive the 2 s poll by hand; setTimeout stays real for flush().
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('says when there are no broadcasts and does not poll then', async () => {
    const { w, fetch } = await mountPage({ [LIST]: { body: [] } })
    expect(w.get($('broadcasts-empty')).text()).toContain('No broadcasts yet')
    expect(w.findAll($('broadcast-row'))).toHaveLength(0)
    vi.advanceTimersByTime(6000)
    await flush()
    expect(calls(fetch)).toEqual([LIST])
    w.unmount()
  })

  it('renders progress and polls while a broadcast runs and the tab is visible, then stops', async () => {
    let polls = 0
    const { w, fetch } = await mountPage({
      [LIST]: () => {
        polls++
        const running =
          polls === 1
            ? broadcast(2, { status: 'running', finished_at: null, progress: { total: 10, sent: 5, failed: 1, remaining: 4 } })
            : polls === 2
              ? broadcast(2, { status: 'running', finished_at: null, progress: { total: 10, sent: 6, failed: 1, unknown: 1, remaining: 2 } })
              : broadcast(2, { progress: { total: 10, sent: 8, failed: 1, blocked: 1, remaining: 0 } })
        return { body: [running, broadcast(1, { channel: 'telegram', subject: '', status: 'cancelled', progress: { total: 4, sent: 1, remaining: 3 } })] }
      },
    })

    expect(w.findAll($('broadcast-row')).map((r) => [r.attributes('data-id'), r.attributes('data-status')])).toEqual([
      ['2', 'running'],
      ['1', 'cancelled'],
    ])
    const running = row(w, 2)
    expect(running.get($('broadcast-progress')).attributes('aria-valuenow')).toBe('60')
    expect(running.get($('broadcast-progress')).attributes('role')).toBe('progressbar')
    expect(running.get($('broadcast-sent')).text()).toBe('5')
    expect(running.get($('broadcast-failed')).text()).toBe('1')
    expect(running.get($('broadcast-blocked')).text()).toBe('0')
    expect(running.get($('broadcast-unknown')).text()).toBe('0')
    expect(running.get($('broadcast-remaining')).text()).toBe('4')
    expect(running.get($('broadcast-status')).text()).toBe('Sending')
    expect(running.text()).toContain('6 of 10 handled')
    expect(running.find($('broadcast-cancel')).exists()).toBe(true)
    expect(row(w, 1).get($('broadcast-progress')).attributes('aria-valuenow')).toBe('25')
    expect(row(w, 1).get($('broadcast-status')).text()).toBe('Cancelled')
    expect(row(w, 1).find($('broadcast-cancel')).exists()).toBe(false)

    vi.advanceTimersByTime(1999)
    await flush()
    expect(calls(fetch)).toEqual([LIST])
    vi.advanceTimersByTime(1)
    await flush(10)
    expect(calls(fetch)).toEqual([LIST, LIST])
    expect(row(w, 2).get($('broadcast-progress')).attributes('aria-valuenow')).toBe('80')
    expect(row(w, 2).get($('broadcast-unknown')).text()).toBe('1')
    expect(row(w, 2).get($('broadcast-remaining')).text()).toBe('2')

    // A hidden tab is not polled; coming back reads the list at once.
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden')
    vi.advanceTimersByTime(6000)
    await flush()
    expect(calls(fetch)).toEqual([LIST, LIST])
    visibility.mockReturnValue('visible')
    document.dispatchEvent(new Event('visibilitychange'))
    await flush(10)
    visibility.mockRestore()
    expect(calls(fetch)).toEqual([LIST, LIST, LIST])
    expect(row(w, 2).attributes('data-status')).toBe('done')
    expect(row(w, 2).get($('broadcast-progress')).attributes('aria-valuenow')).toBe('100')
    expect(row(w, 2).get($('broadcast-sent')).text()).toBe('8')
    expect(row(w, 2).get($('broadcast-remaining')).text()).toBe('0')
    expect(row(w, 2).find($('broadcast-cancel')).exists()).toBe(false)

    // Nothing runs any more: no further requests.
    vi.advanceTimersByTime(6000)
    await flush()
    expect(calls(fetch)).toEqual([LIST, LIST, LIST])
    w.unmount()
  })

  it('confirms how it will be sent, posts it, and shows the new row at the top', async () => {
    const posted: unknown[] = []
    const { w, fetch } = await mountPage({
      [LIST]: { body: [broadcast(1)] },
      [CREATE]: async (request) => {
        const body = (await request.json()) as Record<string, unknown>
        posted.push(body)
        return {
          status: 201,
          body: broadcast(2, {
            subject: body.subject as string,
            body: body.body as string,
            photo_url: body.photo_url as string,
            status: 'running',
            finished_at: null,
            progress: { total: 120, sent: 0, remaining: 120 },
          }),
        }
      },
    })
    expect(w.get($('broadcast-counter')).text()).toBe('0 / 4096 characters')
    expect(w.get($('broadcast-send')).attributes('disabled')).toBeDefined()

    await w.get($('broadcast-subject')).setValue('Ramadan sale')
    await w.get($('broadcast-body')).setValue('Diskon 50% 🎉')
    await w.get($('broadcast-photo')).setValue('https://cdn.example.test/sale.jpg')
    expect(w.get($('broadcast-counter')).text()).toBe('12 / 4096 characters') // the emoji counts once

    await w.get($('broadcast-send')).trigger('click')
    await flush(10)
    const dialog = inDoc('broadcast-confirm')!
    expect(dialog).not.toBeNull()
    expect(inDoc('broadcast-confirm-channel')!.textContent).toBe('By email to every client with a verified address.')
    expect(dialog.textContent).toContain('Ramadan sale')
    expect(dialog.textContent).toContain('Diskon 50% 🎉')
    expect(dialog.textContent).toContain('https://cdn.example.test/sale.jpg')
    expect(dialog.textContent).toContain('Shown above the text.')
    expect(calls(fetch)).not.toContain(CREATE)

    inDoc('broadcast-send-confirm')!.click()
    await flush(10)
    expect(posted).toEqual([
      { channel: 'email', subject: 'Ramadan sale', body: 'Diskon 50% 🎉', photo_url: 'https://cdn.example.test/sale.jpg' },
    ])
    expect(w.findAll($('broadcast-row')).map((r) => [r.attributes('data-id'), r.attributes('data-status')])).toEqual([
      ['2', 'running'],
      ['1', 'done'],
    ])
    expect(row(w, 2).get($('broadcast-remaining')).text()).toBe('120')
    expect(row(w, 2).get($('broadcast-progress')).attributes('aria-valuenow')).toBe('0')
    expect(w.get($('broadcast-notice')).text()).toContain('#2')
    expect((w.get($('broadcast-body')).element as HTMLTextAreaElement).value).toBe('')
    expect(w.find($('broadcast-error')).exists()).toBe(false)
    w.unmount()
  })

  it('sends a Telegram broadcast with a photo as a caption, and it shows in the list', async () => {
    const posted: unknown[] = []
    const { w } = await mountPage({
      [LIST]: { body: [] },
      [CREATE]: async (request) => {
        const body = (await request.json()) as Record<string, unknown>
        posted.push(body)
        return {
          status: 201,
          body: broadcast(7, {
            channel: 'telegram',
            subject: '',
            body: body.body as string,
            photo_url: body.photo_url as string,
            status: 'running',
            finished_at: null,
            progress: { total: 1, sent: 0, remaining: 1 },
          }),
        }
      },
    })
    await chooseTelegram(w)
    await w.get($('broadcast-body')).setValue('Promo domain .id Rp 99.000')
    await w.get($('broadcast-photo')).setValue('https://cdn.example.test/promo.png')
    await w.get($('broadcast-send')).trigger('click')
    await flush(10)
    expect(inDoc('broadcast-confirm-channel')!.textContent).toContain('Telegram')
    expect(inDoc('broadcast-confirm')!.textContent).toContain('Sent as a photo with the text as its caption.')
    inDoc('broadcast-send-confirm')!.click()
    await flush(10)
    expect(posted).toEqual([{ channel: 'telegram', subject: null, body: 'Promo domain .id Rp 99.000', photo_url: 'https://cdn.example.test/promo.png' }])
    expect(row(w, 7).attributes('data-status')).toBe('running')
    expect(row(w, 7).text()).toContain('Telegram')
    expect(row(w, 7).text()).toContain('https://cdn.example.test/promo.png')
    expect(w.find($('broadcast-error')).exists()).toBe(false)
    w.unmount()
  })

  it('says in our words when the shop has no Telegram bot (422 telegram_unavailable) and keeps the draft', async () => {
    const { w, fetch } = await mountPage({
      [LIST]: { body: [] },
      [CREATE]: problem(422, 'telegram_unavailable', { title: 'Request refused', detail: 'this shop has no Telegram bot configured' }),
    })
    await chooseTelegram(w)
    expect(w.find($('broadcast-subject')).exists()).toBe(false) // Telegram has no subject
    await w.get($('broadcast-body')).setValue('Halo semua')
    await w.get($('broadcast-send')).trigger('click')
    await flush(10)
    expect(inDoc('broadcast-confirm')!.textContent).toContain('every client who linked Telegram')
    inDoc('broadcast-send-confirm')!.click()
    await flush(10)

    expect(calls(fetch)).toContain(CREATE)
    const alert = w.get($('broadcast-error'))
    expect(alert.attributes('data-code')).toBe('telegram_unavailable')
    expect(alert.text()).toContain('Telegram is not set up in this shop')
    expect(alert.text()).not.toContain('Request refused')
    expect(w.findAll($('broadcast-row'))).toHaveLength(0)
    expect((w.get($('broadcast-body')).element as HTMLTextAreaElement).value).toBe('Halo semua') // draft kept

    // Switching to email drops the refusal that was about Telegram.
    await w.get(`${$('broadcast-channel-email')} input`).setValue(true)
    await flush()
    expect(w.find($('broadcast-error')).exists()).toBe(false)
    w.unmount()
  })

  it('shows a 422 per field under its input and lists the others in the alert', async () => {
    const { w } = await mountPage({
      [LIST]: { body: [] },
      [CREATE]: problem(422, 'validation_failed', {
        detail: 'The broadcast cannot be sent.',
        errors: [
          { field: 'photo_url', code: 'invalid_url', message: 'The photo must be an https URL that answers' },
          { field: 'audience', code: 'empty', message: 'Nobody to send to' },
        ],
      }),
    })
    await chooseTelegram(w)
    await w.get($('broadcast-body')).setValue('Halo semua')
    await w.get($('broadcast-photo')).setValue('https://cdn.example.test/x.jpg')
    expect(w.get($('broadcast-counter')).text()).toBe('10 / 1024 characters') // a caption holds less
    await w.get($('broadcast-send')).trigger('click')
    await flush(10)
    inDoc('broadcast-send-confirm')!.click()
    await flush(10)

    const alert = w.get($('broadcast-error'))
    expect(alert.attributes('data-code')).toBe('validation_failed')
    expect(alert.text()).toContain('The broadcast cannot be sent.')
    expect(alert.text()).toContain('Nobody to send to') // no input for it: listed in the alert
    expect(alert.text()).not.toContain('The photo must be') // shown inline instead
    expect(formItemOf(w, 'broadcast-photo').text()).toContain('The photo must be an https URL that answers')
    expect(formItemOf(w, 'broadcast-body').find('.n-form-item-feedback--error').exists()).toBe(false)
    expect(w.findAll($('broadcast-row'))).toHaveLength(0)
    w.unmount()
  })

  it('checks the draft before asking: subject for email, the length limit, an https photo', async () => {
    const { w, fetch } = await mountPage({ [LIST]: { body: [] } })
    await w.get($('broadcast-body')).setValue('x'.repeat(4097))
    expect(w.get($('broadcast-counter')).attributes('data-over')).toBe('true')
    expect(w.get($('broadcast-send')).attributes('disabled')).toBeDefined()

    await w.get($('broadcast-body')).setValue('Short')
    await w.get($('broadcast-photo')).setValue('http://insecure.example.test/a.jpg')
    await w.get($('broadcast-send')).trigger('click')
    await flush(10)
    expect(inDoc('broadcast-confirm')).toBeNull()
    expect(formItemOf(w, 'broadcast-subject').text()).toContain('This field is required.')
    expect(formItemOf(w, 'broadcast-photo').text()).toContain('Enter an https:// address.')

    // Telegram with a photo: the caption limit applies.
    await chooseTelegram(w)
    await w.get($('broadcast-photo')).setValue('https://cdn.example.test/a.jpg')
    await w.get($('broadcast-body')).setValue('y'.repeat(1025))
    expect(w.get($('broadcast-counter')).text()).toBe('1025 / 1024 characters')
    expect(w.get($('broadcast-send')).attributes('disabled')).toBeDefined()
    await w.get($('broadcast-photo')).setValue('')
    expect(w.get($('broadcast-counter')).text()).toBe('1025 / 4096 characters')
    expect(w.get($('broadcast-send')).attributes('disabled')).toBeUndefined()
    expect(calls(fetch)).toEqual([LIST])
    w.unmount()
  })

  it('cancels a running broadcast after confirming and updates the row; a 404 re-reads the list', async () => {
    let listed = 0
    const { w, fetch } = await mountPage({
      [LIST]: () => {
        listed++
        return {
          body: [
            broadcast(5, { status: 'running', finished_at: null, progress: { total: 50, sent: 20, remaining: 30 } }),
            broadcast(4, listed === 1 ? { status: 'running', finished_at: null, progress: { total: 2, sent: 1, remaining: 1 } } : {}),
          ],
        }
      },
      'POST /api/v1/notifications/broadcasts/5/cancel': {
        body: broadcast(5, { status: 'cancelled', progress: { total: 50, sent: 21, remaining: 29 } }),
      },
      'POST /api/v1/notifications/broadcasts/4/cancel': problem(404, 'not_found', { detail: 'No running broadcast 4' }),
    })

    await row(w, 5).get($('broadcast-cancel')).trigger('click')
    await flush(10)
    expect(calls(fetch)).not.toContain('POST /api/v1/notifications/broadcasts/5/cancel')
    inDoc('broadcast-cancel-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('POST /api/v1/notifications/broadcasts/5/cancel')
    expect(row(w, 5).attributes('data-status')).toBe('cancelled')
    expect(row(w, 5).get($('broadcast-status')).text()).toBe('Cancelled')
    expect(row(w, 5).get($('broadcast-sent')).text()).toBe('21')
    expect(row(w, 5).find($('broadcast-cancel')).exists()).toBe(false)
    expect(w.get($('broadcast-notice')).text()).toContain('#5')

    await row(w, 4).get($('broadcast-cancel')).trigger('click')
    await flush(10)
    inDoc('broadcast-cancel-confirm')!.click()
    await flush(10)
    expect(w.get($('broadcasts-error')).attributes('data-code')).toBe('not_found')
    expect(w.get($('broadcasts-error')).text()).toContain('No running broadcast 4')
    expect(row(w, 4).attributes('data-status')).toBe('done') // it had finished: the list was read again
    expect(calls(fetch).filter((c) => c === LIST)).toHaveLength(2)
    w.unmount()
  })
})
