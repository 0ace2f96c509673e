#!/usr/bin/env node
// Browser end-to-end test of the SPA shell against a running server that serves the built
// SPA at / (with history fallback) and the API (/healthz, /readyz).
//
//   BASE_URL=http://127.0.0.1:8080 npm run test:e2e
//
// Needs Debian's chromium at /usr/bin/chromium (no Playwright browser download).
// Screenshots go to test-results/. Prints "N passed, M failed" and exits non-zero on failure.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')
const WAIT = 15_000 // upper bound for every single wait
const OVERALL = 120_000 // the whole run
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const shots = join(root, 'test-results')
mkdirSync(shots, { recursive: true })

const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }
const sel = (id) => `[data-testid="${id}"]`

let context
let profile
const results = []

function assert(cond, message) {
  if (!cond) throw new Error(message)
}

/** A fresh tab that records console errors and uncaught page errors. */
async function newPage(viewport = DESKTOP) {
  const page = context.pages().find((p) => p.url() === 'about:blank' && !p.__used) ?? (await context.newPage())
  page.__used = true
  page.__errors = []
  page.setDefaultTimeout(WAIT)
  page.setDefaultNavigationTimeout(WAIT)
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.__errors.push(`console.error: ${msg.text()} @ ${msg.location()?.url ?? ''}`)
  })
  page.on('pageerror', (err) => page.__errors.push(`pageerror: ${err.message}`))
  await page.setViewportSize(viewport)
  return page
}

async function goto(page, path) {
  const res = await page.goto(BASE_URL + path, { waitUntil: 'domcontentloaded', timeout: WAIT })
  assert(res, `no response for ${path}`)
  assert(res.status() === 200, `GET ${path} answered ${res.status()}, expected 200`)
  await page.waitForSelector(sel('brand'), { state: 'visible', timeout: WAIT })
  return res
}

async function text(page, id) {
  return ((await page.textContent(sel(id), { timeout: WAIT })) ?? '').trim()
}

/** Wait for the first health check to finish (bounded), then require `ready`. */
async function waitReady(page) {
  await page.waitForFunction(
    (s) => {
      const el = document.querySelector(s)
      return !!el && el.textContent.trim() !== '—'
    },
    sel('health-checked-at'),
    { timeout: WAIT },
  )
  const status = await page.getAttribute(sel('health-status'), 'data-status')
  if (status === 'ready') return
  const shown = ((await page.locator(sel('health-status')).textContent()) ?? '').trim()
  const errorBox = page.locator(sel('health-error'))
  const problem = (await errorBox.count()) ? ((await errorBox.textContent()) ?? '').trim() : ''
  const rows = await page
    .locator('[data-testid^="health-check-"][data-ok="false"]')
    .evaluateAll((els) => els.map((el) => Array.from(el.cells, (c) => c.innerText.trim()).join(' / ')))
  throw new Error(
    `health status is "${shown}" (${status}), not ready` +
      (problem ? `; error: ${problem}` : '') +
      (rows.length ? `; failing: ${rows.join(' | ')}` : ''),
  )
}

async function assertCheckOk(page, name) {
  const row = sel(`health-check-${name}`)
  await page.waitForSelector(row, { timeout: WAIT })
  const ok = await page.getAttribute(row, 'data-ok')
  const rowText = ((await page.textContent(row)) ?? '').replace(/\s+/g, ' ').trim()
  assert(ok === 'true', `check "${name}" is not ok: ${rowText}`)
}

let current = null

