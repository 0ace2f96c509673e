import { beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import VerifyEmailPage from './VerifyEmailPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem } from '../../test/fetch'

const $ = (id: string) => `[data-testid="${id}"]`

async function mountAt(path: string) {
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  // attached: jsdom only submits a form (button click) that is in the document
  return mount(VerifyEmailPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
}

describe('VerifyEmailPage', () => {
  beforeEach(() => {
    localStorage.clear()
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('verifies by itself when opened from the emailed link (email and code in the URL)', async () => {
    const bodies: unknown[] = []
    const fetch = mockFetch({
      'POST /api/v1/auth/verify-email': async (r) => {
        bodies.push(await r.json())
        return { status: 204 }
      },
    })
    const w = await mountAt('/verify-email?email=budi%40example.test&code=123456')
    await vi.waitFor(() => expect(w.find($('verify-done')).exists()).toBe(true))
    expect(bodies).toEqual([{ email: 'budi@example.test', code: '123456' }])
    expect(calls(fetch)).toEqual(['POST /api/v1/auth/verify-email'])
    expect(w.get($('verify-login-link')).attributes('href')).toBe('/login?email=budi@example.test')
  })

  it('waits for a click when only the email is known; resend starts a cooldown', async () => {
    const fetch = mockFetch({
      'POST /api/v1/auth/verify-email/resend': { status: 202 },
      'POST /api/v1/auth/verify-email': problem(422, 'otp_invalid', { detail: '2 attempts left' }),
    })
    const w = await mountAt('/verify-email?email=budi%40example.test')
    await flush()
    expect(fetch).not.toHaveBeenCalled()
    expect((w.get($('verify-email')).element as HTMLInputElement).value).toBe('budi@example.test')

    await w.get($('verify-resend')).trigger('click')
    await flush(10)
    expect(w.get($('verify-resent')).text()).toContain('budi@example.test')
    expect(w.get($('verify-resend')).text()).toMatch(/Send again in (60|59) s/)

    await w.get($('verify-code')).setValue('999999')
    await w.get($('verify-submit')).trigger('click')
    await flush(10)
    expect(w.get($('verify-error')).attributes('data-code')).toBe('otp_invalid')
    expect(w.get($('verify-error')).text()).toContain('2 attempts left')
  })
})
