import type { components } from '../api/schema'
import { intlLocale } from './format'

export type Service = components['schemas']['Service']
export type ServiceView = components['schemas']['ServiceView']
export type ServiceStatus = components['schemas']['ServiceStatus']
export type ServiceAction = components['schemas']['Action']
export type ActionRequest = components['schemas']['ActionRequest']
export type Run = components['schemas']['Run']
export type RunDetail = components['schemas']['RunDetail']
export type RunStatus = components['schemas']['RunStatus']
export type Step = components['schemas']['Step']
export type Integration = components['schemas']['Integration']
export type IntegrationInput = components['schemas']['IntegrationInput']
export type IntegrationKind = components['schemas']['IntegrationKind']
export type AuthMode = components['schemas']['AuthMode']
export type IntegrationTest = components['schemas']['IntegrationTest']
export type SyncReport = components['schemas']['SyncReport']
export type Pool = components['schemas']['Pool']
export type PoolInput = components['schemas']['PoolInput']
export type PoolAddress = components['schemas']['PoolAddress']
export type PveNode = components['schemas']['Node']
export type NodeSettings = components['schemas']['NodeSettings']
export type PveTemplate = components['schemas']['Template']
export type WhmPackage = components['schemas']['Package']

export const SERVICE_STATUSES = ['pending', 'active', 'suspended', 'terminated', 'cancelled', 'failed'] as const satisfies readonly ServiceStatus[]
export const RUN_STATUSES = ['running', 'succeeded', 'failed'] as const satisfies readonly RunStatus[]
export const INTEGRATION_KINDS = ['proxmox', 'whm'] as const satisfies readonly IntegrationKind[]
export const AUTH_MODES = ['token', 'password'] as const satisfies readonly AuthMode[]

/** What a client may ask of their own VPS (a reinstall also needs the emailed code). */
export const CLIENT_VPS_ACTIONS = ['start', 'stop', 'reboot', 'reset_password'] as const satisfies readonly ServiceAction[]
/** Staff actions by kind of service; reinstall, move_node and change_package take a parameter. */
export const STAFF_ACTIONS: Record<'vps' | 'hosting' | 'other', readonly ServiceAction[]> = {
  vps: ['start', 'stop', 'reboot', 'reset_password', 'reinstall', 'move_node', 'suspend', 'unsuspend', 'terminate'],
  hosting: ['reset_password', 'change_package', 'suspend', 'unsuspend', 'terminate'],
  other: ['suspend', 'unsuspend', 'terminate'],
}
/** Actions that cut a running service off or erase it: asked twice. */
export const DESTRUCTIVE_ACTIONS: readonly ServiceAction[] = ['stop', 'reboot', 'reset_password', 'reinstall', 'suspend', 'terminate']

export const isDestructive = (action: ServiceAction) => DESTRUCTIVE_ACTIONS.includes(action)

type TagType = 'default' | 'success' | 'warning' | 'error' | 'info'
const SERVICE_TAGS: Record<string, TagType> = { pending: 'info', active: 'success', suspended: 'warning', terminated: 'default', cancelled: 'default', failed: 'error' }
const RUN_TAGS: Record<string, TagType> = { running: 'info', succeeded: 'success', failed: 'error' }
const STEP_TAGS: Record<string, TagType> = { started: 'info', done: 'success', failed: 'error' }
const POWER_TAGS: Record<string, TagType> = { running: 'success', stopped: 'warning', paused: 'warning', absent: 'error', unknown: 'default' }

export const serviceTag = (status: string): TagType => SERVICE_TAGS[status] ?? 'default'
export const runTag = (status: string): TagType => RUN_TAGS[status] ?? 'default'
export const stepTag = (status: string): TagType => STEP_TAGS[status] ?? 'default'
export const powerTag = (state: string): TagType => POWER_TAGS[state] ?? 'default'

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

