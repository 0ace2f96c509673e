#!/usr/bin/env node
// The billing lifecycle in the browser, on the real clock. The owner points Proxmox at the
// sandbox (as payments.e2e.mjs does), sells a monthly VPS whose renewal invoice is issued 60
// days before the due date (so a month's service is invoiced today) and a 100 % promo code for
// the first invoice only. A client orders the VPS with the code: the order is free and the VPS
// delivered at once. The owner opens the billing automation, runs a dry run (the planned
// renewal invoice) and then the sweep (the log counts it), and looks at the product's billing
// cycle and the service's overrides (suspension moved to 5 days after the due date). The
// client opens Renewals: the renewal invoice at the full price (the promo was first-cycle
// only) with its Pay link and the day the VPS is suspended, turns on wallet auto-pay, asks to
// cancel at the end of the period, sees the pending cancellation and withdraws it. Last, the
// client upgrades the VPS to a bigger plan on its page: the card quotes the days left (the free
// first month credits nothing), the upgrade's invoice is paid from the wallet, the VM gets its
// new cores and memory, and the renewal invoice at the old price is withdrawn.
//
// Run by name (it needs the Proxmox fake): `E2E_ONLY=renewals scripts/e2e.sh`.
//   SANDBOX_PROXMOX_ADDR   the Proxmox VE fake (default: 127.0.0.1:8030)
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BASE_URL, apiCall, assert, codeIn, mailTo, ownerApiToken, runJourney, sel, shot as fullPageShot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')
const stamp = Date.now()
const PROXMOX = `http://${process.env.SANDBOX_PROXMOX_ADDR || '127.0.0.1:8030'}`
// The fake's API token (crates/sandbox/src/proxmox/mod.rs).
const PROXMOX_TOKEN_ID = 'juragan@pve!provisioning'
const PROXMOX_TOKEN_SECRET = '4f0b6a52-8d3e-4c71-9a1f-2e6c5b7d9f30'
const POOL_PREFIX = `10.${(stamp >> 4) % 200}.${(stamp >> 12) % 250}`
const REGION = `jkt${stamp % 100000}`
const OS = `ubuntu-${stamp}`
const VPS_SLUG = `vps-langganan-${stamp}`
const VPS_NAME = `VPS Langganan ${stamp}`
const BIG_NAME = `VPS Besar ${stamp}`
const PROMO = `GRATIS${stamp % 100000}`
const CLIENT = `rini.${stamp}@pelanggan.test`
const PASSWORD = 'pelanggan-rahasia-456'
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }
const plain = (text) => (text ?? '').replace(/[\s\u00a0\u202f]+/g, ' ').trim()
/** `YYYY-MM-DD` plus `n` days, in the calendar (no time zone involved). */
const addDays = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results')
/** A full-page screenshot taken from the top (a page scrolled by a click would draw the sticky header mid-page). */
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0))
  await fullPageShot(page, name)
}
/** One part of the page, at full resolution. */
async function shotOf(page, testid, name) {
  await page.locator(sel(testid)).screenshot({ path: join(SHOTS, `${name}.png`) })
}

async function signOut(page) {
  await page.context().clearCookies()
  await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
  await page.evaluate(() => window.localStorage.clear())
  await page.reload({ waitUntil: 'domcontentloaded' })
}

async function signInClient(page) {
  await signOut(page)
  await page.fill(sel('login-email'), CLIENT)
  await page.fill(sel('login-password'), PASSWORD)
  await page.click(sel('login-submit'))
  await page.waitForSelector(sel('client-area'), { state: 'visible' })
}

async function noSidewaysScroll(page, where) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  assert(overflow <= 1, `${where} scrolls sideways by ${overflow} px`)
}