async function test(name, fn) {
  current = name
  const started = Date.now()
  let page
  try {
    await fn(async (viewport) => (page = await newPage(viewport)))
    if (page) {
      await page.waitForTimeout(200) // let late console errors arrive
      assert(page.__errors.length === 0, `browser reported errors:\n    ${page.__errors.join('\n    ')}`)
    }
    results.push({ name, ok: true })
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`)
  } catch (err) {
    results.push({ name, ok: false })
    console.log(`  ✗ ${name} (${Date.now() - started} ms)\n    ${err?.message ?? err}`)
    if (page) await page.screenshot({ path: join(shots, `failure-${results.length}.png`), fullPage: true }).catch(() => {})
  } finally {
    current = null
    if (page) await page.close().catch(() => {})
  }
}

async function main() {
  console.log(`e2e against ${BASE_URL}`)
  profile = mkdtempSync(join(tmpdir(), 'juragan-e2e-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })

  await test('home renders, nav leads to the health page, which is ready with database and redis ok', async (open) => {
    const page = await open(DESKTOP)
    await goto(page, '/')
    await page.waitForSelector(sel('home-title'), { state: 'visible' })
    assert((await page.locator(`${sel('home-products')} ${'[data-testid^="product-"]'}`).count()) === 4, 'expected 4 product cards')
    assert(await page.isVisible(sel('nav-health')), 'desktop nav link to the health page is not visible')
    await page.screenshot({ path: join(shots, 'home.png'), fullPage: true })

    await page.click(sel('nav-health'))
    await page.waitForURL(`${BASE_URL}/health`, { timeout: WAIT })
    await waitReady(page)
    assert((await text(page, 'health-status')) === 'Siap', `status label is "${await text(page, 'health-status')}", expected "Siap"`)
    await assertCheckOk(page, 'database')
    await assertCheckOk(page, 'redis')
    const version = await text(page, 'health-version')
    assert(version && version !== '—', 'version is not shown')
    assert(!(await page.isVisible(sel('health-error'))), 'an API error is shown')
    await page.waitForTimeout(400) // let naive-ui colour transitions settle, for the screenshot
    await page.screenshot({ path: join(shots, 'health.png'), fullPage: true })
  })

  await test('deep link to /health renders through the history fallback', async (open) => {
    const page = await open(DESKTOP)
    const res = await goto(page, '/health')
    assert((res.headers()['content-type'] ?? '').includes('text/html'), 'deep link did not answer with the SPA HTML')
    await page.waitForSelector('h1', { state: 'visible' })
    assert((await page.textContent('h1'))?.trim() === 'Status sistem', 'health page heading missing')
    assert((await page.getAttribute(sel('nav-health'), 'aria-current')) === 'page', 'nav does not mark the health page active')
    await waitReady(page)
    await assertCheckOk(page, 'database')
    await assertCheckOk(page, 'redis')
    assert((await page.title()).includes('Juragan'), `unexpected title "${await page.title()}"`)
  })

  await test('language switch translates the labels and is remembered', async (open) => {
    const page = await open(DESKTOP)
    await goto(page, '/health')
    await waitReady(page)
    await page.click(sel('lang-en'))
    await page.waitForFunction(
      (s) => document.querySelector(s)?.textContent?.trim() === 'Ready',
      sel('health-status'),
      { timeout: WAIT },
    )
    assert((await page.textContent(sel('health-checks')))?.includes('Latency (ms)'), 'table header not translated')
    assert((await text(page, 'nav-health')) === 'System status', 'nav label not translated')
    assert((await page.getAttribute('html', 'lang')) === 'en', 'html lang not updated')

    await page.reload({ waitUntil: 'domcontentloaded', timeout: WAIT })
    await waitReady(page)
    assert((await text(page, 'health-status')) === 'Ready', 'language choice not remembered after reload')

    await page.click(sel('lang-id'))
    await page.waitForFunction(
      (s) => document.querySelector(s)?.textContent?.trim() === 'Siap',
      sel('health-status'),
      { timeout: WAIT },
    )
    assert((await text(page, 'nav-health')) === 'Status sistem', 'nav label not back in Indonesian')
  })

  await test('phone width: no horizontal scroll, nav collapses into a menu drawer', async (open) => {
    const page = await open(PHONE)
    await goto(page, '/')
    await page.waitForSelector(sel('home-title'), { state: 'visible' })
    assert(!(await page.isVisible(sel('nav-health'))), 'desktop nav is visible on a phone')
    assert(await page.isVisible(sel('nav-menu-button')), 'menu button is not visible on a phone')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert(overflow <= 0, `page is ${overflow}px wider than the phone screen`)
    await page.screenshot({ path: join(shots, 'home-mobile.png'), fullPage: true })

    await page.click(sel('nav-menu-button'))
    await page.waitForSelector(sel('drawer-nav-health'), { state: 'visible', timeout: WAIT })
    await page.waitForTimeout(400) // drawer slide-in animation, for the screenshot
    await page.screenshot({ path: join(shots, 'menu-mobile.png') })
    await page.click(sel('drawer-nav-health'))
    await page.waitForURL(`${BASE_URL}/health`, { timeout: WAIT })
    await page.waitForSelector(sel('drawer-nav-health'), { state: 'hidden', timeout: WAIT })
    await waitReady(page)
    await page.screenshot({ path: join(shots, 'health-mobile.png'), fullPage: true })
  })
}

const watchdog = setTimeout(() => {
  console.log(`e2e: gave up after ${OVERALL / 1000} s${current ? ` during "${current}"` : ''}`)
  if (current) results.push({ name: current, ok: false })
  finish()
}, OVERALL)
watchdog.unref()

let finished = false
async function finish() {
  if (finished) return
  finished = true
  await context?.close().catch(() => {})
  if (profile) rmSync(profile, { recursive: true, force: true })
  const passed = results.filter((r) => r.ok).length
  const failed = results.length - passed
  console.log(`${passed} passed, ${failed} failed`)
  process.exit(failed > 0 ? 1 : 0)
}

main()
  .catch((err) => {
    console.log(`e2e: setup failed: ${err?.stack ?? err}`)
    results.push({ name: 'setup', ok: false })
  })
  .finally(() => finish())
