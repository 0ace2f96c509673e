/**
 * Money as the API speaks it: an integer amount of minor units of a currency. IDR has no
 * minor unit in practice (whole rupiah, 0 digits), USD has cents (2 digits). Amounts are
 * never floats here: typed prices are parsed digit by digit into minor units, and amounts
 * are formatted from their digits, so `12.10` is 1210 cents and not 1209.9999.
 */

/** The currencies the shop prices in (`IDR` is the default everywhere). */
export const CURRENCIES = ['IDR', 'USD'] as const
export type CurrencyCode = (typeof CURRENCIES)[number]
export const DEFAULT_CURRENCY: CurrencyCode = 'IDR'

const MINOR_DIGITS: Record<CurrencyCode, number> = { IDR: 0, USD: 2 }

export function isCurrency(value: unknown): value is CurrencyCode {
  return typeof value === 'string' && (CURRENCIES as readonly string[]).includes(value)
}

/** Digits after the decimal point of the currency's minor unit (2 for a code we do not know). */
export function minorDigits(currency: string): number {
  return isCurrency(currency) ? MINOR_DIGITS[currency] : 2
}

/** `1250, 'USD'` → `"12.50"`; `150000, 'IDR'` → `"150000"`: plain digits, no grouping (form inputs). */
export function minorToMajor(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not a whole number of minor units: ${minor}`)
  const digits = minorDigits(currency)
  const sign = minor < 0 ? '-' : ''
  const text = String(Math.abs(minor))
  if (digits === 0) return `${sign}${text}`
  const padded = text.padStart(digits + 1, '0')
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`
}

const formatters = new Map<string, Intl.NumberFormat>()

/**
 * A localised amount: `150000, 'IDR', 'id'` → `Rp 150.000`, `1250, 'USD', 'en'` → `$12.50`.
 * The decimal string goes to Intl as is (exact); the currency's own digits are always shown.
 */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = minorDigits(currency)
  const key = `${locale}|${currency}`
  let format = formatters.get(key)
  if (!format) {
    try {
      format = new Intl.NumberFormat(locale === 'id' ? 'id-ID' : locale === 'en' ? 'en-US' : locale, {
        style: 'currency',
        currency,
        currencyDisplay: 'symbol',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    } catch {
      // A code Intl does not know: digits and the code.
      return `${currency} ${minorToMajor(minor, currency)}`
    }
    formatters.set(key, format)
  }
  // Intl.NumberFormat takes decimal strings exactly (ES2023); the type still says number.
  return format.format(minorToMajor(minor, currency) as unknown as number)
}

export type ParseMoneyError = 'empty' | 'invalid' | 'negative' | 'too_many_decimals' | 'too_large'
export type ParsedMoney = { ok: true; minor: number } | { ok: false; error: ParseMoneyError }

const SYMBOLS = /(?:US\$|\$|Rp\.?|IDR|USD)/gi
const GROUPED = /^\d{1,3}(?:([.,' ])\d{3})(?:\1\d{3})*$/

/**
 * A price typed in major units of `currency` → its minor units, without floating point.
 * Accepts a currency symbol or code around it, thousands groups with `.`, `,`, `'` or spaces
 * (`150.000`, `150,000`, `1 250 000`), and for USD a decimal part of one or two digits after
 * `.` or `,` (`12.5`, `12,50`, `1.234,56`, `1,234.56`). A separator followed by exactly three
 * digits is a thousands group. Rupiah takes no decimals (`150.000,00` is accepted, `1,5` not).
 */
export function parseMoney(input: string, currency: string): ParsedMoney {
  const digits = minorDigits(currency)
  let text = input.replace(SYMBOLS, '').replace(/[\s\u00a0\u202f]+/g, (m, offset: number, whole: string) =>
    // Spaces between digit groups are grouping; elsewhere they are just padding.
    /\d/.test(whole[offset - 1] ?? '') && /\d/.test(whole[offset + m.length] ?? '') ? ' ' : '',
  )
  if (text === '') return { ok: false, error: 'empty' }
  if (text.startsWith('-')) return { ok: false, error: 'negative' }
  if (text.startsWith('+')) text = text.slice(1)
  if (!/^[\d.,' ]+$/.test(text) || !/^\d/.test(text)) return { ok: false, error: 'invalid' }

  let whole = text
  let fraction = ''
  const last = Math.max(text.lastIndexOf('.'), text.lastIndexOf(','))
  if (last >= 0) {
    const tail = text.slice(last + 1)
    const head = text.slice(0, last)
    // A decimal part: the last `.`/`,` not followed by exactly three digits, one after a
    // zero (`0.125`), or one that differs from the grouping separator used before it
    // (`1.234,567`).
    const otherSeparatorBefore = /[.,]/.test(head) && !head.includes(text[last]!)
    if (!/^\d{3}$/.test(tail) || /^0+$/.test(head) || otherSeparatorBefore) {
      if (!/^\d+$/.test(tail)) return { ok: false, error: 'invalid' }
      whole = head
      fraction = tail
    }
  }
  if (!/^\d+$/.test(whole) && !GROUPED.test(whole)) return { ok: false, error: 'invalid' }
  whole = whole.replace(/[.,' ]/g, '')
  if (fraction.length > digits) {
    if (!/^0+$/.test(fraction.slice(digits))) return { ok: false, error: 'too_many_decimals' }
    fraction = fraction.slice(0, digits)
  }
  const minor = BigInt(whole + fraction.padEnd(digits, '0'))
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, error: 'too_large' }
  return { ok: true, minor: Number(minor) }
}

/** Totals are only ever added within one currency: per currency, in first-seen order. */
export function sumByCurrency<T>(items: readonly T[], amount: (item: T) => number, currency: (item: T) => string): Map<string, number> {
  const sums = new Map<string, number>()
  for (const item of items) {
    const code = currency(item)
    sums.set(code, (sums.get(code) ?? 0) + amount(item))
  }
  return sums
}
