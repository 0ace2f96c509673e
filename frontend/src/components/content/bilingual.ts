import type { FormRules } from 'naive-ui'
import type { useRules } from '../../composables/useRules'
import { CONTENT_LIMITS } from '../../composables/useContent'

/** The title and markdown body of a page or announcement, in both languages, as typed. */
export interface BilingualDraft {
  titleId: string
  titleEn: string
  bodyId: string
  bodyEn: string
}

type Translate = (key: string) => string

/**
 * Rules of the bilingual fields, as the server checks them: Indonesian required, English
 * optional but all or nothing (a title without a body, or a body without a title, is refused).
 */
export function bilingualRules(rulesFor: ReturnType<typeof useRules>, form: () => BilingualDraft, t: Translate): FormRules {
  const both = (own: 'titleEn' | 'bodyEn', other: 'titleEn' | 'bodyEn', max: number) => ({
    trigger: ['blur', 'input'],
    validator: (_rule: unknown, value: string) => {
      const text = (value ?? '').trim()
      if ([...text].length > max) return new Error(t('content.form.tooLong'))
      return !text && form()[other].trim() ? new Error(t(own === 'titleEn' ? 'content.form.titleEnNeeded' : 'content.form.bodyEnNeeded')) : true
    },
  })
  return {
    titleId: rulesFor.maxChars(() => CONTENT_LIMITS.titleMax),
    bodyId: rulesFor.maxChars(() => CONTENT_LIMITS.bodyMax),
    titleEn: both('titleEn', 'bodyEn', CONTENT_LIMITS.titleMax),
    bodyEn: both('bodyEn', 'titleEn', CONTENT_LIMITS.bodyMax),
  }
}

/** The API's fields from the draft: English left out (null) when blank. */
export function bilingualText(form: BilingualDraft) {
  const optional = (text: string) => (text.trim() ? text : null)
  return {
    title_id: form.titleId.trim(),
    title_en: optional(form.titleEn)?.trim() ?? null,
    body_id: form.bodyId,
    body_en: optional(form.bodyEn),
  }
}
