import { ref, shallowRef } from 'vue'
import { api as defaultApi, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { Invoice, WalletBalance, WalletEntry } from '../lib/billing'

const ENTRIES_PAGE = 25

/**
 * The buyer's wallet: a balance per currency, the ledger newest first (older entries page in
 * with `before`), and a top-up, which becomes an invoice to pay.
 */
export function useWallet(api: ApiClient = defaultApi) {
  const balances = shallowRef<WalletBalance[]>([])
  const entries = ref<WalletEntry[]>([])
  const more = ref(false)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function loadBalances(): Promise<void> {
    const { data, response } = await api.GET('/api/v1/wallet')
    balances.value = unwrap(data, response)
  }

  async function loadEntries(before: number | null): Promise<void> {
    const query = before === null ? { limit: ENTRIES_PAGE } : { limit: ENTRIES_PAGE, before }
    const { data, response } = await api.GET('/api/v1/wallet/entries', { params: { query } })
    const page = unwrap(data, response)
    entries.value = before === null ? page : [...entries.value, ...page.filter((e) => !entries.value.some((shown) => shown.id === e.id))]
    more.value = page.length === ENTRIES_PAGE
  }

  async function load(): Promise<void> {
    loading.value = true
    try {
      await Promise.all([loadBalances(), loadEntries(null)])
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function loadMore(): Promise<void> {
    const last = entries.value.at(-1)
    if (!last) return
    loading.value = true
    try {
      await loadEntries(last.id)
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function topUp(amountMinor: number, currency: string): Promise<Invoice> {
    const { data, response } = await api.POST('/api/v1/wallet/top-ups', { body: { amount_minor: amountMinor, currency } })
    return unwrap(data, response)
  }

  return { balances, entries, more, loading, problem, load, loadBalances, loadMore, topUp }
}
