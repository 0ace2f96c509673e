import { useI18n } from 'vue-i18n'
import type { IspRouter } from '../../composables/useIsp'

/** "Every 2 minutes" / "Setiap 2 menit" (whole minutes), else in seconds; "Off" when the router is not synced on its own. */
export function useAutoSyncText() {
  const { t } = useI18n()
  return (router: Pick<IspRouter, 'sync_enabled' | 'sync_interval_seconds'>): string => {
    if (!router.sync_enabled) return t('isp.status.autoSyncOff')
    const s = router.sync_interval_seconds
    return s % 60 === 0 ? t('isp.status.everyMinutes', { n: s / 60 }, s / 60) : t('isp.status.everySeconds', { n: s }, s)
  }
}
