/**
 * Orders, invoices and payments as the SPA reasons about them: which checkout fields a product
 * kind asks for and the request built from them, the Idempotency-Key a checkout form sends (one
 * per attempt, the same on a retry), when a payment is decided so polling stops, and the
 * vocabularies (statuses, methods) the pages tag and translate. Amounts stay minor units.
 */
import type { components } from '../api/schema'
import type { BillingCycle, ProductKind } from './catalog'

export type CheckoutRequest = components['schemas']['CheckoutRequest']
export type Quote = components['schemas']['Quote']
export type Order = components['schemas']['Order']
export type OrderDetail = components['schemas']['OrderDetail']
export type OrderEvent = components['schemas']['OrderEvent']
export type Invoice = components['schemas']['Invoice']
export type InvoiceSummary = components['schemas']['InvoiceSummary']
export type InvoiceStatus = components['schemas']['InvoiceStatus']
export type PaymentAttempt = components['schemas']['PaymentAttempt']
export type PaymentMethodInfo = components['schemas']['PaymentMethodInfo']
export type WalletBalance = components['schemas']['WalletBalance']
export type WalletEntry = components['schemas']['WalletEntry']

/** Every way to pay, in the order the API lists them (wallet last). */
export const PAYMENT_METHODS = ['pakasir', 'midtrans', 'xendit', 'manual', 'wallet'] as const
export type PaymentMethod = (typeof PAYMENT_METHODS)[number]
export function isPaymentMethod(value: unknown): value is PaymentMethod {
  return typeof value === 'string' && (PAYMENT_METHODS as readonly string[]).includes(value)
}

export const ORDER_STATUSES = ['pending_payment', 'paid', 'provisioning', 'active', 'cancelled', 'failed'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]
export const INVOICE_STATUSES = ['unpaid', 'paid', 'cancelled', 'refunded'] as const satisfies readonly InvoiceStatus[]
export const PAYMENT_STATUSES = ['creating', 'pending', 'paid', 'failed', 'cancelled', 'rejected'] as const

type TagType = 'default' | 'success' | 'warning' | 'error' | 'info'
const ORDER_TAGS: Record<string, TagType> = { pending_payment: 'warning', paid: 'info', provisioning: 'info', active: 'success', cancelled: 'default', failed: 'error' }
const INVOICE_TAGS: Record<string, TagType> = { unpaid: 'warning', paid: 'success', cancelled: 'default', refunded: 'info' }
const PAYMENT_TAGS: Record<string, TagType> = { creating: 'default', pending: 'warning', paid: 'success', failed: 'error', cancelled: 'default', rejected: 'error' }
/** The tag colour of a status (an unknown one is plain). */
export const orderTag = (status: string): TagType => ORDER_TAGS[status] ?? 'default'
export const invoiceTag = (status: string): TagType => INVOICE_TAGS[status] ?? 'default'
export const paymentTag = (status: string): TagType => PAYMENT_TAGS[status] ?? 'default'

/** What a checkout asks beyond the cycle, by product kind (the API refuses the order without it). */
export interface CheckoutNeeds {
  region: boolean
  os: boolean
  domain: boolean
  phone: boolean
}
export function checkoutNeeds(kind: ProductKind): CheckoutNeeds {
  return {
    region: kind === 'vps',
    os: kind === 'vps',
    domain: kind === 'hosting' || kind === 'domain',
    phone: kind === 'data_package',
  }
}

/** The checkout form as typed. */
export interface CheckoutDraft {
  productId: number
  kind: ProductKind
  cycle: BillingCycle
  currency: string
  region: string | null
  os: string | null
  domain: string
  phone: string
  promo: string
  method: PaymentMethod | null
}

/** The fields still empty that the product's kind needs; empty when the draft can be sent. */
export function missingCheckoutFields(draft: CheckoutDraft): Array<'region' | 'os_template' | 'domain_name' | 'phone'> {
  const needs = checkoutNeeds(draft.kind)
  const missing: Array<'region' | 'os_template' | 'domain_name' | 'phone'> = []
  if (needs.region && !draft.region) missing.push('region')
  if (needs.os && !draft.os) missing.push('os_template')
  if (needs.domain && !draft.domain.trim()) missing.push('domain_name')
  if (needs.phone && !draft.phone.trim()) missing.push('phone')
  return missing
}

/** A promo code as the API stores it: trimmed, upper-case; blank is none. */
export function normalisePromo(code: string): string | null {
  const trimmed = code.trim().toUpperCase()
  return trimmed === '' ? null : trimmed
}

/**
 * The request for a draft: only the fields its kind uses (a VPS sends no phone), trimmed, the
 * domain lower-cased, the promo normalised. `forQuote` leaves the wallet out (a quote pays nothing).
 */
