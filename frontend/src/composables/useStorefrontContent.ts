import { ref, shallowRef, watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api as defaultApi, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'

export type ContentLang = components['schemas']['Lang']
export type PublicBanner = components['schemas']['PublicBanner']
export type PublicTestimonial = components['schemas']['PublicTestimonial']
export type PublicAnnouncement = components['schemas']['PublicAnnouncement']
export type PublicAnnouncementList = components['schemas']['PublicAnnouncementList']
export type PublicPage = components['schemas']['PublicPage']

/** The content language for the UI language: English for `en`, Indonesian otherwise. */
export function contentLang(locale: string): ContentLang {
  return locale === 'en' ? 'en' : 'id'
}

/**
 * One public read (no sign-in) in the visitor's language, read again when they switch it.
 * A failed re-read keeps the last answer on screen beside the problem.
 */
function useLocalizedRead<T>(read: (lang: ContentLang) => Promise<T>) {
  const { locale } = useI18n()
  const data = shallowRef<T | null>(null) as Ref<T | null>
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const answer = await read(contentLang(locale.value))
      if (mine !== generation) return
      data.value = answer
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) {
        loading.value = false
        loaded.value = true
      }
    }
  }

  watch(locale, () => void load())
  return { data, loading, loaded, problem, load }
}

/** The banners the storefront shows now (the server applies the schedule). */
export function useStorefrontBanners(api: ApiClient = defaultApi) {
  const read = useLocalizedRead(async (lang) => {
    const { data, response } = await api.GET('/api/v1/storefront/banners', { params: { query: { lang } } })
    return unwrap(data, response).items
  })
  return { ...read, banners: read.data }
}

/** Published testimonials, the first `limit` of them. */
export function useStorefrontTestimonials(limit = 6, api: ApiClient = defaultApi) {
  const read = useLocalizedRead(async (lang) => {
    const { data, response } = await api.GET('/api/v1/storefront/testimonials', { params: { query: { lang, limit } } })
    return unwrap(data, response).items
  })
  return { ...read, testimonials: read.data }
}

/** Published announcements, pinned first then newest, one page of `limit` at a time. */
export function useStorefrontAnnouncements(limit = 5, api: ApiClient = defaultApi) {
  const page = ref(1)
  const read = useLocalizedRead(async (lang) => {
    const { data, response } = await api.GET('/api/v1/storefront/announcements', {
      params: { query: { lang, page: page.value, limit } },
    })
    return unwrap(data, response)
  })
  /** Go to page `to` (1 is the first) and read it. */
  async function goTo(to: number): Promise<void> {
    page.value = Math.max(1, to)
    await read.load()
  }
  return { ...read, list: read.data, page, goTo }
}

/** The published page at `slug`; a 404 leaves `page` empty with a `not_found` problem. */
export function useStaticPage(slug: () => string, api: ApiClient = defaultApi) {
  const read = useLocalizedRead(async (lang) => {
    const { data, response } = await api.GET('/api/v1/storefront/pages/{slug}', {
      params: { path: { slug: slug() }, query: { lang } },
    })
    return unwrap(data, response)
  })
  watch(slug, () => {
    read.data.value = null
    void read.load()
  })
  return { ...read, page: read.data }
}
