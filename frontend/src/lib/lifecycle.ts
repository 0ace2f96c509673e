/**
 * The billing lifecycle as the SPA reasons about it: a client's renewals (when a service is next
 * due, its open renewal invoice, when an unpaid one is suspended and ended, a pending
 * cancellation), staff's automation log (what each sweep did), the preview of the coming days
 * grouped by day, and the days the lifecycle acts on (the shop's, a product's, one service's)
 * as forms type them. Dates are the shop's calendar days (`YYYY-MM-DD`); amounts minor units.
 */
import type { components } from '../api/schema'
import { enumMembers } from '../api/enums'
import type { CurrencyCode } from './money'

type Schemas = components['schemas']

export type Renewal = Schemas['Renewal']
export type Cancellation = Schemas['Cancellation']
export type ServiceLifecycle = Schemas['ServiceLifecycle']
export type CancellationRequest = Schemas['CancellationRequest']
export type CancelWhen = Schemas['CancelWhen']
export type BillingPreferences = Schemas['BillingPreferences']
export type SweepCounts = Schemas['Counts']
export type LifecycleTerms = Schemas['LifecycleTerms']
export type ProductTerms = Schemas['ProductTerms']
export type ServiceOverride = Schemas['ServiceOverride']

export const CANCEL_WHEN = enumMembers<CancelWhen>()(['end_of_period', 'immediately'])

/** One kind of lifecycle decision (`billing::lifecycle::sweep::Step`), in the sweep's order. */
export type LifecycleStep = Schemas['LifecycleStep']
export const LIFECYCLE_STEPS = enumMembers<LifecycleStep>()(['invoice', 'remind', 'late_fee', 'suspend', 'terminate', 'cancel'])

export type PreviewItem = Schemas['PreviewItem']
export type SweepFailure = Schemas['Failure']
export type PlannedStep = Schemas['Planned']
export type StepTiming = Schemas['StepTiming']
export type SweepRecord = Schemas['SweepRecord']
export type SweepReport = Schemas['SweepReport']

/** The counts of a sweep in the order the log shows them (what was billed first, then what was cut off). */
export const COUNT_KEYS = ['invoiced', 'paid_from_wallet', 'due_soon', 'due_today', 'overdue', 'late_fees', 'suspended', 'terminated', 'cancelled', 'failed'] as const satisfies readonly (keyof SweepCounts)[]
export type CountKey = (typeof COUNT_KEYS)[number]

type TagType = 'default' | 'success' | 'warning' | 'error' | 'info'
const COUNT_TAGS: Record<CountKey, TagType> = {
  invoiced: 'info',
  paid_from_wallet: 'success',
  due_soon: 'default',
  due_today: 'default',
  overdue: 'warning',
  late_fees: 'warning',
  suspended: 'warning',
  terminated: 'error',
  cancelled: 'default',
  failed: 'error',
}
export const countTag = (key: CountKey): TagType => COUNT_TAGS[key]

const STEP_TAGS: Record<LifecycleStep, TagType> = { invoice: 'info', remind: 'default', late_fee: 'warning', suspend: 'warning', terminate: 'error', cancel: 'default' }
/** The tag colour of a decision (an unknown one is plain). */
export const stepTag = (step: string): TagType => STEP_TAGS[step as LifecycleStep] ?? 'default'

/** The counts a sweep has something for, in {@link COUNT_KEYS} order (a quiet sweep has none). */
export function nonZeroCounts(counts: Partial<SweepCounts>): Array<{ key: CountKey; n: number }> {
  return COUNT_KEYS.map((key) => ({ key, n: counts[key] ?? 0 })).filter((c) => c.n > 0)
}

/** The preview's decisions per day, days in order, each day's decisions in the order the sweep takes them. */
export function groupByDay<T extends { day: string; step: string }>(items: readonly T[]): Array<{ day: string; items: T[] }> {
  const order = (step: string) => {
    const i = (LIFECYCLE_STEPS as readonly string[]).indexOf(step)
    return i < 0 ? LIFECYCLE_STEPS.length : i
  }
  const days = new Map<string, T[]>()
  for (const item of [...items].sort((a, b) => a.day.localeCompare(b.day) || order(a.step) - order(b.step))) {
    const list = days.get(item.day) ?? []
    list.push(item)
    days.set(item.day, list)
  }
  return [...days].map(([day, list]) => ({ day, items: list }))
}

