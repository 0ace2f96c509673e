import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, effectScope, h, nextTick, reactive } from 'vue'
import { mount } from '@vue/test-utils'
import { createAppI18n } from '../../i18n'
import { flush } from '../../test/fetch'
import { ApiProblem } from '../../api/problem'
import { choiceFilter, useDebouncedReload, useListPage } from '../../composables/useListPage'
import ConfirmDelete from './ConfirmDelete.vue'
import ListPageHead from './ListPageHead.vue'
import SearchFilter from './SearchFilter.vue'
import StackTable from './StackTable.vue'
import type { StackColumn } from './stackTable'

const $ = (id: string) => `[data-testid="${id}"]`
const plugins = () => ({ global: { plugins: [createAppI18n('en')] } })

interface Fruit {
  id: number
  name: string
  price: number
}
const columns: StackColumn[] = [
  { key: 'name', label: 'Name', testid: 'fruit-name' },
  { key: 'price', label: 'Price', numeric: true },
  { key: 'actions', label: 'Actions', actions: true },
]
const fruits: Fruit[] = [
  { id: 1, name: 'Salak', price: 12 },
  { id: 2, name: 'Duku', price: 30 },
]

describe('StackTable', () => {
  it('labels every cell with its column, so phones show rows as "label value" cards', () => {
    const w = mount(StackTable<Fruit>, {
      props: { columns, rows: fruits, rowKey: (f: Fruit) => f.id, rowAttrs: (f: Fruit) => ({ 'data-testid': 'fruit', 'data-id': f.id, class: `fruit--${f.id}` }) },
      slots: { 'cell-price': ({ row }: { row: Fruit }) => `Rp ${row.price}`, 'cell-actions': () => h('button', 'Edit') },
    })
    expect(w.get('table').classes()).toContain('stack-table')
    expect(w.findAll('th').map((th) => th.text())).toEqual(['Name', 'Price', 'Actions'])
    expect(w.findAll('th')[1]!.classes()).toContain('num')
    expect(w.findAll('th')[2]!.classes()).toContain('actions-col')
    const rows = w.findAll($('fruit'))
    expect(rows.map((r) => r.attributes('data-id'))).toEqual(['1', '2'])
    expect(rows[0]!.classes()).toContain('fruit--1')
    const cells = rows[0]!.findAll('td')
    expect(cells.map((c) => c.attributes('data-label'))).toEqual(['Name', 'Price', 'Actions'])
    // The row's own value when there is no slot; the slot otherwise.
    expect(cells[0]!.text()).toBe('Salak')
    expect(cells[0]!.attributes('data-testid')).toBe('fruit-name')
    expect(cells[1]!.text()).toBe('Rp 12')
    expect(cells[1]!.classes()).toContain('num')
    expect(cells[2]!.get('.row-actions button').text()).toBe('Edit')
    expect(w.find('.empty-cell').exists()).toBe(false)
  })

  it('shows the empty text across all columns', () => {
    const w = mount(StackTable<Fruit>, { props: { columns, rows: [], rowKey: (f: Fruit) => f.id, empty: 'No fruit yet.', emptyTestid: 'fruit-empty' } })
    const cell = w.get($('fruit-empty'))
    expect(cell.text()).toBe('No fruit yet.')
    expect(cell.attributes('colspan')).toBe('3')
  })
})

