import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import HostsPage from './HostsPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { hostDetail, monitoredHost } from '../../test/monitoring'
import type { HostInput } from '../../composables/useHosts'
import { useSessionStore } from '../../stores/session'
import { account } from '../../test/identity'

const LIST = 'GET /api/v1/monitoring/hosts'
const CREATE = 'POST /api/v1/monitoring/hosts'
const VISIBILITY = 'POST /api/v1/monitoring/hosts/visibility'
const SETTINGS = '/api/v1/monitoring/settings'

async function mountPage(routes: Record<string, Route>) {
  const fetch = mockFetch(routes)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff/hosts')
  const w = mount(HostsPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
const row = (w: VueWrapper, id: number) => w.get(`${$('host-row')}[data-id="${id}"]`)
/** Type into a native input rendered in a teleported dialog. */
function type(id: string, value: string) {
  const input = inDoc(id) as HTMLInputElement | HTMLTextAreaElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
/** The form item (label, input and feedback) holding test id `id`, in the dialog. */
const itemText = (id: string) => inDoc(id)!.closest('.n-form-item')!.textContent ?? ''
const urls = (fetch: ReturnType<typeof mockFetch>) => fetch.mock.calls.map(([r]) => new URL((r as Request).url))

describe('HostsPage', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('lists hosts with live status, address:port, last check, response time, days left badges, public and maintenance tags', async () => {
    const { w } = await mountPage({
      [LIST]: {
        body: [
          monitoredHost(1, { name: 'RDP Budi', status: 'up', last_latency_ms: 42, days_left: 30, is_public: true }),
          monitoredHost(2, { name: 'VPS Sari', status: 'down', last_latency_ms: null, last_error: 'connection refused', days_left: 3 }),
          monitoredHost(3, { name: 'VPS Baru', status: 'pending', last_checked_at: null, last_latency_ms: null, days_left: -2, in_maintenance: true }),
        ],
      },
    })
    const rows = w.findAll($('host-row'))
    expect(rows.map((r) => [r.attributes('data-name'), r.attributes('data-status')])).toEqual([
      ['RDP Budi', 'up'],
      ['VPS Sari', 'down'],
      ['VPS Baru', 'pending'],
    ])
    const budi = row(w, 1)
    expect(budi.get($('host-status')).text()).toBe('UP')
    expect(budi.get($('host-status')).attributes('data-status')).toBe('up')
    expect(budi.get($('host-status')).classes()).toContain('host-status--up')
    expect(budi.get($('host-row-address')).text()).toBe('203.0.113.1:3389')
    // Checked 12 s before the fixture was built; mounting on a busy machine can take a few more.
    expect(budi.get($('host-last-check')).text()).toMatch(/\b(1[2-9]|[2-5]\d) seconds ago/)
    expect(budi.get($('host-latency')).text()).toBe('42 ms')
    expect(budi.get($('host-days-left')).attributes('data-state')).toBe('ok')
    expect(budi.get($('host-days-left')).text()).toBe('30 days left')
    expect(budi.get($('host-row-public')).text()).toBe('Public')
    expect(budi.find($('host-maintenance')).exists()).toBe(false)

    const sari = row(w, 2)
    expect(sari.get($('host-status')).text()).toBe('DOWN')
    expect(sari.get($('host-status')).classes()).toContain('host-status--down')
    expect(sari.classes()).toContain('hosts__row--down')
    expect(sari.get($('host-last-error')).text()).toBe('connection refused')
    expect(sari.get($('host-expiring')).text()).toBe('Expiring soon')
    expect(sari.find($('host-row-public')).exists()).toBe(false)

    const baru = row(w, 3)
    expect(baru.get($('host-status')).text()).toBe('PENDING')
    expect(baru.get($('host-last-check')).text()).toBe('Not checked yet')
    expect(baru.get($('host-latency')).text()).toBe('—')
    expect(baru.get($('host-expired')).text()).toBe('Expired')
    expect(baru.get($('host-days-left')).text()).toContain('2 days ago')
    expect(baru.get($('host-maintenance')).text()).toBe('Maintenance')

    expect(w.get($('hosts-count-up')).text()).toBe('1 UP')
    expect(w.get($('hosts-count-down')).text()).toBe('1 DOWN')
    expect(w.get($('hosts-import')).attributes('href')).toBe('/staff/hosts/import')
    w.unmount()
  })

  it('re-reads the list every 10 seconds while visible, and filters by status and search', async () => {
    vi.useFakeTimers({ toFake: ['setInterval'] })
    let status: 'up' | 'down' = 'up'
    const { w, fetch } = await mountPage({ [LIST]: () => ({ body: [monitoredHost(1, { status })] }) })
    expect(row(w, 1).attributes('data-status')).toBe('up')
    status = 'down'
    vi.advanceTimersByTime(10_000)
    await flush(10)
    expect(calls(fetch)).toEqual([LIST, LIST])
    expect(row(w, 1).attributes('data-status')).toBe('down')
    expect(row(w, 1).get($('host-status')).text()).toBe('DOWN')

    // Status filter: the NSelect's menu options.
    await w.get(`${$('hosts-filter-status')} .n-base-selection`).trigger('click')
    await flush()
    const option = [...document.querySelectorAll<HTMLElement>('.n-base-select-option')].find((o) => o.textContent === 'DOWN')!
    option.click()
    await flush(10)
    expect(urls(fetch).at(-1)!.searchParams.get('status')).toBe('down')

    await w.get($('hosts-search')).setValue('  budi ')
    await new Promise((r) => setTimeout(r, 350))
    await flush(10)
    const last = urls(fetch).at(-1)!
    expect(last.searchParams.get('q')).toBe('budi')
    expect(last.searchParams.get('status')).toBe('down')
    w.unmount()
  })

  it('adds a host: checks the form, shows 422 field errors under their inputs and a 409, then saves the price in minor units', async () => {
    const posted: HostInput[] = []
    let answer: 'invalid' | 'duplicate' | 'ok' = 'invalid'
    const { w } = await mountPage({
      [LIST]: { body: [] },
      [CREATE]: async (request) => {
        const body = (await request.json()) as HostInput
        posted.push(body)
        if (answer === 'invalid') {
          return problem(422, 'validation_failed', {
            errors: [
              { field: 'address', code: 'invalid_address', message: '`999.1.1.1`: the last label `1` is all digits' },
              { field: 'currency', code: 'unknown_currency', message: 'unknown currency' },
              { field: 'customer_id', code: 'unknown', message: 'no account with this id' },
            ],
          })
        }
        if (answer === 'duplicate') {
          return problem(409, 'duplicate_host', {
            detail: 'a host with this name, address and port exists already',
            errors: [{ field: 'name', code: 'duplicate', message: 'a host with this name, address and port exists already' }],
          })
        }
        return { status: 201, body: monitoredHost(9, { name: body.name, address: body.address, port: body.port, status: 'pending' }) }
      },
    })
    expect(w.get($('hosts-empty')).text()).toContain('No servers are monitored yet')
    await w.get($('hosts-add')).trigger('click')
    await flush()
    expect(inDoc('host-form')!.getAttribute('data-mode')).toBe('add')
    expect((inDoc('host-record-sale')!.querySelector('.n-checkbox') ?? inDoc('host-record-sale')!).getAttribute('aria-checked')).toBe('true')

    // Client-side: the port must be 1–65535 and the price a price; nothing is sent.
    type('host-name', 'RDP Budi')
    type('host-address', '999.1.1.1')
    type('host-port', '70000')
    type('host-price', '12,5')
    inDoc('host-save')!.click()
    await flush(10)
    expect(itemText('host-port')).toContain('Enter a whole number from 1 to 65535.')
    expect(itemText('host-price')).toContain('Too many decimals for IDR')
    expect(posted).toEqual([])

    type('host-port', '3389')
    type('host-price', 'Rp 150.000')
    await flush()
    expect(inDoc('host-price-preview')!.textContent!.replace(/\s/g, ' ')).toContain('Saved as IDR 150,000')
    inDoc('host-save')!.click()
    await flush(10)
    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatchObject({
      name: 'RDP Budi',
      address: '999.1.1.1',
      port: 3389,
      price_minor: 150000,
      currency: 'IDR',
      is_public: false,
      check_interval_seconds: 300,
      failures_before_down: 2,
      renotify_minutes: null,
      record_sale: true,
      expires_on: null,
    })
    expect(itemText('host-address')).toContain('Not a valid IP address or domain name')
    // An error in the advanced part opens it.
    expect(inDoc('host-advanced')!.getAttribute('aria-expanded')).toBe('true')
    expect(itemText('host-customer')).toContain('No account has this id.')
    expect(inDoc('host-form-error')!.getAttribute('data-code')).toBe('validation_failed')
    expect(inDoc('host-form-error')!.textContent).not.toContain('Not a valid IP address') // inline, not in the alert

    answer = 'duplicate'
    type('host-address', '127.0.0.1')
    inDoc('host-save')!.click()
    await flush(10)
    expect(inDoc('host-form-error')!.getAttribute('data-code')).toBe('duplicate_host')
    expect(inDoc('host-form-error')!.textContent).toContain('A host with this name, address and port exists already.')
    expect(itemText('host-name')).toContain('Another server has this name, address and port.')

    answer = 'ok'
    type('host-address', '127.0.0.2')
    inDoc('host-currency-USD')!.querySelector('input')!.click()
    type('host-price', '12.10')
    inDoc('host-public')!.click()
    type('host-interval', '30')
    type('host-failures', '1')
    await flush()
    inDoc('host-save')!.click()
    await flush(10)
    expect(posted.at(-1)).toMatchObject({ address: '127.0.0.2', currency: 'USD', price_minor: 1210, is_public: true, check_interval_seconds: 30, failures_before_down: 1 })
    expect(w.get($('hosts-notice')).text()).toContain('RDP Budi is added.')
    expect(row(w, 9).attributes('data-status')).toBe('pending')
    w.unmount()
  })

  it('edits a host in place (the fields it does not show are kept) and deletes another after confirming', async () => {
    const put: HostInput[] = []
    const customer = '0b9d6a52-6f3e-4c5e-9a43-3f7f0c1d2e01'
    const { w, fetch } = await mountPage({
      [LIST]: {
        body: [
          monitoredHost(1, { name: 'RDP Budi', currency: 'USD', price_minor: 1250, customer_id: customer, renotify_minutes: 60 }),
          monitoredHost(2, { name: 'VPS Sari' }),
        ],
      },
      'PUT /api/v1/monitoring/hosts/1': async (request) => {
        const body = (await request.json()) as HostInput
        put.push(body)
        return { body: monitoredHost(1, { name: body.name, is_public: body.is_public ?? false, check_interval_seconds: body.check_interval_seconds ?? 300 }) }
      },
      'DELETE /api/v1/monitoring/hosts/2': { status: 204 },
    })
    await row(w, 1).get($('host-edit')).trigger('click')
    await flush()
    expect(inDoc('host-form')!.getAttribute('data-mode')).toBe('edit')
    expect((inDoc('host-price') as HTMLInputElement).value).toBe('12.50')
    expect((inDoc('host-renotify') as HTMLInputElement).value).toBe('60')
    expect(inDoc('host-record-sale')).toBeNull() // only when adding
    inDoc('host-advanced')!.click()
    await flush()
    inDoc('host-public')!.click()
    type('host-interval', '30')
    inDoc('host-save')!.click()
    await flush(10)
    expect(put).toEqual([
      expect.objectContaining({ name: 'RDP Budi', price_minor: 1250, currency: 'USD', is_public: true, check_interval_seconds: 30, customer_id: customer, renotify_minutes: 60 }),
    ])
    expect(put[0]).not.toHaveProperty('record_sale')
    expect(row(w, 1).attributes('data-public')).toBe('true')

    await row(w, 2).get($('host-delete')).trigger('click')
    await flush()
    expect(calls(fetch)).not.toContain('DELETE /api/v1/monitoring/hosts/2')
    inDoc('host-delete-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('DELETE /api/v1/monitoring/hosts/2')
    expect(w.findAll($('host-row')).map((r) => r.attributes('data-id'))).toEqual(['1'])
    expect(w.get($('hosts-notice')).text()).toContain('VPS Sari is removed')
    w.unmount()
  })

  it('opens a host: uptime 24 h / 7 d / 30 d, state changes, and maintenance windows to plan and remove', async () => {
    const host = monitoredHost(1, { name: 'RDP Budi' })
    const windows = [{ id: 5, starts_at: '2030-01-01T01:00:00Z', ends_at: '2030-01-01T03:00:00Z', reason: 'RAM upgrade' }]
    const planned: unknown[] = []
    const { w, fetch } = await mountPage({
      [LIST]: { body: [host] },
      'GET /api/v1/monitoring/hosts/1': () => ({ body: hostDetail(host, { maintenance: [...windows] }) }),
      'POST /api/v1/monitoring/hosts/1/maintenance': async (request) => {
        const body = (await request.json()) as { starts_at: string; ends_at: string; reason: string }
        planned.push(body)
        if (body.reason === 'too long') {
          return problem(422, 'validation_failed', { errors: [{ field: 'ends_at', code: 'too_long', message: 'a window lasts at most 31 days' }] })
        }
        windows.push({ id: 6, ...body })
        return { status: 201, body: { id: 6, ...body } }
      },
      'DELETE /api/v1/monitoring/hosts/1/maintenance/5': () => {
        windows.splice(0, 1)
        return { status: 204 }
      },
    })
    await row(w, 1).get($('host-row-name')).trigger('click')
    await flush(10)
    expect(inDoc('host-uptime-24h')!.textContent).toContain('100%')
    expect(inDoc('host-uptime-7d')!.textContent).toContain('99.5%')
    expect(inDoc('host-uptime-30d')!.textContent).toContain('—')
    const changes = [...document.querySelectorAll<HTMLElement>($('host-change-row'))]
    expect(changes.map((c) => c.getAttribute('data-to'))).toEqual(['up', 'down'])
    expect(changes[1]!.textContent).toContain('UP → DOWN')
    expect(changes[1]!.textContent).toContain('connection refused')
    expect(document.querySelectorAll($('maintenance-row'))).toHaveLength(1)
    expect(inDoc('maintenance-row')!.textContent).toContain('RAM upgrade')

    type('maintenance-reason', 'too long')
    inDoc('maintenance-add')!.click()
    await flush(10)
    expect(inDoc('maintenance-form')!.textContent).toContain('A window lasts at most 31 days.')

    type('maintenance-reason', 'Pindah datacenter')
    inDoc('maintenance-add')!.click()
    await flush(10)
    const body = planned.at(-1) as { starts_at: string; ends_at: string; reason: string }
    expect(body.reason).toBe('Pindah datacenter')
    expect(Date.parse(body.ends_at) - Date.parse(body.starts_at)).toBe(2 * 3600_000)
    expect(inDoc('maintenance-planned')).not.toBeNull()
    expect(document.querySelectorAll($('maintenance-row'))).toHaveLength(2)

    inDoc('maintenance-remove')!.click()
    await flush()
    inDoc('maintenance-remove-confirm')!.click()
    await flush(10)
    expect(calls(fetch)).toContain('DELETE /api/v1/monitoring/hosts/1/maintenance/5')
    expect([...document.querySelectorAll($('maintenance-row'))].map((r) => r.getAttribute('data-id'))).toEqual(['6'])
    w.unmount()
  })

  it('exports the workbook through the API with the session and hands it to the browser', async () => {
    const created: Blob[] = []
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: (b: Blob) => (created.push(b), 'blob:x'), revokeObjectURL: () => undefined }))
    const clicked: string[] = []
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download)
    })
    const { w, fetch } = await mountPage({
      [LIST]: { body: [] },
      'GET /api/v1/monitoring/export': {
        body: 'PK',
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        headers: { 'content-disposition': 'attachment; filename="juragan-20250503.xlsx"' },
      },
    })
    await w.get($('hosts-export')).trigger('click')
    await flush(10)
    expect(calls(fetch)).toContain('GET /api/v1/monitoring/export')
    expect(clicked).toEqual(['juragan-20250503.xlsx'])
    expect(created).toHaveLength(1)
    click.mockRestore()
    w.unmount()
  })
  it('publishes the selected rows, unpublishes every host matching the filter after asking, and clears the selection', async () => {
    const bodies: unknown[] = []
    let published = false
    const { w, fetch } = await mountPage({
      [LIST]: () => ({
        body: [monitoredHost(1, { name: 'RDP Budi', is_public: published }), monitoredHost(2, { name: 'VPS Sari' }), monitoredHost(3, { name: 'VPS Baru' })],
      }),
      [VISIBILITY]: async (request) => {
        const body = (await request.json()) as { is_public: boolean }
        bodies.push(body)
        published = body.is_public
        return { body: { updated: 1 } }
      },
    })
    // Business staff: no shop setting.
    expect(w.find($('hosts-new-public')).exists()).toBe(false)
    expect(w.find($('hosts-publish-selected')).exists()).toBe(false)
    await row(w, 1).get(`${$('host-select')}`).trigger('click')
    await flush()
    expect(w.get($('hosts-select-all')).text()).toContain('1 selected')
    await w.get($('hosts-publish-selected')).trigger('click')
    await flush(10)
    expect(bodies.at(-1)).toEqual({ is_public: true, ids: [1] })
    expect(w.get($('hosts-notice')).text()).toContain('1 server(s) now shown on the status page.')
    expect(row(w, 1).attributes('data-public')).toBe('true')
    expect(w.find($('hosts-publish-selected')).exists()).toBe(false)

    await w.get($('hosts-select-all')).trigger('click')
    await flush()
    expect(w.get($('hosts-select-all')).text()).toContain('3 selected')

    await w.get($('hosts-search')).setValue(' vps ')
    await new Promise((r) => setTimeout(r, 350))
    await flush(10)
    await w.get($('hosts-unpublish-matching')).trigger('click')
    await flush()
    expect(document.body.textContent).toContain('Hide all 3 servers listed from the public status page?')
    inDoc('hosts-unpublish-matching-confirm')!.click()
    await flush(10)
    expect(bodies.at(-1)).toEqual({ is_public: false, all_matching: { status: null, q: 'vps' } })
    expect(calls(fetch).filter((c) => c === VISIBILITY)).toHaveLength(2)
    expect(w.get($('hosts-select-all')).text()).toContain('Select all shown')
    w.unmount()
  })

  it('lets the owner switch "new servers are public", and puts the switch back when saving fails', async () => {
    useSessionStore().$patch({ accessToken: 'access-1', account: account(['owner']) })
    const saved: unknown[] = []
    let fail = false
    const { w } = await mountPage({
      [LIST]: { body: [monitoredHost(1)] },
      [`GET ${SETTINGS}`]: { body: { new_hosts_public: true } },
      [`PUT ${SETTINGS}`]: async (request) => {
        const body = await request.json()
        saved.push(body)
        return fail ? problem(403, 'forbidden') : { body }
      },
    })
    const toggle = () => w.get($('hosts-new-public'))
    expect(toggle().attributes('aria-checked')).toBe('true')
    await toggle().trigger('click')
    await flush(10)
    expect(saved).toEqual([{ new_hosts_public: false }])
    expect(toggle().attributes('aria-checked')).toBe('false')
    fail = true
    await toggle().trigger('click')
    await flush(10)
    expect(toggle().attributes('aria-checked')).toBe('false')
    expect(w.get($('hosts-visibility-error')).attributes('data-code')).toBe('forbidden')
    w.unmount()
  })
})
