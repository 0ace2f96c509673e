import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { ApiProblem } from '../api/client'
import type { PaymentAttempt } from '../lib/billing'
import { POLL_MAX_FAILURES, usePaymentPolling } from './usePaymentPolling'

const attempt = (status: string, extra: Partial<PaymentAttempt> = {}): PaymentAttempt => ({
  id: 9, invoice_id: 1, method: 'pakasir', status, amount_minor: 55_500, currency: 'IDR', proof_uploaded: false, invoice_status: 'unpaid',
  expires_at: '2026-05-01T10:15:00Z', qr_string: '000201', ...extra,
})

describe('polling a payment every 3 s', () => {
  const now = () => Date.parse('2026-05-01T10:00:00Z')
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('asks every interval until the payment is paid, then stops and says so', async () => {
    const answers = [attempt('pending'), attempt('pending'), attempt('paid')]
    const check = vi.fn(async () => answers.shift()!)
    const settled = vi.fn()
    const polling = usePaymentPolling(check, 3000, now)
    polling.start(attempt('pending'), settled)
    expect(check).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(3000)
    expect(check).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(6000)
    expect(check).toHaveBeenCalledTimes(3)
    expect(settled).toHaveBeenCalledWith('paid')
    expect(polling.running.value).toBe(false)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(check).toHaveBeenCalledTimes(3)
  })

  it('stops on a failed payment and on one past its expiry', async () => {
    const failed = vi.fn()
    const a = usePaymentPolling(async () => attempt('failed'), 3000, now)
    a.start(attempt('pending'), failed)
    await vi.advanceTimersByTimeAsync(3000)
    expect(failed).toHaveBeenCalledWith('failed')

    const expired = vi.fn()
    const b = usePaymentPolling(async () => attempt('pending', { expires_at: '2026-05-01T09:00:00Z' }), 3000, now)
    b.start(attempt('pending'), expired)
    await vi.advanceTimersByTimeAsync(3000)
    expect(expired).toHaveBeenCalledWith('expired')
    expect(b.running.value).toBe(false)
  })

  it('does not start for an attempt already decided', () => {
    const check = vi.fn(async () => attempt('paid'))
    const settled = vi.fn()
    const polling = usePaymentPolling(check, 3000, now)
    polling.start(attempt('paid'), settled)
    expect(settled).toHaveBeenCalledWith('paid')
    expect(polling.running.value).toBe(false)
  })

  it('rides out a few failed checks, and gives up after too many in a row', async () => {
    const unavailable = ApiProblem.fromBody({ code: 'gateway_error', status: 502 }, { status: 502, statusText: 'Bad Gateway' })
    const check = vi.fn(async () => {
      throw unavailable
    })
    const polling = usePaymentPolling(check, 3000, now)
    polling.start(attempt('pending'))
    await vi.advanceTimersByTimeAsync(3000 * (POLL_MAX_FAILURES - 1))
    expect(polling.running.value).toBe(true)
    expect(polling.problem.value?.code).toBe('gateway_error')
    await vi.advanceTimersByTimeAsync(3000)
    expect(check).toHaveBeenCalledTimes(POLL_MAX_FAILURES)
    expect(polling.running.value).toBe(false)
  })

  it('stops with the component that started it', async () => {
    const check = vi.fn(async () => attempt('pending'))
    const scope = effectScope()
    const polling = scope.run(() => usePaymentPolling(check, 3000, now))!
    polling.start(attempt('pending'))
    await vi.advanceTimersByTimeAsync(3000)
    scope.stop()
    await vi.advanceTimersByTimeAsync(30_000)
    expect(check).toHaveBeenCalledTimes(1)
  })
})
