import type { FormItemRule } from 'naive-ui'
import { useI18n } from 'vue-i18n'
import { LIMITS } from '../api/limits'
import { parseMoney, type CurrencyCode } from '../lib/money'

/** The shortest password the server takes (the same for every form that sets one). */
export const PASSWORD_MIN = LIMITS.RegisterRequest.password.minLength
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const CODE = /^\d{6}$/
const CHAT_ID = /^-?\d{1,16}$/
/** 08…, 628…, +628… with optional spaces or dashes; the server normalises to +62. */
const PHONE_ID = /^(?:\+?62|0)8[\d\s-]{7,14}$/

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Nothing entered: null, undefined, or only white space. */
export const isBlank = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '')

/**
 * Client-side checks for naive-ui forms, mirroring the API's rules so most mistakes are
 * caught before a round trip. Messages are resolved when a rule runs, so they follow the
 * current language. The server stays the judge: its 422 `errors` are shown too.
 */
export function useRules() {
  const { t } = useI18n()
  const trigger = ['blur', 'input'] as const
  const rule = (check: (v: unknown) => string | null, triggers: readonly string[] = trigger): FormItemRule => ({
    trigger: [...triggers],
    validator: (_rule: FormItemRule, value: unknown) => {
      const message = check(value)
      return message ? new Error(message) : true
    },
  })

  const required = () => rule((v) => (isBlank(v) ? t('validation.required') : null))
  const email = () =>
    rule((v) => (isBlank(v) ? t('validation.required') : EMAIL.test(String(v).trim()) ? null : t('validation.email')))
  const newPassword = () =>
    rule((v) =>
      isBlank(v) ? t('validation.required') : String(v).length < PASSWORD_MIN ? t('validation.passwordMin', { min: PASSWORD_MIN }) : null,
    )
  const sameAs = (other: () => string) =>
    rule((v) => (isBlank(v) ? t('validation.required') : v !== other() ? t('validation.passwordMatch') : null))
  const code = () => rule((v) => (CODE.test(String(v ?? '').trim()) ? null : t('validation.code')))
  const phone = () =>
    rule((v) => (isBlank(v) ? t('validation.required') : PHONE_ID.test(String(v).trim()) ? null : t('validation.phone')))
  const postalCode = () => rule((v) => (/^\d{5}$/.test(String(v ?? '').trim()) ? null : t('validation.postalCode')))
  const country = () => rule((v) => (/^[A-Za-z]{2}$/.test(String(v ?? '').trim()) ? null : t('validation.country')))
  const someRoles = () =>
    rule((v) => (Array.isArray(v) && v.length > 0 ? null : t('validation.roles')))
  /** Empty, or an absolute https:// URL (optional photo links). */
  const httpsUrl = () =>
    rule((v) => {
      if (isBlank(v)) return null
      try {
        const url = new URL(String(v).trim())
        return url.protocol === 'https:' && url.hostname ? null : t('validation.httpsUrl')
      } catch {
        return t('validation.httpsUrl')
      }
    })
  /** Required text of at most `max()` characters (code points, as the server counts). */
  const maxChars = (max: () => number) =>
    rule((v) => {
      if (isBlank(v)) return t('validation.required')
      const n = [...String(v)].length
      return n > max() ? t('validation.maxChars', { max: max(), over: n - max() }) : null
    })
  /** Optional text of at most `max()` characters. */
  const optionalMaxChars = (max: () => number) =>
    rule((v) => {
      const n = [...String(v ?? '')].length
      return n > max() ? t('validation.maxChars', { max: max(), over: n - max() }) : null
    })
  /** A value picked from a control (date picker, select), checked when it changes. */
  const picked = () => rule((v) => (v === null || v === undefined ? t('validation.required') : null), ['blur', 'change'])
  /**
   * A whole number from `min` to `max` typed as text; blank passes when `optional`.
   * `message` replaces the default "from min to max" (e.g. "at least 1" for a quantity).
   */
  const wholeIn = (min: number, max: number, options: { optional?: boolean; message?: () => string } = {}) =>
    rule((v) => {
      if (isBlank(v)) return options.optional ? null : t('validation.required')
      const text = String(v).trim()
      const n = Number(text)
      return /^\d+$/.test(text) && n >= min && n <= max ? null : (options.message?.() ?? t('validation.range', { min, max }))
    })
  /** An amount in major units of `currency()` (the money parser's rules); blank passes when `optional`. */
  const money = (currency: () => CurrencyCode, options: { optional?: boolean } = {}) =>
    rule((v) => {
      if (options.optional && isBlank(v)) return null
      const parsed = parseMoney(String(v ?? ''), currency())
      return parsed.ok ? null : t(`money.errors.${parsed.error}`, { currency: currency() })
    })
  /** Empty, or a UUID (customer ids). */
  const optionalUuid = (message: () => string) => rule((v) => (isBlank(v) || UUID.test(String(v).trim()) ? null : message()))
  /** A Telegram chat id: an optional minus (groups) and digits, not zero. */
  const chatId = () =>
    rule((v) => {
      if (isBlank(v)) return t('validation.required')
      const text = String(v).trim()
      const id = Number(text)
      return CHAT_ID.test(text) && Number.isSafeInteger(id) && id !== 0 ? null : t('validation.chatId')
    })
  const days = () =>
    rule((v) => (v === null || v === undefined || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 3650) ? null : t('validation.days')))

  return {
    required,
    email,
    newPassword,
    sameAs,
    code,
    phone,
    postalCode,
    country,
    someRoles,
    days,
    httpsUrl,
    maxChars,
    optionalMaxChars,
    picked,
    wholeIn,
    money,
    optionalUuid,
    chatId,
  }
}

/** Keep only digits (for 6-digit code inputs' `allow-input`). */
export function onlyDigits(value: string): boolean {
  return /^\d*$/.test(value)
}
