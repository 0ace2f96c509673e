/** Locale tags Intl understands for the app's languages. */
export function intlLocale(locale: string): string {
  return locale === 'id' ? 'id-ID' : locale === 'en' ? 'en-US' : locale
}

/** Uptime as "99,95 %" / "99.95%"; null (no checks in the period) as "—". */
export function formatPercent(value: number | null | undefined, locale: string): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—'
  return new Intl.NumberFormat(intlLocale(locale), { style: 'percent', maximumFractionDigits: 2 }).format(value / 100)
}

/** A response time in whole milliseconds ("42 ms"); none as "—". */
export function formatMs(value: number | null | undefined, locale: string): string {
  if (value === null || value === undefined) return '—'
  return `${new Intl.NumberFormat(intlLocale(locale), { maximumFractionDigits: 0 }).format(value)} ms`
}

/** `2025-05` → "Mei 2025" / "May 2025". */
export function formatMonth(month: string, locale: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(month)
  if (!match) return month
  return new Intl.DateTimeFormat(intlLocale(locale), { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(
    Date.UTC(Number(match[1]), Number(match[2]) - 1, 1),
  )
}

/** A whole count with grouping ("100.000" / "100,000"). */
export function formatCount(value: number, locale: string): string {
  return new Intl.NumberFormat(intlLocale(locale)).format(value)
}

/**
 * A moment as the shop reads it: date and time in the shop's time zone (`Asia/Jakarta`), with
 * the zone's short name when the reader's own zone differs — an invoice due at 23:59 WIB is not
 * "due at 17:59" for a client abroad. An unknown zone falls back to the reader's.
 */
export function formatShopDateTime(value: string, locale: string, timeZone: string): string {
  // Fields, not dateStyle/timeStyle: those cannot be combined with timeZoneName.
  const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
  try {
    const readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone
    const shop = new Intl.DateTimeFormat(intlLocale(locale), {
      ...options,
      timeZone,
      ...(readerZone === timeZone ? {} : { timeZoneName: 'short' }),
    } as Intl.DateTimeFormatOptions)
    return shop.format(new Date(value))
  } catch {
    return new Intl.DateTimeFormat(intlLocale(locale), options).format(new Date(value))
  }
}
