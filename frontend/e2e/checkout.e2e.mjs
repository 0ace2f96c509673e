#!/usr/bin/env node
// Browser journey of a purchase paid from the wallet: the owner sells a digital product (two
// codes in stock) and takes bank transfers; a client with a complete profile tops up the
// wallet by transfer and uploads the receipt; the owner confirms it in the finance page
// (after looking at the receipt); the client's balance is there, they buy the product with
// it at checkout, see the order ACTIVE with its timeline, and reveal the code — once: the
// page then says it was shown and the API answers 410. The screens fit a 390 px phone.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… node e2e/checkout.e2e.mjs
import { BASE_URL, apiCall, assert, codeIn, mailTo, ownerApiToken, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')

const stamp = Date.now()
const SLUG = `voucher-game-${stamp}`
const NAME = `Voucher Game ${stamp}`
const CODES = [`GAME-${stamp}-A`, `GAME-${stamp}-B`]
const CLIENT = `sari.${stamp}@pelanggan.test`
const PASSWORD = 'pelanggan-rahasia-123'
const TOP_UP = 100_000
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }
// A 1×1 PNG: the transfer receipt the client uploads.
const RECEIPT = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const plain = (text) => (text ?? '').replace(/\s/g, ' ').trim()

/** Signs the client in (no second factor) from a clean browser state. */
async function signInClient(page) {
  await page.context().clearCookies()
  await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
  await page.evaluate(() => window.localStorage.clear())
  await page.reload({ waitUntil: 'domcontentloaded' })
  await page.fill(sel('login-email'), CLIENT)
  await page.fill(sel('login-password'), PASSWORD)
  await page.click(sel('login-submit'))
  await page.waitForSelector(sel('client-area'), { state: 'visible' })
}

async function signInOwner(page) {
  await page.context().clearCookies()
  await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
  await page.evaluate(() => window.localStorage.clear())
  await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
}

/** The page does not scroll sideways (it fits the viewport). */
async function fitsWidth(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  assert(overflow <= 1, `${what} scrolls sideways by ${overflow} px`)
}

