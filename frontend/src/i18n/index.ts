import { createI18n } from 'vue-i18n'
import id from '../locales/id.json'
import en from '../locales/en.json'

export type MessageSchema = typeof id
export const SUPPORTED_LOCALES = ['id', 'en'] as const
export type AppLocale = (typeof SUPPORTED_LOCALES)[number]
export const DEFAULT_LOCALE: AppLocale = 'id'
export const LOCALE_STORAGE_KEY = 'juragan.locale'

export function isAppLocale(value: unknown): value is AppLocale {
  return typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value)
}

/** The saved choice, else Indonesian. */
export function initialLocale(): AppLocale {
  try {
    const saved = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY)
    if (isAppLocale(saved)) return saved
  } catch {
    // storage unavailable (private mode): use the default
  }
  return DEFAULT_LOCALE
}

const time = { hour: '2-digit', minute: '2-digit', second: '2-digit' } as const
// Shown in the browser's own zone (WIB / WITA / WIT for our users); the API speaks UTC.
const datetime = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } as const
const date = { year: 'numeric', month: 'short', day: 'numeric' } as const
const latency = { maximumFractionDigits: 1 } as const

export function createAppI18n(locale: AppLocale = initialLocale()) {
  return createI18n<[MessageSchema], AppLocale, false>({
    legacy: false,
    locale,
    fallbackLocale: DEFAULT_LOCALE,
    messages: { id, en },
    datetimeFormats: { id: { time, datetime, date }, en: { time, datetime, date } },
    numberFormats: { id: { latency }, en: { latency } },
    // Both catalogues have the same keys (a unit test checks it); warn loudly in dev otherwise.
    missingWarn: import.meta.env.DEV,
    fallbackWarn: false,
  })
}

export const i18n = createAppI18n()
export type AppI18n = typeof i18n
