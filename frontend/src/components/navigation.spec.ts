import { describe, expect, it } from 'vitest'
import { visibleNavItems } from './navigation'

const keys = (who: { isStaff: boolean; isOwner: boolean }) => visibleNavItems(who).map((i) => i.key)

describe('header navigation', () => {
  it('shows the staff area only to staff, Team and Audit only to the owner', () => {
    expect(keys({ isStaff: false, isOwner: false })).toEqual(['storefront', 'client', 'health', 'api-docs'])
    expect(keys({ isStaff: true, isOwner: false })).toEqual(['storefront', 'client', 'staff', 'health', 'api-docs'])
    expect(keys({ isStaff: true, isOwner: true })).toEqual(['storefront', 'client', 'staff', 'team', 'audit', 'health', 'api-docs'])
  })
})
