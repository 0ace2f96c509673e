import { ref, shallowRef, type Ref } from 'vue'
import { api as defaultApi, deleteTolerating404, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'
import { LIMITS } from '../api/limits'

export type Banner = components['schemas']['Banner']
export type BannerInput = components['schemas']['BannerInput']
export type Testimonial = components['schemas']['Testimonial']
export type TestimonialInput = components['schemas']['TestimonialInput']
export type Page = components['schemas']['Page']
export type PageSummary = components['schemas']['PageSummary']
export type PageInput = components['schemas']['PageInput']
export type Announcement = components['schemas']['Announcement']
export type AnnouncementSummary = components['schemas']['AnnouncementSummary']
export type AnnouncementInput = components['schemas']['AnnouncementInput']

/** The tabs of the content editor, in order. */
export const CONTENT_KINDS = ['banners', 'testimonials', 'pages', 'announcements'] as const
export type ContentKind = (typeof CONTENT_KINDS)[number]

/** Fields each form shows beside its inputs (`errors[].field` of a 422 / 409). */
export const BANNER_FIELDS = ['title_id', 'title_en', 'image_url', 'link_url', 'starts_at', 'ends_at', 'sort_order', 'is_active'] as const
export const TESTIMONIAL_FIELDS = ['author_name', 'author_role_id', 'author_role_en', 'quote_id', 'quote_en', 'rating', 'sort_order', 'is_published'] as const
export const PAGE_FIELDS = ['slug', 'title_id', 'title_en', 'body_id', 'body_en', 'is_published'] as const
export const ANNOUNCEMENT_FIELDS = ['title_id', 'title_en', 'body_id', 'body_en', 'published_at', 'is_pinned'] as const

export const CONTENT_LIMITS = {
  titleMax: LIMITS.BannerInput.title_id.maxLength,
  urlMax: LIMITS.BannerInput.image_url.maxLength,
  sortOrder: LIMITS.BannerInput.sort_order,
  authorNameMax: LIMITS.TestimonialInput.author_name.maxLength,
  authorRoleMax: LIMITS.TestimonialInput.author_role_id.maxLength,
  quoteMax: LIMITS.TestimonialInput.quote_id.maxLength,
  rating: LIMITS.TestimonialInput.rating,
  slugMax: LIMITS.PageInput.slug.maxLength,
  bodyMax: LIMITS.PageInput.body_id.maxLength,
} as const

/** What the server takes as a slug: lowercase letters, digits and dashes. */
export const SLUG = /^[a-z0-9-]+$/

/** "Syarat & Ketentuan 2026" → "syarat-ketentuan-2026": a slug suggested from a title. */
export function slugFrom(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, CONTENT_LIMITS.slugMax)
}

/**
 * An https:// address or a path on this site, as the server takes for banner pictures and
 * links (never `javascript:`, `data:`, plain http or `//host`).
 */
