import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { api, ApiProblem, setAuthHandlers, toApiProblem } from '../api/client'
import type { components } from '../api/schema'
import { hasAnyRole, isStaffRole, type Role } from '../api/roles'

export type Account = components['schemas']['Account']
export type TokenPair = components['schemas']['TokenPair']
export type OtpChallenge = components['schemas']['OtpChallenge']

/**
 * The refresh token is an HttpOnly cookie the server sets on sign-in and every refresh: no
 * script here (nor one injected into the page) can read it. The access token lives in memory
 * only, so a reload restores the session by refreshing with the cookie.
 *
 * Signing out writes this key (a timestamp, no secret) so other tabs sign out too.
 */
export const SIGNED_OUT_SIGNAL_KEY = 'juragan.signed-out'
/**
 * A readable cookie (no secret) the server sets beside the refresh cookie and clears with it:
 * it says a refresh cookie may exist, so a visitor who never signed in is not sent to
 * `POST /auth/refresh` (and a 401) on every page load.
 */
export const SESSION_MARKER_COOKIE = 'juragan_session'
const REFRESH_LOCK = 'juragan.refresh'

export type LoginOutcome =
  | { status: 'authenticated'; account: Account }
  | { status: 'otp_required'; challenge: OtpChallenge }

function hasSessionMarker(): boolean {
  if (typeof document === 'undefined') return false
  return document.cookie.split(';').some((part) => part.trim().startsWith(`${SESSION_MARKER_COOKIE}=`))
}

function signalSignedOut(): void {
  try {
    globalThis.localStorage?.setItem(SIGNED_OUT_SIGNAL_KEY, String(Date.now()))
  } catch {
    // storage unavailable (private mode): other tabs notice at their next refresh
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
  const account = shallowRef<Account | null>(null)
  /** The first restore (from the refresh cookie) has finished. */
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
  }

  /** Forget everything about the session in this tab (the cookie is the server's to clear). */
  function clear(): void {
    accessToken.value = null
    account.value = null
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

  /**
   * Sign-out has begun: requests from here on go out as a visitor's (public pages answer
   * them as such) instead of with a token the sign-out is about to revoke. The logout call
   * itself names the session by its cookie.
   */
  function forgetAccessToken(): void {
    accessToken.value = null
  }

  /**
   * Revoke the session on the server, which also clears the refresh cookie (best effort),
   * then forget the session here and in the other tabs.
   */
  async function logout(): Promise<void> {
    try {
      await api.POST('/api/v1/auth/logout', {})
    } catch {
      // already revoked or offline: signing out locally is what the user asked for
    } finally {
      clear()
      signalSignedOut()
    }
  }

  async function refreshOnce(): Promise<boolean> {
    return withRefreshLock(async () => {
      // The browser sends the cookie; if another tab rotated it while we waited, the newest.
      try {
        const { data, response } = await api.POST('/api/v1/auth/refresh', {})
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
        // Offline or a server hiccup (5xx): the cookie stays for the next try.
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

  /**
   * On app start: turn the refresh cookie (if the browser has one) back into a session. Runs
   * once; await it freely. Scripts cannot see the refresh cookie; the marker cookie says
   * whether asking is worth it.
   */
  function restore(): Promise<void> {
    restoring ??= (async () => {
      try {
        if (isAuthenticated.value) return // signed in before the restore ran
        if (hasSessionMarker() && (await refresh())) await loadAccount()
      } catch {
        // offline or the account could not be read: start signed out, the cookie stays
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
      if (event.key === SIGNED_OUT_SIGNAL_KEY && event.newValue !== null && accessToken.value) clear()
    })
  }

  return {
    accessToken,
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
    forgetAccessToken,
    refresh,
    restore,
    clear,
    landingPath,
    onExpired,
  }
})

export type SessionStore = ReturnType<typeof useSessionStore>
