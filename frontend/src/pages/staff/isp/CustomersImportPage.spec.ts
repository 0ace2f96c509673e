import { beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import CustomersImportPage from './CustomersImportPage.vue'
import { createAppI18n } from '../../../i18n'
import { createAppRouter } from '../../../router'
import { calls, flush, mockFetch, type Route } from '../../../test/fetch'
import { customerImport, importRow } from '../../../test/isp'
import { useSessionStore } from '../../../stores/session'
import { account } from '../../../test/identity'

const UPLOAD = 'POST /api/v1/isp/customers/imports'
const ID = '6f1c1c1e-4b4a-4b8e-9b1a-0a0b0c0d0e0f'
const rows = [
  importRow(2, { name: 'Egi Setiawan Sempu', pppoe_username: 'egisetiawansempu' }),
  importRow(3, { status: 'update', changes: [{ field: 'phone', old: '0812', new: '0813' }] }),
  importRow(4, { status: 'unchanged' }),
  importRow(5, { status: 'invalid', latitude: null, longitude: null, problems: [{ field: 'latitude', message: '`-95`: a latitude is -90 to 90' }] }),
]

async function mountPage(routes: Record<string, Route>) {
  useSessionStore().$patch({ accessToken: 'access-1', account: account(['sysadmin']) })
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/isp/customers/import')
  const w = mount(CustomersImportPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch, router }
}
const $ = (id: string) => `[data-testid="${id}"]`

async function choose(w: VueWrapper, name: string) {
  const input = w.get<HTMLInputElement>(`${$('isp-import-upload-area')} input[type="file"]`)
  const file = new File(['PK'], name, { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' })
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true })
  await input.trigger('change')
  await flush()
}

describe('ISP customers import', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('uploads the workbook, previews every row with its status, filters by status on the server, and confirms', async () => {
    const uploads: Request[] = []
    const { w, fetch, router } = await mountPage({
      [UPLOAD]: (request) => {
        uploads.push(request)
        return { status: 201, body: customerImport(rows) }
      },
      [`GET /api/v1/isp/customers/imports/${ID}`]: (request) => {
        const status = new URL(request.url).searchParams.get('status')
        const page = rows.filter((r) => !status || r.status === status)
        return { body: customerImport(page, { summary: customerImport(rows).summary, matching: page.length }) }
      },
      [`POST /api/v1/isp/customers/imports/${ID}/confirm`]: { body: { created: 1, updated: 1, unchanged: 1, skipped_invalid: 1 } },
    })
    // Not an .xlsx: refused before sending.
    await choose(w, 'pelanggan.csv')
    expect(w.get($('isp-import-error')).attributes('data-code')).toBe('not_xlsx')
    expect(w.get($('isp-import-upload')).attributes('disabled')).toBeDefined()

    await choose(w, 'pelanggan.xlsx')
    await w.get($('isp-import-upload')).trigger('click')
    await flush(10)
    expect(uploads).toHaveLength(1)
    expect(new URL(uploads[0]!.url).searchParams.get('file_name')).toBe('pelanggan.xlsx')
    expect(uploads[0]!.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(router.currentRoute.value.query.id).toBe(ID)
    expect(w.get($('isp-import-page')).attributes('data-step')).toBe('2')

    expect(w.get($('isp-import-count-new')).attributes('data-count')).toBe('1')
    expect(w.get($('isp-import-count-invalid')).attributes('data-count')).toBe('1')
    const statuses = w.findAll($('isp-import-row')).map((r) => [r.attributes('data-row'), r.attributes('data-status')])
    expect(statuses).toEqual([
      ['2', 'new'],
      ['3', 'update'],
      ['4', 'unchanged'],
      ['5', 'invalid'],
    ])
    const update = w.get(`${$('isp-import-row')}[data-row="3"]`)
    expect(update.get($('isp-import-row-changes')).text()).toBe('Phone: 0812 → 0813')
    const invalid = w.get(`${$('isp-import-row')}[data-row="5"]`)
    expect(invalid.classes()).toContain('isp-import-row--problem')
    expect(invalid.get($('isp-import-problem')).text()).toContain('a latitude is -90 to 90')
    expect(invalid.get($('isp-import-row-status')).text()).toBe('Invalid')

    await w.get(`${$('isp-import-filter-invalid')} input`).trigger('change')
    await flush(10)
    expect(w.findAll($('isp-import-row')).map((r) => r.attributes('data-row'))).toEqual(['5'])
    const last = new URL((fetch.mock.calls.at(-1)![0] as Request).url)
    expect(last.searchParams.get('status')).toBe('invalid')
    expect(last.searchParams.get('limit')).toBe('50')

    expect(w.get($('isp-import-confirm')).text()).toBe('Import 2 rows')
    await w.get($('isp-import-confirm')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toContain(`POST /api/v1/isp/customers/imports/${ID}/confirm`)
    expect(w.get($('isp-import-result-created')).text()).toBe('1')
    expect(w.get($('isp-import-result-skipped')).text()).toBe('1')
    w.unmount()
  })

  it('cancels a preview after asking', async () => {
    const { w, fetch } = await mountPage({
      [UPLOAD]: { status: 201, body: customerImport(rows) },
      [`DELETE /api/v1/isp/customers/imports/${ID}`]: { status: 204 },
    })
    await choose(w, 'pelanggan.xlsx')
    await w.get($('isp-import-upload')).trigger('click')
    await flush(10)
    await w.get($('isp-import-cancel')).trigger('click')
    await flush()
    document.querySelector<HTMLElement>($('isp-import-cancel-confirm'))!.click()
    await flush(10)
    expect(calls(fetch)).toContain(`DELETE /api/v1/isp/customers/imports/${ID}`)
    expect(w.get($('isp-import-page')).attributes('data-step')).toBe('1')
    expect(w.find($('isp-import-cancelled')).exists()).toBe(true)
    w.unmount()
  })
})
