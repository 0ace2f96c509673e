import { computed, onScopeDispose, ref, shallowRef, watch, type Ref } from 'vue'
import type { SelectOption } from 'naive-ui'
import { useFormProblem } from './useFormProblem'

/**
 * What a staff list page with an add / edit dialog and row actions keeps: the success
 * notice, the dialog (closed, adding, or editing one row), and the last row action's problem.
 */
export function useListPage<T>() {
  const notice = ref<string | null>(null)
  const acting = useFormProblem()
  const formOpen = ref(false)
  const editing = shallowRef<T | null>(null) as Ref<T | null>

  /** Open the dialog to add (`null`) or to change `item`. */
  function openForm(item: T | null) {
    notice.value = null
    editing.value = item
    formOpen.value = true
  }

  /** Run a row action (delete); when it succeeds, `done()` becomes the notice. */
  async function act<R>(fn: () => Promise<R>, done: () => string) {
    notice.value = null
    const result = await acting.run(fn)
    if (result.ok) notice.value = done()
    return result
  }

  return { notice, acting, formOpen, editing, openForm, act }
}

/** Call `reload` once `source` has stopped changing for `ms` (search boxes). */
export function useDebouncedReload(source: () => unknown, reload: () => unknown, ms = 300) {
  let timer: ReturnType<typeof setTimeout> | undefined
  watch(source, () => {
    clearTimeout(timer)
    timer = setTimeout(() => void reload(), ms)
  })
  onScopeDispose(() => clearTimeout(timer))
}

/**
 * A select filter over a fixed list of values: the options ("all" first, value '') and the
 * chosen value parsed back (anything not in the list is "all", null).
 */
export function choiceFilter<V extends string>(values: readonly V[], allLabel: () => string, label: (value: V) => string) {
  const options = computed<SelectOption[]>(() => [{ label: allLabel(), value: '' }, ...values.map((v) => ({ label: label(v), value: v }))])
  const parse = (value: string): V | null => ((values as readonly string[]).includes(value) ? (value as V) : null)
  return { options, parse }
}
