import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { api, ApiProblem, setAuthHandlers, toApiProblem } from '../api/client'
import type { components } from '../api/schema'
import { hasAnyRole, isStaffRole, type Role } from '../api/roles'

export type Account = components['schemas']['Account']
export type TokenPair = components['schemas']['TokenPair']
export type OtpChallenge = components['schemas']['OtpChallenge']

/** The refresh token survives a reload here; the access token lives in memory only. */
export const REFRESH_STORAGE_KEY = 'juragan.refresh'
const REFRESH_LOCK = 'juragan.refresh'

export type LoginOutcome =
  | { status: 'authenticated'; account: Account }
  | { status: 'otp_required'; challenge: OtpChallenge }

function readStoredRefresh(): string | null {
  try {
    return globalThis.localStorage?.getItem(REFRESH_STORAGE_KEY) ?? null
  } catch {
    return null
  }
}

function writeStoredRefresh(token: string | null): void {
  try {
    if (token) globalThis.localStorage?.setItem(REFRESH_STORAGE_KEY, token)
    else globalThis.localStorage?.removeItem(REFRESH_STORAGE_KEY)
  } catch {
    // storage unavailable (private mode): the session lasts for this page only
  }
}

/**
 * Refresh tokens rotate and a reused one revokes the whole session, so two tabs must not
 * refresh with the same token: serialise across tabs with the Web Locks API when there is one.
 */
function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  return locks ? (locks.request(REFRESH_LOCK, fn) as unknown as Promise<T>) : fn()
}

