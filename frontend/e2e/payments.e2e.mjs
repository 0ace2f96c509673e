#!/usr/bin/env node
// Browser journeys through the payment gateways' sandbox fakes. Journey 1: a client orders a
// VPS with a promo code and pays through Midtrans — the fake's payment page (button #pay,
// "Bayar") settles, sends the signed notification and sends the browser back to
// /client/invoices/{id}?returned=1 — and sees the invoice paid and the order PAID; the VPS is
// then delivered on the Proxmox fake and the client sees it RUNNING with its address and its
// password once. Journey 2:
// a client buys a digital product with Pakasir QRIS; the QR shows, the fake's payment
// simulation pays it, the page notices by itself (it polls every 3 s), the order is delivered
// (ACTIVE) and the item is revealed.
//
// Not in `npm run test:e2e` (nor in scripts/e2e.sh's run of every journey) until the fakes
// exist: run it by name, `E2E_ONLY=payments scripts/e2e.sh`. The gateways are configured
// here through the API, pointed at the fakes:
//   E2E_MIDTRANS_API_URL   Midtrans Core API base   (default: http://$SANDBOX_MIDTRANS_ADDR)
//   E2E_MIDTRANS_SNAP_URL  Midtrans Snap base       (default: http://$SANDBOX_MIDTRANS_ADDR/snap/v1)
//   E2E_MIDTRANS_KEY       Midtrans server key      (default: SB-Mid-server-juragan-sandbox)
//   E2E_PAKASIR_URL        Pakasir base             (default: http://$SANDBOX_PAKASIR_ADDR)
//   SANDBOX_PROXMOX_ADDR   the Proxmox VE fake      (default: 127.0.0.1:8030)
import { BASE_URL, apiCall, assert, codeIn, mailTo, ownerApiToken, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')
const MIDTRANS_ADDR = process.env.SANDBOX_MIDTRANS_ADDR || '127.0.0.1:8027'
const MIDTRANS_API = process.env.E2E_MIDTRANS_API_URL || `http://${MIDTRANS_ADDR}`
const MIDTRANS_SNAP = process.env.E2E_MIDTRANS_SNAP_URL || `http://${MIDTRANS_ADDR}/snap/v1`
const MIDTRANS_KEY = process.env.E2E_MIDTRANS_KEY || 'SB-Mid-server-juragan-sandbox'
const PAKASIR = (process.env.E2E_PAKASIR_URL || `http://${process.env.SANDBOX_PAKASIR_ADDR || '127.0.0.1:8029'}`).replace(/\/+$/, '')
// The secret the runner gave the Pakasir fake's webhook URL (scripts/e2e.sh).
const PAKASIR_WEBHOOK_TOKEN = process.env.E2E_PAKASIR_WEBHOOK_TOKEN || 'demopakasirwebhooktoken0123456789'
const stamp = Date.now()
const PROXMOX = `http://${process.env.SANDBOX_PROXMOX_ADDR || '127.0.0.1:8030'}`
// The fake's API token (crates/sandbox/src/proxmox/mod.rs).
const PROXMOX_TOKEN_ID = 'juragan@pve!provisioning'
const PROXMOX_TOKEN_SECRET = '4f0b6a52-8d3e-4c71-9a1f-2e6c5b7d9f30'
const POOL_PREFIX = `10.${stamp % 200}.${(stamp >> 8) % 250}`
const PAKASIR_PROJECT = 'juragan-sandbox'
const PAKASIR_KEY = 'pakasir-juragan-sandbox-key'

const VPS_SLUG = `vps-bayar-${stamp}`
const DIGITAL_SLUG = `voucher-qris-${stamp}`
const PROMO = `HEMAT${stamp % 100000}`
const CODE = `QRIS-${stamp}`
const CLIENT = `dewi.${stamp}@pelanggan.test`
const PASSWORD = 'pelanggan-rahasia-123'
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }
const plain = (text) => (text ?? '').replace(/\s/g, ' ').trim()

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

