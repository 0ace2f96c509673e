import { beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import ImportPage from './ImportPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { useSessionStore } from '../../stores/session'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { account } from '../../test/identity'
import { accountRow, hostRow, importPreview, importResult, stagedImport, type ImportPreview } from '../../test/monitoring'
import type { HostRow } from '../../composables/useImport'

const UPLOAD = 'POST /api/v1/monitoring/imports'
const ID = '0196f7a2-3c4d-7e5f-8a9b-0c1d2e3f4a5b'
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

async function mountPage(routes: Record<string, Route>, path = '/staff/hosts/import') {
  const fetch = mockFetch(routes)
  useSessionStore().$patch({ accessToken: 'access-1', account: account(['business']) })
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const w = mount(ImportPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch, router }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))

/** Choose a file in the upload area's (hidden) file input, as the browser does. */
async function choose(w: VueWrapper, file: File) {
  const input = w.get(`${$('import-upload-area')} input[type="file"]`).element as HTMLInputElement
  Object.defineProperty(input, 'files', { value: [file], configurable: true })
  input.dispatchEvent(new Event('change'))
  await flush()
}

const bytes = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5])
const workbook = (name = 'pelanggan.xlsx') => new File([bytes], name, { type: XLSX })

/** The preview of the acceptance workbook: two good hosts, three bad ones, one good and one bad account sale. */
function acceptancePreview() {
  const hosts: HostRow[] = [
    hostRow(2, { name: 'Listener', ip: '127.0.0.1', port: 41000 }),
    hostRow(3, { name: 'Closed', ip: '127.0.0.1', port: 41001 }),
    hostRow(4, {
      name: 'Bad IP',
      ip: null,
      problems: [{ field: 'ip', code: 'invalid_ip', message: '`999.1.1.1`: the last label `1` is all digits' }],
    }),
    hostRow(5, { name: 'Bad port', port: null, problems: [{ field: 'port', code: 'invalid_port', message: '`70000` is not a port number between 1 and 65535' }] }),
    hostRow(6, { name: 'Bad date', expire_date: null, problems: [{ field: 'expire_date', code: 'invalid_date', message: '`31/02/2026` is not a date' }] }),
  ]
  const sales = [
    accountRow(2, { name: 'Netflix 1 bulan' }),
    accountRow(3, { name: null, qty: null, problems: [{ field: 'name', code: 'missing', message: '`name` is required' }, { field: 'qty', code: 'invalid_qty', message: '`nol` is not a whole number of at least 1' }] }),
  ]
  return importPreview(hosts, sales)
}

const HOST_PAGES = `GET /api/v1/monitoring/imports/${ID}/hosts`
const SALE_PAGES = `GET /api/v1/monitoring/imports/${ID}/account-sales`

/** The server's paging of the preview's rows: filtered by `status`, sliced by `offset` and `limit`. */
function pagedRows(preview: ImportPreview): Record<string, Route> {
  const page = <R extends { status: string }>(rows: R[]) => (request: Request) => {
    const query = new URL(request.url).searchParams
    const status = query.get('status')
    const matching = status ? rows.filter((r) => r.status === status) : rows
    const offset = Number(query.get('offset') ?? 0)
    const limit = Number(query.get('limit') ?? 50)
    return { body: { total: matching.length, offset, rows: matching.slice(offset, offset + limit) } }
  }
  return { [HOST_PAGES]: page(preview.hosts), [SALE_PAGES]: page(preview.account_sales) }
}

async function chooseAndUpload(w: VueWrapper) {
  await choose(w, workbook())
  await w.get($('import-upload')).trigger('click')
  await flush(10)
}

