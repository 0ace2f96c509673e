import { beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import TemplatesPage from './TemplatesPage.vue'
import { createAppI18n } from '../../i18n'
import { createAppRouter } from '../../router'
import { calls, flush, mockFetch, problem, type Route } from '../../test/fetch'
import { account } from '../../test/identity'
import { useSessionStore } from '../../stores/session'
import type { EventTemplates, TemplateVersion } from '../../composables/useNotificationTemplates'

const EVENT = 'auth.account_locked'
const BASE = `/api/v1/notifications/templates/${EVENT}`

function version(extra: Partial<TemplateVersion> = {}): TemplateVersion {
  return {
    id: null,
    event: EVENT,
    language: 'en',
    source: 'builtin',
    subject: 'Account locked',
    body: 'Hello {name}, your account is locked until {until}.',
    created_at: null,
    created_by_email: null,
    ...extra,
  }
}

function catalogue(): EventTemplates[] {
  return [
    {
      event: EVENT,
      description: 'Account locked after failed sign-ins',
      placeholders: [
        { name: 'name', required: true, description: 'Full name', sample: 'Budi' },
        { name: 'until', required: false, description: 'When the lock ends', sample: '10:30' },
      ],
      templates: [version({ language: 'id', subject: 'Akun dikunci', body: 'Halo {name}.' }), version()],
    },
    {
      event: 'billing.invoice_created',
      description: 'New invoice',
      placeholders: [{ name: 'number', required: true, description: 'Invoice number', sample: 'INV-1' }],
      templates: [],
    },
  ]
}

/** Renders like the server: `{name}` → sample; an unknown placeholder is a 422. */
const previewRoute: Route = async (request) => {
  const draft = (await request.json()) as { subject: string; body: string }
  if (draft.body.includes('{bogus}')) {
    return problem(422, 'validation_failed', {
      title: 'Invalid template',
      errors: [{ field: 'body', code: 'unknown_placeholder', message: 'No placeholder {bogus} for this event' }],
    })
  }
  const fill = (s: string) => s.replaceAll('{name}', 'Budi').replaceAll('{until}', '10:30')
  return { body: { subject: fill(draft.subject), text: fill(draft.body), html: `<p>${fill(draft.body)}</p>` } }
}

async function mountPage(routes: Record<string, Route>) {
  const fetch = mockFetch({
    'GET /api/v1/notifications/templates': { body: catalogue() },
    [`POST ${BASE}/en/preview`]: previewRoute,
    [`POST ${BASE}/id/preview`]: previewRoute,
    ...routes,
  })
  const router = createAppRouter(createMemoryHistory())
  await router.push(`/staff/templates?event=${EVENT}&lang=en`)
  const w = mount(TemplatesPage, { global: { plugins: [createAppI18n('en'), router] }, attachTo: document.body })
  await flush(10)
  return { w, fetch, router }
}

const $ = (id: string) => `[data-testid="${id}"]`
const inDoc = (id: string) => document.querySelector<HTMLElement>($(id))
/** Wait out the preview debounce (~400 ms) and the answer. */
const settle = (check: () => void) => vi.waitFor(check, { timeout: 2000, interval: 50 })

describe('TemplatesPage', () => {
  beforeEach(() => {
    localStorage.clear()
    document.body.innerHTML = ''
    setActivePinia(createPinia())
    useSessionStore().$patch({ accessToken: 'access-1', account: account(['owner']) })
  })

  it('lets other staff read and preview but not edit', async () => {
    useSessionStore().$patch({ account: account(['finance']) })
    const { w, fetch } = await mountPage({})
    expect(w.get($('templates-read-only')).text()).toContain('only the owner')
    const subject = w.get($('template-subject')).element as HTMLInputElement
    expect(subject.value).toBe('Account locked')
    expect(subject.readOnly).toBe(true)
    expect((w.get($('template-body')).element as HTMLTextAreaElement).readOnly).toBe(true)
    expect(w.find($('template-save')).exists()).toBe(false)
    expect(w.find($('template-reset')).exists()).toBe(false)
    await settle(() => expect(w.find($('template-preview-subject')).exists()).toBe(true))
    expect(calls(fetch).some((c) => c.startsWith('PUT'))).toBe(false)
    w.unmount()
  })

  it('lists the events and previews the text in use in a sandboxed frame', async () => {
    const { w, router } = await mountPage({})
    expect(w.get($(`template-event-${EVENT}`)).text()).toContain('Repeated wrong passwords locked an account')
    expect(w.get($(`template-event-${EVENT}`)).attributes('aria-current')).toBe('true')
    expect((w.get($('template-subject')).element as HTMLInputElement).value).toBe('Account locked')
    expect(w.get($('template-placeholder-name')).text()).toBe('{name}')
    expect(w.get($('template-save')).attributes('disabled')).toBeDefined()

    await settle(() => expect(w.find($('template-preview-subject')).exists()).toBe(true))
    expect(w.get($('template-preview-subject')).text()).toBe('Account locked')
    expect(w.get($('template-preview-text')).text()).toBe('Hello Budi, your account is locked until 10:30.')
    const frame = w.get($('template-preview-html'))
    expect(frame.element.tagName).toBe('IFRAME')
    expect(frame.attributes('sandbox')).toBe('')
    expect(frame.attributes('srcdoc')).toBe('<p>Hello Budi, your account is locked until 10:30.</p>')

    // Switching language shows that language's text and keeps the choice in the address.
    await w.get($('template-lang-id')).trigger('click')
    await flush()
    expect((w.get($('template-subject')).element as HTMLInputElement).value).toBe('Akun dikunci')
    await vi.waitFor(() => expect(router.currentRoute.value.query.lang).toBe('id'))
    w.unmount()
  })

  it('shows the problems of a 422 preview instead of the preview, and inserts placeholders at the cursor', async () => {
    const { w, fetch } = await mountPage({})
    await settle(() => expect(w.find($('template-preview-subject')).exists()).toBe(true))

    await w.get($('template-body')).setValue('Hi {bogus}!')
    await settle(() => expect(w.find($('template-problems')).exists()).toBe(true))
    const problems = w.get($('template-problems'))
    expect(problems.text()).toContain('Body')
    expect(problems.text()).toContain('Unknown placeholder.')
    expect(problems.text()).toContain('No placeholder {bogus} for this event')
    expect(problems.get('li').attributes('data-code')).toBe('unknown_placeholder')
    expect(w.find($('template-preview-subject')).exists()).toBe(false)
    expect(w.find($('template-preview-html')).exists()).toBe(false)
    // the body is marked invalid, the subject is not
    expect(w.find('.n-input--error-status [data-testid="template-body"]').exists()).toBe(true)
    expect(w.find('.n-input--error-status [data-testid="template-subject"]').exists()).toBe(false)

    // Fix it: select "{bogus}" and insert {name} over it.
    const body = w.get($('template-body')).element as HTMLTextAreaElement
    body.setSelectionRange(3, 10)
    await w.get($('template-placeholder-name')).trigger('click')
    await flush()
    expect(body.value).toBe('Hi {name}!')
    expect(body.selectionStart).toBe(9)
    await settle(() => expect(w.find($('template-preview-text')).exists()).toBe(true))
    expect(w.find($('template-problems')).exists()).toBe(false)
    expect(w.get($('template-preview-text')).text()).toBe('Hi Budi!')

    const previews = calls(fetch).filter((c) => c.endsWith('/preview'))
    expect(previews.length).toBeLessThanOrEqual(3)
    w.unmount()
  })

  it('saves a changed draft (PUT), confirms it, and shows save problems per field', async () => {
    let saves = 0
    const put = vi.fn(async (request: Request) => {
      const body = (await request.json()) as { subject: string; body: string }
      if (++saves === 1) {
        return problem(422, 'validation_failed', {
          errors: [{ field: 'subject', code: 'invalid_length', message: 'Subject is too long' }],
        })
      }
      return { body: version({ id: 12, source: 'edit', created_by_email: 'owner@example.test', created_at: '2025-05-01T02:00:00Z', ...body }) }
    })
    const { w, fetch } = await mountPage({ [`PUT ${BASE}/en`]: put })

    await w.get($('template-subject')).setValue('Your account is locked')
    expect(w.get($('template-save')).attributes('disabled')).toBeUndefined()
    expect(w.get($('template-reset')).attributes('disabled')).toBeUndefined()

    await w.get($('template-save')).trigger('click')
    await flush(10)
    expect(w.get($('template-error')).attributes('data-code')).toBe('validation_failed')
    await settle(() => expect(w.find($('template-problems')).exists()).toBe(true))
    expect(w.get($('template-problems')).text()).toContain('Subject is too long')
    expect(w.find($('template-saved')).exists()).toBe(false)

    await w.get($('template-save')).trigger('click')
    await flush(10)
    expect(w.get($('template-saved')).text()).toContain('Saved.')
    expect(w.find($('template-error')).exists()).toBe(false)
    expect(w.get($('template-save')).attributes('disabled')).toBeDefined()
    expect(w.get($(`template-event-${EVENT}`)).text()).toContain('Edited')
    const [, second] = put.mock.calls
    expect(second).toBeDefined()
    expect(calls(fetch).filter((c) => c.startsWith('PUT'))).toEqual([`PUT ${BASE}/en`, `PUT ${BASE}/en`])
    w.unmount()
  })

  it('restores a version and the built-in text from the history, after confirming', async () => {
    const rollbacks: unknown[] = []
    const history = [
      version({ id: 9, source: 'edit', subject: 'Newest', created_at: '2025-05-02T00:00:00Z', created_by_email: 'owner@example.test' }),
      version({ id: 7, source: 'edit', subject: 'Older', body: 'Old {name}', created_at: '2025-05-01T00:00:00Z', created_by_email: 'owner@example.test' }),
      version(),
    ]
    const { w, fetch } = await mountPage({
      [`GET ${BASE}/en`]: { body: history },
      [`POST ${BASE}/en/rollback`]: async (request) => {
        const body = (await request.json()) as { version_id?: number | null }
        rollbacks.push(body)
        return body.version_id === 7
          ? { body: version({ id: 10, source: 'rollback', subject: 'Older', body: 'Old {name}' }) }
          : { body: version({ id: 11, source: 'rollback' }) }
      },
    })

    await w.get($('template-history-open')).trigger('click')
    await flush(10)
    const rows = [...document.querySelectorAll<HTMLElement>($('template-version-row'))]
    expect(rows.map((r) => [r.dataset.id, r.dataset.source])).toEqual([
      ['9', 'edit'],
      ['7', 'edit'],
      ['', 'builtin'],
    ])
    // No restore on the version in use nor on the built-in row (that is the footer button).
    expect(rows[0]!.querySelector($('template-version-restore'))).toBeNull()
    expect(rows[2]!.querySelector($('template-version-restore'))).toBeNull()

    rows[1]!.querySelector<HTMLElement>($('template-version-restore'))!.click()
    await flush(10)
    inDoc('template-version-restore-confirm')!.click()
    await flush(10)
    expect(rollbacks).toEqual([{ version_id: 7 }])
    expect((w.get($('template-subject')).element as HTMLInputElement).value).toBe('Older')
    expect(w.get($('template-saved')).text()).toContain('Restored.')

    inDoc('template-restore-builtin')!.click()
    await flush(10)
    inDoc('template-restore-builtin-confirm')!.click()
    await flush(10)
    expect(rollbacks).toEqual([{ version_id: 7 }, { version_id: null }])
    expect(calls(fetch).filter((c) => c === `GET ${BASE}/en`)).toHaveLength(3) // opened, then after each restore
    w.unmount()
  })
})
