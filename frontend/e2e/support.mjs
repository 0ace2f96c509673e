// Shared pieces of the browser journeys: the Chromium launch flags this
// machine needs, the sandbox mail sink, and a step runner that prints the
// closing "N passed, M failed" line.
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')
export const SANDBOX_URL = (process.env.SANDBOX_URL || 'http://127.0.0.1:8025').replace(/\/+$/, '')
export const WAIT = 15_000
export const sel = (id) => `[data-testid="${id}"]`
const shots = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'test-results')
mkdirSync(shots, { recursive: true })

export function assert(cond, message) {
  if (!cond) throw new Error(message)
}

/** The text of the newest mail to `to` whose subject contains `subject`, received after `after` (bounded wait). */
export async function mailTo(to, subject, after = 0) {
  const deadline = Date.now() + WAIT
  while (Date.now() < deadline) {
    const res = await fetch(`${SANDBOX_URL}/api/smtp/messages?to=${encodeURIComponent(to)}`)
    const { messages } = await res.json()
    const match = messages.find((m) => (m.subject ?? '').includes(subject) && Date.parse(m.received_at) > after)
    if (match) {
      const full = await (await fetch(`${SANDBOX_URL}/api/smtp/messages/${match.id}`)).json()
      return full.text_body ?? ''
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`no mail "${subject}" to ${to} within ${WAIT} ms`)
}

export function codeIn(text) {
  const match = text.match(/\b(\d{6})\b/)
  assert(match, `no 6-digit code in: ${text}`)
  return match[1]
}

export async function shot(page, name) {
  await page.waitForTimeout(300)
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
}

/** Signs in with password and the emailed code; waits for `landing` (a test id). */
export async function signInWithCode(page, email, password, landing) {
  await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
  await page.fill(sel('login-email'), email)
  await page.fill(sel('login-password'), password)
  const asked = Date.now() - 1000
  await page.click(sel('login-submit'))
  await page.waitForSelector(sel('otp-step'), { state: 'visible' })
  const code = codeIn(await mailTo(email, '', asked))
  await page.fill(sel('otp-code'), code)
  await page.click(sel('otp-submit'))
  await page.waitForSelector(sel(landing), { state: 'visible' })
}

/**
 * Runs `journey(step, page, noErrors)` in a fresh Chromium profile. Each step
 * is one check; the first failure stops the journey (later steps build on
 * it) and counts the rest as failed. Exits non-zero on any failure.
 */
export async function runJourney(title, expectedSteps, journey, { allowConsole = [], timeLimit = 180_000 } = {}) {
  const overall = setTimeout(() => {
    console.log(`${title}: overall time limit (${timeLimit / 1000} s) reached`)
    process.exit(1)
  }, timeLimit)
  overall.unref()
  console.log(`${title} against ${BASE_URL} (sandbox ${SANDBOX_URL})`)
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'juragan-e2e-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const errors = []
  const page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(WAIT)
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allowConsole.some((pattern) => pattern.test(msg.text()))) errors.push(`console.error: ${msg.text()}`)
  })
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  const noErrors = (where) => assert(errors.length === 0, `browser errors ${where}:\n    ${errors.join('\n    ')}`)
  let passed = 0
  const step = async (name, fn) => {
    const started = Date.now()
    try {
      await fn()
      passed += 1
      console.log(`  ✓ ${name} (${Date.now() - started} ms)`)
    } catch (err) {
      console.log(`  ✗ ${name}\n    ${err?.message ?? err}`)
      throw err
    }
  }
  try {
    await journey(step, page, noErrors)
  } catch {
    await page.screenshot({ path: join(shots, `${title.replace(/\W+/g, '-')}-failure.png`), fullPage: true }).catch(() => {})
  } finally {
    await context.close()
  }
  console.log(`${passed} passed, ${expectedSteps - passed} failed`)
  process.exit(passed === expectedSteps ? 0 : 1)
}

/** An access token for the API calls that set a journey's scene (the same sign-in as the SPA's). */
export async function ownerApiToken(email, password) {
  const asked = Date.now() - 1000
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  }).then((r) => r.json())
  assert(login.status === 'otp_required', `login answered ${JSON.stringify(login)}`)
  const code = codeIn(await mailTo(email, '', asked))
  const verified = await fetch(`${BASE_URL}/api/v1/auth/login/otp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ challenge_id: login.otp_challenge.challenge_id, code }),
  }).then((r) => r.json())
  assert(verified.access_token, `otp answered ${JSON.stringify(verified)}`)
  return verified.access_token
}

/** One API call that must succeed; the parsed answer. */
export async function apiCall(token, method, path, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  assert(res.ok, `${method} ${path} answered ${res.status}: ${text}`)
  return text ? JSON.parse(text) : null
}
