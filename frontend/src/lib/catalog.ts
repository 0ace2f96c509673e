/**
 * What the storefront shows of a product, worked out from the API's answer: the cycles in
 * the order a buyer reads them, the "from" price, and the few attributes that say what one
 * gets. Prices stay integer minor units; formatting happens in the template.
 */
import type { components } from '../api/schema'

export type CatalogProduct = components['schemas']['CatalogProduct']
export type Offer = components['schemas']['Offer']
export type BillingCycle = components['schemas']['BillingCycle']
export type ProductKind = components['schemas']['ProductKind']
export type DomainResult = components['schemas']['DomainResult']

/** Months a cycle covers (a one-time purchase counts as one period). */
const CYCLE_MONTHS: Record<BillingCycle, number> = {
  one_time: 1,
  monthly: 1,
  quarterly: 3,
  semi_annual: 6,
  annual: 12,
}

export function cycleMonths(cycle: BillingCycle): number {
  return CYCLE_MONTHS[cycle]
}

/** What a quoted price is per: a month, a year (domains), or once. */
export type PricePer = 'month' | 'year' | 'once'

/**
 * The price a listing quotes "from". A domain is sold by the year: its yearly registration.
 * Otherwise the lowest price per month among the recurring cycles (so a discounted annual
 * plan shows what it costs a month), else the one-time price. Integer division keeps it in
 * minor units; it rounds down, as "from" should.
 */
export function fromPrice(kind: ProductKind, offers: readonly Offer[]): { minor: number; per: PricePer } | null {
  if (kind === 'domain') {
    const annual = offers.find((offer) => offer.cycle === 'annual')
    return annual ? { minor: annual.price_minor, per: 'year' } : null
  }
  const recurring = offers.filter((offer) => offer.cycle !== 'one_time')
  if (recurring.length > 0) {
    const monthly = recurring.map((offer) => Math.floor(offer.price_minor / cycleMonths(offer.cycle)))
    return { minor: Math.min(...monthly), per: 'month' }
  }
  const once = offers.find((offer) => offer.cycle === 'one_time')
  return once ? { minor: once.price_minor, per: 'once' } : null
}

/** What the first invoice of an offer comes to: the period's price and the setup fee. */
export function firstPayment(offer: Offer): number {
  return offer.price_minor + offer.setup_fee_minor
}

/** The saving of a longer cycle against paying monthly, in whole percent (0 when none). */
export function savingPercent(offers: readonly Offer[], offer: Offer): number {
  const monthly = offers.find((candidate) => candidate.cycle === 'monthly')
  if (!monthly || offer.cycle === 'monthly' || offer.cycle === 'one_time') return 0
  const full = monthly.price_minor * cycleMonths(offer.cycle)
  if (full <= offer.price_minor) return 0
  return Math.floor(((full - offer.price_minor) * 100) / full)
}

/** A spec line: an i18n key and its values (`{ key: 'store.spec.ram', values: { gb: 4 } }`). */
export interface SpecLine {
  key: string
  values?: Record<string, string | number>
}

/** 1536 MB → "1.5", 2048 → "2": memory and quota read in GB once they reach one. */
function gigabytes(mb: number): string {
  const gb = mb / 1024
  return Number.isInteger(gb) ? String(gb) : gb.toFixed(1)
}

/** The attributes that tell one plan from another, per kind. */
export function specLines(product: CatalogProduct): SpecLine[] {
  const spec = product.spec
  switch (spec.kind) {
    case 'vps':
      return [
        { key: 'store.spec.cores', values: { n: spec.cores } },
        spec.ram_mb >= 1024 ? { key: 'store.spec.ramGb', values: { gb: gigabytes(spec.ram_mb) } } : { key: 'store.spec.ramMb', values: { mb: spec.ram_mb } },
        { key: 'store.spec.disk', values: { gb: spec.disk_gb } },
        ...(spec.rate_limit_mbps ? [{ key: 'store.spec.rate', values: { mbps: spec.rate_limit_mbps } }] : []),
      ]
    case 'hosting':
      return [
        spec.disk_mb ? { key: 'store.spec.hostingDisk', values: { gb: gigabytes(spec.disk_mb) } } : { key: 'store.spec.hostingDiskUnlimited' },
        spec.bandwidth_gb ? { key: 'store.spec.bandwidth', values: { gb: spec.bandwidth_gb } } : { key: 'store.spec.bandwidthUnlimited' },
        { key: 'store.spec.addons', values: { n: spec.addon_domains } },
      ]
    case 'domain':
      return [{ key: 'store.spec.tld', values: { tld: spec.tld } }]
    case 'digital':
      return [
        product.stock_available && product.stock_available > 0
          ? { key: 'store.spec.stock', values: { n: product.stock_available } }
          : { key: 'store.spec.soldOut' },
      ]
    case 'data_package':
      return [
        { key: 'store.spec.quota', values: { gb: gigabytes(spec.quota_mb) } },
        { key: 'store.spec.validity', values: { days: spec.validity_days } },
        { key: `store.operator.${spec.operator}` },
      ]
    case 'internet':
      return [{ key: 'store.spec.speed', values: { down: spec.download_mbps, up: spec.upload_mbps } }]
  }
}

/** Digital goods out of stock cannot be bought; every other kind is made to order. */
export function soldOut(product: CatalogProduct): boolean {
  return product.kind === 'digital' && (product.stock_available ?? 0) <= 0
}