await runJourney('renewals', 7, async (step, page, noErrors) => {
  let ownerToken
  let bigId
  let clientToken
  let productId
  let serviceId

  await step('the owner points Proxmox at the sandbox, sells a monthly VPS invoiced 60 days ahead, and adds a first-invoice 100 % promo code; a client registers', async () => {
    const token = await ownerApiToken(OWNER_EMAIL, OWNER_PASSWORD)
    const region = await apiCall(token, 'POST', '/api/v1/staff/catalog/regions', { code: REGION, name: 'Jakarta', country: 'ID' })
    const os = await apiCall(token, 'POST', '/api/v1/staff/catalog/os-templates', { code: OS, name: 'Ubuntu 24.04', family: 'linux' })
    const cluster = await apiCall(token, 'POST', '/api/v1/staff/integrations', {
      kind: 'proxmox', name: `Jakarta ${stamp}`, base_url: PROXMOX, auth_mode: 'token', username: PROXMOX_TOKEN_ID, secret: PROXMOX_TOKEN_SECRET,
    })
    await apiCall(token, 'POST', `/api/v1/staff/integrations/${cluster.id}/sync`)
    const nodes = await apiCall(token, 'GET', '/api/v1/staff/nodes')
    for (const node of nodes.filter((n) => n.integration_id === cluster.id && n.name.startsWith('pve-jkt'))) {
      await apiCall(token, 'PUT', `/api/v1/staff/nodes/${node.id}`, { region_id: region.id, accepts_new: true })
    }
    const templates = await apiCall(token, 'GET', '/api/v1/staff/templates')
    const ubuntu = templates.find((t) => t.integration_id === cluster.id && t.name === 'ubuntu-24.04-cloud')
    assert(ubuntu, 'the fake cluster has an Ubuntu template')
    await apiCall(token, 'PUT', `/api/v1/staff/templates/${ubuntu.id}`, { os_template_id: os.id })
    await apiCall(token, 'POST', '/api/v1/staff/ip-pools', {
      name: `Jakarta ${stamp}`, region_id: region.id, network: `${POOL_PREFIX}.0/28`, gateway: `${POOL_PREFIX}.1`, nameservers: ['1.1.1.1'], excluded: [],
    })
    const product = await apiCall(token, 'POST', '/api/v1/staff/catalog/products', {
      kind: 'vps',
      slug: VPS_SLUG,
      name_id: VPS_NAME,
      spec: { kind: 'vps', cores: 2, ram_mb: 4096, disk_gb: 60, regions: [REGION], os_templates: [OS] },
      prices: [{ group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 150_000 }],
    })
    productId = product.id
    const big = await apiCall(token, 'POST', '/api/v1/staff/catalog/products', {
      kind: 'vps',
      slug: `vps-besar-${stamp}`,
      name_id: BIG_NAME,
      spec: { kind: 'vps', cores: 4, ram_mb: 8192, disk_gb: 80, regions: [REGION], os_templates: [OS] },
      prices: [{ group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 300_000 }],
    })
    bigId = big.id
    ownerToken = token
    const terms = await apiCall(token, 'PUT', `/api/v1/staff/catalog/products/${productId}/lifecycle`, {
      renew_days_before: 60, suspend_after_days: 3, terminate_after_days: 15, late_fee_minor: 0,
    })
    assert(terms.own === true && terms.renew_days_before === 60, `the product's own terms: ${JSON.stringify(terms)}`)
    await apiCall(token, 'POST', '/api/v1/staff/promo-codes', { code: PROMO, discount_kind: 'percent', percent: 100, recurring: false, active: true })

    const asked = Date.now() - 1000
    await apiCall(null, 'POST', '/api/v1/auth/register', { email: CLIENT, password: PASSWORD, name: 'Rini Pelanggan' })
    const code = codeIn(await mailTo(CLIENT, 'Verifikasi', asked))
    await apiCall(null, 'POST', '/api/v1/auth/verify-email', { email: CLIENT, code })
    const login = await apiCall(null, 'POST', '/api/v1/auth/login', { email: CLIENT, password: PASSWORD })
    clientToken = login.tokens.access_token
    await apiCall(clientToken, 'PUT', '/api/v1/account/profile', { full_name: 'Rini Pelanggan', phone: '081312345678' })
    await apiCall(clientToken, 'PUT', '/api/v1/account/billing-address', { line1: 'Jl. Braga 10', city: 'Bandung', province: 'Jawa Barat', postal_code: '40111' })
  })

  await step('the client orders the VPS with the promo code: free, paid at once, and the VPS is delivered', async () => {
    await signInClient(page)
    await page.goto(`${BASE_URL}/products/${VPS_SLUG}`, { waitUntil: 'domcontentloaded' })
    await page.click(sel('product-order-button'))
    await page.waitForSelector(sel('checkout-total'))
    await page.fill(sel('checkout-promo'), PROMO)
    await page.click(sel('checkout-promo-apply'))
    await page.waitForSelector(sel('checkout-promo-applied'))
    const total = plain(await page.textContent(sel('checkout-total')))
    assert(/Rp\s?0\b/.test(total), `the first invoice is free: ${total}`)
    await page.click(sel('checkout-place'))
    await page.waitForURL(/\/client\/orders\/\d+/, { timeout: 20_000 })
    await page.waitForSelector(`${sel('order-status')}[data-status="active"]`, { timeout: 40_000 })
    await page.click(sel('order-service-link'))
    await page.waitForSelector(`${sel('service-status')}[data-status="active"]`, { timeout: 30_000 })
    serviceId = Number(new URL(page.url()).pathname.split('/').pop())
    assert(serviceId > 0, `the service's page: ${page.url()}`)
    // The service is sold by the month: the page says when it is next due.
    await page.waitForSelector(sel('service-renewal-card'))
    assert(/\d{4}-\d{2}-\d{2}/.test((await page.getAttribute(sel('service-renewal-due'), 'data-date')) ?? ''), 'the next due date')
    await shot(page, 'renewals-client-service-desktop')
    noErrors('ordering the free VPS')
  })

  await step('the owner opens the billing automation: the preview and a dry run plan the renewal invoice; run now invoices it and the log says so', async () => {
    await signOut(page)
    await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
    await page.goto(`${BASE_URL}/staff/lifecycle`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('lifecycle-settings-save'))
    await page.waitForSelector(`${sel('preview-item')}[data-step="invoice"][data-service="${serviceId}"]`)
    await page.click(sel('lifecycle-dry-run'))
    await page.waitForSelector(sel('lifecycle-dry-report'))
    const planned = await page.locator(`${sel('planned-row')}[data-step="invoice"]`).count()
    assert(planned >= 1, `the dry run plans a renewal invoice: ${planned}`)
    assert((await page.locator(`${sel('planned-row')}[data-step="invoice"][data-service="${serviceId}"]`).count()) === 1, 'the VPS is among them')
    await shot(page, 'renewals-staff-dry-run-desktop')
    await page.click(sel('lifecycle-run'))
    await page.click(sel('lifecycle-run-confirm'))
    await page.waitForSelector(sel('lifecycle-notice'))
    await page.waitForSelector(sel('sweep-row'))
    const invoiced = Number(await page.getAttribute(sel('sweep-row'), 'data-invoiced'))
    assert(invoiced >= 1, `the newest sweep invoiced ${invoiced}`)
    assert(plain(await page.textContent(sel('sweep-row'))).includes('Tagihan terbit'), 'the log names what it did')
    await shot(page, 'renewals-staff-lifecycle-desktop')
    await page.setViewportSize(PHONE)
    await page.waitForTimeout(300)
    await noSidewaysScroll(page, 'the billing automation on a phone')
    await shot(page, 'renewals-staff-lifecycle-phone')
    await page.setViewportSize(DESKTOP)
    noErrors('running the billing automation')
  })

  await step("the owner sees the product's own billing cycle and moves the service's suspension to 5 days after its due date", async () => {
    await page.goto(`${BASE_URL}/staff/catalog/products/${productId}`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(`${sel('product-lifecycle-mode')}[data-mode="own"]`)
    assert((await page.inputValue(sel('product-lifecycle-renew'))) === '60', 'the product is invoiced 60 days ahead')
    await shot(page, 'renewals-staff-product-desktop')
    await shotOf(page, 'section-lifecycle', 'renewals-staff-product-section')
    await page.goto(`${BASE_URL}/staff/services/${serviceId}`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('service-lifecycle-card'))
    await page.fill(sel('service-lifecycle-suspend'), '5')
    await page.fill(sel('service-lifecycle-reason'), 'Klien minta waktu sampai gajian')
    await page.click(sel('service-lifecycle-save'))
    await page.waitForSelector(sel('service-lifecycle-notice'))
    await shot(page, 'renewals-staff-service-desktop')
    await shotOf(page, 'service-lifecycle-card', 'renewals-staff-service-card')
    noErrors('changing the service’s days')
  })

  let renewal
  await step('the client sees the renewal invoice at the full price with its Pay link and the day the VPS is suspended if unpaid', async () => {
    ;[renewal] = (await apiCall(clientToken, 'GET', '/api/v1/renewals')).filter((r) => r.service_id === serviceId)
    assert(renewal?.invoice_id, `the renewal invoice was issued: ${JSON.stringify(renewal)}`)
    await signInClient(page)
    await page.goto(`${BASE_URL}/client/renewals`, { waitUntil: 'domcontentloaded' })
    const row = `${sel('renewal-row')}[data-id="${serviceId}"]`
    await page.waitForSelector(`${row}[data-state="unpaid"]`)
    assert(plain(await page.textContent(`${row} ${sel('renewal-invoice-total')}`)) === 'Rp 150.000', 'the full price: the promo was for the first invoice only')
    assert((await page.getAttribute(`${row} ${sel('renewal-pay')}`, 'href')) === `/client/invoices/${renewal.invoice_id}`, 'Bayar opens the invoice')
    assert(plain(await page.textContent(`${row} ${sel('renewal-pay')}`)) === 'Bayar', 'the Pay button')
    const suspendOn = await page.getAttribute(`${row} ${sel('renewal-suspend-on')}`, 'data-date')
    assert(suspendOn === addDays(renewal.next_due_on, 5), `suspended 5 days after ${renewal.next_due_on} (the override): ${suspendOn}`)
    assert(plain(await page.textContent(`${row} ${sel('renewal-warning')}`)).startsWith('Belum dibayar'), 'the warning')
    await shot(page, 'renewals-client-desktop')
    await page.click(`${row} ${sel('renewal-pay')}`)
    // The service's name replaces its number once the service itself has been read.
    await page.waitForSelector(`${sel('invoice-renewal-service')}:has-text("${VPS_NAME}")`)
    const heading = plain(await page.textContent(sel('invoice-renewal')))
    assert(heading.startsWith(`Perpanjangan ${VPS_NAME}`), `the invoice names the service it renews: ${heading}`)
    assert((await page.getAttribute(sel('invoice-renewal-service'), 'href')) === `/client/services/${serviceId}`, 'and links to it')
    await shot(page, 'renewals-invoice-desktop')
    noErrors('looking at the renewal')
  })

  await step('the client turns on wallet auto-pay, cancels at the end of the period, sees it pending and withdraws it; the page fits a phone', async () => {
    await page.goto(`${BASE_URL}/client/renewals`, { waitUntil: 'domcontentloaded' })
    const row = `${sel('renewal-row')}[data-id="${serviceId}"]`
    await page.waitForSelector(`${sel('renewals-autopay-switch')}[data-on="false"]:not(.n-switch--disabled)`)
    await page.click(sel('renewals-autopay-switch'))
    await page.waitForSelector(`${sel('renewals-autopay-switch')}[data-on="true"]`)
    await page.waitForSelector(sel('renewals-notice'))
    const prefs = await apiCall(clientToken, 'GET', '/api/v1/account/billing-preferences')
    assert(prefs.apply_wallet_to_renewals === true, 'the preference is saved')

    await page.click(`${row} ${sel('renewal-cancel')}`)
    await page.waitForSelector(sel('cancel-service-form'))
    assert(plain(await page.textContent(sel('cancel-hint'))).includes('tetap jalan sampai'), 'the end of the period is the default')
    await page.fill(sel('cancel-reason'), 'Pindah ke server kantor')
    await shot(page, 'renewals-cancel-dialog-desktop')
    await page.click(sel('cancel-service-save'))
    await page.waitForSelector(`${row}[data-state="cancelling"]`)
    const cancelOn = await page.getAttribute(`${row} ${sel('renewal-cancel-on')}`, 'data-date')
    assert(cancelOn === renewal.next_due_on, `it ends at the end of the paid period (${renewal.next_due_on}): ${cancelOn}`)
    assert((await page.locator(`${row} ${sel('renewal-withdraw')}`).count()) === 1, 'it can be withdrawn')
    await shot(page, 'renewals-client-cancelling-desktop')

    await page.setViewportSize(PHONE)
    await page.waitForTimeout(300)
    await noSidewaysScroll(page, 'the renewals page on a phone')
    await shot(page, 'renewals-client-phone')
    await page.setViewportSize(DESKTOP)

    await page.click(`${row} ${sel('renewal-withdraw')}`)
    await page.click(sel('renewal-withdraw-confirm'))
    await page.waitForSelector(`${row}:not([data-state="cancelling"])`)
    assert((await page.locator(`${row} ${sel('renewal-cancel')}`).count()) === 1, 'the subscription carries on')
    const after = (await apiCall(clientToken, 'GET', '/api/v1/renewals')).find((r) => r.service_id === serviceId)
    assert(after && after.cancel_on === null, `no cancellation left: ${JSON.stringify(after)}`)
    noErrors('cancelling and withdrawing')
  })

  await step('the client upgrades the VPS to a bigger plan: the card quotes the days left, the invoice is paid from the wallet and the VM runs on its new plan', async () => {
    // Money in the wallet: a manual top-up finance confirms.
    await apiCall(ownerToken, 'PUT', '/api/v1/staff/payment-gateways/manual', { enabled: true, instructions: 'BCA 123-456-7890 a.n. PT Juragan' })
    const topUp = await apiCall(clientToken, 'POST', '/api/v1/wallet/top-ups', { amount_minor: 500_000 })
    const transfer = await apiCall(clientToken, 'POST', `/api/v1/invoices/${topUp.id}/payments`, { method: 'manual' })
    await apiCall(ownerToken, 'POST', `/api/v1/staff/manual-payments/${transfer.id}/confirm`, { note: 'BCA ref 778899' })

    await page.goto(`${BASE_URL}/client/services/${serviceId}`, { waitUntil: 'domcontentloaded' })
    const option = `${sel('plan-option')}[data-product="${bigId}"]`
    await page.waitForSelector(option)
    const settle = Number(await page.getAttribute(option, 'data-settle'))
    // The first month was free (100 % promo): nothing of it is credited.
    assert(settle > 0 && settle <= 300_000, `the upgrade is paid for the days left: ${settle}`)
    const today = plain(await page.textContent(`${option} ${sel('plan-option-today')}`))
    assert(today.startsWith('Bayar Rp'), `the card says what to pay today: ${today}`)
    await shotOf(page, 'plan-change-card', 'renewals-plan-change-card-desktop')
    await shot(page, 'renewals-plan-change-desktop')
    await page.setViewportSize(PHONE)
    await page.waitForTimeout(300)
    await noSidewaysScroll(page, 'the service page with its plans on a phone')
    await shot(page, 'renewals-plan-change-phone')
    await page.setViewportSize(DESKTOP)

    await page.click(sel(`plan-option-${bigId}`))
    await page.click(sel(`plan-option-${bigId}-confirm`))
    await page.waitForURL(/\/client\/invoices\/\d+/, { timeout: 20_000 })
    await page.waitForSelector(`${sel('pay-wallet')}:not([disabled])`)
    await page.click(sel('pay-wallet'))
    await page.waitForSelector(sel('payment-thanks'), { timeout: 20_000 })
    assert(plain(await page.textContent(sel('payment-thanks'))).includes('paket baru'), 'the thanks say the plan changes')
    await shot(page, 'renewals-plan-change-paid-desktop')

    // The VM gets its new plan; the renewal at the old price is withdrawn.
    let view
    for (let i = 0; i < 100; i++) {
      view = await apiCall(clientToken, 'GET', `/api/v1/services/${serviceId}`)
      if (view.vps?.cores === 4 && view.latest?.run?.action === 'change_plan' && view.latest?.run?.status === 'succeeded') break
      await page.waitForTimeout(200)
    }
    assert(view.vps?.cores === 4 && view.vps?.ram_mb === 8192, `the VM's new plan: ${JSON.stringify(view.vps)}`)
    assert(view.service.product_id === bigId, 'the service is on the bigger plan')
    const old = await apiCall(clientToken, 'GET', `/api/v1/invoices/${renewal.invoice_id}`)
    assert(old.status === 'cancelled', `the renewal at the old price is withdrawn: ${old.status}`)
    await page.goto(`${BASE_URL}/client/services/${serviceId}`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(`${sel('plan-change-entry')}[data-status="applied"]`)
    // Back to the smaller plan is not offered: its disk would shrink, said in the client's words.
    const back = plain(await page.textContent(`${sel('plan-option')}[data-product="${productId}"] ${sel('plan-option-unavailable')}`))
    assert(back.startsWith('Disk tidak bisa diperkecil'), `the smaller plan says why: ${back}`)
    await page.waitForSelector(sel('service-progress'))
    await shot(page, 'renewals-plan-changed-desktop')
    noErrors('changing the plan')
  })
})
