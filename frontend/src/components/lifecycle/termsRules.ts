import type { FormRules } from 'naive-ui'
import { useI18n } from 'vue-i18n'
import { LIMITS } from '../../api/limits'
import { useRules } from '../../composables/useRules'
import { parseDays, type TermsDraft } from '../../lib/lifecycle'

const DAYS = LIMITS.LifecycleTerms

/**
 * The rules of a {@link TermsDraft} form (the server's ranges, and termination after
 * suspension), at the paths `renew`, `suspend` and `terminate` of TermsFields.
 */
export function useTermsRules(draft: () => TermsDraft): FormRules {
  const { t } = useI18n()
  const rulesFor = useRules()
  const range = (limits: { minimum: number; maximum: number }) => rulesFor.wholeIn(limits.minimum, limits.maximum)
  return {
    renew: range(DAYS.renew_days_before),
    suspend: range(DAYS.suspend_after_days),
    terminate: [
      range(DAYS.terminate_after_days),
      {
        trigger: ['blur', 'input'],
        validator: (_rule, value: string) => {
          const terminate = parseDays(value)
          const suspend = parseDays(draft().suspend)
          return terminate === null || suspend === null || terminate > suspend ? true : new Error(t('lifecycle.fieldErrors.terminate_after_days.not_after_suspension'))
        },
      },
    ],
  }
}
