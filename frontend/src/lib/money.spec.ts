import { describe, expect, it } from 'vitest'
import { formatMoney, minorToMajor, parseMoney, sumByCurrency } from './money'

/** Intl puts a no-break space between symbol and amount in some locales. */
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ')

describe('money', () => {
  it('formats minor units per currency and language: whole rupiah, dollars and cents', () => {
    expect(plain(formatMoney(150000, 'IDR', 'id'))).toBe('Rp 150.000')
    expect(plain(formatMoney(0, 'IDR', 'id'))).toBe('Rp 0')
    expect(formatMoney(1250, 'USD', 'en')).toBe('$12.50')
    expect(formatMoney(5, 'USD', 'en')).toBe('$0.05')
    expect(plain(formatMoney(1250, 'USD', 'id'))).toMatch(/^US\$ ?12,50$/) // ICU versions differ on the space
    expect(plain(formatMoney(150000, 'IDR', 'en'))).toBe('IDR 150,000')
    // Past 2^53 / 100 a float of dollars would lose cents; the digits are kept.
    expect(formatMoney(9007199254740991, 'USD', 'en')).toBe('$90,071,992,547,409.91')
  })

  it('writes minor units back as plain major-unit digits for a form input', () => {
    expect(minorToMajor(150000, 'IDR')).toBe('150000')
    expect(minorToMajor(1250, 'USD')).toBe('12.50')
    expect(minorToMajor(7, 'USD')).toBe('0.07')
    expect(minorToMajor(-1210, 'USD')).toBe('-12.10')
    expect(() => minorToMajor(1.5, 'USD')).toThrow(RangeError)
  })

  it('parses typed prices into minor units without float rounding', () => {
    const minor = (input: string, currency: string) => {
      const parsed = parseMoney(input, currency)
      return parsed.ok ? parsed.minor : parsed.error
    }
    expect(minor('150000', 'IDR')).toBe(150000)
    expect(minor('Rp 150.000', 'IDR')).toBe(150000)
    expect(minor('150,000', 'IDR')).toBe(150000)
    expect(minor('1 250 000', 'IDR')).toBe(1250000)
    expect(minor('150.000,00', 'IDR')).toBe(150000)
    expect(minor('12.5', 'USD')).toBe(1250)
    expect(minor('12,50', 'USD')).toBe(1250)
    // 0.1 + 0.2 style traps: 1.10 * 100 is 110.00000000000001 in floats.
    expect(minor('1.10', 'USD')).toBe(110)
    expect(minor('4.35', 'USD')).toBe(435)
    expect(minor('$ 12.10', 'USD')).toBe(1210)
    expect(minor('1,234.56', 'USD')).toBe(123456)
    expect(minor('1.234,56', 'USD')).toBe(123456)
    expect(minor('1.234', 'USD')).toBe(123400) // a group of three is thousands
    expect(minor('0.07', 'USD')).toBe(7)
    expect(minor('12.500', 'USD')).toBe(1250000)
    expect(minor('90071992547409.91', 'USD')).toBe(9007199254740991)
  })

  it('refuses what is not a price, and says why', () => {
    const error = (input: string, currency: string) => {
      const parsed = parseMoney(input, currency)
      return parsed.ok ? `ok ${parsed.minor}` : parsed.error
    }
    expect(error('  ', 'IDR')).toBe('empty')
    expect(error('Rp', 'IDR')).toBe('empty')
    expect(error('abc', 'IDR')).toBe('invalid')
    expect(error('12.5.1', 'USD')).toBe('invalid')
    expect(error('1.23.456', 'IDR')).toBe('invalid')
    expect(error('12.', 'USD')).toBe('invalid')
    expect(error('-5', 'USD')).toBe('negative')
    expect(error('1,5', 'IDR')).toBe('too_many_decimals')
    expect(error('12.345,678', 'USD')).toBe('too_many_decimals')
    expect(error('0.125', 'USD')).toBe('too_many_decimals') // not a thousands group after a zero
    expect(error('0.120', 'USD')).toBe('ok 12')
    expect(error('90071992547409.92', 'USD')).toBe('too_large')
  })

  it('sums per currency, never across currencies', () => {
    const sums = sumByCurrency(
      [
        { amount: 150000, currency: 'IDR' },
        { amount: 1250, currency: 'USD' },
        { amount: 50000, currency: 'IDR' },
      ],
      (i) => i.amount,
      (i) => i.currency,
    )
    expect([...sums]).toEqual([
      ['IDR', 200000],
      ['USD', 1250],
    ])
  })
})