/** Days the preview may look ahead (the server's `PREVIEW_DAYS_MAX`), and the page's default. */
export const PREVIEW_DAYS = { min: 1, max: 31, initial: 7 } as const

/**
 * Where a renewal stands, for its tag and its warning: `cancelling` (a cancellation is pending),
 * `unpaid` (its renewal invoice is open: unpaid it is suspended and ended on the days shown),
 * `paid` (this period's invoice is paid), `upcoming` (not invoiced yet), or `suspended`.
 */
export type RenewalState = 'cancelling' | 'suspended' | 'unpaid' | 'paid' | 'upcoming'
export function renewalState(r: Pick<Renewal, 'status' | 'cancel_on' | 'invoice_id' | 'invoice_status'>): RenewalState {
  if (r.cancel_on) return 'cancelling'
  if (r.status === 'suspended') return 'suspended'
  if (r.invoice_id && r.invoice_status === 'unpaid') return 'unpaid'
  if (r.invoice_id && r.invoice_status === 'paid') return 'paid'
  return 'upcoming'
}
const RENEWAL_TAGS: Record<RenewalState, TagType> = { cancelling: 'default', suspended: 'error', unpaid: 'warning', paid: 'success', upcoming: 'info' }
export const renewalTag = (state: RenewalState): TagType => RENEWAL_TAGS[state]

/** A renewal whose unpaid invoice (or suspension) puts the service at risk: the page warns with the dates. */
export function atRisk(r: Pick<Renewal, 'status' | 'cancel_on' | 'invoice_id' | 'invoice_status'>): boolean {
  const state = renewalState(r)
  return state === 'unpaid' || state === 'suspended'
}

/** The days of a terms form as typed (text inputs), and the late fee in major units. */
export interface TermsDraft {
  renew: string
  suspend: string
  terminate: string
}

export function termsDraftFrom(terms: Pick<LifecycleTerms, 'renew_days_before' | 'suspend_after_days' | 'terminate_after_days'>): TermsDraft {
  return { renew: String(terms.renew_days_before), suspend: String(terms.suspend_after_days), terminate: String(terms.terminate_after_days) }
}

/** A whole number of days typed in a form, or null when it is not one. */
export function parseDays(text: string): number | null {
  const trimmed = text.trim()
  if (!/^\d{1,4}$/.test(trimmed)) return null
  return Number(trimmed)
}

/** The terms to send for a draft (the form's rules have passed); the late fee in minor units. */
export function termsFromDraft(draft: TermsDraft, lateFeeMinor = 0, lateFeeCurrency: CurrencyCode = 'IDR'): LifecycleTerms {
  return {
    renew_days_before: parseDays(draft.renew) ?? 0,
    suspend_after_days: parseDays(draft.suspend) ?? 0,
    terminate_after_days: parseDays(draft.terminate) ?? 0,
    late_fee_minor: lateFeeMinor,
    late_fee_currency: lateFeeCurrency,
  }
}

/** The override form of one service: blank days keep the product's; no date is no extension. */
export interface OverrideDraft {
  suspend: string
  terminate: string
  extendedUntil: string | null
  reason: string
}

export function overrideFromDraft(draft: OverrideDraft): ServiceOverride {
  return {
    suspend_after_days: draft.suspend.trim() === '' ? null : parseDays(draft.suspend),
    terminate_after_days: draft.terminate.trim() === '' ? null : parseDays(draft.terminate),
    extended_until: draft.extendedUntil,
    reason: draft.reason.trim(),
  }
}

/** A cancellation request; a blank reason is none. */
export function cancellationRequest(when: CancelWhen, reason: string): CancellationRequest {
  const trimmed = reason.trim()
  return trimmed ? { when, reason: trimmed } : { when }
}

/** Whether a product is sold by the period (some price of it renews), so it has lifecycle terms that matter. */
export function isRecurring(prices: readonly { cycle: string }[]): boolean {
  return prices.some((p) => p.cycle !== 'one_time')
}
