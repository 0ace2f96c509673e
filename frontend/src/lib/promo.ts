/**
 * The terms a promo code and a voucher batch share — the discount (a percentage, or a fixed
 * amount in one currency), the window it is valid in, and the products or categories it is
 * limited to — as a form holds them and as the API takes them. Amounts stay minor units.
 */
import type { components } from '../api/schema'
import { DEFAULT_CURRENCY, isCurrency, minorToMajor, parseMoney, type CurrencyCode } from './money'

type PromoCode = components['schemas']['PromoCode']
type DiscountKind = components['schemas']['DiscountKind']

export interface PromoTermsDraft {
  kind: DiscountKind
  /** Whole percent as typed. */
  percent: string
  /** A fixed amount in major units of `currency`, as typed. */
  amount: string
  currency: CurrencyCode
  /** naive-ui datetime picker values (ms), or none. */
  startsAt: number | null
  endsAt: number | null
  productIds: number[]
  categoryIds: number[]
}

export interface PromoTermsInput {
  discount_kind: DiscountKind
  percent: number | null
  amount_minor: number | null
  currency: string | null
  starts_at: string | null
  ends_at: string | null
  product_ids: number[]
  category_ids: number[]
}

export function blankTerms(): PromoTermsDraft {
  return { kind: 'percent', percent: '10', amount: '', currency: DEFAULT_CURRENCY, startsAt: null, endsAt: null, productIds: [], categoryIds: [] }
}

export function termsFromPromo(code: PromoCode): PromoTermsDraft {
  const currency = isCurrency(code.currency) ? code.currency : DEFAULT_CURRENCY
  return {
    kind: code.discount_kind,
    percent: code.percent === null || code.percent === undefined ? '' : String(code.percent),
    amount: code.amount_minor === null || code.amount_minor === undefined ? '' : minorToMajor(code.amount_minor, currency),
    currency,
    startsAt: code.starts_at ? Date.parse(code.starts_at) : null,
    endsAt: code.ends_at ? Date.parse(code.ends_at) : null,
    productIds: [...code.product_ids],
    categoryIds: [...code.category_ids],
  }
}

export type TermsError = 'percent' | 'amount' | 'window'

/** Whole percent 1–100, or null. */
export function parsePercent(text: string): number | null {
  const trimmed = text.trim().replace(/\s*%$/, '')
  if (!/^\d{1,3}$/.test(trimmed)) return null
  const n = Number(trimmed)
  return n >= 1 && n <= 100 ? n : null
}

/**
 * The terms as the API takes them: a percent code sends its percent (no amount, no currency), a
 * fixed one its amount and currency (no percent); the window as ISO instants. An error names the
 * first thing that cannot be sent.
 */
export function termsInput(draft: PromoTermsDraft): { ok: true; input: PromoTermsInput } | { ok: false; error: TermsError } {
  let percent: number | null = null
  let amount: number | null = null
  if (draft.kind === 'percent') {
    percent = parsePercent(draft.percent)
    if (percent === null) return { ok: false, error: 'percent' }
  } else {
    const parsed = parseMoney(draft.amount, draft.currency)
    if (!parsed.ok || parsed.minor <= 0) return { ok: false, error: 'amount' }
    amount = parsed.minor
  }
  if (draft.startsAt !== null && draft.endsAt !== null && draft.endsAt <= draft.startsAt) return { ok: false, error: 'window' }
  return {
    ok: true,
    input: {
      discount_kind: draft.kind,
      percent,
      amount_minor: amount,
      currency: draft.kind === 'fixed' ? draft.currency : null,
      starts_at: draft.startsAt === null ? null : new Date(draft.startsAt).toISOString(),
      ends_at: draft.endsAt === null ? null : new Date(draft.endsAt).toISOString(),
      product_ids: [...draft.productIds],
      category_ids: [...draft.categoryIds],
    },
  }
}

/** A voucher batch as a text file: one code a line. */
export function vouchersText(codes: readonly string[]): string {
  return `${codes.join('\n')}\n`
}

/** "Uses: 3 of 10" / "3 of ∞": how much of a code is used. */
export function usesLabel(uses: number, max: number | null | undefined): string {
  return `${uses} / ${max === null || max === undefined ? '∞' : max}`
}
