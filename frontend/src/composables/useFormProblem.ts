import { computed, ref, shallowRef } from 'vue'
import { toApiProblem, type ApiProblem, type FieldError } from '../api/client'
import { useI18n } from 'vue-i18n'

/**
 * The submit state of one form: `busy`, the last ApiProblem, and the server's per-field
 * messages (`errors[]` of a 422) for naive-ui's NFormItem `feedback` / `validation-status`.
 */
export function useFormProblem() {
  const problem = shallowRef<ApiProblem | null>(null)
  const busy = ref(false)

  function fieldError(field: string): string | undefined {
    const messages = problem.value?.fieldErrors(field).map((e) => e.message || e.code) ?? []
    return messages.length ? messages.join(' ') : undefined
  }

  function fieldStatus(field: string): 'error' | undefined {
    return fieldError(field) ? 'error' : undefined
  }

  /** Props for an NFormItem showing the server's message for `field` (when there is one). */
  function fieldProps(field: string): { feedback?: string; validationStatus?: 'error' } {
    const message = fieldError(field)
    return message ? { feedback: message, validationStatus: 'error' } : {}
  }

  /**
   * Like {@link fieldProps}, with each server error put in words by `describe` (e.g. our
   * translation of its code, falling back to the server's message).
   */
  function fieldPropsWith(field: string, describe: (error: FieldError) => string): { feedback?: string; validationStatus?: 'error' } {
    const errors = problem.value?.fieldErrors(field) ?? []
    return errors.length ? { feedback: errors.map(describe).join(' '), validationStatus: 'error' } : {}
  }

  /** Run a call: clears the last problem, keeps `busy` set, stores what was thrown. */
  async function run<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; problem: ApiProblem }> {
    problem.value = null
    busy.value = true
    try {
      return { ok: true, value: await fn() }
    } catch (e) {
      const p = toApiProblem(e)
      problem.value = p
      return { ok: false, problem: p }
    } finally {
      busy.value = false
    }
  }

  function clear() {
    problem.value = null
  }

  return { problem, busy, hasProblem: computed(() => problem.value !== null), fieldError, fieldStatus, fieldProps, fieldPropsWith, run, clear }
}

/**
 * The submit state of an add / edit dialog whose server field errors are put in words from
 * `${prefix}.fieldErrors.<field>.<code>` when we have a translation (else the server's message).
 */
export function useDialogSave(prefix: string) {
  const { t, te } = useI18n()
  const saving = useFormProblem()
  function describe(field: string) {
    return (e: FieldError) => {
      const key = `${prefix}.fieldErrors.${field}.${e.code}`
      return te(key) ? t(key) : e.message || e.code
    }
  }
  /** Props for the NFormItem of `field` (the API's name for it). */
  const fieldProps = (field: string) => saving.fieldPropsWith(field, describe(field))
  return { saving, fieldProps }
}
