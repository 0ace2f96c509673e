import { computed, getCurrentScope, onScopeDispose, ref } from 'vue'

/**
 * Whole seconds left until a deadline (resend cooldowns, Retry-After). Ticks from the
 * clock rather than counting intervals, so a throttled background tab stays right.
 */
export function useCountdown() {
  const remaining = ref(0)
  let deadline = 0
  let timer: ReturnType<typeof setInterval> | null = null

  function tick() {
    remaining.value = Math.max(0, Math.ceil((deadline - Date.now()) / 1000))
    if (remaining.value === 0) stop()
  }

  function stop() {
    if (timer !== null) clearInterval(timer)
    timer = null
    remaining.value = Math.max(0, Math.ceil((deadline - Date.now()) / 1000))
  }

  function start(seconds: number | null | undefined) {
    if (timer !== null) clearInterval(timer)
    timer = null
    deadline = Date.now() + Math.max(0, seconds ?? 0) * 1000
    remaining.value = Math.max(0, Math.ceil(seconds ?? 0))
    if (remaining.value > 0) timer = setInterval(tick, 250)
  }

  function reset() {
    deadline = 0
    stop()
  }

  if (getCurrentScope()) onScopeDispose(reset)

  return { remaining, active: computed(() => remaining.value > 0), start, reset }
}
