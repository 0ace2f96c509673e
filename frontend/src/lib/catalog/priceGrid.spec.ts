import { describe, expect, it } from 'vitest'
import { cellAt, cellKey, cyclesFor, gridFromPrices, pricesFromGrid, serverCellErrors, type PriceGrid, type ProductPrice } from './priceGrid'
import { specDraftFrom, specInputFrom, emptySpec } from './spec'
import { suggestSlug } from './slug'

const GROUPS = ['member', 'reseller']

function grid(entries: Record<string, Partial<ReturnType<typeof cellAt>>>): PriceGrid {
  const g: PriceGrid = {}
  for (const [key, parts] of Object.entries(entries)) Object.assign(cellAt(g, key), parts)
  return g
}

describe('price grid', () => {
  it('prices a domain per year only, everything else in every cycle', () => {
    expect(cyclesFor('domain')).toEqual(['annual'])
    expect(cyclesFor('vps')).toEqual(['one_time', 'monthly', 'quarterly', 'semi_annual', 'annual'])
  })

  it('reads typed major units into integer minor units per currency: rupiah whole, dollars in cents', () => {
    const typed = grid({
      [cellKey('member', 'IDR', 'monthly')]: { price: '1.500.000', setup: 'Rp 250.000' },
      [cellKey('member', 'USD', 'monthly')]: { price: '12.5', setup: '' },
      [cellKey('reseller', 'IDR', 'annual')]: { price: '15000000' },
      [cellKey('reseller', 'USD', 'monthly')]: { price: '0.10' },
    })
    const { prices, keys, errors } = pricesFromGrid(typed, 'vps', GROUPS)
    expect(errors).toEqual({})
    expect(prices).toEqual([
      { group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 1_500_000, setup_fee_minor: 250_000 },
      { group: 'member', currency: 'USD', cycle: 'monthly', price_minor: 1250 },
      { group: 'reseller', currency: 'IDR', cycle: 'annual', price_minor: 15_000_000 },
      { group: 'reseller', currency: 'USD', cycle: 'monthly', price_minor: 10 },
    ])
    expect(keys).toEqual(['member|IDR|monthly', 'member|USD|monthly', 'reseller|IDR|annual', 'reseller|USD|monthly'])
  })

  it('sends nothing for an empty cell, and refuses a fee without a price or amounts it cannot read', () => {
    const typed = grid({
      [cellKey('member', 'IDR', 'monthly')]: { price: '  ', setup: '' },
      [cellKey('member', 'IDR', 'annual')]: { price: '', setup: '50.000' },
      [cellKey('member', 'IDR', 'quarterly')]: { price: '1.500,50' },
      [cellKey('member', 'USD', 'monthly')]: { price: '12.3456' },
      [cellKey('reseller', 'USD', 'monthly')]: { price: '-5' },
      [cellKey('reseller', 'IDR', 'monthly')]: { price: 'gratis' },
    })
    const { prices, errors } = pricesFromGrid(typed, 'hosting', GROUPS)
    expect(prices).toEqual([])
    expect(errors).toEqual({
      'member|IDR|annual': { price: 'price_missing' },
      'member|IDR|quarterly': { price: 'too_many_decimals' },
      'member|USD|monthly': { price: 'too_many_decimals' },
      'reseller|USD|monthly': { price: 'negative' },
      'reseller|IDR|monthly': { price: 'invalid' },
    })
  })

  it('ignores cells of tiers that are gone and cycles the kind does not have', () => {
    const typed = grid({ [cellKey('gold', 'IDR', 'monthly')]: { price: '1' }, [cellKey('member', 'IDR', 'monthly')]: { price: '150.000' } })
    expect(pricesFromGrid(typed, 'domain', GROUPS).prices).toEqual([])
    expect(pricesFromGrid(typed, 'vps', GROUPS).prices).toHaveLength(1)
  })

  it('gives a domain register, renew and transfer prices, no setup fee', () => {
    const typed = grid({
      [cellKey('member', 'IDR', 'annual')]: { price: '150.000', renew: '175.000', transfer: '', setup: '99' },
      [cellKey('reseller', 'IDR', 'annual')]: { price: '140.000', transfer: '130.000' },
      [cellKey('reseller', 'USD', 'annual')]: { price: '', renew: '12' },
    })
    const { prices, errors } = pricesFromGrid(typed, 'domain', GROUPS)
    expect(prices).toEqual([
      { group: 'member', currency: 'IDR', cycle: 'annual', price_minor: 150_000, renew_minor: 175_000 },
      { group: 'reseller', currency: 'IDR', cycle: 'annual', price_minor: 140_000, transfer_minor: 130_000 },
    ])
    expect(errors).toEqual({ 'reseller|USD|annual': { price: 'price_missing' } })
  })

  it('shows stored prices in major units, a zero setup fee and absent renewals as empty', () => {
    const stored: ProductPrice[] = [
      { group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 1_500_000, setup_fee_minor: 0, renew_minor: null, transfer_minor: null },
      { group: 'member', currency: 'USD', cycle: 'monthly', price_minor: 1205, setup_fee_minor: 500 },
      { group: 'member', currency: 'IDR', cycle: 'annual', price_minor: 150_000, setup_fee_minor: 0, renew_minor: 175_000, transfer_minor: 0 },
    ]
    const g = gridFromPrices(stored)
    expect(g['member|IDR|monthly']).toEqual({ price: '1500000', setup: '', renew: '', transfer: '' })
    expect(g['member|USD|monthly']).toEqual({ price: '12.05', setup: '5.00', renew: '', transfer: '' })
    expect(g['member|IDR|annual']).toEqual({ price: '150000', setup: '', renew: '175000', transfer: '0' })
    // …and back again unchanged.
    expect(pricesFromGrid(g, 'domain', ['member']).prices).toEqual([
      { group: 'member', currency: 'IDR', cycle: 'annual', price_minor: 150_000, renew_minor: 175_000, transfer_minor: 0 },
    ])
    expect(pricesFromGrid(g, 'vps', ['member']).prices).toEqual([
      { group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 1_500_000 },
      { group: 'member', currency: 'IDR', cycle: 'annual', price_minor: 150_000 },
      { group: 'member', currency: 'USD', cycle: 'monthly', price_minor: 1205, setup_fee_minor: 500 },
    ])
  })

  it("places the server's prices[i] errors at the cell that price came from", () => {
    const keys = ['member|IDR|monthly', 'reseller|USD|annual']
    expect(
      serverCellErrors(
        [
          { field: 'prices[1].price_minor', code: 'out_of_range', message: 'from 0 to 1000000000000' },
          { field: 'prices[0].setup_fee_minor', code: 'out_of_range', message: 'too much' },
          { field: 'prices[1].cycle', code: 'duplicate', message: 'twice' },
          { field: 'prices[7].price_minor', code: 'out_of_range', message: 'not sent' },
          { field: 'name_id', code: 'required', message: 'required' },
        ],
        keys,
      ),
    ).toEqual([
      { key: 'reseller|USD|annual', part: 'price', message: 'from 0 to 1000000000000' },
      { key: 'member|IDR|monthly', part: 'setup', message: 'too much' },
      { key: 'reseller|USD|annual', part: 'price', message: 'twice' },
    ])
  })
})

