import { beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import HealthPage from './HealthPage.vue'
import { createAppI18n } from '../i18n'
import { flush, mockFetch } from '../test/fetch'

function mountPage(locale: 'id' | 'en' = 'id') {
  return mount(HealthPage, { global: { plugins: [createAppI18n(locale)] } })
}

const healthy = { status: 'ok', version: '0.1.0' }

describe('HealthPage', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('shows version, a green "Siap" tag and every check when ready', async () => {
    mockFetch({
      '/healthz': { body: healthy },
      '/readyz': {
        body: {
          ready: true,
          checks: [
            { name: 'database', ok: true, latency_ms: 1.25 },
            { name: 'redis', ok: true, latency_ms: 0.4, error: null },
          ],
        },
      },
    })
    const w = mountPage()
    await flush()

    const status = w.get('[data-testid="health-status"]')
    expect(status.text()).toBe('Siap')
    expect(status.attributes('data-status')).toBe('ready')
    expect(status.attributes('data-tone')).toBe('success')
    expect(w.get('[data-testid="health-version"]').text()).toBe('0.1.0')
    expect(w.get('[data-testid="health-liveness"]').text()).toBe('ok')

    const db = w.get('[data-testid="health-check-database"]')
    expect(db.attributes('data-ok')).toBe('true')
    expect(db.text()).toContain('Basis data')
    expect(db.text()).toContain('OK')
    expect(db.text()).toContain('1,3') // Indonesian decimal comma, one fraction digit
    expect(w.get('[data-testid="health-check-redis"]').attributes('data-ok')).toBe('true')
    expect(w.find('[data-testid="health-error"]').exists()).toBe(false)
  })

  it('shows a red "Not ready" tag and the failing check with its error on 503', async () => {
    mockFetch({
      '/healthz': { body: healthy },
      '/readyz': {
        status: 503,
        body: {
          ready: false,
          checks: [
            { name: 'database', ok: true, latency_ms: 2 },
            { name: 'redis', ok: false, latency_ms: 3000, error: 'connection refused' },
          ],
        },
      },
    })
    const w = mountPage('en')
    await flush()

    const status = w.get('[data-testid="health-status"]')
    expect(status.text()).toBe('Not ready')
    expect(status.attributes('data-status')).toBe('not_ready')
    expect(status.attributes('data-tone')).toBe('error')
    const redis = w.get('[data-testid="health-check-redis"]')
    expect(redis.attributes('data-ok')).toBe('false')
    expect(redis.text()).toContain('Failed')
    expect(redis.text()).toContain('connection refused')
    expect(redis.text()).toContain('3,000')
    expect(w.get('[data-testid="health-check-database"]').attributes('data-ok')).toBe('true')
    // a 503 with a Readiness body is an answer, not an API problem
    expect(w.find('[data-testid="health-error"]').exists()).toBe(false)
  })

  it('shows the problem detail when a call fails with problem+json', async () => {
    mockFetch({
      '/healthz': { body: healthy },
      '/readyz': {
        status: 500,
        contentType: 'application/problem+json',
        body: { type: 'about:blank', title: 'Internal', status: 500, code: 'internal', detail: 'Pool exhausted' },
      },
    })
    const w = mountPage()
    await flush()

    const alert = w.get('[data-testid="health-error"]')
    expect(alert.attributes('data-code')).toBe('internal')
    expect(w.get('[data-testid="health-error-detail"]').text()).toBe('Pool exhausted')
    expect(alert.text()).toContain('Kode: internal')
    expect(w.get('[data-testid="health-status"]').text()).toBe('Tidak diketahui')
    expect(w.get('[data-testid="health-version"]').text()).toBe('0.1.0')
  })

  it('explains an unreachable server in the current language', async () => {
    mockFetch({ '/healthz': new TypeError('Failed to fetch'), '/readyz': new TypeError('Failed to fetch') })
    const w = mountPage('en')
    await flush()
    expect(w.get('[data-testid="health-error-detail"]').text()).toMatch(/cannot be reached/)
    expect(w.get('[data-testid="health-version"]').text()).toBe('—')
  })

  it('refreshes on the button and replaces an old error with the new answer', async () => {
    mockFetch({ '/healthz': new TypeError('Failed to fetch'), '/readyz': new TypeError('Failed to fetch') })
    const w = mountPage()
    await flush()
    expect(w.find('[data-testid="health-error"]').exists()).toBe(true)

    const fetch = mockFetch({
      '/healthz': { body: healthy },
      '/readyz': { body: { ready: true, checks: [{ name: 'database', ok: true, latency_ms: 1 }] } },
    })
    await w.get('[data-testid="health-refresh"]').trigger('click')
    await flush()
    expect(fetch).toHaveBeenCalledTimes(2)
    expect(w.find('[data-testid="health-error"]').exists()).toBe(false)
    expect(w.get('[data-testid="health-status"]').text()).toBe('Siap')
  })
})
