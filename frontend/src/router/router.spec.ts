import { describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createAppRouter } from './index'

describe('router', () => {
  const router = createAppRouter(createMemoryHistory())

  it.each([
    ['/', 'home'],
    ['/client', 'client'],
    ['/staff', 'staff'],
    ['/health', 'health'],
    ['/no/such/page', 'not-found'],
  ])('resolves %s to %s', (path, name) => {
    expect(router.resolve(path).name).toBe(name)
  })

  it('gives every page a title key', () => {
    for (const r of router.getRoutes()) expect(r.meta.titleKey, r.path).toBeTruthy()
  })
})
