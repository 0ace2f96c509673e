import { describe, expect, it } from 'vitest'
import { blankTerms, parsePercent, termsFromPromo, termsInput, usesLabel, vouchersText } from './promo'

describe('promo terms', () => {
  it('sends a percent code without amount or currency, a fixed one without percent', () => {
    const percent = termsInput({ ...blankTerms(), percent: '15' })
    expect(percent).toEqual({
      ok: true,
      input: { discount_kind: 'percent', percent: 15, amount_minor: null, currency: null, starts_at: null, ends_at: null, product_ids: [], category_ids: [] },
    })
    const fixed = termsInput({ ...blankTerms(), kind: 'fixed', amount: '25.000', currency: 'IDR', productIds: [3], startsAt: Date.parse('2026-05-01T00:00:00Z') })
    expect(fixed.ok && fixed.input).toMatchObject({ discount_kind: 'fixed', percent: null, amount_minor: 25_000, currency: 'IDR', product_ids: [3], starts_at: '2026-05-01T00:00:00.000Z' })
    const usd = termsInput({ ...blankTerms(), kind: 'fixed', amount: '12.50', currency: 'USD' })
    expect(usd.ok && usd.input.amount_minor).toBe(1250)
  })

  it('refuses a percent outside 1–100, an empty amount and a window that ends before it starts', () => {
    expect(termsInput({ ...blankTerms(), percent: '0' })).toEqual({ ok: false, error: 'percent' })
    expect(termsInput({ ...blankTerms(), percent: '101' })).toEqual({ ok: false, error: 'percent' })
    expect(termsInput({ ...blankTerms(), percent: '12.5' })).toEqual({ ok: false, error: 'percent' })
    expect(termsInput({ ...blankTerms(), kind: 'fixed', amount: '' })).toEqual({ ok: false, error: 'amount' })
    expect(termsInput({ ...blankTerms(), kind: 'fixed', amount: '0' })).toEqual({ ok: false, error: 'amount' })
    expect(termsInput({ ...blankTerms(), startsAt: 2000, endsAt: 1000 })).toEqual({ ok: false, error: 'window' })
    expect(parsePercent('20 %')).toBe(20)
  })

  it('reads a stored code back into the form', () => {
    const draft = termsFromPromo({
      id: 1, code: 'HEMAT', description: '', discount_kind: 'fixed', amount_minor: 1250, currency: 'USD', percent: null,
      uses: 0, recurring: false, active: true, product_ids: [4], category_ids: [2], ends_at: '2026-06-01T00:00:00Z',
      created_at: '2026-05-01T00:00:00Z', updated_at: '2026-05-01T00:00:00Z',
    })
    expect(draft).toMatchObject({ kind: 'fixed', amount: '12.50', currency: 'USD', percent: '', productIds: [4], categoryIds: [2], startsAt: null, endsAt: Date.parse('2026-06-01T00:00:00Z') })
  })

  it('lists vouchers one a line and shows uses against the limit', () => {
    expect(vouchersText(['A-1', 'A-2'])).toBe('A-1\nA-2\n')
    expect(usesLabel(3, 10)).toBe('3 / 10')
    expect(usesLabel(3, null)).toBe('3 / ∞')
  })
})
