import { describe, expect, it } from 'vitest'
import { firstPayment, fromPrice, savingPercent, soldOut, specLines, type CatalogProduct, type Offer } from './catalog'

const offer = (cycle: Offer['cycle'], price_minor: number, setup_fee_minor = 0): Offer => ({
  cycle,
  price_minor,
  setup_fee_minor,
  renew_minor: null,
  transfer_minor: null,
})

function product(spec: CatalogProduct['spec'], extra: Partial<CatalogProduct> = {}): CatalogProduct {
  return {
    id: 1,
    kind: spec.kind,
    slug: 'x',
    category: null,
    name: 'X',
    summary: null,
    description: null,
    spec,
    regions: [],
    os_templates: [],
    featured: false,
    currency: 'IDR',
    offers: [],
    stock_available: null,
    ...extra,
  }
}

describe('catalog helpers', () => {
  it('quotes the lowest price per month among recurring cycles, else the one-time price', () => {
    expect(fromPrice('vps', [offer('monthly', 90_000), offer('quarterly', 256_500), offer('annual', 918_000)])).toEqual({ minor: 76_500, per: 'month' })
    // Rounds down, in whole minor units: 100 000 a quarter is 33 333 a month.
    expect(fromPrice('hosting', [offer('quarterly', 100_000)])).toEqual({ minor: 33_333, per: 'month' })
    expect(fromPrice('digital', [offer('one_time', 35_000)])).toEqual({ minor: 35_000, per: 'once' })
    expect(fromPrice('vps', [])).toBeNull()
    // A domain is quoted by the year, not cut into months.
    expect(fromPrice('domain', [offer('annual', 165_000)])).toEqual({ minor: 165_000, per: 'year' })
  })

  it('adds the setup fee to the first payment and shows a saving only against monthly', () => {
    expect(firstPayment(offer('monthly', 250_000, 50_000))).toBe(300_000)
    const offers = [offer('monthly', 100_000), offer('annual', 1_020_000), offer('quarterly', 300_000)]
    expect(savingPercent(offers, offers[1]!)).toBe(15)
    expect(savingPercent(offers, offers[2]!)).toBe(0)
    expect(savingPercent(offers, offers[0]!)).toBe(0)
    expect(savingPercent([offer('annual', 1)], offer('annual', 1))).toBe(0)
  })

  it('says what each kind gives, and that digital goods out of stock are sold out', () => {
    expect(specLines(product({ kind: 'vps', cores: 2, ram_mb: 1536, disk_gb: 40, rate_limit_mbps: null }))).toEqual([
      { key: 'store.spec.cores', values: { n: 2 } },
      { key: 'store.spec.ramGb', values: { gb: '1.5' } },
      { key: 'store.spec.disk', values: { gb: 40 } },
    ])
    expect(specLines(product({ kind: 'vps', cores: 1, ram_mb: 512, disk_gb: 10, rate_limit_mbps: 50 }))[1]).toEqual({ key: 'store.spec.ramMb', values: { mb: 512 } })
    expect(specLines(product({ kind: 'hosting', whm_package: 'p', disk_mb: null, bandwidth_gb: 20, addon_domains: 0 })).map((line) => line.key)).toEqual([
      'store.spec.hostingDiskUnlimited',
      'store.spec.bandwidth',
      'store.spec.addons',
    ])
    expect(specLines(product({ kind: 'data_package', provider_sku: 'XL', operator: 'xl', quota_mb: 10_240, validity_days: 30 }))).toEqual([
      { key: 'store.spec.quota', values: { gb: '10' } },
      { key: 'store.spec.validity', values: { days: 30 } },
      { key: 'store.operator.xl' },
    ])
    const digital = (stock: number) => product({ kind: 'digital', terms_id: null, terms_en: null }, { stock_available: stock })
    expect(soldOut(digital(0))).toBe(true)
    expect(soldOut(digital(3))).toBe(false)
    expect(specLines(digital(3))).toEqual([{ key: 'store.spec.stock', values: { n: 3 } }])
    expect(soldOut(product({ kind: 'domain', tld: 'id' }))).toBe(false)
  })
})
