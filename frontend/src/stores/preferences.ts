import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { i18n, isAppLocale, LOCALE_STORAGE_KEY, type AppLocale } from '../i18n'

/** Cross-page UI preferences: today the language, later the time zone (WIB/WITA/WIT). */
export const usePreferencesStore = defineStore('preferences', () => {
  const locale = ref<AppLocale>(i18n.global.locale.value)

  /** Switch the language and remember the choice for the next visit. */
  function setLocale(next: AppLocale) {
    if (!isAppLocale(next)) return
    locale.value = next
    try {
      globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, next)
    } catch {
      // storage unavailable: the choice lasts for this page only
    }
  }

  watch(
    locale,
    (value) => {
      i18n.global.locale.value = value
      if (typeof document !== 'undefined') document.documentElement.lang = value
    },
    { immediate: true },
  )

  return { locale, setLocale }
})
