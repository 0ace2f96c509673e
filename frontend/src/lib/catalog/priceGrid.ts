/**
 * A product's price table as staff edit it: rows are tiers (customer groups), columns are
 * billing cycles, one table per currency; each cell holds the price (and a setup fee) typed
 * in major units of its currency. A domain is priced per year: one column, with the renewal
 * and transfer prices instead of a setup fee. An empty cell is "no price". The server takes
 * the whole table as integer minor units (`PUT …/prices`); these functions convert both ways
 * and map the server's `prices[i].…` field errors back to the cell they came from.
 */
import type { components } from '../../api/schema'
import { BILLING_CYCLES, type BillingCycle, type ProductKind } from '../../api/enums'
import { CURRENCIES, minorToMajor, parseMoney, type CurrencyCode, type ParseMoneyError } from '../money'

export type ProductPrice = components['schemas']['ProductPrice']
export type PriceInput = components['schemas']['PriceInput']

/** The cycles a product of `kind` is priced in: a domain per year only. */
export function cyclesFor(kind: ProductKind): readonly BillingCycle[] {
  return kind === 'domain' ? ['annual'] : BILLING_CYCLES
}

/** The amounts of one cell, as typed (major units). */
export interface PriceCell {
  price: string
  setup: string
  renew: string
  transfer: string
}
export type PricePart = keyof PriceCell
export type PriceGrid = Record<string, PriceCell>

export const emptyCell = (): PriceCell => ({ price: '', setup: '', renew: '', transfer: '' })

/** The key of a cell: tier, currency and cycle. */
export function cellKey(group: string, currency: string, cycle: string): string {
  return `${group}|${currency}|${cycle}`
}

/** The cell at a key, created empty on first use (so inputs can bind to it). */
export function cellAt(grid: PriceGrid, key: string): PriceCell {
  let cell = grid[key]
  if (!cell) {
    cell = emptyCell()
    grid[key] = cell
  }
  return cell
}

const currencyOf = (code: string): CurrencyCode => (code === 'USD' ? 'USD' : 'IDR')

/** The stored prices as an editable grid; a setup fee of 0 and absent renewals stay empty. */
export function gridFromPrices(prices: readonly ProductPrice[]): PriceGrid {
  const grid: PriceGrid = {}
  for (const p of prices) {
    const currency = currencyOf(p.currency)
    grid[cellKey(p.group, p.currency, p.cycle)] = {
      price: minorToMajor(p.price_minor, currency),
      setup: p.setup_fee_minor ? minorToMajor(p.setup_fee_minor, currency) : '',
      renew: p.renew_minor === null || p.renew_minor === undefined ? '' : minorToMajor(p.renew_minor, currency),
      transfer: p.transfer_minor === null || p.transfer_minor === undefined ? '' : minorToMajor(p.transfer_minor, currency),
    }
  }
  return grid
}

/** Why a cell's part could not be read: the money parser's reasons, or a fee without a price. */
export type CellError = ParseMoneyError | 'price_missing'
export type CellErrors = Partial<Record<PricePart, CellError>>

export interface GridPrices {
  /** What to send, in a fixed order (tier, currency, cycle). */
  prices: PriceInput[]
  /** The cell key of each price sent, by index: maps `prices[i]` errors back. */
  keys: string[]
  /** Cells that cannot be sent as typed; empty when the table is good. */
  errors: Record<string, CellErrors>
}

const blank = (text: string) => text.trim() === ''

/**
 * The grid as the server's price table for a product of `kind` with tiers `groups`. Only the
 * parts that belong to the kind are read (setup fee for non-domains; renew and transfer for
 * domains); a cell without a price sends nothing, and one with only a fee is an error.
 */
export function pricesFromGrid(grid: PriceGrid, kind: ProductKind, groups: readonly string[]): GridPrices {
  const domain = kind === 'domain'
  const extras: PricePart[] = domain ? ['renew', 'transfer'] : ['setup']
  const result: GridPrices = { prices: [], keys: [], errors: {} }
  for (const group of groups) {
    for (const currency of CURRENCIES) {
      for (const cycle of cyclesFor(kind)) {
        const key = cellKey(group, currency, cycle)
        const cell = grid[key]
        if (!cell) continue
        const errors: CellErrors = {}
        const amounts: Partial<Record<PricePart, number>> = {}
        for (const part of ['price', ...extras] as PricePart[]) {
          if (blank(cell[part])) continue
          const parsed = parseMoney(cell[part], currency)
          if (parsed.ok) amounts[part] = parsed.minor
          else errors[part] = parsed.error
        }
        if (blank(cell.price)) {
          if (extras.some((part) => !blank(cell[part]))) errors.price = 'price_missing'
          else continue
        }
        if (Object.keys(errors).length) {
          result.errors[key] = errors
          continue
        }
        const price: PriceInput = { group, currency, cycle, price_minor: amounts.price! }
        if (amounts.setup !== undefined) price.setup_fee_minor = amounts.setup
        if (amounts.renew !== undefined) price.renew_minor = amounts.renew
        if (amounts.transfer !== undefined) price.transfer_minor = amounts.transfer
        result.prices.push(price)
        result.keys.push(key)
      }
    }
  }
  return result
}

const PART_OF_FIELD: Record<string, PricePart> = {
  price_minor: 'price',
  setup_fee_minor: 'setup',
  renew_minor: 'renew',
  transfer_minor: 'transfer',
}

export interface ServerCellError {
  key: string
  part: PricePart
  message: string
}

/**
 * The server's errors on `prices[i].<field>` placed at the cell sent as `prices[i]`
 * (`keys` from {@link pricesFromGrid}); the tier, currency and cycle go on the price.
 */
export function serverCellErrors(
  errors: readonly { field: string; code: string; message: string }[],
  keys: readonly string[],
): ServerCellError[] {
  const found: ServerCellError[] = []
  for (const e of errors) {
    const match = /^prices\[(\d+)\]\.(\w+)$/.exec(e.field)
    if (!match) continue
    const key = keys[Number(match[1])]
    if (!key) continue
    found.push({ key, part: PART_OF_FIELD[match[2]!] ?? 'price', message: e.message || e.code })
  }
  return found
}
