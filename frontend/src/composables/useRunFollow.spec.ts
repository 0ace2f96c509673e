import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, shallowRef } from 'vue'
import { mount } from '@vue/test-utils'
import { FOLLOW_MS, useRunFollow } from './useRunFollow'
import type { ServiceView } from '../lib/provisioning'

const view = (status: 'running' | 'succeeded' | null) => ({ service: {}, runs: [], latest: status ? { run: { status }, steps: [] } : null }) as unknown as ServiceView

describe('useRunFollow', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('reads again every 2 s while the latest run is running, and stops once it has finished', async () => {
    const current = shallowRef<ServiceView | null>(view('running'))
    const answers = [view('running'), view('succeeded')]
    const reload = vi.fn(async () => {
      current.value = answers.shift() ?? current.value
    })
    const wrapper = mount(defineComponent({ setup: () => (useRunFollow(current, reload), () => h('div')) }))
    expect(FOLLOW_MS).toBe(2000)
    await vi.advanceTimersByTimeAsync(1999)
    expect(reload).toHaveBeenCalledTimes(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(reload).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(2000)
    expect(reload).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(reload).toHaveBeenCalledTimes(2)
    wrapper.unmount()
  })

  it('does not read while nothing runs, and stops when the page is left', async () => {
    const current = shallowRef<ServiceView | null>(view(null))
    const reload = vi.fn(async () => undefined)
    const wrapper = mount(defineComponent({ setup: () => (useRunFollow(current, reload), () => h('div')) }))
    await vi.advanceTimersByTimeAsync(5000)
    expect(reload).not.toHaveBeenCalled()
    current.value = view('running')
    await nextTick()
    wrapper.unmount()
    await vi.advanceTimersByTimeAsync(5000)
    expect(reload).not.toHaveBeenCalled()
  })
})
