import type { NavigationGuardWithThis } from 'vue-router'
import { useSessionStore } from '../../stores/session'

/** 1st: wait until a stored session has been restored, so the guards below see the truth. */
export const sessionReady: NavigationGuardWithThis<undefined> = async () => {
  await useSessionStore().restore()
  return true
}
