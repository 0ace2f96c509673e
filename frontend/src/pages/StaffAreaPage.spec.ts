import { beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import StaffAreaPage from './StaffAreaPage.vue'
import { createAppI18n } from '../i18n'
import { createAppRouter } from '../router'
import { useSessionStore } from '../stores/session'
import type { Role } from '../api/roles'
import { mockFetch } from '../test/fetch'
import { account } from '../test/identity'

async function mountAs(...roles: Role[]) {
  setActivePinia(createPinia())
  useSessionStore().$patch({ accessToken: 'access-1', account: account(roles) })
  const router = createAppRouter(createMemoryHistory())
  await router.push('/staff')
  return mount(StaffAreaPage, { global: { plugins: [createAppI18n('en'), router] } })
}

const tools = (w: Awaited<ReturnType<typeof mountAs>>) =>
  w.findAll('[data-testid^="staff-tool-"]').map((c) => c.attributes('data-testid'))

describe('StaffAreaPage', () => {
  beforeEach(() => {
    localStorage.clear()
    mockFetch({})
  })

  it('offers Broadcasts to business staff and the owner, not to other staff', async () => {
    expect(tools(await mountAs('finance'))).toEqual(['staff-tool-outbox', 'staff-tool-templates', 'staff-tool-sales', 'staff-tool-catalog'])
    expect(tools(await mountAs('sysadmin'))).toEqual(['staff-tool-outbox', 'staff-tool-templates', 'staff-tool-hosts', 'staff-tool-catalog'])
    const business = await mountAs('business')
    expect(tools(business)).toEqual([
      'staff-tool-outbox',
      'staff-tool-templates',
      'staff-tool-broadcasts',
      'staff-tool-hosts',
      'staff-tool-sales',
      'staff-tool-content',
      'staff-tool-catalog',
    ])
    expect(business.get('[data-testid="staff-link-content"]').attributes('href')).toBe('/staff/content')
    expect(business.get('[data-testid="staff-link-broadcasts"]').attributes('href')).toBe('/staff/broadcasts')
    expect(business.get('[data-testid="staff-link-hosts"]').attributes('href')).toBe('/staff/hosts')
    expect(business.get('[data-testid="staff-link-sales"]').attributes('href')).toBe('/staff/sales')
    expect(tools(await mountAs('owner'))).toEqual([
      'staff-tool-outbox',
      'staff-tool-templates',
      'staff-tool-broadcasts',
      'staff-tool-hosts',
      'staff-tool-sales',
      'staff-tool-content',
      'staff-tool-catalog',
      'staff-tool-team',
      'staff-tool-audit',
      'staff-tool-telegram-chats',
      'staff-tool-alerts',
    ])
  })
})
