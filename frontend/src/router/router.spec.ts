import { describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createAppRouter } from './index'

describe('router', () => {
  const router = createAppRouter(createMemoryHistory())

  it.each([
    ['/', 'home'],
    ['/client', 'client'],
    ['/client/account', 'client-account'],
    ['/staff', 'staff'],
    ['/staff/team', 'staff-team'],
    ['/staff/audit', 'staff-audit'],
    ['/staff/templates', 'staff-templates'],
    ['/staff/outbox', 'staff-outbox'],
    ['/staff/broadcasts', 'staff-broadcasts'],
    ['/staff/telegram-chats', 'staff-telegram-chats'],
    ['/staff/alerts', 'staff-alerts'],
    ['/staff/hosts', 'staff-hosts'],
    ['/staff/hosts/import', 'staff-hosts-import'],
    ['/staff/sales', 'staff-sales'],
    ['/staff/catalog/products', 'staff-catalog-products'],
    ['/staff/catalog/products/new', 'staff-catalog-product-new'],
    ['/staff/catalog/products/42', 'staff-catalog-product'],
    ['/staff/catalog/lists', 'staff-catalog-lists'],
    ['/staff/catalog/groups', 'staff-catalog-groups'],
    ['/status', 'status'],
    ['/login', 'login'],
    ['/register', 'register'],
    ['/verify-email', 'verify-email'],
    ['/forgot-password', 'forgot-password'],
    ['/reset-password', 'reset-password'],
    ['/accept-invitation', 'accept-invitation'],
    ['/forbidden', 'forbidden'],
    ['/health', 'health'],
    ['/no/such/page', 'not-found'],
  ])('resolves %s to %s', (path, name) => {
    expect(router.resolve(path).name).toBe(name)
  })

  it('gives every page a title key', () => {
    for (const r of router.getRoutes()) expect(r.meta.titleKey, r.path).toBeTruthy()
  })
})
