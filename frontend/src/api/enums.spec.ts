import { describe, expect, it } from 'vitest'
import document from '../../../openapi/openapi.json'
import { BROADCAST_STATUSES, CHANNELS, HOST_STATUSES, OUTBOX_STATUSES, memberOf } from './enums'

const schemas = document.components.schemas as Record<string, { enum?: string[] }>

describe('status lists', () => {
  it.each([
    ['HostStatus', HOST_STATUSES],
    ['OutboxStatus', OUTBOX_STATUSES],
    ['BroadcastStatus', BROADCAST_STATUSES],
    ['Channel', CHANNELS],
  ])('%s is the enum of the served document', (name, list) => {
    expect([...list].sort()).toEqual([...(schemas[name]?.enum ?? [])].sort())
  })

  it('narrows only members', () => {
    expect(memberOf(OUTBOX_STATUSES, 'dead')).toBe('dead')
    expect(memberOf(OUTBOX_STATUSES, 'gone')).toBeNull()
    expect(memberOf(CHANNELS, undefined)).toBeNull()
  })
})
