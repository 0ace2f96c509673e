import { beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { useI18n } from 'vue-i18n'
import id from '../locales/id.json'
import en from '../locales/en.json'
import { i18n, initialLocale, LOCALE_STORAGE_KEY } from './index'
import { usePreferencesStore } from '../stores/preferences'
import LanguageSwitcher from '../components/LanguageSwitcher.vue'

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

const Probe = defineComponent({
  setup() {
    const { t } = useI18n()
    return () => h('span', { 'data-testid': 'probe' }, t('health.status.ready'))
  },
})

describe('i18n', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
    i18n.global.locale.value = 'id'
  })

  it('has the same keys in Indonesian and English, none empty', () => {
    expect(keys(en).sort()).toEqual(keys(id).sort())
    for (const k of keys(id)) expect(i18n.global.t(k, 'id'), k).not.toBe('')
    for (const k of keys(en)) expect(i18n.global.t(k, 'en'), k).not.toBe('')
  })

  it('defaults to Indonesian and honours a saved choice', () => {
    expect(initialLocale()).toBe('id')
    localStorage.setItem(LOCALE_STORAGE_KEY, 'en')
    expect(initialLocale()).toBe('en')
    localStorage.setItem(LOCALE_STORAGE_KEY, 'fr')
    expect(initialLocale()).toBe('id')
  })

  it('switches the language from the header switcher, re-renders and remembers it', async () => {
    const w = mount(
      defineComponent({ render: () => h('div', [h(LanguageSwitcher), h(Probe)]) }),
      { global: { plugins: [i18n] } },
    )
    expect(w.get('[data-testid="probe"]').text()).toBe('Siap')
    expect(w.get('[data-testid="lang-id"]').attributes('aria-pressed')).toBe('true')

    await w.get('[data-testid="lang-en"]').trigger('click')
    await nextTick()
    expect(w.get('[data-testid="probe"]').text()).toBe('Ready')
    expect(w.get('[data-testid="lang-en"]').attributes('aria-pressed')).toBe('true')
    expect(usePreferencesStore().locale).toBe('en')
    expect(localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('en')
    expect(document.documentElement.lang).toBe('en')

    await w.get('[data-testid="lang-id"]').trigger('click')
    await nextTick()
    expect(w.get('[data-testid="probe"]').text()).toBe('Siap')
    expect(document.documentElement.lang).toBe('id')
  })
})
