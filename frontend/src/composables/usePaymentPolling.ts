import { getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue'
import { toApiProblem, type ApiProblem } from '../api/client'
import { pollVerdict, type PaymentAttempt, type PollVerdict } from '../lib/billing'

/** Consecutive failed checks after which polling gives up (the page offers "check again"). */
export const POLL_MAX_FAILURES = 5

/**
 * Ask about a payment every `intervalMs` until it is decided: paid, failed, or past its expiry
 * (see {@link pollVerdict}). A failed check (the gateway or the network away for a moment) is
 * tried again at the next tick, up to {@link POLL_MAX_FAILURES} in a row. One check runs at a
 * time; polling stops with the component that started it.
 */
export function usePaymentPolling(check: () => Promise<PaymentAttempt>, intervalMs = 3000, now: () => number = Date.now) {
  const attempt = shallowRef<PaymentAttempt | null>(null)
  const verdict = ref<PollVerdict | null>(null)
  const running = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  let timer: ReturnType<typeof setTimeout> | null = null
  let failures = 0
  let settled: ((verdict: PollVerdict) => void) | null = null

  function stop(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
    running.value = false
  }

  async function tick(): Promise<void> {
    timer = null
    try {
      const answer = await check()
      if (!running.value) return
      attempt.value = answer
      failures = 0
      problem.value = null
      const next = pollVerdict(answer, now())
      if (next !== 'continue') {
        verdict.value = next
        stop()
        settled?.(next)
        return
      }
    } catch (e) {
      if (!running.value) return
      problem.value = toApiProblem(e)
      failures += 1
      if (failures >= POLL_MAX_FAILURES) {
        stop()
        return
      }
    }
    timer = setTimeout(() => void tick(), intervalMs)
  }

  /** Start (or restart) polling, first check after one interval; `onSettled` hears the verdict. */
  function start(initial: PaymentAttempt | null, onSettled?: (verdict: PollVerdict) => void): void {
    stop()
    attempt.value = initial
    verdict.value = initial ? (pollVerdict(initial, now()) === 'continue' ? null : pollVerdict(initial, now())) : null
    settled = onSettled ?? null
    failures = 0
    problem.value = null
    if (verdict.value) {
      settled?.(verdict.value)
      return
    }
    running.value = true
    timer = setTimeout(() => void tick(), intervalMs)
  }

  if (getCurrentScope()) onScopeDispose(stop)
  return { attempt, verdict, running, problem, start, stop }
}
