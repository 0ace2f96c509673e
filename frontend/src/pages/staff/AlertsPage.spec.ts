import { beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import AlertsPage from './AlertsPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { ownerAlert } from '../../test/telegram'

const LIST = 'GET /api/v1/notifications/alerts'

async function mountPage(routes: Record<string, Route>, locale: 'en' | 'id' = 'en') {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/alerts')
  const w = mount(AlertsPage, { global: { plugins: [createAppI18n(locale), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const row = (w: VueWrapper, id: number) => w.get(`${$('alert-row')}[data-id="${id}"]`)
const query = (fetch: ReturnType<typeof mockFetch>, n: number) => new URL((fetch.mock.calls[n]![0] as Request).url).searchParams

describe('AlertsPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('lists alerts newest first with kind, delivery, source and detail, and loads more by cursor', async () => {
    const { w, fetch } = await mountPage({
      [LIST]: (request) =>
        new URL(request.url).searchParams.get('cursor') === '3'
          ? { body: { items: [ownerAlert(2, { delivery: 'summarised' }), ownerAlert(1, { delivery: 'held' })], next_cursor: null } }
          : {
              body: {
                items: [
                  ownerAlert(4, { kind: 'error', source: 'billing::invoice', title: 'invoice PDF failed', detail: 'invoice=42\nretrying' }),
                  ownerAlert(3, { source: 'staff_chat.saved', title: 'staff_chat.saved: telegram_chat 5550002' }),
                ],
                next_cursor: '3',
              },
            },
    })
    expect(w.findAll($('alert-row')).map((r) => [r.attributes('data-id'), r.attributes('data-kind'), r.attributes('data-delivery')])).toEqual([
      ['4', 'error', 'sent'],
      ['3', 'change', 'sent'],
    ])
    expect(query(fetch, 0).get('limit')).toBe('50')
    expect(query(fetch, 0).has('cursor')).toBe(false)
    const error = row(w, 4)
    expect(error.get($('alert-kind')).text()).toBe('Error')
    expect(error.get($('alert-delivery')).text()).toBe('Sent')
    expect(error.get($('alert-title')).text()).toBe('invoice PDF failed')
    expect(error.get($('alert-source')).text()).toBe('billing::invoice')
    expect(error.get($('alert-detail')).element.tagName).toBe('PRE')
    expect(error.get($('alert-detail')).text()).toBe('invoice=42\nretrying')
    expect(row(w, 3).get($('alert-kind')).text()).toBe('Change')
    expect(w.find($('alerts-end')).exists()).toBe(false)

    await w.get($('alerts-load-more')).trigger('click')
    await flush(10)
    expect(query(fetch, 1).get('cursor')).toBe('3')
    expect(w.findAll($('alert-row')).map((r) => r.attributes('data-id'))).toEqual(['4', '3', '2', '1'])
    expect(row(w, 2).get($('alert-delivery')).text()).toBe('Summarised')
    expect(row(w, 1).get($('alert-delivery')).text()).toBe('Held for summary')
    expect(w.find($('alerts-load-more')).exists()).toBe(false)
    expect(w.get($('alerts-end')).text()).toBe('That is every alert.')
    w.unmount()
  })

  it('collapses a long detail until asked, in Indonesian too', async () => {
    const long = Array.from({ length: 12 }, (_, i) => `frame ${i}: at billing::invoice::render`).join('\n')
    const { w } = await mountPage({ [LIST]: { body: { items: [ownerAlert(9, { kind: 'error', detail: long }), ownerAlert(8)], next_cursor: null } } }, 'id')
    const detail = row(w, 9).get($('alert-detail'))
    expect(detail.classes()).toContain('alert__detail--clamped')
    const toggle = row(w, 9).get($('alert-toggle'))
    expect(toggle.text()).toBe('Tampilkan semua')
    expect(toggle.attributes('aria-expanded')).toBe('false')
    await toggle.trigger('click')
    expect(row(w, 9).get($('alert-detail')).classes()).not.toContain('alert__detail--clamped')
    expect(row(w, 9).get($('alert-toggle')).text()).toBe('Ringkas')
    expect(row(w, 9).get($('alert-kind')).text()).toBe('Galat')
    expect(row(w, 8).find($('alert-toggle')).exists()).toBe(false) // short: nothing to expand
    expect(row(w, 8).get($('alert-delivery')).text()).toBe('Terkirim')
    w.unmount()
  })

  it('refreshes from the newest page, and says when there is nothing or when loading failed', async () => {
    let answer: 'empty' | 'fail' | 'one' = 'empty'
    const { w, fetch } = await mountPage({
      [LIST]: () =>
        answer === 'fail'
          ? problem(500, 'internal', { detail: 'database unavailable' })
          : { body: { items: answer === 'one' ? [ownerAlert(1)] : [], next_cursor: null } },
    })
    expect(w.get($('alerts-empty')).text()).toContain('No alerts yet')

    answer = 'fail'
    await w.get($('alerts-refresh')).trigger('click')
    await flush(10)
    expect(w.get($('alerts-error')).text()).toContain('database unavailable')
    expect(w.find($('alerts-empty')).exists()).toBe(false)

    answer = 'one'
    await w.get($('alerts-refresh')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toEqual([LIST, LIST, LIST])
    expect(w.find($('alerts-error')).exists()).toBe(false)
    expect(w.findAll($('alert-row'))).toHaveLength(1)
    w.unmount()
  })
})
