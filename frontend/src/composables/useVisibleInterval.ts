import { onScopeDispose } from 'vue'

const visible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden'

/**
 * Call `fn` every `ms` while the page is visible, and once at once when it becomes visible
 * again; stops when the calling component (effect scope) goes away.
 */
export function useVisibleInterval(fn: () => unknown, ms: number) {
  const timer = setInterval(() => {
    if (visible()) void fn()
  }, ms)
  const onVisibility = () => {
    if (visible()) void fn()
  }
  document.addEventListener('visibilitychange', onVisibility)
  function stop() {
    clearInterval(timer)
    document.removeEventListener('visibilitychange', onVisibility)
  }
  onScopeDispose(stop)
  return { stop }
}
