import { ref, shallowRef } from 'vue'
import { api as defaultApi, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { OrderDetail } from '../lib/billing'
import { usePagedList } from './usePagedList'

/** The signed-in buyer's orders, newest first, a page at a time. */
export function useMyOrders(api: ApiClient = defaultApi) {
  return usePagedList(async (page, limit) => {
    const { data, response } = await api.GET('/api/v1/orders', { params: { query: { page, limit } } })
    return unwrap(data, response)
  })
}

/** Every order of the shop (all staff read them), by status, a page at a time. */
export function useStaffOrders(api: ApiClient = defaultApi) {
  const status = ref<string | null>(null)
  const list = usePagedList(async (page, limit) => {
    const { data, response } = await api.GET('/api/v1/staff/orders', { params: { query: { page, limit, ...(status.value ? { status: status.value } : {}) } } })
    return unwrap(data, response)
  })
  async function detail(id: number): Promise<OrderDetail> {
    const { data, response } = await api.GET('/api/v1/staff/orders/{id}', { params: { path: { id } } })
    return unwrap(data, response)
  }
  return { ...list, status, detail }
}

/**
 * One of the buyer's orders with its timeline: cancel it while unpaid, and show a delivered
 * digital item — once; the server answers 410 `item_already_shown` after that.
 */
export function useMyOrder(id: () => number, api: ApiClient = defaultApi) {
  const order = shallowRef<OrderDetail | null>(null)
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  const path = () => ({ params: { path: { id: id() } } })

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/orders/{id}', path())
      order.value = unwrap(data, response)
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function cancel(): Promise<OrderDetail> {
    const { data, response } = await api.POST('/api/v1/orders/{id}/cancel', path())
    order.value = unwrap(data, response)
    return order.value
  }

  /** The item itself; the order is read again so it says the item was shown. */
  async function reveal(): Promise<string> {
    const { data, response } = await api.POST('/api/v1/orders/{id}/item', path())
    const { item } = unwrap(data, response)
    await load()
    return item
  }

  return { order, loading, problem, load, cancel, reveal }
}
