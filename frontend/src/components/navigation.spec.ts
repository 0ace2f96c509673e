import { describe, expect, it } from 'vitest'
import { visibleNavItems } from './navigation'

const keys = (who: Parameters<typeof visibleNavItems>[0]) => visibleNavItems(who).map((i) => i.key)

describe('header navigation', () => {
  it('shows the staff area and Outbox only to staff, Team, Audit, Templates, Telegram chats and Alerts only to the owner', () => {
    expect(keys({ isStaff: false, isOwner: false })).toEqual(['storefront', 'products', 'domains', 'client', 'health', 'api-docs'])
    expect(keys({ isStaff: true, isOwner: false })).toEqual(['storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'catalog', 'health', 'api-docs'])
    expect(keys({ isStaff: true, isOwner: true })).toEqual([
      'storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'catalog', 'team', 'audit', 'templates', 'telegram-chats', 'alerts', 'health', 'api-docs',
    ])
  })

  it('shows Broadcasts to business staff and the owner only', () => {
    expect(keys({ isStaff: true, isOwner: false, roles: ['finance', 'sysadmin'] })).not.toContain('broadcasts')
    expect(keys({ isStaff: true, isOwner: false, roles: ['business'] })).toEqual([
      'storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'broadcasts', 'hosts', 'sales', 'content', 'catalog', 'health', 'api-docs',
    ])
    expect(keys({ isStaff: true, isOwner: true, roles: ['owner'] })).toEqual([
      'storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'broadcasts', 'hosts', 'sales', 'content', 'catalog', 'team', 'audit', 'templates', 'telegram-chats', 'alerts', 'health', 'api-docs',
    ])
  })

  it('shows Monitoring to the owner, sysadmins and business, the sales book to the owner, business and finance', () => {
    expect(keys({ isStaff: true, isOwner: false, roles: ['sysadmin'] })).toEqual(['storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'hosts', 'catalog', 'health', 'api-docs'])
    expect(keys({ isStaff: true, isOwner: false, roles: ['finance'] })).toEqual(['storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'sales', 'catalog', 'health', 'api-docs'])
    expect(keys({ isStaff: false, isOwner: false, roles: ['client'] })).not.toContain('hosts')
  })

  it('shows Content to the owner and business only', () => {
    for (const role of ['sysadmin', 'finance', 'client', 'reseller'] as const) {
      expect(keys({ isStaff: role !== 'client' && role !== 'reseller', isOwner: false, roles: [role] })).not.toContain('content')
    }
    expect(keys({ isStaff: true, isOwner: false, roles: ['business'] })).toContain('content')
  })

  it('groups the catalog pages under one entry every staff role sees', () => {
    for (const role of ['owner', 'sysadmin', 'business', 'finance'] as const) {
      const catalog = visibleNavItems({ isStaff: true, isOwner: role === 'owner', roles: [role] }).find((i) => i.key === 'catalog')
      expect(catalog?.children?.map((c) => c.to)).toEqual(['/staff/catalog/products', '/staff/catalog/lists', '/staff/catalog/groups'])
    }
    expect(keys({ isStaff: false, isOwner: false, roles: ['client'] })).not.toContain('catalog')
  })
})
