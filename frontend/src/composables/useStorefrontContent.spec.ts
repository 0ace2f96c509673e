import { beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { mount } from '@vue/test-utils'
import { createAppI18n } from '../i18n'
import { flush, mockFetch, problem } from '../test/fetch'
import {
  contentLang,
  useStaticPage,
  useStorefrontAnnouncements,
  useStorefrontBanners,
  type PublicAnnouncement,
  type PublicBanner,
} from './useStorefrontContent'

const banner = (id: number, lang: 'id' | 'en'): PublicBanner => ({ id, title: `${lang} ${id}`, image_url: `/b${id}.png`, link_url: null, lang })
const announcement = (id: number): PublicAnnouncement => ({
  id,
  title: `A${id}`,
  html: `<p>${id}</p>`,
  lang: 'id',
  published_at: '2025-05-01T02:00:00Z',
  is_pinned: false,
})

/** Runs `use` inside a component (the composables read the UI language), in `locale`. */
function host<T>(use: () => T, locale: 'id' | 'en' = 'id') {
  let result!: T
  const i18n = createAppI18n(locale)
  const w = mount(
    defineComponent({
      setup() {
        result = use()
        return () => h('div')
      },
    }),
    { global: { plugins: [i18n] } },
  )
  return { result, w, i18n }
}

const query = (request: Request) => Object.fromEntries(new URL(request.url).searchParams)

describe('useStorefrontContent', () => {
  beforeEach(() => localStorage.clear())

  it('maps the UI language to the content language', () => {
    expect(contentLang('en')).toBe('en')
    expect(contentLang('id')).toBe('id')
    expect(contentLang('fr')).toBe('id')
  })

  it('reads banners in the UI language and again when the visitor switches it', async () => {
    const asked: Record<string, string>[] = []
    mockFetch({
      'GET /api/v1/storefront/banners': (request) => {
        const q = query(request)
        asked.push(q)
        return { body: { items: [banner(1, q.lang === 'en' ? 'en' : 'id')] } }
      },
    })
    const { result, w, i18n } = host(() => useStorefrontBanners())
    await result.load()
    expect(asked).toEqual([{ lang: 'id' }])
    expect(result.banners.value?.map((b) => b.title)).toEqual(['id 1'])

    i18n.global.locale.value = 'en'
    await nextTick()
    await flush()
    expect(asked.at(-1)).toEqual({ lang: 'en' })
    expect(result.banners.value?.map((b) => b.title)).toEqual(['en 1'])
    w.unmount()
  })

  it('keeps the last banners on screen when a re-read fails, with the problem beside them', async () => {
    let fail = false
    mockFetch({
      'GET /api/v1/storefront/banners': () => (fail ? problem(500, 'internal_error') : { body: { items: [banner(1, 'id')] } }),
    })
    const { result, w } = host(() => useStorefrontBanners())
    await result.load()
    fail = true
    await result.load()
    expect(result.banners.value).toHaveLength(1)
    expect(result.problem.value?.code).toBe('internal_error')
    expect(result.loaded.value).toBe(true)
    w.unmount()
  })

  it('pages announcements with page and limit', async () => {
    const asked: Record<string, string>[] = []
    mockFetch({
      'GET /api/v1/storefront/announcements': (request) => {
        const q = query(request)
        asked.push(q)
        return { body: { items: [announcement(Number(q.page))], page: Number(q.page), limit: Number(q.limit), total: 12 } }
      },
    })
    const { result, w } = host(() => useStorefrontAnnouncements(5), 'en')
    await result.load()
    await result.goTo(3)
    expect(asked).toEqual([
      { lang: 'en', page: '1', limit: '5' },
      { lang: 'en', page: '3', limit: '5' },
    ])
    expect(result.page.value).toBe(3)
    expect(result.list.value?.items.map((a) => a.id)).toEqual([3])
    w.unmount()
  })

  it('reads a static page by slug, and an unpublished one is a not_found problem', async () => {
    mockFetch({
      'GET /api/v1/storefront/pages/faq': {
        body: { slug: 'faq', title: 'FAQ', html: '<p>Hi</p>', lang: 'en', updated_at: '2025-05-01T02:00:00Z' },
      },
      'GET /api/v1/storefront/pages/draft': problem(404, 'not_found'),
    })
    let slug = 'faq'
    const { result, w } = host(() => useStaticPage(() => slug), 'en')
    await result.load()
    expect(result.page.value?.html).toBe('<p>Hi</p>')
    slug = 'draft'
    await result.load()
    expect(result.problem.value?.status).toBe(404)
    w.unmount()
  })
})
