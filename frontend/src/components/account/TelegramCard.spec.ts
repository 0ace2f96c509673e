import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import TelegramCard from './TelegramCard.vue'
import { createAppI18n } from '../../i18n'
import { TELEGRAM_POLL_MS } from '../../composables/useTelegramLink'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { linkCode, linkedChat } from '../../test/telegram'

const STATUS = 'GET /api/v1/account/telegram'
const CODE = 'POST /api/v1/account/telegram/link-code'
const UNLINK = 'DELETE /api/v1/account/telegram'

async function mountCard(routes: Record<string, Route>, locale: 'en' | 'id' = 'en') {
  const fetch = mockFetch(routes)
  const w = mount(TelegramCard, { global: { plugins: [createAppI18n(locale)] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))

describe('TelegramCard', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('links: shows the deep link, the code with the /start instruction and a countdown, polls, then says it is linked', async () => {
    let linked = false
    const { w, fetch } = await mountCard({
      [STATUS]: () => ({ body: { available: true, chat: linked ? linkedChat({ label: '@rina' }) : null } }),
      [CODE]: { status: 201, body: linkCode({ code: 'K7pQ2xYz', deep_link: 'https://t.me/juragan_bot?start=K7pQ2xYz' }) },
    })
    const card = w.get($('telegram-card'))
    expect(card.attributes('data-state')).toBe('unlinked')
    expect(w.find($('telegram-open')).exists()).toBe(false)

    await w.get($('telegram-link')).trigger('click')
    await flush(10)
    expect(card.attributes('data-state')).toBe('pending')
    const open = w.get($('telegram-open'))
    expect(open.element.tagName).toBe('A')
    expect(open.attributes('href')).toBe('https://t.me/juragan_bot?start=K7pQ2xYz')
    expect(open.attributes('target')).toBe('_blank')
    expect(open.attributes('rel')).toBe('noopener')
    expect(w.get($('telegram-code')).text()).toBe('K7pQ2xYz')
    expect(w.get($('telegram-instruction')).text()).toBe('Or send /start K7pQ2xYz to @juragan_bot in Telegram:')
    expect(w.get($('telegram-waiting')).text()).toContain('Waiting for Telegram')
    const expires = w.get($('telegram-expires'))
    expect(Number(expires.attributes('data-seconds'))).toBeGreaterThan(14 * 60)
    expect(expires.text()).toMatch(/^The code is valid for 1[45]:\d\d more\.$/)
    expect(w.find($('telegram-link')).exists()).toBe(false)

    // The user presses Start; the next poll sees the link.
    linked = true
    vi.advanceTimersByTime(TELEGRAM_POLL_MS)
    await flush(10)
    expect(calls(fetch)).toEqual([STATUS, CODE, STATUS])
    expect(card.attributes('data-state')).toBe('linked')
    expect(w.get($('telegram-linked')).text()).toBe('Telegram is linked to @rina. We sent a welcome message there.')
    expect(w.get($('telegram-chat-label')).text()).toBe('@rina')
    expect(w.find($('telegram-code')).exists()).toBe(false)
    expect(w.find($('telegram-blocked')).exists()).toBe(false)
    w.unmount()
  })

  it('copies the /start command', async () => {
    const writeText = vi.fn(async () => undefined)
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } })
    const { w } = await mountCard({
      [STATUS]: { body: { available: true, chat: null } },
      [CODE]: { status: 201, body: linkCode({ code: 'K7pQ2xYz' }) },
    })
    await w.get($('telegram-link')).trigger('click')
    await flush(10)
    await w.get($('telegram-copy')).trigger('click')
    await flush()
    expect(writeText).toHaveBeenCalledWith('/start K7pQ2xYz')
    expect(w.get($('telegram-copy')).text()).toBe('Copied')
    w.unmount()
  })

  it('shows the linked chat and unlinks after confirming', async () => {
    const { w, fetch } = await mountCard({
      [STATUS]: { body: { available: true, chat: linkedChat({ label: '@rina' }) } },
      [UNLINK]: { status: 204 },
    })
    expect(w.get($('telegram-card')).attributes('data-state')).toBe('linked')
    expect(w.get($('telegram-chat-label')).text()).toBe('@rina')
    expect(w.get($('telegram-linked-at')).find('time').attributes('datetime')).toBe('2025-05-01T02:00:00Z')
    expect(w.find($('telegram-linked')).exists()).toBe(false) // only right after linking

    await w.get($('telegram-unlink')).trigger('click')
    await flush(10)
    expect(calls(fetch)).not.toContain(UNLINK)
    inDoc('telegram-unlink-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toContain(UNLINK)
    expect(w.get($('telegram-card')).attributes('data-state')).toBe('unlinked')
    expect(w.get($('telegram-unlinked')).text()).toContain('Telegram is unlinked')
    expect(w.find($('telegram-link')).exists()).toBe(true)
    w.unmount()
  })

  it('warns when the user blocked the bot and offers to link again', async () => {
    const { w } = await mountCard(
      { [STATUS]: { body: { available: true, chat: linkedChat({ blocked_at: '2025-05-20T08:00:00Z' }) } } },
      'id',
    )
    expect(w.get($('telegram-card')).attributes('data-state')).toBe('blocked')
    const warning = w.get($('telegram-blocked'))
    expect(warning.text()).toContain('Anda memblokir bot kami')
    expect(warning.text()).toContain('Buka blokir bot di Telegram, lalu hubungkan lagi.')
    expect(w.get($('telegram-link')).text()).toBe('Hubungkan lagi')
    w.unmount()
  })

  it('says Telegram is not available in this shop, with nothing to press', async () => {
    const { w, fetch } = await mountCard({ [STATUS]: { body: { available: false, chat: null } } })
    expect(w.get($('telegram-card')).attributes('data-state')).toBe('unavailable')
    expect(w.get($('telegram-unavailable')).text()).toBe('Telegram notifications are not available in this shop.')
    expect(w.find($('telegram-link')).exists()).toBe(false)
    vi.advanceTimersByTime(10_000)
    await flush()
    expect(calls(fetch)).toEqual([STATUS])
    w.unmount()
  })

  it('shows a problem creating a code in our words and stays unlinked', async () => {
    const { w } = await mountCard({
      [STATUS]: { body: { available: true, chat: null } },
      [CODE]: problem(503, 'service_unavailable', { detail: 'Telegram did not answer getMe' }),
    })
    await w.get($('telegram-link')).trigger('click')
    await flush(10)
    const alert = w.get($('telegram-error'))
    expect(alert.attributes('data-code')).toBe('service_unavailable')
    expect(alert.text()).toContain('The service cannot be reached right now.')
    expect(alert.text()).toContain('Telegram did not answer getMe')
    expect(w.get($('telegram-card')).attributes('data-state')).toBe('unlinked')
    w.unmount()
  })
})
