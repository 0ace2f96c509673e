import { describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import PasswordOnce from './PasswordOnce.vue'
import { createAppI18n } from '../../i18n'
import { ApiProblem } from '../../api/client'

const $ = (id: string) => `[data-testid="${id}"]`
const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

/** The popconfirm's own button is teleported; the component's handler is what matters here. */
async function reveal(w: ReturnType<typeof mount>) {
  const confirm = w.findComponent({ name: 'Popconfirm' })
  confirm.vm.$emit('positive-click')
  await flush()
}

describe('PasswordOnce', () => {
  it('shows the password once with a warning that it will not be shown again', async () => {
    const w = mount(PasswordOnce, { props: { available: true, reveal: vi.fn(async () => 's3cret-Pass') }, global: { plugins: [createAppI18n('en')] } })
    expect(w.find($('service-password-reveal')).exists()).toBe(true)
    await reveal(w)
    expect(w.get($('service-password-value')).text()).toBe('s3cret-Pass')
    expect(w.text()).toContain('will not be shown again')
  })

  it('keeps the password it showed when the page reads the service again, and clears it for a new one', async () => {
    const w = mount(PasswordOnce, { props: { available: true, reveal: vi.fn(async () => 'first-Pass-1') }, global: { plugins: [createAppI18n('en')] } })
    await reveal(w)
    // The page's next read: the server marked it shown.
    await w.setProps({ available: false })
    expect(w.get($('service-password-value')).text()).toBe('first-Pass-1')
    // A password reset made a new one: offered again, the old one gone.
    await w.setProps({ available: true })
    expect(w.find($('service-password-value')).exists()).toBe(false)
    expect(w.find($('service-password-reveal')).exists()).toBe(true)
  })

  it('after a 410 says it was already shown and points to a password reset', async () => {
    const gone = new ApiProblem({ type: 'about:blank', title: 'Gone', status: 410, code: 'password_already_shown', detail: null })
    const w = mount(PasswordOnce, { props: { available: true, reveal: vi.fn(async () => Promise.reject(gone)) }, global: { plugins: [createAppI18n('en')] } })
    await reveal(w)
    expect(w.find($('service-password-value')).exists()).toBe(false)
    expect(w.get($('service-password-gone')).text()).toBe('Already shown; reset the password to get a new one.')
    expect(w.find($('service-password-error')).exists()).toBe(false)
  })

  it('offers nothing to reveal when the server says the password is no longer available', () => {
    const w = mount(PasswordOnce, { props: { available: false, reveal: vi.fn() }, global: { plugins: [createAppI18n('id')] } })
    expect(w.find($('service-password-reveal')).exists()).toBe(false)
    expect(w.get($('service-password-gone')).text()).toContain('reset kata sandi')
  })
})
