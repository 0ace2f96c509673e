/**
 * A product's technical attributes as the editor holds them: every kind's fields in one
 * draft (numbers as typed text), of which only the product's kind's are shown and sent
 * (the server refuses another kind's fields). See the `SpecInput` schema for each field.
 */
import type { components } from '../../api/schema'
import type { Operator, ProductKind } from '../../api/enums'

export type SpecInput = components['schemas']['SpecInput']
export type ProductSpec = components['schemas']['ProductSpec']

export interface SpecDraft {
  cores: string
  ram_mb: string
  disk_gb: string
  rate_limit_mbps: string
  regions: string[]
  os_templates: string[]
  whm_package: string
  disk_mb: string
  bandwidth_gb: string
  addon_domains: string
  tld: string
  terms_id: string
  terms_en: string
  provider_sku: string
  operator: Operator | null
  quota_mb: string
  validity_days: string
  pppoe_profile: string
  download_mbps: string
  upload_mbps: string
}
export type SpecField = keyof SpecDraft

/** The fields of each kind, in the order the form shows them. */
export const SPEC_FIELDS: Record<ProductKind, readonly SpecField[]> = {
  vps: ['cores', 'ram_mb', 'disk_gb', 'rate_limit_mbps', 'regions', 'os_templates'],
  hosting: ['whm_package', 'disk_mb', 'bandwidth_gb', 'addon_domains'],
  domain: ['tld'],
  digital: ['terms_id', 'terms_en'],
  data_package: ['provider_sku', 'operator', 'quota_mb', 'validity_days'],
  internet: ['pppoe_profile', 'download_mbps', 'upload_mbps'],
}

/** Whole-number fields (typed as text, sent as integers). */
export const NUMBER_FIELDS = [
  'cores',
  'ram_mb',
  'disk_gb',
  'rate_limit_mbps',
  'disk_mb',
  'bandwidth_gb',
  'addon_domains',
  'quota_mb',
  'validity_days',
  'download_mbps',
  'upload_mbps',
] as const satisfies readonly SpecField[]
export type NumberField = (typeof NUMBER_FIELDS)[number]

/** Fields a kind may leave empty (absent means unlimited, the default, or none). */
export const OPTIONAL_FIELDS: ReadonlySet<SpecField> = new Set<SpecField>([
  'rate_limit_mbps',
  'disk_mb',
  'bandwidth_gb',
  'addon_domains',
  'terms_id',
  'terms_en',
])

export const isNumberField = (field: SpecField): field is NumberField => (NUMBER_FIELDS as readonly string[]).includes(field)

export function emptySpec(): SpecDraft {
  return {
    cores: '',
    ram_mb: '',
    disk_gb: '',
    rate_limit_mbps: '',
    regions: [],
    os_templates: [],
    whm_package: '',
    disk_mb: '',
    bandwidth_gb: '',
    addon_domains: '',
    tld: '',
    terms_id: '',
    terms_en: '',
    provider_sku: '',
    operator: null,
    quota_mb: '',
    validity_days: '',
    pppoe_profile: '',
    download_mbps: '',
    upload_mbps: '',
  }
}

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value))

/** The stored attributes (and the VPS's region and template codes) as a draft. */
export function specDraftFrom(spec: ProductSpec, lists: { regions: readonly string[]; os_templates: readonly string[] }): SpecDraft {
  const draft = emptySpec()
  const values = spec as unknown as Record<string, unknown>
  for (const field of SPEC_FIELDS[spec.kind]) {
    if (field === 'regions') draft.regions = [...lists.regions]
    else if (field === 'os_templates') draft.os_templates = [...lists.os_templates]
    else if (field === 'operator') draft.operator = (values.operator as Operator | undefined) ?? null
    else draft[field] = text(values[field])
  }
  return draft
}

/**
 * The draft as the server's `SpecInput` for `kind`: that kind's fields only, text trimmed,
 * numbers as integers; an empty field is left out (the server then asks for a required one).
 */
export function specInputFrom(kind: ProductKind, draft: SpecDraft): SpecInput {
  const input: Record<string, unknown> = {}
  for (const field of SPEC_FIELDS[kind]) {
    const value = draft[field]
    if (Array.isArray(value)) input[field] = [...value]
    else if (value === null) continue
    else if (isNumberField(field)) {
      const trimmed = value.trim()
      if (/^\d+$/.test(trimmed)) input[field] = Number(trimmed)
    } else if (value.trim() !== '') input[field] = value.trim()
  }
  return input as SpecInput
}