export function checkoutRequest(draft: CheckoutDraft, { forQuote = false } = {}): CheckoutRequest {
  const needs = checkoutNeeds(draft.kind)
  const request: CheckoutRequest = {
    product_id: draft.productId,
    cycle: draft.cycle,
    currency: draft.currency,
    pay_with_wallet: !forQuote && draft.method === 'wallet',
  }
  if (needs.region) request.region = draft.region
  if (needs.os) request.os_template = draft.os
  if (needs.domain) request.domain_name = draft.domain.trim().toLowerCase()
  if (needs.phone) request.phone = draft.phone.replace(/[\s-]/g, '')
  const promo = normalisePromo(draft.promo)
  if (promo) request.promo_code = promo
  return request
}

/** A fresh Idempotency-Key (a random UUID). */
export function newIdempotencyKey(): string {
  const crypto = globalThis.crypto
  if (crypto?.randomUUID) return crypto.randomUUID()
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * The Idempotency-Key of a checkout form. Sending the same request again (a retry after a
 * timeout or a lost answer) reuses the key, so the server answers the first order instead of
 * placing a second; a changed request, or a new attempt after an order was placed, gets a fresh
 * key (the server refuses a key reused with a different body).
 */
export function idempotencyKeys(make: () => string = newIdempotencyKey) {
  let key: string | null = null
  let sent: string | null = null
  return {
    /** The key to send with `request`. */
    keyFor(request: CheckoutRequest): string {
      const body = JSON.stringify(request)
      if (key === null || sent !== body) {
        key = make()
        sent = body
      }
      return key
    },
    /** The order was placed: the next submit is a new order. */
    done(): void {
      key = null
      sent = null
    },
  }
}

/** A payment attempt's status once decided: polling stops. */
export function isSettled(status: string): boolean {
  return status === 'paid' || status === 'failed' || status === 'cancelled' || status === 'rejected'
}

export type PollVerdict = 'continue' | 'paid' | 'failed' | 'expired'

/**
 * Whether to ask the gateway again about an attempt: paid and failed (or cancelled / rejected)
 * are final, and a charge past its expiry will not be paid any more; anything else waits.
 */
export function pollVerdict(attempt: Pick<PaymentAttempt, 'status' | 'expires_at'>, now: number): PollVerdict {
  if (attempt.status === 'paid') return 'paid'
  if (isSettled(attempt.status)) return 'failed'
  const expires = attempt.expires_at ? Date.parse(attempt.expires_at) : Number.NaN
  if (!Number.isNaN(expires) && expires <= now) return 'expired'
  return 'continue'
}

/** PPN in basis points as a percentage: 1100 → "11", 1250 → "12,5" / "12.5". */
export function taxRatePercent(bp: number, locale: string): string {
  return new Intl.NumberFormat(locale === 'id' ? 'id-ID' : 'en-US', { maximumFractionDigits: 2 }).format(bp / 100)
}

/** The methods an invoice in `currency` can be paid with; a wallet top-up is never paid from the wallet. */
export function methodsFor(methods: readonly PaymentMethodInfo[], currency: string, purpose: Invoice['purpose']): PaymentMethod[] {
  return methods
    .filter((m) => isPaymentMethod(m.method) && m.currencies.includes(currency) && !(purpose === 'top_up' && m.method === 'wallet'))
    .map((m) => m.method as PaymentMethod)
}

/** A wallet's balance in one currency (0 when it has none). */
export function balanceIn(balances: readonly WalletBalance[], currency: string): number {
  return balances.find((b) => b.currency === currency)?.balance_minor ?? 0
}

/** Where the browser remembers the attempt it left for a gateway's page, per invoice. */
export const pendingAttemptKey = (invoiceId: number) => `juragan.payment.${invoiceId}`

export function rememberAttempt(invoiceId: number, attemptId: number): void {
  try {
    sessionStorage.setItem(pendingAttemptKey(invoiceId), String(attemptId))
  } catch {
    // storage unavailable: on return the invoice is read again instead
  }
}

export function rememberedAttempt(invoiceId: number): number | null {
  try {
    const value = Number(sessionStorage.getItem(pendingAttemptKey(invoiceId)))
    return Number.isSafeInteger(value) && value > 0 ? value : null
  } catch {
    return null
  }
}

/**
 * A typed PPN rate in percent → basis points, without floating point: `11` → 1100, `12,5` /
 * `12.5` → 1250, `0` → 0. Null when it is not a number with at most two decimals from 0 to 100.
 */
export function percentToBp(input: string): number | null {
  const match = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(input.trim().replace(/\s*%$/, ''))
  if (!match) return null
  const bp = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
  return bp <= 10_000 ? bp : null
}

/** Basis points as the percent a form shows: 1100 → "11", 1250 → "12.5". */
export function bpToPercent(bp: number): string {
  const whole = Math.trunc(bp / 100)
  const rest = bp % 100
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(2, '0').replace(/0$/, '')}`
}
