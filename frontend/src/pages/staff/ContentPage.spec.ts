import { beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import ContentPage from './ContentPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { isContentUrl, slugFrom, type Banner, type BannerInput, type Page, type PageInput } from '../../composables/useContent'

const BANNERS = 'GET /api/v1/staff/content/banners'
const PAGES = 'GET /api/v1/staff/content/pages'
const AT = '2025-05-01T02:00:00Z'

function banner(id: number, patch: Partial<Banner> = {}): Banner {
  return {
    id,
    title_id: `Promo ${id}`,
    title_en: null,
    image_url: `/img/${id}.webp`,
    link_url: null,
    starts_at: null,
    ends_at: null,
    sort_order: 0,
    is_active: true,
    created_at: AT,
    updated_at: AT,
    ...patch,
  }
}
function page(id: number, patch: Partial<Page> = {}): Page {
  return {
    id,
    slug: 'faq',
    title_id: 'Tanya jawab',
    title_en: null,
    body_id: '**Halo**',
    body_en: null,
    is_published: true,
    created_at: AT,
    updated_at: AT,
    ...patch,
  }
}
const list = <T,>(items: T[]) => ({ body: { items, page: 1, limit: 50, total: items.length } })

async function mountPage(routes: Record<string, Route>, tab: 'banners' | 'pages' = 'banners', locale: 'en' | 'id' = 'en') {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/content')
  const w = mount(ContentPage, { global: { plugins: [createAppI18n(locale), router] }, attachTo: document.body })
  await flush(10)
  if (tab === 'pages') {
    ;document.querySelector<HTMLElement>('[data-testid="content-tab-pages"]')!.click()
    await flush(10)
  }
  return { w, fetch, router }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
function type(id: string, value: string) {
  const input = inDoc(id) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
const itemText = (id: string) => inDoc(id)!.closest('.n-form-item')!.textContent ?? ''

describe('ContentPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('lists banners with both languages and their state, adds one showing the server’s field errors at the fields, edits and deletes', async () => {
    const posted: BannerInput[] = []
    let refuse = true
    const { w, fetch } = await mountPage({
      [BANNERS]: list([banner(1, { title_en: 'Promo EN' }), banner(2, { is_active: false })]),
      'POST /api/v1/staff/content/banners': async (request) => {
        const body = (await request.json()) as BannerInput
        posted.push(body)
        if (refuse) {
          return problem(422, 'validation_failed', {
            errors: [
              { field: 'image_url', code: 'invalid_url', message: 'an https:// address or a path on this site starting with /' },
              { field: 'sort_order', code: 'out_of_range', message: 'from 0 to 9999' },
            ],
          })
        }
        return { status: 201, body: banner(9, { title_id: body.title_id }) }
      },
      'PUT /api/v1/staff/content/banners/1': async (request) => ({ body: banner(1, (await request.json()) as BannerInput) }),
      'DELETE /api/v1/staff/content/banners/2': { status: 204 },
    })
    const rows = w.findAll($('banner-row'))
    expect(rows.map((r) => r.get($('banner-row-title')).text())).toEqual(['Promo 1', 'Promo 2'])
    expect(rows[0]!.text()).toContain('Promo EN')
    expect(rows[1]!.text()).toContain('(no English: shows the Indonesian)')
    expect(rows.map((r) => r.get($('banner-row-state')).text())).toEqual(['Showing', 'Inactive'])

    await w.get($('content-add')).trigger('click')
    await flush()
    type('banner-title-id', 'Diskon VPS')
    type('banner-title-en', '  ')
    type('banner-image', '/img/vps.webp')
    type('banner-link', '/p/promo')
    inDoc('banner-save')!.click()
    await flush(10)
    expect(posted).toHaveLength(1)
    expect(posted[0]).toEqual({
      title_id: 'Diskon VPS',
      title_en: null,
      image_url: '/img/vps.webp',
      link_url: '/p/promo',
      starts_at: null,
      ends_at: null,
      sort_order: 0,
      is_active: true,
    })
    expect(itemText('banner-image')).toContain('An https:// address or a path on this site starting with /')
    expect(itemText('banner-sort')).toContain('from 0 to 9999')
    expect(inDoc('banner-form-error')).not.toBeNull()

    refuse = false
    inDoc('banner-save')!.click()
    await flush(10)
    expect(w.get($('content-notice')).text()).toContain('“Diskon VPS” is added.')
    expect(calls(fetch).filter((c) => c === BANNERS)).toHaveLength(2)

    await w.findAll($('banner-row'))[0]!.get($('banner-edit')).trigger('click')
    await flush()
    expect((inDoc('banner-title-en') as HTMLInputElement).value).toBe('Promo EN')
    type('banner-title-id', 'Promo baru')
    inDoc('banner-save')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('PUT /api/v1/staff/content/banners/1')

    await w.findAll($('banner-row'))[1]!.get($('banner-delete')).trigger('click')
    await flush()
    inDoc('banner-delete-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('DELETE /api/v1/staff/content/banners/2')
    w.unmount()
  })

  it('refuses a script link for a banner picture before asking the server', async () => {
    const { w, fetch } = await mountPage({ [BANNERS]: list([]) })
    expect(w.get($('content-empty')).text()).toBe('No banners yet.')
    await w.get($('content-add')).trigger('click')
    await flush()
    type('banner-title-id', 'X')
    type('banner-image', 'javascript:alert(1)')
    inDoc('banner-save')!.click()
    await flush(10)
    expect(itemText('banner-image')).toContain('An https:// address or a path on this site starting with /')
    expect(calls(fetch)).not.toContain('POST /api/v1/staff/content/banners')
    w.unmount()
  })

  it('edits a page in full: the slug follows the title, the preview is the server’s HTML, a taken slug is shown at its field', async () => {
    const posted: PageInput[] = []
    const { w, fetch } = await mountPage(
      {
        [BANNERS]: list([]),
        [PAGES]: list([{ id: 4, slug: 'faq', title_id: 'Tanya jawab', title_en: null, is_published: true, updated_at: AT }]),
        'GET /api/v1/staff/content/pages/4': { body: page(4, { body_en: '**Hi**', title_en: 'FAQ' }) },
        'POST /api/v1/staff/content/preview': async (request) => {
          const { markdown } = (await request.json()) as { markdown: string }
          return { body: { html: `<p><strong>${markdown.replace(/\*/g, '')}</strong></p>` } }
        },
        'POST /api/v1/staff/content/pages': async (request) => {
          posted.push((await request.json()) as PageInput)
          return problem(409, 'slug_taken', { errors: [{ field: 'slug', code: 'taken', message: 'another page has this slug already' }] })
        },
      },
      'pages',
    )
    expect(w.findAll($('page-row'))).toHaveLength(1)
    expect(calls(fetch).filter((c) => c === PAGES)).toHaveLength(1) // a tab is read when opened

    await w.get($('page-edit')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toContain('GET /api/v1/staff/content/pages/4')
    expect((inDoc('page-slug') as HTMLInputElement).value).toBe('faq')
    expect((inDoc('page-body-id') as HTMLTextAreaElement).value).toBe('**Halo**')
    inDoc('page-body-id-preview-tab')!.querySelector('input')!.click()
    await flush(10)
    expect(inDoc('page-body-id-preview')!.innerHTML).toBe('<p><strong>Halo</strong></p>')
    inDoc('page-cancel')!.click()
    await flush()

    await w.get($('content-add')).trigger('click')
    await flush()
    type('page-title-id', 'Syarat & Ketentuan')
    await flush()
    expect((inDoc('page-slug') as HTMLInputElement).value).toBe('syarat-ketentuan')
    type('page-body-id', 'Isi')
    inDoc('page-save')!.click()
    await flush(10)
    expect(posted[0]).toMatchObject({ slug: 'syarat-ketentuan', title_id: 'Syarat & Ketentuan', title_en: null, body_id: 'Isi', body_en: null })
    expect(itemText('page-slug')).toContain('Another page already has this address')
    w.unmount()
  })

  it('asks for English title and text together', async () => {
    const { w, fetch } = await mountPage({ [BANNERS]: list([]), [PAGES]: list([]) }, 'pages')
    await w.get($('content-add')).trigger('click')
    await flush()
    type('page-title-id', 'Tentang')
    type('page-body-id', 'Kami')
    type('page-title-en', 'About')
    inDoc('page-save')!.click()
    await flush(10)
    expect(itemText('page-body-en')).toContain('An English title needs an English text')
    expect(calls(fetch)).not.toContain('POST /api/v1/staff/content/pages')
    w.unmount()
  })
})

describe('content helpers', () => {
  it('suggests slugs from titles and takes only https or site paths as URLs', () => {
    expect(slugFrom('Syarat & Ketentuan 2026')).toBe('syarat-ketentuan-2026')
    expect(slugFrom('  Café — Promo!  ')).toBe('cafe-promo')
    for (const good of ['https://cdn.example.com/a.webp', '/img/a.png', '/']) expect(isContentUrl(good), good).toBe(true)
    for (const bad of ['javascript:alert(1)', 'data:image/png;base64,AA', 'http://x.example', '//evil.example', 'img.png', '/a b', 'https://'])
      expect(isContentUrl(bad), bad).toBe(false)
  })
})
