#!/usr/bin/env node
// Browser journey of personal API tokens against the real server: the owner
// signs in with the emailed code, picks an expiry and creates a token (a fresh
// sign-in needs no password), is asked for the password when the server wants
// a step-up, sees the "keep my API tokens" choice on the password form (off by
// default), and on the team page lists a staff member's tokens and revokes one.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… node e2e/api-tokens.e2e.mjs
import { BASE_URL, assert, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')

await runJourney('api tokens e2e', 4, async (step, page, noErrors) => {
  await step('the owner creates a 30-day token right after signing in', async () => {
    await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
    await page.goto(`${BASE_URL}/client/account?tab=security`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('api-tokens-card'), { state: 'visible' })
    await page.fill(sel('api-token-name'), 'laporan penjualan')
    await page.click(sel('api-token-expiry'))
    await page.click('.n-base-select-option:has-text("30")')
    await page.click(sel('api-token-create'))
    await page.waitForSelector(sel('api-token-secret-box'), { state: 'visible' })
    const secret = await page.inputValue(sel('api-token-secret'))
    assert(secret.startsWith('jrg_'), `a token secret, got ${secret}`)
    await shot(page, 'api-token-created')
    await page.click(sel('api-token-secret-done'))
    noErrors('creating a token')
  })

  await step('when the server asks for a step-up, the password is prompted and sent', async () => {
    // The sign-in above is seconds old; answer the first attempt as the
    // server answers one older than 5 minutes, and let the retry through.
    let asked = false
    let sentPassword = null
    await page.route('**/api/v1/account/api-tokens', async (route) => {
      const request = route.request()
      if (request.method() !== 'POST') return route.continue()
      if (!asked) {
        asked = true
        return route.fulfill({
          status: 403,
          contentType: 'application/problem+json',
          body: JSON.stringify({ type: 'urn:juragan:problem:step_up_required', title: 'Forbidden', status: 403, code: 'step_up_required' }),
        })
      }
      sentPassword = JSON.parse(request.postData() ?? '{}').current_password ?? null
      return route.continue()
    })
    await page.fill(sel('api-token-name'), 'sinkron stok')
    await page.click(sel('api-token-create'))
    await page.waitForSelector(sel('api-token-step-up'), { state: 'visible' })
    await shot(page, 'api-token-step-up')
    await page.fill(sel('api-token-current-password'), OWNER_PASSWORD)
    await page.click(sel('api-token-create'))
    await page.waitForSelector(sel('api-token-secret-box'), { state: 'visible' })
    assert(sentPassword === OWNER_PASSWORD, 'the retry carries the password')
    await page.unroute('**/api/v1/account/api-tokens')
    await page.click(sel('api-token-secret-done'))
    assert((await page.locator(sel('api-token-step-up')).count()) === 0, 'the prompt goes once the token is made')
  })

  await step('the password form offers to keep the API tokens, off by default', async () => {
    const box = page.locator(sel('password-keep-api-tokens'))
    assert((await box.getAttribute('aria-checked')) === 'false', 'keep-my-API-tokens starts unticked')
    await page.locator(sel('password-card')).scrollIntoViewIfNeeded()
    await shot(page, 'account-password-keep-tokens')
  })

  await step("the owner lists a staff member's tokens on the team page and revokes one", async () => {
    await page.goto(`${BASE_URL}/staff/team`, { waitUntil: 'domcontentloaded' })
    const row = page.locator(`${sel('staff-row')}[data-email="${OWNER_EMAIL}"]`)
    await row.locator(sel('staff-tokens')).click()
    await page.waitForSelector(sel('staff-tokens-dialog'), { state: 'visible' })
    await page.waitForSelector(sel('staff-token-row'))
    assert((await page.locator(sel('staff-token-row')).count()) === 2, 'both tokens listed')
    await shot(page, 'team-staff-tokens')
    await page.locator(`${sel('staff-token-row')}[data-revoked="false"] ${sel('staff-token-revoke')}`).first().click()
    await page.click(sel('staff-token-revoke-confirm'))
    await page.waitForSelector(sel('staff-token-notice'), { state: 'visible' })
    assert((await page.locator(`${sel('staff-token-row')}[data-revoked="true"]`).count()) === 1, 'one token revoked')
    await shot(page, 'team-staff-token-revoked')
    noErrors('on the team page')
  })
  // The step-up answer above is a 403 by design; the browser logs it.
}, { allowConsole: [/status of 403/] })
