/**
 * Plan changes as the SPA reasons about them: what moving a service to each other plan of its
 * kind costs today (the old plan's unused days credited, the new plan's days left charged, with
 * PPN), and the changes asked for. `settle_minor` above 0 is invoiced, below 0 credited to the
 * wallet. Amounts are minor units; dates the shop's calendar days.
 */
import type { components } from '../api/schema'
import { enumMembers } from '../api/enums'

type Schemas = components['schemas']

export type PlanQuote = Schemas['PlanQuote']
export type PlanChange = Schemas['PlanChange']
export type PlanChangeStatus = Schemas['PlanChangeStatus']
export const PLAN_CHANGE_STATUSES = enumMembers<PlanChangeStatus>()(['awaiting_payment', 'applied', 'cancelled'])

/** Whether a quote costs, credits or settles nothing today. */
export type Settlement = 'pay' | 'credit' | 'even'
export function settlement(quote: Pick<PlanQuote, 'settle_minor'>): Settlement {
  return quote.settle_minor > 0 ? 'pay' : quote.settle_minor < 0 ? 'credit' : 'even'
}

/** The plan's technical attributes in a line: cores, memory and disk; a package; a speed. */
export function specSummary(spec: PlanQuote['spec']): string {
  switch (spec.kind) {
    case 'vps':
      return `${spec.cores} vCPU · ${spec.ram_mb >= 1024 ? `${spec.ram_mb / 1024} GB` : `${spec.ram_mb} MB`} RAM · ${spec.disk_gb} GB`
    case 'hosting':
      return [spec.whm_package, spec.disk_mb ? `${spec.disk_mb / 1024} GB` : null].filter(Boolean).join(' · ')
    case 'internet':
      return `${spec.download_mbps}/${spec.upload_mbps} Mbps`
    default:
      return ''
  }
}

/** The change waiting for its payment, if any (the list is newest first). */
export function pendingChange(changes: readonly PlanChange[]): PlanChange | null {
  return changes.find((c) => c.status === 'awaiting_payment') ?? null
}