describe('ListPageHead', () => {
  it('puts title, lead, actions, filters and summary in their places', () => {
    const w = mount(ListPageHead, {
      props: { title: 'Fruit', lead: 'What we sell.' },
      slots: { actions: '<button data-testid="add">Add</button>', filters: '<input data-testid="q">', summary: '<span data-testid="count">2</span>' },
    })
    expect(w.get('h1').text()).toBe('Fruit')
    expect(w.get('.list-head__lead').text()).toBe('What we sell.')
    expect(w.get('.list-head__actions').find($('add')).exists()).toBe(true)
    expect(w.get('.list-head__filters').find($('q')).exists()).toBe(true)
    expect(w.get('.list-head__summary').find($('count')).exists()).toBe(true)
  })

  it('leaves out the parts a page does not have', () => {
    const w = mount(ListPageHead, { props: { title: 'Fruit' } })
    expect(w.find('.list-head__lead').exists()).toBe(false)
    expect(w.find('.list-head__actions').exists()).toBe(false)
    expect(w.find('.list-head__filters').exists()).toBe(false)
  })

  it('has a search filter bound to the page', async () => {
    const state = reactive({ q: '' })
    const w = mount(
      defineComponent(() => () => h(SearchFilter, { label: 'Search', placeholder: 'name', testid: 'q', value: state.q, 'onUpdate:value': (v: string) => (state.q = v) })),
    )
    await w.get($('q')).setValue('salak')
    expect(state.q).toBe('salak')
  })
})

describe('ConfirmDelete', () => {
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('asks first, then runs the action with the button busy until it settles', async () => {
    let finish: () => void = () => undefined
    const action = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)))
    const w = mount(ConfirmDelete, { props: { label: 'Delete', question: 'Delete Salak?', testid: 'fruit-delete', action }, attachTo: document.body, ...plugins() })
    await w.get($('fruit-delete')).trigger('click')
    await flush()
    expect(document.body.textContent).toContain('Delete Salak?')
    expect(action).not.toHaveBeenCalled()
    document.querySelector<HTMLElement>($('fruit-delete-confirm'))!.click()
    await flush()
    expect(action).toHaveBeenCalledTimes(1)
    expect(w.get($('fruit-delete')).classes()).toContain('n-button--loading')
    finish()
    await flush()
    expect(w.get($('fruit-delete')).classes()).not.toContain('n-button--loading')
    w.unmount()
  })
})

describe('useListPage', () => {
  it('opens the dialog to add or edit, and clears the last notice', () => {
    const page = useListPage<Fruit>()
    page.notice.value = 'old'
    page.openForm(fruits[0]!)
    expect([page.formOpen.value, page.editing.value, page.notice.value]).toEqual([true, fruits[0], null])
    page.openForm(null)
    expect(page.editing.value).toBeNull()
  })

  it('shows a notice when a row action succeeds and its problem when it fails', async () => {
    const page = useListPage<Fruit>()
    await page.act(async () => undefined, () => 'Salak is removed.')
    expect(page.notice.value).toBe('Salak is removed.')
    const refused = new ApiProblem({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'forbidden', detail: null })
    const result = await page.act(
      async () => {
        throw refused
      },
      () => 'never',
    )
    expect(result.ok).toBe(false)
    expect(page.notice.value).toBeNull()
    expect(page.acting.problem.value).toBe(refused)
  })

  it('reloads once the search stops changing', async () => {
    vi.useFakeTimers()
    const state = reactive({ q: '' })
    const reload = vi.fn()
    const scope = effectScope()
    scope.run(() => useDebouncedReload(() => state.q, reload, 300))
    state.q = 's'
    await nextTick()
    vi.advanceTimersByTime(200)
    state.q = 'sa'
    await nextTick()
    vi.advanceTimersByTime(299)
    expect(reload).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(reload).toHaveBeenCalledTimes(1)
    // Leaving the page drops a pending reload.
    state.q = 'sal'
    await nextTick()
    scope.stop()
    vi.advanceTimersByTime(1000)
    expect(reload).toHaveBeenCalledTimes(1)
    vi.useRealTimers()
  })

  it('builds a choice filter: "all" first, unknown values read as all', () => {
    const kinds = choiceFilter(['host', 'account'] as const, () => 'All', (k) => k.toUpperCase())
    expect(kinds.options.value).toEqual([
      { label: 'All', value: '' },
      { label: 'HOST', value: 'host' },
      { label: 'ACCOUNT', value: 'account' },
    ])
    expect(kinds.parse('host')).toBe('host')
    expect(kinds.parse('')).toBeNull()
    expect(kinds.parse('other')).toBeNull()
  })
})
