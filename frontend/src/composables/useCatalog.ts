import { computed, ref, shallowRef, watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api as defaultApi, toApiProblem, unwrap, type ApiClient, type ApiProblem } from '../api/client'
import type { components } from '../api/schema'
import { contentLang } from './useStorefrontContent'
import type { CatalogProduct, DomainResult, ProductKind } from '../lib/catalog'
import { DEFAULT_CURRENCY, type CurrencyCode } from '../lib/money'

export type CatalogPage = components['schemas']['CatalogPage']
export type CatalogCategory = components['schemas']['Category']
export type DomainCheck = components['schemas']['DomainCheck']

export interface CatalogFilter {
  kind?: ProductKind
  category?: string
  region?: string
  q?: string
}

/**
 * One public read in the visitor's language and currency, read again when either changes;
 * an answer that arrives after a newer request started is dropped.
 */
function useCatalogRead<T>(read: (query: { lang: 'id' | 'en'; currency: CurrencyCode }) => Promise<T>, currency: Ref<CurrencyCode>) {
  const { locale } = useI18n()
  const data = shallowRef<T | null>(null) as Ref<T | null>
  const loading = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const answer = await read({ lang: contentLang(locale.value), currency: currency.value })
      if (mine !== generation) return
      data.value = answer
      problem.value = null
    } catch (e) {
      if (mine === generation) problem.value = toApiProblem(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  watch([locale, currency], () => void load())
  return { data, loading, problem, load }
}

/** The storefront's products for a filter, a page at a time, priced for whoever is signed in. */
export function useCatalogProducts(filter: Ref<CatalogFilter>, limit = 20, api: ApiClient = defaultApi) {
  const currency = ref<CurrencyCode>(DEFAULT_CURRENCY)
  const page = ref(1)
  const read = useCatalogRead(async ({ lang, currency }) => {
    const { data, response } = await api.GET('/api/v1/catalog/products', {
      params: { query: { ...filter.value, q: filter.value.q || undefined, lang, currency, page: page.value, limit } },
    })
    return unwrap(data, response)
  }, currency)
  watch(filter, () => {
    page.value = 1
    void read.load()
  }, { deep: true })
  async function goTo(to: number): Promise<void> {
    page.value = to
    await read.load()
  }
  const pages = computed(() => (read.data.value ? Math.max(1, Math.ceil(read.data.value.total / limit)) : 1))
  return { ...read, result: read.data, currency, page, pages, goTo }
}

/** One product by its slug, priced for whoever is signed in. */
export function useCatalogProduct(slug: () => string, api: ApiClient = defaultApi) {
  const currency = ref<CurrencyCode>(DEFAULT_CURRENCY)
  const read = useCatalogRead(async ({ lang, currency }) => {
    const { data, response } = await api.GET('/api/v1/catalog/products/{slug}', {
      params: { path: { slug: slug() }, query: { lang, currency } },
    })
    return unwrap(data, response) as CatalogProduct
  }, currency)
  return { ...read, product: read.data, currency }
}

/** The visible categories, in storefront order. */
export function useCatalogCategories(api: ApiClient = defaultApi) {
  const categories = shallowRef<CatalogCategory[]>([])
  async function load(): Promise<void> {
    try {
      const { data, response } = await api.GET('/api/v1/catalog/categories')
      categories.value = unwrap(data, response)
    } catch {
      // The categories only narrow the list; without them the list still works.
      categories.value = []
    }
  }
  return { categories, load }
}

/** Domain search: the asked name first, then the same name under the shop's other TLDs. */
export function useDomainCheck(api: ApiClient = defaultApi) {
  const results = shallowRef<DomainResult[]>([])
  const checking = ref(false)
  const problem = shallowRef<ApiProblem | null>(null)
  const asked = ref('')
  let generation = 0

  async function check(name: string, currency: CurrencyCode = DEFAULT_CURRENCY): Promise<void> {
    const mine = ++generation
    asked.value = name.trim()
    if (!asked.value) return
    checking.value = true
    problem.value = null
    try {
      const { data, response } = await api.GET('/api/v1/domains/check', { params: { query: { name: asked.value, currency } } })
      if (mine === generation) results.value = unwrap(data, response).results
    } catch (e) {
      if (mine === generation) {
        results.value = []
        problem.value = toApiProblem(e)
      }
    } finally {
      if (mine === generation) checking.value = false
    }
  }
  return { results, checking, problem, asked, check }
}
