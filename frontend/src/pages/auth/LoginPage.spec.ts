import { beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import LoginPage from './LoginPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { useSessionStore } from '../../stores/session'
import { calls, flush, mockFetch, problem } from '../../test/fetch'
import { account, challenge, tokenPair } from '../../test/identity'

async function mountLogin(path = '/login', locale: 'id' | 'en' = 'en') {
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const w = mount(LoginPage, { global: { plugins: [createAppI18n(locale), router] }, attachTo: document.body })
  return { w, router }
}

const $ = (id: string) => `[data-testid="${id}"]`

async function fillCredentials(w: Awaited<ReturnType<typeof mountLogin>>['w'], email = 'owner@example.test') {
  await w.get($('login-email')).setValue(email)
  await w.get($('login-password')).setValue('correct horse battery')
  await w.get($('login-submit')).trigger('click')
  await flush(10)
}

describe('LoginPage', () => {
  beforeEach(() => {
    localStorage.clear()
    document.body.innerHTML = ''
    setActivePinia(createPinia())
  })

  it('staff: password, then the OTP step (masked address, resend cooldown, wrong code), then /staff', async () => {
    let attempts = 0
    const fetch = mockFetch({
      'POST /api/v1/auth/login': { body: { status: 'otp_required', tokens: null, otp_challenge: challenge({ resend_after: 45 }) } },
      'POST /api/v1/auth/login/otp': () =>
        ++attempts === 1
          ? problem(422, 'otp_invalid', { title: 'Wrong code', detail: '4 attempts left' })
          : { body: tokenPair(3) },
      'GET /api/v1/account': { body: account(['owner']) },
    })
    const { w, router } = await mountLogin()

    await fillCredentials(w)
    expect(w.find($('login-email')).exists()).toBe(false)
    expect(w.get($('otp-sent-to')).text()).toContain('bu***@example.test')
    const resend = w.get($('otp-resend'))
    expect(resend.attributes('disabled')).toBeDefined()
    expect(resend.text()).toBe('Send again in 45 s')

    // the code input takes digits only
    await w.get($('otp-code')).setValue('12ab')
    expect((w.get($('otp-code')).element as HTMLInputElement).value).not.toContain('a')

    await w.get($('otp-code')).setValue('111111')
    await w.get($('otp-submit')).trigger('click')
    await flush(10)
    const error = w.get($('otp-error'))
    expect(error.attributes('data-code')).toBe('otp_invalid')
    expect(error.text()).toContain('That code is not right.')
    expect(error.text()).toContain('4 attempts left')
    expect(useSessionStore().isAuthenticated).toBe(false)

    await w.get($('otp-code')).setValue('222222')
    await w.get($('otp-submit')).trigger('click')
    await flush(10)
    expect(useSessionStore().isAuthenticated).toBe(true)
    expect(useSessionStore().accessToken).toBe('access-3')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/staff'))
    expect(calls(fetch)).toEqual([
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/login/otp',
      'POST /api/v1/auth/login/otp',
      'GET /api/v1/account',
    ])
    w.unmount()
  })

  it('resends the code and restarts the countdown from the new challenge; 429 uses Retry-After', async () => {
    let resends = 0
    mockFetch({
      'POST /api/v1/auth/login': { body: { status: 'otp_required', tokens: null, otp_challenge: challenge({ resend_after: 0 }) } },
      'POST /api/v1/auth/login/otp/resend': () =>
        ++resends === 1
          ? { body: challenge({ challenge_id: 'ch-2', resend_after: 0 }) }
          : problem(429, 'rate_limited', { detail: 'Wait before asking again' }, { 'Retry-After': '37' }),
    })
    const { w } = await mountLogin()
    await fillCredentials(w)

    await w.get($('otp-resend')).trigger('click')
    await flush(10)
    expect(w.get($('otp-resent')).text()).toContain('bu***@example.test')

    await w.get($('otp-resend')).trigger('click')
    await flush(10)
    expect(w.get($('otp-error')).attributes('data-code')).toBe('rate_limited')
    expect(w.get($('otp-error')).text()).toContain('Try again in 37 s.')
    expect(w.get($('otp-resend')).text()).toBe('Send again in 37 s')
    w.unmount()
  })

  it('client without 2FA: straight to the ?redirect page', async () => {
    mockFetch({
      'POST /api/v1/auth/login': { body: { status: 'authenticated', tokens: tokenPair(1), otp_challenge: null } },
      'GET /api/v1/account': { body: account(['client']) },
    })
    const { w, router } = await mountLogin('/login?redirect=/client/account%3Ftab%3Dsecurity')
    await fillCredentials(w, 'budi@example.test')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/client/account?tab=security'))
    w.unmount()
  })

  it('429 on sign-in shows the wait in seconds and holds the button', async () => {
    mockFetch({ 'POST /api/v1/auth/login': problem(429, 'rate_limited', {}, { 'Retry-After': '30' }) })
    const { w } = await mountLogin('/login', 'id')
    await fillCredentials(w)
    expect(w.get($('login-error')).attributes('data-code')).toBe('rate_limited')
    expect(w.get($('login-error')).text()).toContain('Coba lagi dalam 30 detik.')
    const submit = w.get($('login-submit'))
    expect(submit.attributes('disabled')).toBeDefined()
    expect(submit.text()).toBe('Anda bisa mencoba lagi dalam 30 detik.')
    w.unmount()
  })

  it('email_not_verified offers the verify page for that address; account_locked shows the detail', async () => {
    mockFetch({ 'POST /api/v1/auth/login': problem(403, 'email_not_verified') })
    const { w } = await mountLogin()
    await fillCredentials(w, 'new@example.test')
    expect(w.get($('login-error')).attributes('data-code')).toBe('email_not_verified')
    expect(w.get($('login-verify-email')).attributes('href')).toBe('/verify-email?email=new@example.test')

    mockFetch({ 'POST /api/v1/auth/login': problem(423, 'account_locked', { detail: 'Locked until 10:45 UTC' }) })
    await w.get($('login-submit')).trigger('click')
    await flush(10)
    expect(w.get($('login-error')).attributes('data-code')).toBe('account_locked')
    expect(w.get($('login-error-detail')).text()).toBe('Locked until 10:45 UTC')
    w.unmount()
  })

  it('checks the form before calling the API', async () => {
    const fetch = mockFetch({})
    const { w } = await mountLogin()
    await w.get($('login-email')).setValue('not-an-email')
    await w.get($('login-submit')).trigger('click')
    await flush(10)
    expect(fetch).not.toHaveBeenCalled()
    expect(w.text()).toContain('Enter a valid email address.')
    expect(w.text()).toContain('This field is required.')
    w.unmount()
  })
})
