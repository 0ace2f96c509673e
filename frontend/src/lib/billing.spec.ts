import { describe, expect, it } from 'vitest'
import {
  bpToPercent,
  checkoutRequest,
  idempotencyKeys,
  methodsFor,
  missingCheckoutFields,
  percentToBp,
  pollVerdict,
  taxRatePercent,
  type CheckoutDraft,
} from './billing'
import { formatMoney } from './money'

const draft = (extra: Partial<CheckoutDraft> = {}): CheckoutDraft => ({
  productId: 7,
  kind: 'vps',
  cycle: 'monthly',
  currency: 'IDR',
  region: 'jkt',
  os: 'ubuntu-24.04',
  domain: ' Ignored.COM ',
  phone: '0812 3456 7890',
  promo: ' hemat10 ',
  method: 'pakasir',
  ...extra,
})

describe('the checkout request', () => {
  it('sends only what the product kind uses, trimmed, with the promo upper-cased', () => {
    expect(checkoutRequest(draft())).toEqual({
      product_id: 7,
      cycle: 'monthly',
      currency: 'IDR',
      pay_with_wallet: false,
      region: 'jkt',
      os_template: 'ubuntu-24.04',
      promo_code: 'HEMAT10',
    })
    expect(checkoutRequest(draft({ kind: 'domain', cycle: 'annual', promo: '' }))).toEqual({
      product_id: 7,
      cycle: 'annual',
      currency: 'IDR',
      pay_with_wallet: false,
      domain_name: 'ignored.com',
    })
    expect(checkoutRequest(draft({ kind: 'data_package', cycle: 'one_time', promo: '  ', method: 'wallet' }))).toEqual({
      product_id: 7,
      cycle: 'one_time',
      currency: 'IDR',
      pay_with_wallet: true,
      phone: '081234567890',
    })
  })

  it('pays from the wallet only when the wallet is chosen, and never in a quote', () => {
    expect(checkoutRequest(draft({ method: 'wallet' })).pay_with_wallet).toBe(true)
    expect(checkoutRequest(draft({ method: 'wallet' }), { forQuote: true }).pay_with_wallet).toBe(false)
    expect(checkoutRequest(draft({ method: 'manual' })).pay_with_wallet).toBe(false)
  })

  it('names the fields the kind needs that are still empty', () => {
    expect(missingCheckoutFields(draft({ region: null, os: null }))).toEqual(['region', 'os_template'])
    expect(missingCheckoutFields(draft({ kind: 'hosting', domain: '  ' }))).toEqual(['domain_name'])
    expect(missingCheckoutFields(draft({ kind: 'data_package', phone: '' }))).toEqual(['phone'])
    expect(missingCheckoutFields(draft({ kind: 'digital', region: null, domain: '', phone: '' }))).toEqual([])
  })
})

describe('the Idempotency-Key of a checkout form', () => {
  const counter = () => {
    let n = 0
    return () => `key-${++n}`
  }

  it('is the same when the same request is sent again (a retry), new when the request changes', () => {
    const keys = idempotencyKeys(counter())
    const first = checkoutRequest(draft())
    expect(keys.keyFor(first)).toBe('key-1')
    expect(keys.keyFor(checkoutRequest(draft()))).toBe('key-1')
    expect(keys.keyFor(checkoutRequest(draft({ cycle: 'annual' })))).toBe('key-2')
    expect(keys.keyFor(first)).toBe('key-3')
  })

  it('is new for the next order once one was placed', () => {
    const keys = idempotencyKeys(counter())
    const request = checkoutRequest(draft())
    expect(keys.keyFor(request)).toBe('key-1')
    keys.done()
    expect(keys.keyFor(request)).toBe('key-2')
  })
})

describe('polling a payment', () => {
  const now = Date.parse('2026-05-01T10:00:00Z')
  it('stops when paid, failed, cancelled, rejected or past its expiry; waits otherwise', () => {
    expect(pollVerdict({ status: 'paid', expires_at: null }, now)).toBe('paid')
    for (const status of ['failed', 'cancelled', 'rejected']) expect(pollVerdict({ status, expires_at: null }, now)).toBe('failed')
    expect(pollVerdict({ status: 'pending', expires_at: '2026-05-01T09:59:59Z' }, now)).toBe('expired')
    expect(pollVerdict({ status: 'pending', expires_at: '2026-05-01T10:15:00Z' }, now)).toBe('continue')
    expect(pollVerdict({ status: 'creating', expires_at: null }, now)).toBe('continue')
    // Paid just after its expiry still counts as paid.
    expect(pollVerdict({ status: 'paid', expires_at: '2026-05-01T09:00:00Z' }, now)).toBe('paid')
  })
})

describe('payment methods of an invoice', () => {
  const methods = [
    { method: 'pakasir', currencies: ['IDR'] },
    { method: 'manual', currencies: ['IDR', 'USD'], instructions: 'BCA' },
    { method: 'bitcoin', currencies: ['IDR'] },
    { method: 'wallet', currencies: ['IDR', 'USD'] },
  ]
  it('keeps the ones taking the currency, drops unknown ones, and never pays a top-up from the wallet', () => {
    expect(methodsFor(methods, 'IDR', 'order')).toEqual(['pakasir', 'manual', 'wallet'])
    expect(methodsFor(methods, 'USD', 'order')).toEqual(['manual', 'wallet'])
    expect(methodsFor(methods, 'IDR', 'top_up')).toEqual(['pakasir', 'manual'])
  })
})

describe('PPN and money in words', () => {
  it('reads basis points as percent both ways, without floating point', () => {
    expect(percentToBp('11')).toBe(1100)
    expect(percentToBp('12,5')).toBe(1250)
    expect(percentToBp('12.25 %')).toBe(1225)
    expect(percentToBp('0')).toBe(0)
    expect(percentToBp('100')).toBe(10_000)
    expect(percentToBp('100.01')).toBeNull()
    expect(percentToBp('1.234')).toBeNull()
    expect(percentToBp('-1')).toBeNull()
    expect(percentToBp('')).toBeNull()
    expect(bpToPercent(1100)).toBe('11')
    expect(bpToPercent(1250)).toBe('12.5')
    expect(bpToPercent(1225)).toBe('12.25')
    expect(bpToPercent(5)).toBe('0.05')
    expect(taxRatePercent(1100, 'id')).toBe('11')
    expect(taxRatePercent(1250, 'id')).toBe('12,5')
    expect(taxRatePercent(1250, 'en')).toBe('12.5')
  })

  it('formats totals with the fee and discount in the invoice currency', () => {
    expect(formatMoney(55_500, 'IDR', 'id').replace(/\s/g, ' ')).toBe('Rp 55.500')
    expect(formatMoney(-5_000, 'IDR', 'id').replace(/\s/g, ' ')).toBe('-Rp 5.000')
    expect(formatMoney(1_250, 'USD', 'en')).toBe('$12.50')
  })
})
