import { describe, expect, it } from 'vitest'
import {
  atRisk,
  cancellationRequest,
  COUNT_KEYS,
  groupByDay,
  isRecurring,
  nonZeroCounts,
  overrideFromDraft,
  parseDays,
  renewalState,
  termsDraftFrom,
  termsFromDraft,
  type SweepCounts,
} from './lifecycle'
import { calendarDate } from './time'

const zero = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as SweepCounts

describe('lifecycle', () => {
  it('lists only the counts a sweep has something for, billing first', () => {
    expect(nonZeroCounts(zero)).toEqual([])
    expect(nonZeroCounts({ ...zero, failed: 1, invoiced: 3, suspended: 2 })).toEqual([
      { key: 'invoiced', n: 3 },
      { key: 'suspended', n: 2 },
      { key: 'failed', n: 1 },
    ])
    // An older record may lack a count the server added later.
    expect(nonZeroCounts({ invoiced: 1 })).toEqual([{ key: 'invoiced', n: 1 }])
  })

  it('groups the preview by day, days in order and each day’s decisions in sweep order', () => {
    const items = [
      { day: '2026-12-09', step: 'terminate', service_id: 3 },
      { day: '2026-12-07', step: 'suspend', service_id: 2 },
      { day: '2026-12-07', step: 'invoice', service_id: 1 },
      { day: '2026-12-09', step: 'invoice', service_id: 4 },
    ]
    const groups = groupByDay(items)
    expect(groups.map((g) => g.day)).toEqual(['2026-12-07', '2026-12-09'])
    expect(groups[0]!.items.map((i) => i.service_id)).toEqual([1, 2])
    expect(groups[1]!.items.map((i) => i.step)).toEqual(['invoice', 'terminate'])
  })

  it('tells where a renewal stands: a pending cancellation first, then suspension, then its invoice', () => {
    const base = { status: 'active', cancel_on: null, invoice_id: null, invoice_status: null }
    expect(renewalState(base)).toBe('upcoming')
    expect(renewalState({ ...base, invoice_id: 9, invoice_status: 'unpaid' })).toBe('unpaid')
    expect(renewalState({ ...base, invoice_id: 9, invoice_status: 'paid' })).toBe('paid')
    expect(renewalState({ ...base, status: 'suspended', invoice_id: 9, invoice_status: 'unpaid' })).toBe('suspended')
    expect(renewalState({ ...base, cancel_on: '2027-01-06', invoice_id: 9, invoice_status: 'unpaid' })).toBe('cancelling')
    expect(atRisk({ ...base, invoice_id: 9, invoice_status: 'unpaid' })).toBe(true)
    expect(atRisk({ ...base, cancel_on: '2027-01-06', invoice_id: 9, invoice_status: 'unpaid' })).toBe(false)
    expect(atRisk(base)).toBe(false)
  })

  it('reads typed days and builds the terms to send', () => {
    expect(parseDays(' 7 ')).toBe(7)
    expect(parseDays('0')).toBe(0)
    expect(parseDays('')).toBeNull()
    expect(parseDays('3.5')).toBeNull()
    expect(parseDays('-1')).toBeNull()
    const draft = termsDraftFrom({ renew_days_before: 7, suspend_after_days: 3, terminate_after_days: 15 })
    expect(draft).toEqual({ renew: '7', suspend: '3', terminate: '15' })
    expect(termsFromDraft({ ...draft, renew: '60' }, 25_000)).toEqual({ renew_days_before: 60, suspend_after_days: 3, terminate_after_days: 15, late_fee_minor: 25_000, late_fee_currency: 'IDR' })
    expect(termsFromDraft(draft).late_fee_minor).toBe(0)
    expect(termsFromDraft(draft, 500, 'USD').late_fee_currency).toBe('USD')
  })

  it('sends blank override days as the product’s (null) and a trimmed reason', () => {
    expect(overrideFromDraft({ suspend: '', terminate: ' 30 ', extendedUntil: '2026-12-24', reason: '  janji bayar  ' })).toEqual({
      suspend_after_days: null,
      terminate_after_days: 30,
      extended_until: '2026-12-24',
      reason: 'janji bayar',
    })
    expect(overrideFromDraft({ suspend: '5', terminate: '', extendedUntil: null, reason: 'x' }).extended_until).toBeNull()
  })

  it('leaves a blank cancellation reason out', () => {
    expect(cancellationRequest('end_of_period', '   ')).toEqual({ when: 'end_of_period' })
    expect(cancellationRequest('immediately', ' pindah ')).toEqual({ when: 'immediately', reason: 'pindah' })
  })

  it('knows a product sold by the period', () => {
    expect(isRecurring([{ cycle: 'one_time' }])).toBe(false)
    expect(isRecurring([{ cycle: 'one_time' }, { cycle: 'monthly' }])).toBe(true)
    expect(isRecurring([])).toBe(false)
  })

  it('shows a shop day as that day, whatever the browser’s zone', () => {
    const day = calendarDate('2027-01-31')
    expect([day.getFullYear(), day.getMonth() + 1, day.getDate()]).toEqual([2027, 1, 31])
    expect(Number.isNaN(calendarDate('31/01/2027').getTime())).toBe(true)
  })
})