/** From the product page through checkout with `method`, to the invoice page that starts the payment. */
async function checkout(page, slug, method, promo) {
  await page.goto(`${BASE_URL}/products/${slug}`, { waitUntil: 'domcontentloaded' })
  await page.click(sel('product-order-button'))
  await page.waitForSelector(sel('checkout-total'))
  if (promo) {
    await page.fill(sel('checkout-promo'), promo)
    await page.click(sel('checkout-promo-apply'))
    await page.waitForSelector(sel('checkout-promo-applied'))
    assert(plain(await page.textContent(sel('checkout-discount'))).startsWith('−Rp'), 'the promo takes something off')
  }
  await page.click(sel(`checkout-method-${method}`))
  await page.click(sel('checkout-place'))
}

await runJourney('payments', 7, async (step, page, noErrors) => {
  let clientToken

  await step('the owner points Midtrans, Pakasir and Proxmox at the sandbox, sells a VPS and a digital product, and adds a promo code', async () => {
    const token = await ownerApiToken(OWNER_EMAIL, OWNER_PASSWORD)
    await apiCall(token, 'PUT', '/api/v1/staff/payment-gateways/midtrans', { enabled: true, base_url: MIDTRANS_API, checkout_base_url: MIDTRANS_SNAP, api_key: MIDTRANS_KEY })
    await apiCall(token, 'PUT', '/api/v1/staff/payment-gateways/pakasir', { enabled: true, base_url: PAKASIR, checkout_base_url: PAKASIR, project: PAKASIR_PROJECT, api_key: PAKASIR_KEY, webhook_token: PAKASIR_WEBHOOK_TOKEN })
    const region = await apiCall(token, 'POST', '/api/v1/staff/catalog/regions', { code: `jkt${stamp % 100000}`, name: 'Jakarta', country: 'ID' })
    const os = await apiCall(token, 'POST', '/api/v1/staff/catalog/os-templates', { code: `ubuntu-${stamp}`, name: 'Ubuntu 24.04', family: 'linux' })
    // The cluster the VPS is delivered on: its Jakarta nodes serve the region, its Ubuntu
    // template is the catalog's, and the region has addresses to give.
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
    await apiCall(token, 'POST', '/api/v1/staff/catalog/products', {
      kind: 'vps',
      slug: VPS_SLUG,
      name_id: `VPS Bayar ${stamp}`,
      spec: { kind: 'vps', cores: 2, ram_mb: 4096, disk_gb: 60, regions: [`jkt${stamp % 100000}`], os_templates: [`ubuntu-${stamp}`] },
      prices: [{ group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 150_000 }],
    })
    const digital = await apiCall(token, 'POST', '/api/v1/staff/catalog/products', {
      kind: 'digital',
      slug: DIGITAL_SLUG,
      name_id: `Voucher QRIS ${stamp}`,
      spec: { kind: 'digital' },
      prices: [{ group: 'member', currency: 'IDR', cycle: 'one_time', price_minor: 25_000 }],
    })
    await apiCall(token, 'POST', `/api/v1/staff/catalog/products/${digital.id}/stock`, { items: [CODE] })
    await apiCall(token, 'POST', '/api/v1/staff/promo-codes', { code: PROMO, discount_kind: 'percent', percent: 10, active: true })

    const asked = Date.now() - 1000
    await apiCall(null, 'POST', '/api/v1/auth/register', { email: CLIENT, password: PASSWORD, name: 'Dewi Pelanggan' })
    const code = codeIn(await mailTo(CLIENT, 'Verifikasi', asked))
    await apiCall(null, 'POST', '/api/v1/auth/verify-email', { email: CLIENT, code })
    const login = await apiCall(null, 'POST', '/api/v1/auth/login', { email: CLIENT, password: PASSWORD })
    clientToken = login.tokens.access_token
    await apiCall(clientToken, 'PUT', '/api/v1/account/profile', { full_name: 'Dewi Pelanggan', phone: '081298765432' })
    await apiCall(clientToken, 'PUT', '/api/v1/account/billing-address', { line1: 'Jl. Pemuda 5', city: 'Semarang', province: 'Jawa Tengah', postal_code: '50132' })
  })

  await step('journey 1: the client orders the VPS with the promo code and is sent to Midtrans to pay', async () => {
    await signInClient(page)
    await checkout(page, VPS_SLUG, 'midtrans', PROMO)
    // The invoice page starts the Midtrans payment and leaves for the fake's page.
    await page.waitForSelector('#pay', { timeout: 20_000 })
    assert(!page.url().startsWith(BASE_URL), `on the gateway's page: ${page.url()}`)
    assert(plain(await page.textContent('#pay')).includes('Bayar'), 'the fake page offers "Bayar"')
  })

  await step('journey 1: paying on Midtrans brings the client back to a paid invoice and a PAID order', async () => {
    await page.click('#pay')
    await page.waitForURL(/\/client\/invoices\/\d+\?returned=1/, { timeout: 20_000 })
    await page.waitForSelector(sel('payment-thanks'), { timeout: 20_000 })
    assert(plain(await page.textContent(sel('payment-thanks'))).includes('Pembayaran diterima'), 'the thank-you state')
    await page.waitForSelector(`${sel('invoice-status')}[data-status="paid"]`)
    assert((await page.locator(sel('invoice-discount')).count()) === 1, 'the invoice carries the promo discount')
    await shot(page, 'payments-midtrans-returned-desktop')
    await page.click(sel('invoice-order-link'))
    await page.waitForSelector(sel('order-status'))
    const status = await page.getAttribute(sel('order-status'), 'data-status')
    assert(['paid', 'provisioning', 'active'].includes(status), `the order is paid: ${status}`)
    assert(plain(await page.textContent(sel('order-promo'))) === PROMO, 'the order names the promo code')
    noErrors('paying through Midtrans')
  })

  await step('journey 1: the VPS is delivered: RUNNING with an address from the pool, and its password shows once', async () => {
    await page.waitForSelector(`${sel('order-status')}[data-status="active"]`, { timeout: 30_000 })
    await page.click(sel('order-service-link'))
    await page.waitForSelector(`${sel('service-status')}[data-status="active"]`, { timeout: 30_000 })
    const ip = plain(await page.textContent(sel('service-ip')))
    assert(ip.startsWith(`${POOL_PREFIX}.`), `the address is from the region's pool: ${ip}`)
    await page.waitForSelector(`${sel('service-power-state')}[data-status="running"]`, { timeout: 15_000 })
    await page.click(sel('service-password-reveal'))
    await page.click(sel('service-password-confirm'))
    const password = plain(await page.textContent(sel('service-password-value')))
    assert(password.length >= 12, `a password worth the name: ${password.length} characters`)
    await shot(page, 'payments-vps-delivered-desktop')
    await page.reload({ waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('service-password-gone'))
    assert((await page.locator(sel('service-password-value')).count()) === 0, 'the password is not shown twice')
    noErrors('opening the delivered VPS')
  })

  let invoiceId
  await step('journey 2: the client buys the digital product with QRIS and sees the code with the amount and expiry', async () => {
    await checkout(page, DIGITAL_SLUG, 'pakasir')
    await page.waitForURL(/\/client\/invoices\/\d+/)
    await page.waitForSelector(sel('payment-qr'), { timeout: 20_000 })
    invoiceId = Number(new URL(page.url()).pathname.split('/').pop())
    assert(plain(await page.textContent(sel('payment-amount'))).startsWith('Rp'), 'the amount to pay')
    await page.waitForSelector(sel('payment-expires'))
    await shot(page, 'payments-qris-desktop')
    await page.setViewportSize(PHONE)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert(overflow <= 1, `the QRIS page scrolls sideways by ${overflow} px`)
    await shot(page, 'payments-qris-phone')
    await page.setViewportSize(DESKTOP)
    noErrors('showing the QR')
  })

  await step('journey 2: the simulated QRIS payment is noticed by the page; the order is delivered and the code revealed', async () => {
    const invoice = await apiCall(clientToken, 'GET', `/api/v1/invoices/${invoiceId}`)
    // The attempt's reference is what Pakasir knows the payment by.
    const orderId = await page.getAttribute(sel('payment-reference'), 'data-reference')
    assert(orderId && orderId.startsWith(invoice.number), `the payment's reference: ${orderId}`)
    const simulated = await fetch(`${PAKASIR}/api/paymentsimulation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project: PAKASIR_PROJECT, order_id: orderId, amount: invoice.balance_due_minor, api_key: PAKASIR_KEY }),
    })
    assert(simulated.ok, `the simulation answered ${simulated.status}: ${await simulated.text()}`)
    await page.waitForSelector(sel('payment-thanks'), { timeout: 20_000 })
    await page.click(sel('invoice-order-link'))
    await page.waitForSelector(`${sel('order-status')}[data-status="active"]`, { timeout: 30_000 })
    await page.click(sel('order-reveal'))
    await page.click(sel('order-reveal-confirm'))
    await page.waitForSelector(sel('order-item'))
    assert(plain(await page.textContent(sel('order-item'))) === CODE, 'the code from stock')
    await shot(page, 'payments-qris-delivered-desktop')
    noErrors('paying by QRIS')
  })

  await step("the owner follows the VPS's delivery: the delivery log's steps, the service with its node (moved to the other), the cluster, nodes and pool", async () => {
    await page.context().clearCookies()
    await page.evaluate(() => window.localStorage.clear())
    await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
    await page.goto(`${BASE_URL}/staff/provisioning`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('run-open'))
    await page.click(sel('run-open'))
    await page.waitForSelector(sel('run-drawer'))
    // The drawer opens before the run's steps are read: wait for them, not for the drawer.
    await page.waitForSelector(`${sel('run-drawer')} ${sel('run-step')}`)
    const steps = await page.locator(`${sel('run-drawer')} ${sel('run-step')}`).count()
    assert(steps >= 8, `the delivery log lists the VPS's steps: ${steps}`)
    await shot(page, 'provisioning-delivery-log-desktop')
    await page.goto(`${BASE_URL}/staff/services`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('staff-service-open'))
    await shot(page, 'provisioning-services-desktop')
    await page.click(sel('staff-service-open'))
    await page.waitForSelector(`${sel('staff-service-status')}[data-status="active"]`)
    assert(plain(await page.textContent(sel('service-node'))).startsWith('pve-jkt'), 'the staff see the node')
    assert(/^\d+$/.test(plain(await page.textContent(sel('service-vmid')))), 'the staff see the VM id')
    await shot(page, 'provisioning-service-staff-desktop')
    // Moving the VM to the other Jakarta node, from the service page.
    const from = plain(await page.textContent(sel('service-node')))
    const to = from === 'pve-jkt-1' ? 'pve-jkt-2' : 'pve-jkt-1'
    await page.click(sel('staff-move-node'))
    await page.click(`.n-base-select-option:has-text("${to}")`)
    await page.click(sel('staff-action-move_node'))
    await page.click(sel('staff-action-move_node-confirm'))
    await page.waitForSelector(sel('staff-service-notice'))
    await page.waitForFunction(
      ([testid, node]) => document.querySelector(`[data-testid="${testid}"]`)?.textContent?.trim() === node,
      ['service-node', to],
      { timeout: 20_000 },
    )
    await page.waitForSelector(`${sel('staff-service-run')}[data-status="succeeded"]`)
    await page.goto(`${BASE_URL}/staff/integrations`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('integration-test'))
    assert(!plain(await page.textContent('body')).includes(PROXMOX_TOKEN_SECRET), 'the token secret is never shown')
    await page.click(sel('integration-test'))
    await page.waitForSelector(sel('integrations-test-result'))
    await shot(page, 'provisioning-integrations-desktop')
    await page.goto(`${BASE_URL}/staff/nodes`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('node-region'))
    await shot(page, 'provisioning-nodes-desktop')
    await page.goto(`${BASE_URL}/staff/ip-pools`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('pool-usage'))
    await page.waitForSelector(`${sel('pool-used')}`)
    await shot(page, 'provisioning-ip-pools-desktop')
    noErrors("following the VPS's delivery")
  })
})