await runJourney('checkout', 7, async (step, page, noErrors) => {
  let clientToken
  let topUpNumber
  let orderId

  await step('the owner sells a digital product with two codes in stock and takes bank transfers; a client completes their profile', async () => {
    const token = await ownerApiToken(OWNER_EMAIL, OWNER_PASSWORD)
    await apiCall(token, 'PUT', '/api/v1/staff/payment-gateways/manual', {
      enabled: true,
      instructions: 'Transfer ke BCA 1234567890 a.n. PT Juragan Sandbox',
    })
    const product = await apiCall(token, 'POST', '/api/v1/staff/catalog/products', {
      kind: 'digital',
      slug: SLUG,
      name_id: NAME,
      spec: { kind: 'digital', terms_id: 'Kode berlaku 30 hari.' },
      prices: [{ group: 'member', currency: 'IDR', cycle: 'one_time', price_minor: 50_000 }],
    })
    await apiCall(token, 'POST', `/api/v1/staff/catalog/products/${product.id}/stock`, { items: CODES })

    const asked = Date.now() - 1000
    await apiCall(null, 'POST', '/api/v1/auth/register', { email: CLIENT, password: PASSWORD, name: 'Sari Pelanggan' })
    const code = codeIn(await mailTo(CLIENT, 'Verifikasi', asked))
    await apiCall(null, 'POST', '/api/v1/auth/verify-email', { email: CLIENT, code })
    const login = await apiCall(null, 'POST', '/api/v1/auth/login', { email: CLIENT, password: PASSWORD })
    assert(login.status === 'authenticated', `client login answered ${JSON.stringify(login)}`)
    clientToken = login.tokens.access_token
    await apiCall(clientToken, 'PUT', '/api/v1/account/profile', { full_name: 'Sari Pelanggan', phone: '081234567890' })
    const account = await apiCall(clientToken, 'PUT', '/api/v1/account/billing-address', {
      line1: 'Jl. Merdeka No. 1',
      city: 'Bandung',
      province: 'Jawa Barat',
      postal_code: '40111',
    })
    assert(account.checkout_ready, `profile incomplete: ${JSON.stringify(account.missing_for_checkout)}`)
  })

  await step('the client tops up the wallet: an invoice paid by bank transfer, with the receipt uploaded', async () => {
    await signInClient(page)
    await page.click(sel('client-shortcut-wallet'))
    await page.waitForSelector(sel('wallet-page'))
    await page.fill(sel('wallet-topup-amount'), '100.000')
    await page.click(sel('wallet-topup-submit'))
    await page.waitForURL(/\/client\/invoices\/\d+$/)
    await page.waitForSelector(sel('invoice-number'))
    topUpNumber = plain(await page.textContent(sel('invoice-number')))
    assert(plain(await page.textContent(sel('invoice-total'))) === 'Rp 100.000', 'the top-up invoice is for Rp 100.000')
    assert((await page.locator(sel('pay-wallet')).count()) === 0, 'a top-up is not paid from the wallet')
    await page.click(sel('pay-manual'))
    await page.waitForSelector(sel('payment-manual'))
    assert(plain(await page.textContent(sel('payment-instructions'))).includes('BCA 1234567890'), 'the bank instructions')
    await page.setInputFiles(sel('payment-proof-input'), { name: 'bukti.png', mimeType: 'image/png', buffer: RECEIPT })
    await page.waitForSelector(sel('payment-proof-sent'))
    await shot(page, 'checkout-topup-transfer-desktop')
    await page.setViewportSize(PHONE)
    await fitsWidth(page, 'the invoice page')
    await shot(page, 'checkout-topup-transfer-phone')
    await page.setViewportSize(DESKTOP)
    noErrors('topping up')
  })

  await step('the owner looks at the receipt in the finance page and confirms the transfer with the bank reference', async () => {
    await signInOwner(page)
    await page.goto(`${BASE_URL}/staff/finance/manual`, { waitUntil: 'domcontentloaded' })
    const row = `${sel('manual-payment-row')}[data-invoice="${topUpNumber}"]`
    await page.waitForSelector(row)
    await page.click(`${row} ${sel('manual-proof')}`)
    await page.waitForSelector(sel('manual-proof-image'))
    await page.keyboard.press('Escape')
    await page.waitForSelector(sel('manual-proof-image'), { state: 'detached' })
    await page.click(`${row} ${sel('manual-confirm')}`)
    await page.fill(sel('manual-decision-note'), `BCA-REF-${stamp}`)
    await page.click(sel('manual-decision-submit'))
    await page.waitForSelector(sel('finance-manual-notice'))
    assert((await page.locator(row).count()) === 0, 'the confirmed transfer leaves the waiting list')
    await page.goto(`${BASE_URL}/staff/finance/invoices`, { waitUntil: 'domcontentloaded' })
    await page.fill(sel('finance-invoices-search'), topUpNumber)
    await page.waitForSelector(`${sel('finance-invoice-row')}[data-number="${topUpNumber}"][data-status="paid"]`)
    await shot(page, 'checkout-finance-invoices-desktop')
    noErrors('confirming the transfer')
  })

  await step('the client sees the balance and buys the product at checkout, paying from the wallet', async () => {
    await signInClient(page)
    await page.goto(`${BASE_URL}/client/wallet`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(`${sel('wallet-balance')}[data-currency="IDR"][data-amount="${TOP_UP}"]`)
    await page.goto(`${BASE_URL}/products/${SLUG}`, { waitUntil: 'domcontentloaded' })
    await page.click(sel('product-order-button'))
    await page.waitForURL(/\/checkout\?/)
    await page.waitForSelector(sel('checkout-total'))
    await page.click(sel('checkout-method-wallet'))
    assert(plain(await page.textContent(sel('checkout-wallet-balance'))).includes('Rp 100.000'), 'the wallet choice shows the balance')
    const total = plain(await page.textContent(sel('checkout-total')))
    assert(/^Rp \d/.test(total), `a total: ${total}`)
    await shot(page, 'checkout-page-desktop')
    await page.setViewportSize(PHONE)
    await fitsWidth(page, 'the checkout page')
    await shot(page, 'checkout-page-phone')
    await page.setViewportSize(DESKTOP)
    await page.click(sel('checkout-place'))
    await page.waitForURL(/\/client\/orders\/\d+/)
    orderId = Number(new URL(page.url()).pathname.split('/').pop())
    noErrors('checking out')
  })

  await step('the order becomes ACTIVE with its timeline, and the wallet paid for it', async () => {
    await page.waitForSelector(`${sel('order-status')}[data-status="active"]`, { timeout: 30_000 })
    assert((await page.locator(sel('order-event')).count()) >= 2, 'the timeline shows the moves')
    const order = await apiCall(clientToken, 'GET', `/api/v1/orders/${orderId}`)
    const wallet = await apiCall(clientToken, 'GET', '/api/v1/wallet')
    const idr = wallet.find((b) => b.currency === 'IDR')
    assert(idr && idr.balance_minor === TOP_UP - order.total_minor, `balance ${JSON.stringify(wallet)} after paying ${order.total_minor}`)
    noErrors('delivering')
  })

  await step('the client reveals the code once; afterwards the page says it was shown and the API answers 410', async () => {
    await page.click(sel('order-reveal'))
    await page.click(sel('order-reveal-confirm'))
    await page.waitForSelector(sel('order-item'))
    const item = plain(await page.textContent(sel('order-item')))
    assert(CODES.includes(item), `a code from stock: ${item}`)
    await shot(page, 'checkout-order-revealed-desktop')
    await page.reload({ waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('order-item-shown'))
    assert((await page.locator(sel('order-item')).count()) === 0, 'the code is not shown again')
    const again = await fetch(`${BASE_URL}/api/v1/orders/${orderId}/item`, { method: 'POST', headers: { authorization: `Bearer ${clientToken}` } })
    assert(again.status === 410, `a second reveal answers ${again.status}`)
    const problem = await again.json()
    assert(problem.code === 'item_already_shown', `code ${problem.code}`)
    noErrors('revealing')
  })

  await step('the order, orders and invoices pages fit a 390 px phone', async () => {
    await page.setViewportSize(PHONE)
    for (const path of [`/client/orders/${orderId}`, '/client/orders', '/client/invoices', '/client/wallet']) {
      await page.goto(`${BASE_URL}${path}`, { waitUntil: 'domcontentloaded' })
      await page.waitForLoadState('networkidle')
      await fitsWidth(page, path)
    }
    await page.goto(`${BASE_URL}/client/orders/${orderId}`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('order-timeline'))
    await shot(page, 'checkout-order-phone')
    await page.setViewportSize(DESKTOP)
    noErrors('on a phone')
  })
})
