#!/usr/bin/env node
// Browser journey of the storefront content editor: the owner adds a banner and a
// published static page whose markdown carries a script, an image with an onerror
// handler, a javascript: link and an iframe; the editor's preview and the public
// page at /p/<slug> show the text with none of those. Screenshots of the editor and
// the page at phone (390 px) and desktop width go to frontend/test-results.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… node e2e/content.e2e.mjs
import { BASE_URL, assert, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')

const stamp = Date.now()
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }
const SLUG = `syarat-${stamp}`
const HOSTILE = [
  '# Syarat & Ketentuan',
  '',
  'Dengan memesan, Anda **menyetujui** syarat berikut. <script>window.__pwned = true</script>',
  '',
  '- Pembayaran lewat QRIS, transfer bank atau saldo.',
  '- Layanan aktif setelah pembayaran diterima.',
  '',
  '<img src="/favicon.svg" onerror="window.__pwned = true" width="48">',
  '',
  '[Klik di sini](javascript:window.__pwned=true) · [Status server](/status)',
  '',
  '<iframe src="https://example.com"></iframe>',
].join('\n')

await runJourney('Content journey', 7, async (step, page, noErrors) => {
  await step('the owner signs in and opens the content editor', async () => {
    await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
    await page.goto(`${BASE_URL}/staff/content`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('content-page'), { state: 'visible' })
  })

  await step('adds an active banner with a title in both languages', async () => {
    await page.click(sel('content-add'))
    await page.fill(sel('banner-title-id'), `Diskon VPS 20% ${stamp}`)
    await page.fill(sel('banner-title-en'), `20% off VPS ${stamp}`)
    await page.fill(sel('banner-image'), '/favicon.svg')
    await page.fill(sel('banner-link'), `/p/${SLUG}`)
    await page.click(sel('banner-save'))
    await page.waitForSelector(sel('content-notice'), { state: 'visible' })
    await page.waitForSelector(sel('banner-row'), { state: 'visible' })
    noErrors('after adding a banner')
  })

  await step('adds a published page; the preview drops the script, handler, javascript: link and iframe', async () => {
    await page.click(sel('content-tab-pages'))
    await page.waitForSelector(sel('content-empty'), { state: 'visible' }).catch(() => undefined)
    await page.click(sel('content-add'))
    await page.fill(sel('page-title-id'), 'Syarat & Ketentuan')
    await page.fill(sel('page-slug'), SLUG)
    await page.fill(sel('page-body-id'), HOSTILE)
    await page.click(sel('page-published'))
    await page.click(`${sel('page-body-id-preview-tab')}`)
    await page.waitForSelector(`${sel('page-body-id-preview')} h1`, { state: 'visible' })
    const preview = await page.innerHTML(sel('page-body-id-preview'))
    for (const bad of ['<script', 'onerror', 'javascript:', '<iframe']) assert(!preview.includes(bad), `preview kept ${bad}: ${preview}`)
    await shot(page, 'content-editor-page-form-desktop')
    await page.click(sel('page-save'))
    await page.waitForSelector(sel('content-notice'), { state: 'visible' })
    await page.waitForSelector(sel('page-row'), { state: 'visible' })
    await page.waitForSelector(sel('page-form'), { state: 'hidden' })
    noErrors('after adding a page')
  })

  await step('the editor at desktop and phone width', async () => {
    await shot(page, 'content-editor-desktop')
    await page.setViewportSize(PHONE)
    await page.waitForTimeout(300)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert(overflow <= 1, `the editor scrolls sideways by ${overflow}px at 390 px`)
    await shot(page, 'content-editor-390')
    await page.setViewportSize(DESKTOP)
  })

  await step('visitors read the page at /p/<slug> with nothing hostile in it', async () => {
    await page.goto(`${BASE_URL}/p/${SLUG}`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('static-page-title'), { state: 'visible' })
    assert((await page.textContent(sel('static-page-title'))) === 'Syarat & Ketentuan', 'the title is shown')
    const body = await page.innerHTML(sel('static-page-body'))
    for (const bad of ['<script', 'onerror', 'javascript:', '<iframe']) assert(!body.includes(bad), `page kept ${bad}: ${body}`)
    assert(body.includes('rel="noopener noreferrer nofollow"'), `links are marked: ${body}`)
    assert((await page.evaluate(() => window.__pwned)) === undefined, 'no script of the page ran')
    await shot(page, 'static-page-desktop')
    noErrors('on the static page')
  })

  await step('the static page at phone width', async () => {
    await page.setViewportSize(PHONE)
    await page.waitForTimeout(300)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert(overflow <= 1, `the page scrolls sideways by ${overflow}px at 390 px`)
    await shot(page, 'static-page-390')
    await page.setViewportSize(DESKTOP)
  })

  await step('an unknown slug says so', async () => {
    await page.goto(`${BASE_URL}/p/no-such-page-${stamp}`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('static-page-missing'), { state: 'visible' })
  })
}, { allowConsole: [/404/] })
