import { onScopeDispose, ref, shallowRef, watch, type WatchSource } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient, type FieldError } from '../api/client'
import type { components } from '../api/schema'

export type EventTemplates = components['schemas']['EventTemplates']
export type Placeholder = components['schemas']['Placeholder']
export type TemplateVersion = components['schemas']['TemplateVersion']
export type TemplateText = components['schemas']['TemplateText']
export type RenderedMessage = components['schemas']['RenderedMessage']
export type TemplateLanguage = components['schemas']['Language']

export const TEMPLATE_LANGUAGES: readonly TemplateLanguage[] = ['id', 'en']
/** Fields a template draft can be refused for (`errors[].field` of a 422). */
export const TEMPLATE_FIELDS = ['subject', 'body'] as const
export const PREVIEW_DEBOUNCE_MS = 400

/** The built-in text has no id (it was never edited). */
export const isBuiltin = (v: Pick<TemplateVersion, 'id'>) => v.id === null || v.id === undefined

/**
 * Notification templates (owner only): every event with its placeholders and the text in
 * use per language; history, save, preview and rollback per event and language.
 */
export function useNotificationTemplates(api: ApiClient = defaultApi) {
  const events = ref<EventTemplates[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  const path = (event: string, language: TemplateLanguage) => ({ params: { path: { event, language } } })

  /** Put a version in use for its event and language (after a save or a rollback). */
  function replaceCurrent(version: TemplateVersion): TemplateVersion {
    events.value = events.value.map((e) =>
      e.event !== version.event
        ? e
        : {
            ...e,
            templates: e.templates.some((t) => t.language === version.language)
              ? e.templates.map((t) => (t.language === version.language ? version : t))
              : [...e.templates, version],
          },
    )
    return version
  }

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/notifications/templates')
      if (!data) throw ApiProblem.unexpected(response)
      events.value = data
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  /** Saved versions, newest first; the last one is the built-in text. */
  async function history(event: string, language: TemplateLanguage): Promise<TemplateVersion[]> {
    const { data, response } = await api.GET('/api/v1/notifications/templates/{event}/{language}', path(event, language))
    if (!data) throw ApiProblem.unexpected(response)
    return data
  }

  async function save(event: string, language: TemplateLanguage, body: TemplateText): Promise<TemplateVersion> {
    const { data, response } = await api.PUT('/api/v1/notifications/templates/{event}/{language}', {
      ...path(event, language),
      body,
    })
    if (!data) throw ApiProblem.unexpected(response)
    return replaceCurrent(data)
  }

  async function preview(event: string, language: TemplateLanguage, body: TemplateText): Promise<RenderedMessage> {
    const { data, response } = await api.POST('/api/v1/notifications/templates/{event}/{language}/preview', {
      ...path(event, language),
      body,
    })
    if (!data) throw ApiProblem.unexpected(response)
    return data
  }

  /** Bring back a saved version (`versionId`), or the built-in text (`null`), as a new version. */
  async function rollback(event: string, language: TemplateLanguage, versionId: number | null): Promise<TemplateVersion> {
    const { data, response } = await api.POST('/api/v1/notifications/templates/{event}/{language}/rollback', {
      ...path(event, language),
      body: { version_id: versionId },
    })
    if (!data) throw ApiProblem.unexpected(response)
    return replaceCurrent(data)
  }

  return { events, loading, problem, load, history, save, preview, rollback }
}

export interface PreviewDraft extends TemplateText {
  event: string
  language: TemplateLanguage
}

/**
 * A live preview of a draft: renders it `delay` ms after the last change (at once when the
 * event or language changes). A 422 gives the draft's `errors` instead of a preview; any
 * other failure lands in `problem`. Answers to older drafts are dropped.
 */
export function useLivePreview(
  source: WatchSource<PreviewDraft | null>,
  render: (event: string, language: TemplateLanguage, text: TemplateText) => Promise<RenderedMessage>,
  delay = PREVIEW_DEBOUNCE_MS,
) {
  const rendered = shallowRef<RenderedMessage | null>(null)
  const errors = shallowRef<FieldError[]>([])
  const problem = shallowRef<ApiProblem | null>(null)
  const pending = ref(false)
  let timer: ReturnType<typeof setTimeout> | undefined
  let generation = 0

  async function run(draft: PreviewDraft) {
    const mine = ++generation
    pending.value = true
    try {
      const result = await render(draft.event, draft.language, { subject: draft.subject, body: draft.body })
      if (mine !== generation) return
      rendered.value = result
      errors.value = []
      problem.value = null
    } catch (e) {
      if (mine !== generation) return
      const p = toApiProblem(e)
      if (p.status === 422) {
        errors.value = p.errors.length ? p.errors : [{ field: 'body', code: p.code, message: p.detail ?? p.title }]
        problem.value = null
      } else {
        problem.value = p
      }
    } finally {
      if (mine === generation) pending.value = false
    }
  }

  watch(
    source,
    (draft, previous) => {
      clearTimeout(timer)
      if (!draft) {
        generation++
        rendered.value = null
        errors.value = []
        problem.value = null
        pending.value = false
        return
      }
      const switched = !previous || previous.event !== draft.event || previous.language !== draft.language
      if (switched) {
        rendered.value = null
        errors.value = []
        problem.value = null
        void run(draft)
      } else {
        pending.value = true
        timer = setTimeout(() => void run(draft), delay)
      }
    },
    { immediate: true },
  )
  onScopeDispose(() => {
    clearTimeout(timer)
    generation++
  })

  /** Show these validation errors now (e.g. from a refused save). */
  function showErrors(list: FieldError[]) {
    errors.value = list
  }

  return { rendered, errors, problem, pending, showErrors }
}
