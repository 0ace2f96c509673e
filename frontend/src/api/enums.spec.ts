import { describe, expect, it } from 'vitest'
import document from '../../../openapi/openapi.json'
import { CANCEL_WHEN, LIFECYCLE_STEPS } from '../lib/lifecycle'
import { BILLING_CYCLES, BROADCAST_STATUSES, CHANNELS, HOST_STATUSES, OPERATORS, OUTBOX_STATUSES, PRODUCT_KINDS, memberOf } from './enums'

const schemas = document.components.schemas as Record<string, { enum?: string[] }>

describe('status lists', () => {
  it.each([
    ['HostStatus', HOST_STATUSES],
    ['OutboxStatus', OUTBOX_STATUSES],
    ['BroadcastStatus', BROADCAST_STATUSES],
    ['Channel', CHANNELS],
    ['ProductKind', PRODUCT_KINDS],
    ['BillingCycle', BILLING_CYCLES],
    ['Operator', OPERATORS],
    ['CancelWhen', CANCEL_WHEN],
    ['LifecycleStep', LIFECYCLE_STEPS],
  ])('%s is the enum of the served document', (name, list) => {
    expect([...list].sort()).toEqual([...(schemas[name]?.enum ?? [])].sort())
  })

  it('narrows only members', () => {
    expect(memberOf(OUTBOX_STATUSES, 'dead')).toBe('dead')
    expect(memberOf(OUTBOX_STATUSES, 'gone')).toBeNull()
    expect(memberOf(CHANNELS, undefined)).toBeNull()
  })
})
