#!/usr/bin/env node
// Browser journey of message templates: the owner edits the sign-in code
// template, sees an unknown placeholder refused in the live preview, saves a
// valid version, then signs in again and receives the code in the new words;
// the outbox page shows; the built-in text is restored from the history; an
// email broadcast runs to the end.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… npm run test:e2e
import { BASE_URL, assert, codeIn, mailTo, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')
const SUBJECT = 'Kode masuk Toko E2E'

// The preview of an invalid draft answers 422 by design; Chromium logs it.
const allowConsole = [/status of 422/]

await runJourney(
  'notifications e2e',
  6,
  async (step, page, noErrors) => {
    await step('the owner opens the sign-in code template and an unknown placeholder is refused', async () => {
      await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
      await page.goto(`${BASE_URL}/staff/templates?event=auth.login_code&lang=id`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('template-body'), { state: 'visible' })
      await page.fill(sel('template-body'), 'Kode Anda {kode}')
      await page.waitForSelector(sel('template-problems'), { state: 'visible' })
      const problems = (await page.textContent(sel('template-problems'))) ?? ''
      assert(problems.includes('kode'), `the unknown placeholder is named: ${problems}`)
      await shot(page, 'template-problems')
      noErrors('editing a template')
    })

    await step('a valid draft previews with sample data and is saved', async () => {
      await page.fill(sel('template-subject'), SUBJECT)
      await page.fill(sel('template-body'), 'TOKO-E2E: kode masuk Anda {code}. Jangan bagikan.')
      await page.waitForFunction((s) => (document.querySelector(s)?.textContent ?? '').includes('TOKO-E2E: kode masuk Anda 482913'), sel('template-preview-text'))
      await shot(page, 'template-preview')
      await page.click(sel('template-save'))
      await page.waitForSelector(sel('template-saved'), { state: 'visible' })
      noErrors('saving a template')
    })

    await step('signing in again sends the code in the new words', async () => {
      await page.click(sel('account-menu'))
      await page.click(sel('logout'))
      await page.waitForSelector(sel('nav-login'), { state: 'visible' })
      await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
      await page.fill(sel('login-email'), OWNER_EMAIL)
      await page.fill(sel('login-password'), OWNER_PASSWORD)
      const asked = Date.now() - 1000
      await page.click(sel('login-submit'))
      await page.waitForSelector(sel('otp-step'), { state: 'visible' })
      const text = await mailTo(OWNER_EMAIL, SUBJECT, asked)
      assert(text.includes('TOKO-E2E: kode masuk Anda'), `mail uses the edited template: ${text}`)
      await page.fill(sel('otp-code'), codeIn(text))
      await page.click(sel('otp-submit'))
      await page.waitForSelector(sel('staff-area'), { state: 'visible' })
      noErrors('signing in with the edited template')
    })

    await step('the outbox page lists queued messages', async () => {
      await page.goto(`${BASE_URL}/staff/outbox`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('outbox-page'), { state: 'visible' })
      await page.waitForSelector(`${sel('outbox-row')}, ${sel('outbox-empty')}`, { state: 'visible' })
      await shot(page, 'outbox')
      noErrors('opening the outbox')
    })

    await step('the built-in text is restored from the history', async () => {
      await page.goto(`${BASE_URL}/staff/templates?event=auth.login_code&lang=id`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('template-body'), { state: 'visible' })
      await page.click(sel('template-history-open'))
      await page.waitForSelector(sel('template-history'), { state: 'visible' })
      await shot(page, 'template-history')
      await page.click(sel('template-restore-builtin'))
      await page.click(sel('template-restore-builtin-confirm'))
      await page.waitForFunction((s) => (document.querySelector(s)?.value ?? '').startsWith('Kode masuk Anda: {code}'), sel('template-body'))
      noErrors('restoring the built-in text')
    })

    await step('an email broadcast is composed, confirmed and runs to done', async () => {
      await page.goto(`${BASE_URL}/staff/broadcasts`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('broadcasts-page'), { state: 'visible' })
      await page.click(sel('broadcast-channel-email'))
      await page.fill(sel('broadcast-subject'), 'Promo E2E')
      await page.fill(sel('broadcast-body'), 'Diskon 20% untuk semua VPS bulan ini.')
      await page.click(sel('broadcast-send'))
      await page.click(sel('broadcast-send-confirm'))
      await page.waitForSelector(`${sel('broadcast-row')}[data-status="done"]`, { state: 'visible', timeout: 20_000 })
      await shot(page, 'broadcasts')
      noErrors('broadcasting')
    })
  },
  { allowConsole },
)