export function isContentUrl(value: string): boolean {
  if (/[\s"'<>\\`]/.test(value)) return false
  if (value.startsWith('/')) return !value.startsWith('//')
  return /^https:\/\/[^/?#@:][^/?#]*/.test(value)
}

/** One page of a staff list as the server sends it. */
interface ListPage<Row> {
  items: Row[]
  total: number
}

/** The calls behind one kind of content (each with its own typed paths). */
interface ContentCalls<Row, Item, Input> {
  list: (page: number, limit: number) => Promise<ListPage<Row>>
  get: (id: number) => Promise<Item>
  create: (input: Input) => Promise<Item>
  update: (id: number, input: Input) => Promise<Item>
  remove: (id: number) => Promise<void>
}

/** Rows per page of the editor's lists. */
export const CONTENT_PAGE_SIZE = 50

/**
 * One kind of content for its editor (owner, business): a page of the list with the total,
 * read one item in full (pages and announcements list without their bodies), add, change,
 * delete. Changes re-read the list, since the order follows what was saved.
 */
function useContentCollection<Row extends { id: number }, Item, Input>(calls: ContentCalls<Row, Item, Input>) {
  const items = ref<Row[]>([]) as Ref<Row[]>
  const total = ref(0)
  const page = ref(1)
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const data = await calls.list(page.value, CONTENT_PAGE_SIZE)
      if (mine !== generation) return
      items.value = data.items
      total.value = data.total
      loaded.value = true
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  async function goTo(to: number): Promise<void> {
    page.value = Math.max(1, to)
    await load()
  }

  async function create(input: Input): Promise<Item> {
    const item = await calls.create(input)
    void load()
    return item
  }

  async function update(id: number, input: Input): Promise<Item> {
    const item = await calls.update(id, input)
    void load()
    return item
  }

  /** Delete an item; one already gone (404) leaves the list too. */
  async function remove(id: number): Promise<void> {
    await calls.remove(id)
    items.value = items.value.filter((row) => row.id !== id)
    void load()
  }

  return { items, total, page, loading, loaded, problem, load, goTo, get: calls.get, create, update, remove }
}

export function useBanners(api: ApiClient = defaultApi) {
  return useContentCollection<Banner, Banner, BannerInput>({
    list: async (page, limit) => {
      const { data, response } = await api.GET('/api/v1/staff/content/banners', { params: { query: { page, limit } } })
      return unwrap(data, response)
    },
    get: async (id) => {
      const { data, response } = await api.GET('/api/v1/staff/content/banners/{id}', { params: { path: { id } } })
      return unwrap(data, response)
    },
    create: async (body) => {
      const { data, response } = await api.POST('/api/v1/staff/content/banners', { body })
      return unwrap(data, response)
    },
    update: async (id, body) => {
      const { data, response } = await api.PUT('/api/v1/staff/content/banners/{id}', { params: { path: { id } }, body })
      return unwrap(data, response)
    },
    remove: (id) => deleteTolerating404(() => api.DELETE('/api/v1/staff/content/banners/{id}', { params: { path: { id } } })),
  })
}

export function useTestimonials(api: ApiClient = defaultApi) {
  return useContentCollection<Testimonial, Testimonial, TestimonialInput>({
    list: async (page, limit) => {
      const { data, response } = await api.GET('/api/v1/staff/content/testimonials', { params: { query: { page, limit } } })
      return unwrap(data, response)
    },
    get: async (id) => {
      const { data, response } = await api.GET('/api/v1/staff/content/testimonials/{id}', { params: { path: { id } } })
      return unwrap(data, response)
    },
    create: async (body) => {
      const { data, response } = await api.POST('/api/v1/staff/content/testimonials', { body })
      return unwrap(data, response)
    },
    update: async (id, body) => {
      const { data, response } = await api.PUT('/api/v1/staff/content/testimonials/{id}', { params: { path: { id } }, body })
      return unwrap(data, response)
    },
    remove: (id) => deleteTolerating404(() => api.DELETE('/api/v1/staff/content/testimonials/{id}', { params: { path: { id } } })),
  })
}

export function usePages(api: ApiClient = defaultApi) {
  return useContentCollection<PageSummary, Page, PageInput>({
    list: async (page, limit) => {
      const { data, response } = await api.GET('/api/v1/staff/content/pages', { params: { query: { page, limit } } })
      return unwrap(data, response)
    },
    get: async (id) => {
      const { data, response } = await api.GET('/api/v1/staff/content/pages/{id}', { params: { path: { id } } })
      return unwrap(data, response)
    },
    create: async (body) => {
      const { data, response } = await api.POST('/api/v1/staff/content/pages', { body })
      return unwrap(data, response)
    },
    update: async (id, body) => {
      const { data, response } = await api.PUT('/api/v1/staff/content/pages/{id}', { params: { path: { id } }, body })
      return unwrap(data, response)
    },
    remove: (id) => deleteTolerating404(() => api.DELETE('/api/v1/staff/content/pages/{id}', { params: { path: { id } } })),
  })
}

export function useAnnouncements(api: ApiClient = defaultApi) {
  return useContentCollection<AnnouncementSummary, Announcement, AnnouncementInput>({
    list: async (page, limit) => {
      const { data, response } = await api.GET('/api/v1/staff/content/announcements', { params: { query: { page, limit } } })
      return unwrap(data, response)
    },
    get: async (id) => {
      const { data, response } = await api.GET('/api/v1/staff/content/announcements/{id}', { params: { path: { id } } })
      return unwrap(data, response)
    },
    create: async (body) => {
      const { data, response } = await api.POST('/api/v1/staff/content/announcements', { body })
      return unwrap(data, response)
    },
    update: async (id, body) => {
      const { data, response } = await api.PUT('/api/v1/staff/content/announcements/{id}', { params: { path: { id } }, body })
      return unwrap(data, response)
    },
    remove: (id) => deleteTolerating404(() => api.DELETE('/api/v1/staff/content/announcements/{id}', { params: { path: { id } } })),
  })
}

/** The sanitised HTML the server would store for `markdown` (nothing is saved). */
export async function previewMarkdown(markdown: string, api: ApiClient = defaultApi): Promise<string> {
  const { data, response } = await api.POST('/api/v1/staff/content/preview', { body: { markdown } })
  return unwrap(data, response).html
}
