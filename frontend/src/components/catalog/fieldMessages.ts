import { useI18n } from 'vue-i18n'
import type { FieldError } from '../../api/client'
import type { useFormProblem } from '../../composables/useFormProblem'

/** Props for an NFormItem: the server's message(s) for one field, when there are any. */
export type FieldProps = (field: string) => { feedback?: string; validationStatus?: 'error' }

/**
 * The server's field errors of a catalog form in words: our translation of the error's code
 * (`catalog.fieldErrors.<code>`, e.g. `taken`, `required`) when we have one, else the server's
 * message (which names the limits, e.g. "from 1 to 256").
 */
export function useCatalogFieldErrors() {
  const { t, te } = useI18n()
  const describe = (e: FieldError) => {
    const key = `catalog.fieldErrors.${e.code}`
    return te(key) ? t(key, { message: e.message }) : e.message || e.code
  }
  /** `fieldProps` of a form whose submit state is `saving`. */
  const propsFor =
    (saving: ReturnType<typeof useFormProblem>): FieldProps =>
    (field) =>
      saving.fieldPropsWith(field, describe)
  return { describe, propsFor }
}
