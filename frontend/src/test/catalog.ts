import type { Category, OsTemplate, Region } from '../composables/useCatalogLists'
import type { CustomerGroup } from '../composables/useCustomerGroups'
import type { StaffProduct } from '../composables/useProduct'
import type { StaffProductRow } from '../composables/useProducts'

/** Fixtures shaped like the catalog API's answers. */
export function customerGroup(id: number, code: string, extra: Partial<CustomerGroup> = {}): CustomerGroup {
  return { id, code, name: code[0]!.toUpperCase() + code.slice(1), is_default: code === 'member', member_count: 0, ...extra }
}

export const GROUPS = [customerGroup(1, 'member'), customerGroup(2, 'reseller', { member_count: 3 })]

export function category(id: number, name: string, extra: Partial<Category> = {}): Category {
  return { id, slug: name.toLowerCase(), name_id: name, name_en: null, description_id: null, description_en: null, visible: true, sort_order: id, ...extra }
}

export function region(id: number, code: string, name: string, extra: Partial<Region> = {}): Region {
  return { id, code, name, country: 'ID', active: true, sort_order: id, ...extra }
}

export function osTemplate(id: number, code: string, name: string, extra: Partial<OsTemplate> = {}): OsTemplate {
  return { id, code, name, family: 'linux', active: true, sort_order: id, ...extra }
}

export function staffProduct(id: number, extra: Partial<StaffProduct> = {}): StaffProduct {
  return {
    id,
    kind: 'vps',
    slug: `vps-${id}`,
    category_id: null,
    name_id: `VPS ${id}`,
    name_en: null,
    summary_id: null,
    summary_en: null,
    description_id: null,
    description_en: null,
    spec: { kind: 'vps', cores: 2, ram_mb: 4096, disk_gb: 60, rate_limit_mbps: null },
    regions: ['jkt'],
    os_templates: ['ubuntu-24.04'],
    visible: true,
    featured: false,
    sort_order: 0,
    prices: [],
    stock: null,
    created_at: '2025-05-01T01:00:00Z',
    updated_at: '2025-05-01T01:00:00Z',
    ...extra,
  }
}

export function productRow(id: number, extra: Partial<StaffProductRow> = {}): StaffProductRow {
  return {
    id,
    kind: 'vps',
    slug: `vps-${id}`,
    name_id: `VPS ${id}`,
    category_id: null,
    visible: true,
    featured: false,
    sort_order: 0,
    price_count: 0,
    from_price_idr: null,
    stock_available: null,
    updated_at: '2025-05-01T01:00:00Z',
    ...extra,
  }
}

/** The list and group answers every editor page reads. */
export const CATALOG_LISTS = {
  'GET /api/v1/staff/customer-groups': { body: GROUPS },
  'GET /api/v1/staff/catalog/categories': { body: [category(1, 'VPS'), category(2, 'Hosting')] },
  'GET /api/v1/staff/catalog/regions': { body: [region(1, 'jkt', 'Jakarta'), region(2, 'sby', 'Surabaya')] },
  'GET /api/v1/staff/catalog/os-templates': { body: [osTemplate(1, 'ubuntu-24.04', 'Ubuntu 24.04'), osTemplate(2, 'debian-12', 'Debian 12')] },
}
