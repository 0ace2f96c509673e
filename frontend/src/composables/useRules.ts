import type { FormItemRule } from 'naive-ui'
import { useI18n } from 'vue-i18n'

export const PASSWORD_MIN = 10
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const CODE = /^\d{6}$/
const CHAT_ID = /^-?\d{1,16}$/
/** 08…, 628…, +628… with optional spaces or dashes; the server normalises to +62. */
const PHONE_ID = /^(?:\+?62|0)8[\d\s-]{7,14}$/

const isBlank = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '')

/**
 * Client-side checks for naive-ui forms, mirroring the API's rules so most mistakes are
 * caught before a round trip. Messages are resolved when a rule runs, so they follow the
 * current language. The server stays the judge: its 422 `errors` are shown too.
 */
export function useRules() {
  const { t } = useI18n()
  const trigger = ['blur', 'input'] as const
  const rule = (check: (v: unknown) => string | null): FormItemRule => ({
    trigger: [...trigger],
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

  return { required, email, newPassword, sameAs, code, phone, postalCode, country, someRoles, days, httpsUrl, maxChars, chatId }
}

/** Keep only digits (for 6-digit code inputs' `allow-input`). */
export function onlyDigits(value: string): boolean {
  return /^\d*$/.test(value)
}
