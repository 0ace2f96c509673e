import { describe, expect, it } from 'vitest'
import {
  cpuPercent,
  elapsedMs,
  formatBytes,
  formatDuration,
  formatMegabytes,
  isDestructive,
  isRunActive,
  loadLevel,
  parseAddressList,
  percentUsed,
  poolUsage,
  timedSteps,
  type ServiceView,
  type Step,
} from './provisioning'

const GIB = 1024 ** 3

describe('provisioning helpers', () => {
  it('formats sizes in binary units, one decimal under ten of a unit', () => {
    expect(formatBytes(0, 'en')).toBe('0 B')
    expect(formatBytes(1023, 'en')).toBe('1,023 B')
    expect(formatBytes(1024, 'en')).toBe('1 KiB')
    expect(formatBytes(1.5 * GIB, 'en')).toBe('1.5 GiB')
    expect(formatBytes(1.5 * GIB, 'id')).toBe('1,5 GiB')
    expect(formatBytes(62.4 * GIB, 'en')).toBe('62 GiB')
    expect(formatBytes(2 * 1024 * GIB, 'en')).toBe('2 TiB')
    expect(formatBytes(-1, 'en')).toBe('—')
    expect(formatBytes(null, 'en')).toBe('—')
    expect(formatMegabytes(2048, 'en')).toBe('2 GiB')
  })

  it('computes the used share as a whole percentage, clamped, none without capacity', () => {
    expect(percentUsed(512, 1024)).toBe(50)
    expect(percentUsed(1, 3)).toBe(33)
    expect(percentUsed(2000, 1000)).toBe(100)
    expect(percentUsed(-5, 1000)).toBe(0)
    expect(percentUsed(10, 0)).toBeNull()
    expect(percentUsed(Number.NaN, 10)).toBeNull()
    expect(cpuPercent(0.237)).toBe(24)
    expect(loadLevel(null)).toBe('default')
    expect(loadLevel(50)).toBe('success')
    expect(loadLevel(80)).toBe('warning')
    expect(loadLevel(95)).toBe('error')
  })

  it('times the steps oldest first, an unfinished one up to now', () => {
    const base = Date.parse('2025-01-01T00:00:00Z')
    const at = (s: number) => new Date(base + s * 1000).toISOString()
    const steps: Step[] = [
      { id: 2, step: 'clone', status: 'started', detail: '', started_at: at(5), finished_at: null },
      { id: 1, step: 'reserve_ip', status: 'done', detail: '203.0.113.5', started_at: at(0), finished_at: at(1.5) },
    ]
    const timed = timedSteps(steps, base + 12_000)
    expect(timed.map((s) => s.step)).toEqual(['reserve_ip', 'clone'])
    expect(timed[0]).toMatchObject({ durationMs: 1500, running: false })
    expect(timed[1]).toMatchObject({ durationMs: 7000, running: true })
    expect(elapsedMs('nonsense', null)).toBeNull()
    expect(elapsedMs(at(10), at(5))).toBe(0)
  })

  it('writes durations from milliseconds to hours', () => {
    expect(formatDuration(850, 'en')).toBe('850 ms')
    expect(formatDuration(4250, 'en')).toBe('4.2 s')
    expect(formatDuration(4250, 'id')).toBe('4,2 s')
    expect(formatDuration(45_900, 'en')).toBe('45 s')
    expect(formatDuration(125_000, 'en')).toBe('2 min 5 s')
    expect(formatDuration(3_780_000, 'en')).toBe('1 h 3 min')
    expect(formatDuration(null, 'en')).toBe('—')
  })

  it('splits pool usage into shares of the whole', () => {
    const usage = poolUsage({ free: 50, reserved: 10, used: 30, quarantined: 10 })
    expect(usage.total).toBe(100)
    expect(usage.segments.map((s) => [s.state, s.percent])).toEqual([
      ['used', 30],
      ['reserved', 10],
      ['quarantined', 10],
      ['free', 50],
    ])
    expect(poolUsage({ free: 0, reserved: 0, used: 0, quarantined: 0 }).segments.every((s) => s.percent === 0)).toBe(true)
  })

  it('reads address lists, knows destructive actions and running runs', () => {
    expect(parseAddressList(' 8.8.8.8, 1.1.1.1\n\n9.9.9.9 ')).toEqual(['8.8.8.8', '1.1.1.1', '9.9.9.9'])
    expect(parseAddressList('')).toEqual([])
    expect(isDestructive('terminate')).toBe(true)
    expect(isDestructive('start')).toBe(false)
    const view = (status: 'running' | 'failed' | null) =>
      ({ service: {}, runs: [], latest: status ? { run: { status }, steps: [] } : null }) as unknown as ServiceView
    expect(isRunActive(view('running'))).toBe(true)
    expect(isRunActive(view('failed'))).toBe(false)
    expect(isRunActive(view(null))).toBe(false)
  })
})
