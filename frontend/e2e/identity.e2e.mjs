#!/usr/bin/env node
// Browser journey of identity against the real server and the sandbox mail
// sink: a client registers, verifies the emailed code, signs in, completes the
// profile, reloads the page and stays signed in (the refresh token is an
// HttpOnly cookie, nothing in storage), turns on two-factor sign-in, signs out
// and back in with the emailed code, and after signing out a reload stays
// signed out; the owner (created with `juragan create-owner`) signs in with the code,
// invites a staff member and reads the audit log. An access token is then
// verified with `jose`, an independent JOSE library, from the JWKS alone.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… npm run test:e2e
import { createLocalJWKSet, jwtVerify } from 'jose'
import { BASE_URL, assert, codeIn, mailTo, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
const stamp = Date.now()
const CLIENT = { name: 'Budi Santoso', email: `budi.${stamp}@example.test`, password: 'rahasia-budi-123' }

assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')

await runJourney('identity e2e', 9, async (step, page, noErrors) => {
    await step('a visitor registers and is told to check their mail', async () => {
      await page.goto(`${BASE_URL}/register`, { waitUntil: 'domcontentloaded' })
      await page.fill(sel('register-name'), CLIENT.name)
      await page.fill(sel('register-email'), CLIENT.email)
      await page.fill(sel('register-password'), CLIENT.password)
      await page.fill(sel('register-password-confirm'), CLIENT.password)
      await shot(page, 'register')
      await page.click(sel('register-submit'))
      await page.waitForSelector(sel('register-done'), { state: 'visible' })
      noErrors('registering')
    })

    await step('the emailed link verifies the address', async () => {
      const text = await mailTo(CLIENT.email, 'Verifikasi')
      const link = text.match(/https?:\/\/\S+\/verify-email\?\S+/)?.[0]
      assert(link, `no verification link in: ${text}`)
      const url = new URL(link)
      await page.goto(`${BASE_URL}${url.pathname}${url.search}`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('verify-done'), { state: 'visible' })
      await shot(page, 'verify-done')
      noErrors('verifying')
    })

    await step('the client signs in and completes the profile', async () => {
      await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
      await page.fill(sel('login-email'), CLIENT.email)
      await page.fill(sel('login-password'), CLIENT.password)
      await page.click(sel('login-submit'))
      await page.waitForSelector(sel('client-area'), { state: 'visible' })
      assert((await page.getAttribute(sel('onboarding-card'), 'data-ready')) === 'false', 'a new client is not ready to check out')
      await shot(page, 'client-area')
      await page.goto(`${BASE_URL}/client/account`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('profile-form'), { state: 'visible' })
      await page.fill(sel('profile-phone'), '0812 3456 7890')
      await page.fill(sel('profile-company'), 'CV Maju Jaya')
      await page.click(sel('profile-save'))
      await page.waitForSelector(sel('profile-saved'), { state: 'visible' })
      const phone = await page.inputValue(sel('profile-phone'))
      assert(phone === '+6281234567890', `phone normalised, got ${phone}`)
      await shot(page, 'account-profile')
      noErrors('editing the profile')
    })

    await step('a reload keeps the client signed in: the refresh cookie, not storage, restores the session', async () => {
      const cookies = await page.context().cookies()
      const refresh = cookies.find((c) => c.name === 'juragan_refresh')
      assert(refresh, `a refresh cookie is set: ${cookies.map((c) => c.name).join(', ')}`)
      assert(refresh.httpOnly && refresh.sameSite === 'Strict' && refresh.path === '/api/v1/auth', `cookie attributes: ${JSON.stringify(refresh)}`)
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)
      assert(!stored.includes(refresh.value), 'the refresh token is not readable by scripts')
      await page.reload({ waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('profile-form'), { state: 'visible' })
      const phone = await page.inputValue(sel('profile-phone'))
      assert(phone === '+6281234567890', `still signed in after the reload, got phone ${phone}`)
      noErrors('reloading while signed in')
    })

    await step('the client turns on two-factor sign-in with the emailed confirmation code', async () => {
      await page.click(sel('account-tab-security'))
      await page.waitForSelector(sel('otp-card'), { state: 'visible' })
      const asked = Date.now() - 1000
      await page.click(sel('otp-toggle'))
      await page.waitForSelector(sel('otp-confirm-code'), { state: 'visible' })
      const code = codeIn(await mailTo(CLIENT.email, 'Konfirmasi', asked))
      await page.fill(sel('otp-confirm-code'), code)
      await page.click(sel('otp-confirm-submit'))
      await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('data-enabled') === 'true', sel('otp-card'))
      await shot(page, 'account-security')
      noErrors('enabling two-factor')
    })

    await step('the client signs out, then back in with the emailed code', async () => {
      await page.click(sel('account-menu'))
      await page.click(sel('logout'))
      await page.waitForSelector(sel('nav-login'), { state: 'visible' })
      await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
      await page.fill(sel('login-email'), CLIENT.email)
      await page.fill(sel('login-password'), CLIENT.password)
      const asked = Date.now() - 1000
      await page.click(sel('login-submit'))
      await page.waitForSelector(sel('otp-step'), { state: 'visible' })
      await shot(page, 'login-otp')
      const code = codeIn(await mailTo(CLIENT.email, 'Kode masuk', asked))
      await page.fill(sel('otp-code'), code)
      await page.click(sel('otp-submit'))
      await page.waitForSelector(sel('client-area'), { state: 'visible' })
      noErrors('signing in with the code')
    })

    await step('sign-out ends the session: the cookie is gone and a reload stays signed out', async () => {
      await page.click(sel('account-menu'))
      await page.click(sel('logout'))
      await page.waitForSelector(sel('nav-login'), { state: 'visible' })
      const names = (await page.context().cookies()).map((c) => c.name)
      assert(!names.includes('juragan_refresh'), `the refresh cookie is cleared: ${names.join(', ')}`)
      await page.goto(`${BASE_URL}/client/account`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('login-email'), { state: 'visible' })
      await page.reload({ waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('login-email'), { state: 'visible' })
      noErrors('after signing out')
    })

    await step('the owner signs in with the code, invites staff and sees it in the audit log', async () => {
      await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
      await page.goto(`${BASE_URL}/staff/team`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('staff-table'), { state: 'visible' })
      await page.click(sel('staff-invite'))
      await page.waitForSelector(sel('invite-dialog'), { state: 'visible' })
      await page.fill(sel('invite-email'), `sari.${stamp}@juragan.test`)
      await page.fill(sel('invite-name'), 'Sari Sysadmin')
      await page.click(sel('invite-role-sysadmin'))
      await page.click(sel('invite-submit'))
      await page.waitForSelector(`${sel('staff-row')}[data-email="sari.${stamp}@juragan.test"]`, { state: 'visible' })
      await shot(page, 'staff-team')
      await page.goto(`${BASE_URL}/staff/audit`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(`${sel('audit-row')}[data-action="staff.invited"]`, { state: 'visible' })
      await shot(page, 'staff-audit')
      noErrors('managing staff')
    })

    await step('an access token verifies with jose given only the JWKS document', async () => {
      const login = await (
        await fetch(`${BASE_URL}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: OWNER_EMAIL, password: OWNER_PASSWORD }),
        })
      ).json()
      assert(login.status === 'otp_required', `owner sign-in asks for a code, got ${JSON.stringify(login)}`)
      const code = codeIn(await mailTo(OWNER_EMAIL, 'Kode masuk', Date.now() - 3000))
      const tokens = await (
        await fetch(`${BASE_URL}/api/v1/auth/login/otp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ challenge_id: login.otp_challenge.challenge_id, code }),
        })
      ).json()
      const jwks = await (await fetch(`${BASE_URL}/.well-known/jwks.json`)).json()
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
        audience: 'juragan-api',
        algorithms: ['ES256'],
      })
      assert(protectedHeader.alg === 'ES256' && protectedHeader.kid, 'ES256 with a kid')
      assert(payload.roles.includes('owner'), `roles claim: ${JSON.stringify(payload)}`)
    })
})
