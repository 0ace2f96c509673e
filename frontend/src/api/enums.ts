import type { components } from './schema'

type Schemas = components['schemas']

/**
 * Every member of a string enum of the generated schema, as a runtime list the UI can
 * iterate (filter menus, labels). The compiler refuses a list that misses a member or holds
 * one the schema does not have, so a status added on the server shows up here as a type
 * error instead of a silently missing filter; `enums.spec.ts` also compares each list with
 * the enum of `openapi/openapi.json`. The order is the UI's.
 */
export function enumMembers<T extends string>() {
  return <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)): L => list
}

export type HostStatus = Schemas['HostStatus']
export type OutboxStatus = Schemas['OutboxStatus']
export type BroadcastStatus = Schemas['BroadcastStatus']
export type Channel = Schemas['Channel']
export type ProductKind = Schemas['ProductKind']
export type BillingCycle = Schemas['BillingCycle']
export type Operator = Schemas['Operator']

export const HOST_STATUSES = enumMembers<HostStatus>()(['up', 'down', 'pending'])
export const OUTBOX_STATUSES = enumMembers<OutboxStatus>()(['pending', 'sent', 'failed', 'dead', 'blocked'])
export const BROADCAST_STATUSES = enumMembers<BroadcastStatus>()(['running', 'done', 'cancelled'])
export const CHANNELS = enumMembers<Channel>()(['email', 'telegram'])
export const PRODUCT_KINDS = enumMembers<ProductKind>()(['vps', 'hosting', 'domain', 'digital', 'data_package', 'internet'])
export const BILLING_CYCLES = enumMembers<BillingCycle>()(['one_time', 'monthly', 'quarterly', 'semi_annual', 'annual'])
export const OPERATORS = enumMembers<Operator>()(['telkomsel', 'indosat', 'xl', 'axis', 'tri', 'smartfren'])

/** Narrows a string (a select's value, a query parameter) to a member of `list`, else `null`. */
export function memberOf<T extends string>(list: readonly T[], value: unknown): T | null {
  return typeof value === 'string' && (list as readonly string[]).includes(value) ? (value as T) : null
}
