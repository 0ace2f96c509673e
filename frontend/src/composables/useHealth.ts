import { computed, ref, shallowRef } from 'vue'
import { api as defaultApi, ApiProblem, toApiProblem, type ApiClient } from '../api/client'
import type { components } from '../api/schema'

export type Health = components['schemas']['Health']
export type Readiness = components['schemas']['Readiness']
export type ReadinessCheck = components['schemas']['ReadinessCheck']

/** ready: every check passed; not_ready: /readyz said 503; unknown: no answer yet or it failed. */
export type OverallStatus = 'ready' | 'not_ready' | 'unknown'

async function fetchHealth(api: ApiClient): Promise<Health> {
  const { data, response } = await api.GET('/healthz')
  if (!data) throw ApiProblem.unexpected(response)
  return data
}

async function fetchReadiness(api: ApiClient): Promise<Readiness> {
  const { data, error, response } = await api.GET('/readyz')
  if (data) return data
  // 503 is a valid, typed answer: the server is up but a dependency is not.
  if (response.status === 503 && error && typeof error === 'object' && 'ready' in error) return error
  throw ApiProblem.unexpected(response)
}

/** Liveness (/healthz) and readiness (/readyz) of the API, through the typed client. */
export function useHealth(api: ApiClient = defaultApi) {
  const health = ref<Health | null>(null)
  const readiness = ref<Readiness | null>(null)
  const problem = shallowRef<ApiProblem | null>(null)
  const loading = ref(false)
  const checkedAt = ref<Date | null>(null)
  let generation = 0

  const status = computed<OverallStatus>(() => {
    if (!readiness.value) return 'unknown'
    return readiness.value.ready ? 'ready' : 'not_ready'
  })
  const checks = computed<ReadinessCheck[]>(() => readiness.value?.checks ?? [])

  async function refresh(): Promise<void> {
    const mine = ++generation
    loading.value = true
    const [h, r] = await Promise.allSettled([fetchHealth(api), fetchReadiness(api)])
    if (mine !== generation) return // a newer refresh superseded this one
    health.value = h.status === 'fulfilled' ? h.value : null
    readiness.value = r.status === 'fulfilled' ? r.value : null
    const failed = [h, r].find((x): x is PromiseRejectedResult => x.status === 'rejected')
    problem.value = failed ? toApiProblem(failed.reason) : null
    checkedAt.value = new Date()
    loading.value = false
  }

  return { health, readiness, status, checks, problem, loading, checkedAt, refresh }
}