describe('ImportPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('uploads the raw .xlsx, previews every row with problem rows highlighted, confirms and shows the counts', async () => {
    const sent: { type: string | null; name: string | null; body: number[] }[] = []
    const { w, fetch, router } = await mountPage({
      [UPLOAD]: async (request) => {
        sent.push({
          type: request.headers.get('content-type'),
          name: new URL(request.url).searchParams.get('file_name'),
          body: [...new Uint8Array(await request.arrayBuffer())],
        })
        return { status: 201, body: stagedImport(acceptancePreview()) }
      },
      ...pagedRows(acceptancePreview()),
      [`POST /api/v1/monitoring/imports/${ID}/confirm`]: { body: importResult({ hosts_created: 2, host_sales_recorded: 2, account_sales_created: 1, rows_skipped: 4 }) },
    })
    expect(w.get($('import-page')).attributes('data-step')).toBe('1')
    expect((w.get($('import-upload')).element as HTMLButtonElement).disabled).toBe(true)

    await choose(w, workbook())
    expect(w.get($('import-file')).attributes('data-name')).toBe('pelanggan.xlsx')
    expect(w.get($('import-file-size')).text()).toBe('9 bytes')
    await w.get($('import-upload')).trigger('click')
    await flush(10)

    expect(sent).toEqual([{ type: XLSX, name: 'pelanggan.xlsx', body: [...bytes] }])
    expect(w.get($('import-page')).attributes('data-step')).toBe('2')
    expect(router.currentRoute.value.query.id).toBe(ID) // a reload finds the preview again

    const hostsSummary = w.get($('import-summary-hosts'))
    expect([hostsSummary.attributes('data-total'), hostsSummary.attributes('data-valid'), hostsSummary.attributes('data-problems')]).toEqual(['5', '2', '3'])
    expect(w.get($('import-summary-account_sales')).attributes('data-problems')).toBe('1')
    expect(w.get(`${$('import-sheet')}[data-name="Data VPS"] ${$('import-ignored-headers')}`).text()).toContain('Catatan')
    expect(w.get($('import-ignored-sheet')).text()).toContain('the name contains neither VPS nor AKUN')

    const hostRows = w.findAll($('import-host-row'))
    expect(hostRows.map((r) => [r.attributes('data-row'), r.attributes('data-problems'), r.classes().includes('import-row--problem')])).toEqual([
      ['2', '0', false],
      ['3', '0', false],
      ['4', '1', true],
      ['5', '1', true],
      ['6', '1', true],
    ])
    expect(hostRows[0]!.get('[data-field="ip"]').text()).toBe('127.0.0.1')
    expect(hostRows[0]!.get('[data-field="price"]').text()).toBe('IDR 150,000'.replace(' ', '\u00a0'))
    expect(hostRows[0]!.get($('import-row-status')).text()).toBe('New')
    expect(hostRows[0]!.get($('import-row-status')).attributes('data-status')).toBe('new')
    expect(w.get(`${$('import-statuses-hosts')} [data-status="new"]`).attributes('data-count')).toBe('2')
    // Each problem sits next to its field, with the cell as it was written.
    const badIp = hostRows[2]!.get('[data-field="ip"]')
    expect(badIp.classes()).toContain('import-cell--problem')
    expect(badIp.get($('import-problem')).attributes('data-code')).toBe('invalid_ip')
    expect(badIp.text()).toContain('999.1.1.1')
    expect(badIp.text()).toContain('not a valid IP or domain')
    expect(hostRows[3]!.get('[data-field="port"]').text()).toContain('70000')
    expect(hostRows[3]!.get('[data-field="port"]').text()).toContain('a port is 1 to 65535')
    expect(hostRows[4]!.get('[data-field="expire_date"]').text()).toContain('31/02/2026')
    expect(hostRows[4]!.get($('import-row-problems')).text()).toBe('1 problem')
    const saleRows = w.findAll($('import-sale-row'))
    expect(saleRows[1]!.findAll($('import-problem')).map((p) => p.attributes('data-field'))).toEqual(['name', 'qty'])
    expect(saleRows[1]!.get($('import-row-problems')).text()).toBe('2 problems')

    // Only the rows with problems: asked of the server, both kinds.
    await w.get(`${$('import-only-problems')} input`).setValue(true)
    await flush(10)
    expect(w.findAll($('import-host-row')).map((r) => r.attributes('data-row'))).toEqual(['4', '5', '6'])
    expect(w.findAll($('import-sale-row')).map((r) => r.attributes('data-row'))).toEqual(['3'])

    expect(w.get($('import-confirm')).text()).toBe('Save the 3 valid rows')
    await w.get($('import-confirm')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toEqual([UPLOAD, HOST_PAGES, SALE_PAGES, `POST /api/v1/monitoring/imports/${ID}/confirm`])
    expect(new URL((fetch.mock.calls[1]![0] as Request).url).searchParams.get('status')).toBe('invalid')
    expect(w.get($('import-page')).attributes('data-step')).toBe('3')
    expect(w.get($('import-result-hosts-created')).text()).toBe('2')
    expect(w.get($('import-result-host-sales')).text()).toBe('2')
    expect(w.get($('import-result-account-sales')).text()).toBe('1')
    expect(w.get($('import-result-skipped')).text()).toBe('4')
    expect(w.get($('import-go-hosts')).attributes('href')).toBe('/staff/hosts')
    expect(w.get($('import-go-sales')).attributes('href')).toBe('/staff/sales')
    await flush()
    expect(router.currentRoute.value.query.id).toBeUndefined()
    w.unmount()
  })

  it('cancels a preview: the import is discarded and nothing is written', async () => {
    const { w, fetch } = await mountPage({
      [UPLOAD]: { status: 201, body: stagedImport(acceptancePreview()) },
      [`DELETE /api/v1/monitoring/imports/${ID}`]: { status: 204 },
    })
    await chooseAndUpload(w)
    await w.get($('import-cancel')).trigger('click')
    await flush()
    expect(calls(fetch)).toEqual([UPLOAD])
    inDoc('import-cancel-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toEqual([UPLOAD, `DELETE /api/v1/monitoring/imports/${ID}`])
    expect(w.get($('import-page')).attributes('data-step')).toBe('1')
    expect(w.get($('import-cancelled')).text()).toContain('Nothing was saved')
    expect(w.find($('import-file')).exists()).toBe(false)
    w.unmount()
  })

  it('keeps the preview when the confirm is refused because a host was added meanwhile, and confirms again', async () => {
    let confirms = 0
    const { w, fetch } = await mountPage({
      [UPLOAD]: { status: 201, body: stagedImport(acceptancePreview()) },
      ...pagedRows(acceptancePreview()),
      [`POST /api/v1/monitoring/imports/${ID}/confirm`]: () => {
        confirms += 1
        return confirms === 1 ? problem(409, 'hosts_changed') : { body: importResult({ hosts_created: 1, hosts_updated: 1 }) }
      },
    })
    await chooseAndUpload(w)
    await w.get($('import-confirm')).trigger('click')
    await flush(10)
    const alert = w.get($('import-confirm-error'))
    expect(alert.attributes('data-code')).toBe('hosts_changed')
    expect(alert.text()).toContain('Nothing was written: confirm again.')
    expect(w.get($('import-page')).attributes('data-step')).toBe('2')

    await w.get($('import-confirm')).trigger('click')
    await flush(10)
    expect(calls(fetch).filter((call) => call.endsWith('/confirm'))).toHaveLength(2)
    expect(w.get($('import-page')).attributes('data-step')).toBe('3')
    expect(w.get($('import-result-hosts-created')).text()).toBe('1')
    w.unmount()
  })

  it('shows each refusal in words: a 422 not_xlsx from the server, a .csv and an oversized file before sending', async () => {
    const { w, fetch } = await mountPage({
      [UPLOAD]: problem(422, 'not_xlsx', { detail: 'the file is not an .xlsx workbook: it is a legacy .xls workbook or a password-protected file' }),
    })
    await chooseAndUpload(w)
    const alert = w.get($('import-error'))
    expect(alert.attributes('data-code')).toBe('not_xlsx')
    expect(alert.text()).toContain('This is not an Excel .xlsx file.')
    expect(alert.text()).toContain('legacy .xls workbook')
    expect(w.get($('import-page')).attributes('data-step')).toBe('1')

    await choose(w, new File(['nama,ip\n'], 'data.csv', { type: 'text/csv' }))
    expect(w.get($('import-file')).attributes('data-name')).toBe('data.csv')
    expect(w.get($('import-error')).attributes('data-code')).toBe('not_xlsx')
    expect(w.find($('import-error-detail')).exists()).toBe(false) // our check, no server detail
    expect((w.get($('import-upload')).element as HTMLButtonElement).disabled).toBe(true)

    const huge = workbook('besar.xlsx')
    Object.defineProperty(huge, 'size', { value: 21 * 1024 * 1024 })
    await choose(w, huge)
    expect(w.get($('import-error')).attributes('data-code')).toBe('payload_too_large')
    expect(w.get($('import-error')).text()).toContain('20 MiB')
    expect(w.get($('import-file-size')).text()).toBe('21 MB')
    expect(calls(fetch)).toEqual([UPLOAD]) // neither was sent

    for (const code of ['unsafe_workbook', 'corrupt_workbook', 'no_known_sheets', 'too_many_rows']) {
      const again = await mountPage({ [UPLOAD]: problem(422, code) })
      await chooseAndUpload(again.w)
      expect(again.w.get($('import-error')).attributes('data-code')).toBe(code)
      expect(again.w.get($('import-error')).text()).not.toBe(code) // our words, not the bare code
      again.w.unmount()
    }
    w.unmount()
  })

  it('pages a 20,000-row preview 50 rows at a time, and reads a stored preview again after a reload', async () => {
    const hosts = Array.from({ length: 20_000 }, (_, i) =>
      hostRow(i + 2, i % 1000 === 7 ? { ip: null, problems: [{ field: 'ip', code: 'invalid_ip', message: '`x y` bad' }] } : {}),
    )
    const preview = importPreview(hosts, [])
    const { w, fetch } = await mountPage(
      { [`GET /api/v1/monitoring/imports/${ID}`]: { body: stagedImport(preview) }, ...pagedRows(preview) },
      `/staff/hosts/import?id=${ID}`,
    )
    expect(calls(fetch)).toEqual([`GET /api/v1/monitoring/imports/${ID}`])
    expect(w.get($('import-page')).attributes('data-step')).toBe('2')
    expect(w.findAll($('import-host-row'))).toHaveLength(50)
    expect(w.get($('import-table-hosts')).text()).toContain('rows 1–50 of 20,000')
    const pages = w.get($('import-hosts-pagination'))
    await pages.findAll('.n-pagination-item').find((b) => b.text() === '2')!.trigger('click')
    await flush(10)
    expect(w.findAll($('import-host-row'))[0]!.attributes('data-row')).toBe('52')
    expect(new URL((fetch.mock.calls.at(-1)![0] as Request).url).searchParams.get('offset')).toBe('50')

    await w.get(`${$('import-only-problems')} input`).setValue(true)
    await flush(10)
    expect(w.findAll($('import-host-row')).map((r) => r.attributes('data-row'))).toHaveLength(20)
    expect(w.find($('import-hosts-pagination')).exists()).toBe(false)
    expect(w.get($('import-account_sales-empty')).text()).toBe('No rows with problems.')
    w.unmount()
  })
})
