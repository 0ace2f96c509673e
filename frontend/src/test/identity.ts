import type { Account, OtpChallenge, TokenPair } from '../stores/session'
import type { Role } from '../api/roles'

/** Fixtures shaped like the API's answers. */
export function tokenPair(n: number | string = 1): TokenPair {
  return {
    access_token: `access-${n}`,
    token_type: 'Bearer',
    expires_in: 900,
    refresh_expires_in: 2_592_000,
  }
}

export function account(roles: Role[] = ['client'], extra: Partial<Account> = {}): Account {
  return {
    id: '0b9d6a52-6f3e-4c5e-9a43-3f7f0c1d2e01',
    email: 'budi@example.test',
    email_verified: true,
    roles,
    otp_enabled: false,
    otp_required: roles.some((r) => r !== 'client' && r !== 'reseller'),
    profile: { full_name: 'Budi Santoso', phone: '+6281234567890', company: null },
    billing_address: null,
    checkout_ready: false,
    missing_for_checkout: ['billing_address.line1', 'billing_address.city'],
    created_at: '2025-01-02T03:04:05Z',
    ...extra,
  }
}

export function challenge(extra: Partial<OtpChallenge> = {}): OtpChallenge {
  return { challenge_id: 'ch-1', sent_to: 'bu***@example.test', expires_in: 300, resend_after: 60, ...extra }
}
