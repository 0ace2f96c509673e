import { onBeforeUnmount, watch, type Ref } from 'vue'
import { isRunActive, type ServiceView } from '../lib/provisioning'

/** How often a service page reads the service again while its latest run goes on. */
export const FOLLOW_MS = 2000

/**
 * Read the service again every {@link FOLLOW_MS} while its latest run is running, and stop
 * once it has finished (or the page is left).
 */
export function useRunFollow(view: Ref<ServiceView | null>, reload: () => Promise<void>, every = FOLLOW_MS) {
  let timer: ReturnType<typeof setTimeout> | undefined
  watch(
    view,
    (value) => {
      clearTimeout(timer)
      if (isRunActive(value)) timer = setTimeout(() => void reload(), every)
    },
    { immediate: true },
  )
  onBeforeUnmount(() => clearTimeout(timer))
}