/** Accept only a path inside this app as a post-login destination (no `//evil.example`). */
export function safeRedirect(value: unknown): string | null {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null
  if (/^\/(login|register)(?:[/?#]|$)/.test(value)) return null
  return value
}

/**
 * Who is signed in: tokens, the current Account and its roles. The one store every page
 * shares; API calls for other resources live in composables.
 */
export const useSessionStore = defineStore('session', () => {
  const accessToken = ref<string | null>(null)
  const refreshToken = ref<string | null>(readStoredRefresh())
  const account = shallowRef<Account | null>(null)
  /** The first restore (from a stored refresh token) has finished. */
  const restored = ref(false)

  const isAuthenticated = computed(() => account.value !== null && accessToken.value !== null)
  const roles = computed<readonly Role[]>(() => account.value?.roles ?? [])
  const isStaff = computed(() => roles.value.some(isStaffRole))
  const isOwner = computed(() => roles.value.includes('owner'))
  const displayName = computed(() => account.value?.profile?.full_name || account.value?.email || '')

  let restoring: Promise<void> | null = null
  let refreshing: Promise<boolean> | null = null
  const expiredListeners = new Set<() => void>()

  function hasRole(...wanted: Role[]): boolean {
    return hasAnyRole(roles.value, wanted)
  }

  function setTokens(pair: TokenPair): void {
    accessToken.value = pair.access_token
    refreshToken.value = pair.refresh_token
    writeStoredRefresh(pair.refresh_token)
  }

  /** Forget everything about the session, here and in storage. */
  function clear(): void {
    accessToken.value = null
    refreshToken.value = null
    account.value = null
    writeStoredRefresh(null)
  }

  /** Replace the Account with a fresher copy (profile and 2FA updates answer with one). */
  function setAccount(next: Account): void {
    account.value = next
  }

  async function loadAccount(): Promise<Account> {
    const { data, response } = await api.GET('/api/v1/account')
    if (!data) throw ApiProblem.unexpected(response)
    account.value = data
    return data
  }

  async function signedIn(pair: TokenPair): Promise<Account> {
    setTokens(pair)
    try {
      return await loadAccount()
    } catch (e) {
      clear()
      throw e
    }
  }

  /** Password step. Staff (and clients who enabled 2FA) continue with {@link verifyOtp}. */
  async function login(email: string, password: string): Promise<LoginOutcome> {
    const { data, response } = await api.POST('/api/v1/auth/login', { body: { email, password } })
    if (!data) throw ApiProblem.unexpected(response)
    if (data.status === 'otp_required' && data.otp_challenge) {
      return { status: 'otp_required', challenge: data.otp_challenge }
    }
    if (data.status === 'authenticated' && data.tokens) {
      return { status: 'authenticated', account: await signedIn(data.tokens) }
    }
    throw ApiProblem.unexpected(response)
  }

  /** Second step: the 6-digit code that was emailed for `challengeId`. */
  async function verifyOtp(challengeId: string, code: string): Promise<Account> {
    const { data, response } = await api.POST('/api/v1/auth/login/otp', { body: { challenge_id: challengeId, code } })
    if (!data) throw ApiProblem.unexpected(response)
    return signedIn(data)
  }

  async function resendOtp(challengeId: string): Promise<OtpChallenge> {
    const { data, response } = await api.POST('/api/v1/auth/login/otp/resend', { body: { challenge_id: challengeId } })
    if (!data) throw ApiProblem.unexpected(response)
    return data
  }

  /** Revoke the refresh token on the server (best effort), then forget the session. */
  async function logout(): Promise<void> {
    const token = readStoredRefresh() ?? refreshToken.value
    try {
      if (token) await api.POST('/api/v1/auth/logout', { body: { refresh_token: token } })
    } catch {
      // already revoked or offline: signing out locally is what the user asked for
    } finally {
      clear()
    }
  }

  async function refreshOnce(): Promise<boolean> {
    return withRefreshLock(async () => {
      // Another tab may have rotated the token while we waited: use the newest one.
      const token = readStoredRefresh() ?? refreshToken.value
      if (!token) {
        clear()
        return false
      }
      try {
        const { data, response } = await api.POST('/api/v1/auth/refresh', { body: { refresh_token: token } })
        if (!data) throw ApiProblem.unexpected(response)
        setTokens(data)
        return true
      } catch (e) {
        const problem = toApiProblem(e)
        // Refused (401 unknown/reused token, 403 account disabled): the session is over.
        if (problem.status >= 400 && problem.status < 500) {
          clear()
          return false
        }
        // Offline or a server hiccup (5xx): keep the token for the next try.
        throw problem
      }
    })
  }

  /**
   * New access token from the refresh token. Single-flight: every caller during a refresh
   * (e.g. several requests that all got 401) shares the same request and answer.
   */
  function refresh(): Promise<boolean> {
    refreshing ??= refreshOnce().finally(() => {
      refreshing = null
    })
    return refreshing
  }

  /** On app start: turn a stored refresh token back into a session. Runs once; await it freely. */
  function restore(): Promise<void> {
    restoring ??= (async () => {
      try {
        if (isAuthenticated.value) return // signed in before the restore ran
        if (refreshToken.value && (await refresh())) await loadAccount()
      } catch {
        // offline or the account could not be read: start signed out, keep the stored token
        accessToken.value = null
        account.value = null
      } finally {
        restored.value = true
      }
    })()
    return restoring
  }

  /** Where to go after signing in: the requested page, else the area for the user's roles. */
  function landingPath(redirect?: unknown): string {
    return safeRedirect(redirect) ?? (isStaff.value ? '/staff' : '/client')
  }

  /** Called when a refresh is refused mid-session (the router sends the user to sign in). */
  function onExpired(listener: () => void): () => void {
    expiredListeners.add(listener)
    return () => expiredListeners.delete(listener)
  }

  function expire(): void {
    clear()
    for (const listener of expiredListeners) listener()
  }

  setAuthHandlers({ accessToken: () => accessToken.value, refresh, expired: expire })

  // Signing out in another tab signs out here too.
  if (typeof window !== 'undefined') {
    window.addEventListener('storage', (event) => {
      if (event.key === REFRESH_STORAGE_KEY && event.newValue === null && refreshToken.value) {
        accessToken.value = null
        refreshToken.value = null
        account.value = null
      }
    })
  }

  return {
    accessToken,
    refreshToken,
    account,
    restored,
    isAuthenticated,
    roles,
    isStaff,
    isOwner,
    displayName,
    hasRole,
    setAccount,
    loadAccount,
    login,
    verifyOtp,
    resendOtp,
    logout,
    refresh,
    restore,
    clear,
    landingPath,
    onExpired,
  }
})

export type SessionStore = ReturnType<typeof useSessionStore>
