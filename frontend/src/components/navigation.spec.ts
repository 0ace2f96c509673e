import { describe, expect, it } from 'vitest'
import { visibleNavItems } from './navigation'

const keys = (who: Parameters<typeof visibleNavItems>[0]) => visibleNavItems(who).map((i) => i.key)

describe('header navigation', () => {
  it('shows the staff area and Outbox only to staff, Team, Audit, Templates, Telegram chats and Alerts only to the owner', () => {
    expect(keys({ isStaff: false, isOwner: false })).toEqual(['storefront', 'products', 'domains', 'client', 'health', 'api-docs'])
    expect(keys({ isStaff: true, isOwner: false })).toEqual(['storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'catalog', 'billing', 'health', 'api-docs'])
    expect(keys({ isStaff: true, isOwner: true })).toEqual([
      'storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'catalog', 'billing', 'team', 'audit', 'templates', 'telegram-chats', 'alerts', 'health', 'api-docs',
    ])
  })

  it('shows Broadcasts to business staff and the owner only', () => {
    expect(keys({ isStaff: true, isOwner: false, roles: ['finance', 'sysadmin'] })).not.toContain('broadcasts')
    expect(keys({ isStaff: true, isOwner: false, roles: ['business'] })).toEqual([
      'storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'broadcasts', 'hosts', 'isp', 'sales', 'content', 'catalog', 'billing', 'health', 'api-docs',
    ])
    expect(keys({ isStaff: true, isOwner: true, roles: ['owner'] })).toEqual([
      'storefront', 'products', 'domains', 'client', 'client-services', 'client-renewals', 'staff', 'outbox', 'broadcasts', 'hosts', 'isp', 'sales', 'content', 'catalog', 'billing', 'provisioning', 'team', 'audit', 'templates', 'telegram-chats', 'alerts', 'health', 'api-docs',
    ])
  })

  it('shows Monitoring to the owner, sysadmins and business, the sales book to the owner, business and finance', () => {
    expect(keys({ isStaff: true, isOwner: false, roles: ['sysadmin'] })).toEqual(['storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'hosts', 'isp', 'catalog', 'billing', 'provisioning', 'health', 'api-docs'])
    expect(keys({ isStaff: true, isOwner: false, roles: ['finance'] })).toEqual(['storefront', 'products', 'domains', 'client', 'staff', 'outbox', 'sales', 'catalog', 'billing', 'health', 'api-docs'])
    expect(keys({ isStaff: false, isOwner: false, roles: ['client'] })).not.toContain('hosts')
  })

  it('groups the ISP customers and MikroTik routers for the owner, sysadmins and business', () => {
    for (const role of ['owner', 'sysadmin', 'business'] as const) {
      const isp = visibleNavItems({ isStaff: true, isOwner: role === 'owner', roles: [role] }).find((i) => i.key === 'isp')
      expect(isp?.children?.map((c) => c.to)).toEqual(['/staff/isp/customers', '/staff/isp/routers'])
    }
    expect(keys({ isStaff: true, isOwner: false, roles: ['finance'] })).not.toContain('isp')
    expect(keys({ isStaff: false, isOwner: false, roles: ['client'] })).not.toContain('isp')
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

  it('gives buyers their orders, invoices and wallet, and nobody else', () => {
    for (const role of ['client', 'reseller'] as const) {
      const purchases = visibleNavItems({ isStaff: false, isOwner: false, roles: [role] }).find((i) => i.key === 'purchases')
      expect(purchases?.children?.map((c) => c.to)).toEqual(['/client/orders', '/client/invoices', '/client/wallet'])
    }
    expect(keys({ isStaff: false, isOwner: false })).not.toContain('purchases')
    expect(keys({ isStaff: true, isOwner: true, roles: ['owner'] })).not.toContain('purchases')
  })

  it('shows each staff role the billing pages its role may use', () => {
    const billing = (roles: Parameters<typeof visibleNavItems>[0]['roles'], isOwner = false) =>
      visibleNavItems({ isStaff: true, isOwner, roles }).find((i) => i.key === 'billing')?.children?.map((c) => c.key)
    expect(billing(['finance'])).toEqual(['staff-orders', 'finance-invoices', 'finance-payments', 'finance-manual', 'finance-flags', 'finance-settings', 'lifecycle', 'finance-services', 'gateways'])
    expect(billing(['business'])).toEqual(['staff-orders', 'promos'])
    expect(billing(['sysadmin'])).toEqual(['staff-orders', 'gateways'])
    expect(billing(['owner'], true)).toEqual([
      'staff-orders', 'finance-invoices', 'finance-payments', 'finance-manual', 'finance-flags', 'finance-settings', 'lifecycle', 'promos', 'gateways',
    ])
    expect(keys({ isStaff: false, isOwner: false, roles: ['client'] })).not.toContain('billing')
  })

  it('gives buyers and the owner their services, and nobody else', () => {
    for (const role of ['client', 'reseller', 'owner'] as const) {
      expect(keys({ isStaff: role === 'owner', isOwner: role === 'owner', roles: [role] })).toContain('client-services')
    }
    for (const role of ['sysadmin', 'business', 'finance'] as const) {
      expect(keys({ isStaff: true, isOwner: false, roles: [role] })).not.toContain('client-services')
    }
  })

  it('gives buyers and the owner their renewals, and the billing automation to the owner and finance only', () => {
    for (const role of ['client', 'reseller', 'owner'] as const) {
      expect(keys({ isStaff: role === 'owner', isOwner: role === 'owner', roles: [role] })).toContain('client-renewals')
    }
    for (const role of ['sysadmin', 'business', 'finance'] as const) {
      expect(keys({ isStaff: true, isOwner: false, roles: [role] })).not.toContain('client-renewals')
    }
    const lifecycle = (role: 'owner' | 'finance' | 'sysadmin' | 'business') =>
      visibleNavItems({ isStaff: true, isOwner: role === 'owner', roles: [role] })
        .find((i) => i.key === 'billing')
        ?.children?.find((c) => c.key === 'lifecycle')?.to
    expect(lifecycle('owner')).toBe('/staff/lifecycle')
    expect(lifecycle('finance')).toBe('/staff/lifecycle')
    expect(lifecycle('sysadmin')).toBeUndefined()
    expect(lifecycle('business')).toBeUndefined()
  })

  it('groups the provisioning pages for the owner and sysadmins only', () => {
    for (const role of ['owner', 'sysadmin'] as const) {
      const group = visibleNavItems({ isStaff: true, isOwner: role === 'owner', roles: [role] }).find((i) => i.key === 'provisioning')
      expect(group?.children?.map((c) => c.to)).toEqual(['/staff/integrations', '/staff/nodes', '/staff/ip-pools', '/staff/provisioning', '/staff/services'])
    }
    for (const role of ['business', 'finance'] as const) {
      expect(keys({ isStaff: true, isOwner: false, roles: [role] })).not.toContain('provisioning')
    }
  })
})