/**
 * A size in binary units as Proxmox counts them: "512 MiB", "1,5 GiB" / "1.5 GiB" (one
 * decimal below 10 of a unit, none above). Negative or missing sizes read "—".
 */
export function formatBytes(bytes: number | null | undefined, locale: string): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit += 1
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1
  return `${new Intl.NumberFormat(intlLocale(locale), { maximumFractionDigits: digits }).format(value)} ${BYTE_UNITS[unit]}`
}

/** Megabytes as a size ("2 GiB" for 2048). */
export const formatMegabytes = (mb: number | null | undefined, locale: string) =>
  formatBytes(mb === null || mb === undefined ? mb : mb * 1024 * 1024, locale)

/**
 * How full `used` of `max` is, as a whole percentage clamped to 0–100 (a node may report
 * more in use than it has, or nothing at all); null when there is no capacity to compare.
 */
export function percentUsed(used: number, max: number): number | null {
  if (!Number.isFinite(used) || !Number.isFinite(max) || max <= 0) return null
  return Math.min(100, Math.max(0, Math.round((used / max) * 100)))
}

/** CPU load 0–1 as a whole percentage. */
export const cpuPercent = (fraction: number) => percentUsed(fraction, 1)

/** The colour of a resource bar: calm, getting full, full. */
export function loadLevel(percent: number | null): 'success' | 'warning' | 'error' | 'default' {
  if (percent === null) return 'default'
  return percent >= 90 ? 'error' : percent >= 75 ? 'warning' : 'success'
}

/** Milliseconds from `from` to `to` (or to `now` while still going); null when unreadable. */
export function elapsedMs(from: string, to: string | null | undefined, now: number = Date.now()): number | null {
  const start = Date.parse(from)
  const end = to ? Date.parse(to) : now
  if (Number.isNaN(start) || Number.isNaN(end)) return null
  return Math.max(0, end - start)
}

/** A step of the timeline with how long it took (or has been taking, `running`). */
export interface TimedStep extends Step {
  durationMs: number | null
  running: boolean
}

/** The steps oldest first, each with its duration; a step not finished runs until `now`. */
export function timedSteps(steps: readonly Step[], now: number = Date.now()): TimedStep[] {
  return [...steps]
    .sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at) || a.id - b.id)
    .map((step) => ({ ...step, durationMs: elapsedMs(step.started_at, step.finished_at, now), running: !step.finished_at && step.status === 'started' }))
}

/** "850 ms", "4,2 s" / "4.2 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(ms: number | null | undefined, locale: string): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—'
  const number = (value: number, digits = 0) => new Intl.NumberFormat(intlLocale(locale), { maximumFractionDigits: digits }).format(value)
  if (ms < 1000) return `${number(Math.round(ms))} ms`
  const seconds = ms / 1000
  if (seconds < 10) return `${number(Math.floor(seconds * 10) / 10, 1)} s`
  if (seconds < 60) return `${Math.floor(seconds)} s`
  const whole = Math.floor(seconds)
  const minutes = Math.floor(whole / 60)
  if (minutes < 60) return `${minutes} min ${whole % 60} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

/** The service page keeps reading while its latest run has not finished. */
export const isRunActive = (view: ServiceView | null | undefined) => view?.latest?.run.status === 'running'

/** A pool's addresses by state, each as a share of all of them (for a stacked bar). */
export function poolUsage(pool: Pick<Pool, 'free' | 'reserved' | 'used' | 'quarantined'>) {
  const total = pool.free + pool.reserved + pool.used + pool.quarantined
  const share = (n: number) => (total > 0 ? (n / total) * 100 : 0)
  return {
    total,
    segments: (['used', 'reserved', 'quarantined', 'free'] as const).map((state) => ({ state, count: pool[state], percent: share(pool[state]) })),
  }
}

/** Addresses typed one per line or separated by commas / spaces, blanks dropped. */
export function parseAddressList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}
