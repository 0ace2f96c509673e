import { ref, shallowRef } from 'vue'
import { api as defaultApi, deleteTolerating404, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'

export type CustomerGroup = components['schemas']['CustomerGroup']
export type CustomerGroupInput = components['schemas']['CustomerGroupInput']
export type GroupMember = components['schemas']['GroupMember']

/**
 * Customer groups: the price tiers (`member` by default, `reseller`, and the owner's own),
 * each with its member count. Every staff role reads them (the price grid's rows); only the
 * owner adds, renames, deletes and assigns clients. The built-in groups cannot be deleted:
 * the server says so (409 `in_use`).
 */
export function useCustomerGroups(api: ApiClient = defaultApi) {
  const groups = ref<CustomerGroup[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff/customer-groups')
      groups.value = unwrap(data, response)
      loaded.value = true
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  const replace = (group: CustomerGroup) => {
    const at = groups.value.findIndex((g) => g.id === group.id)
    if (at >= 0) groups.value.splice(at, 1, group)
    else groups.value.push(group)
  }

  async function create(body: CustomerGroupInput): Promise<CustomerGroup> {
    const { data, response } = await api.POST('/api/v1/staff/customer-groups', { body })
    const group = unwrap(data, response)
    replace(group)
    return group
  }

  async function rename(id: number, name: string): Promise<CustomerGroup> {
    const { data, response } = await api.PUT('/api/v1/staff/customer-groups/{id}', { params: { path: { id } }, body: { name } })
    const group = unwrap(data, response)
    replace(group)
    return group
  }

  async function remove(id: number): Promise<void> {
    await deleteTolerating404(() => api.DELETE('/api/v1/staff/customer-groups/{id}', { params: { path: { id } } }))
    groups.value = groups.value.filter((g) => g.id !== id)
  }

  async function members(id: number): Promise<GroupMember[]> {
    const { data, response } = await api.GET('/api/v1/staff/customer-groups/{id}/members', { params: { path: { id } } })
    return unwrap(data, response)
  }

  /** Put a client in the group (moving them out of another); the counts are re-read. */
  async function addMember(id: number, email: string): Promise<GroupMember> {
    const { data, response } = await api.POST('/api/v1/staff/customer-groups/{id}/members', {
      params: { path: { id } },
      body: { email: email.trim() },
    })
    const member = unwrap(data, response)
    void load()
    return member
  }

  async function removeMember(id: number, userId: string): Promise<void> {
    await deleteTolerating404(() =>
      api.DELETE('/api/v1/staff/customer-groups/{id}/members/{user_id}', { params: { path: { id, user_id: userId } } }),
    )
    void load()
  }

  return { groups, loading, loaded, problem, load, create, rename, remove, members, addMember, removeMember }
}
