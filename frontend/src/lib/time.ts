/**
 * "12 seconds ago", "5 menit yang lalu": how long ago `iso` was, relative to `now`, in the
 * largest unit that fits. A time slightly in the future (clock skew) reads as "now".
 */
export function relativeTime(iso: string, now: number, locale: string): string {
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  const seconds = Math.round((at - now) / 1000)
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  const abs = Math.abs(seconds)
  if (seconds > -5 && seconds < 5) return format.format(0, 'second')
  if (abs < 60) return format.format(seconds, 'second')
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute')
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour')
  return format.format(Math.round(seconds / 86_400), 'day')
}

/** `2025-05-01T02:00:00Z` → the `YYYY-MM-DD` of that instant in the browser's zone (for date inputs). */
export function localDate(at: number | Date): string {
  const d = new Date(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** naive-ui date pickers give a timestamp at local midnight; the API wants `YYYY-MM-DD`. */
export function dateFromPicker(value: number | null): string | null {
  return value === null ? null : localDate(value)
}

/** `YYYY-MM-DD` → local midnight timestamp for a naive-ui date picker. */
export function pickerFromDate(date: string | null | undefined): number | null {
  if (!date) return null
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!match) return null
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime()
}

/**
 * A shop-calendar day (`YYYY-MM-DD`, e.g. a due date) as a Date at local midnight, for
 * `d(…, 'date')`: the day shown is the day sent, whatever the browser's time zone.
 */
export function calendarDate(date: string): Date {
  const at = pickerFromDate(date)
  return at === null ? new Date(Number.NaN) : new Date(at)
}