describe('technical details', () => {
  it("sends only the kind's fields, numbers as integers, empty optional ones left out", () => {
    const draft = { ...emptySpec(), cores: ' 2 ', ram_mb: '4096', disk_gb: '60', rate_limit_mbps: '', regions: ['jkt'], os_templates: ['debian-12'], tld: 'com' }
    expect(specInputFrom('vps', draft)).toEqual({ cores: 2, ram_mb: 4096, disk_gb: 60, regions: ['jkt'], os_templates: ['debian-12'] })
    expect(specInputFrom('domain', draft)).toEqual({ tld: 'com' })
    expect(specInputFrom('data_package', { ...draft, provider_sku: 'XL-10', operator: 'xl', quota_mb: '10240', validity_days: '30' })).toEqual({
      provider_sku: 'XL-10',
      operator: 'xl',
      quota_mb: 10240,
      validity_days: 30,
    })
    expect(specInputFrom('digital', emptySpec())).toEqual({})
  })

  it('reads a stored spec back into the draft', () => {
    const draft = specDraftFrom(
      { kind: 'hosting', whm_package: 'juragan_basic', disk_mb: 2048, bandwidth_gb: null, addon_domains: 1 },
      { regions: [], os_templates: [] },
    )
    expect(draft).toMatchObject({ whm_package: 'juragan_basic', disk_mb: '2048', bandwidth_gb: '', addon_domains: '1', cores: '' })
  })
})

describe('slug suggestion', () => {
  it('makes an address from an Indonesian name', () => {
    expect(suggestSlug('VPS Jakarta 2 Core — Hemat!')).toBe('vps-jakarta-2-core-hemat')
    expect(suggestSlug('Paket Data XL & Axis 10GB')).toBe('paket-data-xl-dan-axis-10gb')
    expect(suggestSlug('  Café Résumé  ')).toBe('cafe-resume')
    expect(suggestSlug('a'.repeat(79) + ' b', 80)).toBe('a'.repeat(79))
  })
})
