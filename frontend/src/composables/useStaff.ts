import { ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'
import type { Role } from '../api/roles'

export type StaffMember = components['schemas']['StaffMember']
export type InviteStaffRequest = components['schemas']['InviteStaffRequest']

/** Staff accounts (owner only): invite, change roles, disable and enable. */
export function useStaff(api: ApiClient = defaultApi) {
  const staff = ref<StaffMember[]>([])
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)

  function replace(member: StaffMember) {
    const i = staff.value.findIndex((m) => m.id === member.id)
    if (i === -1) staff.value = [...staff.value, member]
    else staff.value = staff.value.map((m) => (m.id === member.id ? member : m))
    return member
  }

  async function load(): Promise<void> {
    loading.value = true
    try {
      const { data, response } = await api.GET('/api/v1/staff')
      if (!data) throw ApiProblem.unexpected(response)
      staff.value = data
      problem.value = null
    } catch (e) {
      problem.value = toApiProblem(e)
    } finally {
      loading.value = false
    }
  }

  async function invite(body: InviteStaffRequest): Promise<StaffMember> {
    const { data, response } = await api.POST('/api/v1/staff/invitations', { body })
    if (!data) throw ApiProblem.unexpected(response)
    return replace(data)
  }

  async function setRoles(id: string, roles: Role[]): Promise<StaffMember> {
    const { data, response } = await api.PUT('/api/v1/staff/{id}/roles', { params: { path: { id } }, body: { roles } })
    if (!data) throw ApiProblem.unexpected(response)
    return replace(data)
  }

  /** Also revokes their sessions and API tokens. */
  async function disable(id: string): Promise<StaffMember> {
    const { data, response } = await api.POST('/api/v1/staff/{id}/disable', { params: { path: { id } } })
    if (!data) throw ApiProblem.unexpected(response)
    return replace(data)
  }

  async function enable(id: string): Promise<StaffMember> {
    const { data, response } = await api.POST('/api/v1/staff/{id}/enable', { params: { path: { id } } })
    if (!data) throw ApiProblem.unexpected(response)
    return replace(data)
  }

  return { staff, loading, problem, load, invite, setRoles, disable, enable }
}
