#!/usr/bin/env node
// Browser journey of the ISP side (seed 004, "Testing Monitoring Status Pelanggan") against the
// sandbox's MikroTik RouterOS fake. The owner adds the router through the form and tests the
// connection (Connected); customers are added through the API: Egi with PPPoE
// `egisetiawansempu` and coordinates, one without a PPPoE name, and `usertest`. Sync now:
// Egi and the customer without PPPoE are OFFLINE (seed tests 2 and 1), `usertest` (logged in on
// the fake) ONLINE. Egi then logs in on the fake: Sync now makes the row ONLINE and the map
// marker green (test 3); logging out and Sync now bring back OFFLINE and a red marker (test 4).
// Every sync logs seed 004's console line "Status updated: N active connections, M customers
// online". Last, the customers exported to Excel and uploaded again on the import page preview
// as all unchanged.
//
// scripts/e2e.sh starts the RouterOS fake on free ports:
//   SANDBOX_ROUTEROS_API_ADDR   the fake's binary API   (default: 127.0.0.1:8728)
//   SANDBOX_ROUTEROS_REST_ADDR  its REST API and the /sandbox test controls (default: 127.0.0.1:8034)
import { BASE_URL, apiCall, assert, ownerApiToken, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')
const API_ADDR = process.env.SANDBOX_ROUTEROS_API_ADDR || '127.0.0.1:8728'
const API_PORT = API_ADDR.slice(API_ADDR.lastIndexOf(':') + 1)
const SANDBOX_ROUTEROS_REST = `http://${process.env.SANDBOX_ROUTEROS_REST_ADDR || '127.0.0.1:8034'}`
// The fake's full API user (crates/sandbox/src/routeros/mod.rs).
const ROUTER_USER = 'juragan'
const ROUTER_PASSWORD = 'sandbox-router-pass'
const stamp = Date.now()
const ROUTER_NAME = `Core Sempu ${stamp}`
const EGI = 'egisetiawansempu'
const USERTEST = 'usertest'
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }
const STATUS_LINE = /^Status updated: (\d+) active connections, (\d+) customers online$/

/** One call to the fake's test controls; `allowed` statuses (already online, not online) count as done. */
async function fake(method, path, body, allowed = []) {
  const res = await fetch(`${SANDBOX_ROUTEROS_REST}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  assert(res.ok || allowed.includes(res.status), `${method} ${SANDBOX_ROUTEROS_REST}${path} answered ${res.status}: ${text}`)
  return text ? JSON.parse(text) : null
}
const logIn = (name, address, callerId) => fake('POST', '/sandbox/ppp/active', { name, address, caller_id: callerId }, [409])
const logOut = (name) => fake('DELETE', `/sandbox/ppp/active/${encodeURIComponent(name)}`, undefined, [404])

const customerRow = (id) => `${sel('isp-customer-row')}[data-id="${id}"]`
const marker = (id, connection) => `.isp-marker-${id}.isp-marker--${connection}`

await runJourney('isp e2e', 6, async (step, page, noErrors) => {
  /** The console lines of seed 004 ("Buka Browser Console (F12)"). */
  const statusLines = []
  page.on('console', (msg) => {
    if (STATUS_LINE.test(msg.text())) statusLines.push(msg.text())
  })
  let routerId
  let token
  const ids = {}

  /** Sync now on the customers page (filtered to this router); waits for the answer and the table. */
  async function syncNow() {
    const before = statusLines.length
    let response
    // The router's own schedule may be syncing at that moment (409 sync_in_progress): try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      ;[response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/v1/isp/routers/${routerId}/sync`),
        page.click(sel('isp-sync-now')),
      ])
      if (response.status() !== 409) break
      await page.waitForTimeout(1000)
    }
    const report = await response.json()
    assert(response.ok() && report.ok, `the sync answered ${response.status()}: ${JSON.stringify(report)}`)
    await page.waitForSelector(`${sel('isp-sync-report')}[data-router-id="${routerId}"][data-ok="true"]`, { state: 'visible' })
    await page.waitForSelector(`${sel('isp-sync-now')}:not(.n-button--loading)`)
    // The console event reaches us on its own schedule: give it a moment.
    for (let i = 0; i < 20 && statusLines.length === before; i++) await page.waitForTimeout(100)
    const line = statusLines.at(-1)
    assert(statusLines.length > before && line === `Status updated: ${report.active_connections} active connections, ${report.customers_online} customers online`, `the console shows the status line of this sync: ${line}`)
    const sessions = await fake('GET', '/sandbox/ppp/active')
    assert(report.active_connections === sessions.length, `active connections are the fake's ${sessions.length} sessions: ${report.active_connections}`)
    return report
  }

  await step('the owner adds the MikroTik router through the form', async () => {
    // A clean fake: Egi is offline, usertest is online (seed 004's example connections).
    await logOut(EGI)
    await logIn(USERTEST, '10.10.10.3', 'AA:BB:CC:DD:EE:FF')
    await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
    await page.click(sel('nav-menu-button'))
    await page.click(sel('drawer-nav-isp-routers'))
    await page.waitForSelector(sel('isp-routers-page'), { state: 'visible' })
    await page.click(sel('isp-routers-add'))
    await page.waitForSelector(`${sel('isp-router-form')}[data-mode="add"]`, { state: 'visible' })
    await page.fill(sel('isp-router-name'), ROUTER_NAME)
    await page.fill(sel('isp-router-host'), '127.0.0.1')
    assert((await page.getAttribute(sel('isp-router-port'), 'placeholder')) === '8728', 'the API transport defaults to port 8728')
    await page.fill(sel('isp-router-port'), API_PORT)
    await page.fill(sel('isp-router-username'), ROUTER_USER)
    await page.fill(sel('isp-router-password'), ROUTER_PASSWORD)
    assert(((await page.textContent(sel('isp-router-rights'))) ?? '').length > 0, 'the form says which rights the router user needs')
    await shot(page, 'isp-router-form')
    await page.click(sel('isp-router-save'))
    await page.waitForSelector(sel('isp-router-page'), { state: 'visible' })
    routerId = Number(await page.getAttribute(sel('isp-router-page'), 'data-id'))
    assert(Number.isInteger(routerId) && routerId > 0, `the new router's page opens: ${page.url()}`)
    assert(((await page.textContent(sel('isp-router-title'))) ?? '').trim() === ROUTER_NAME, 'it shows the router')
    noErrors('adding the router')
  })

  await step('Test connection reaches the fake: Connected, with its identity and version', async () => {
    await page.click(sel('isp-router-test'))
    await page.waitForSelector(sel('isp-router-test-result'), { state: 'visible' })
    const ok = await page.getAttribute(sel('isp-router-test-result'), 'data-ok')
    const message = (await page.textContent(sel('isp-router-test-message'))) ?? ''
    assert(ok === 'true', `the test connected: ${message}`)
    assert(((await page.textContent(sel('isp-router-test-identity'))) ?? '').trim() === 'Juragan-Sandbox', 'the identity is the fake router\'s')
    assert(((await page.textContent(sel('isp-router-test-version'))) ?? '').includes('7.18.2'), 'the RouterOS version is shown')
    await page.waitForSelector(`${sel('isp-router-status-box')}[data-connected="true"]`, { state: 'visible' })
    assert(((await page.textContent(sel('isp-router-connection'))) ?? '').includes('Connected'), 'the status box says Connected')
    noErrors('testing the connection')
  })

  await step('customers without a match stay OFFLINE after Sync now (seed tests 1 and 2), usertest is ONLINE', async () => {
    token = await ownerApiToken(OWNER_EMAIL, OWNER_PASSWORD)
    const add = (body) => apiCall(token, 'POST', '/api/v1/isp/customers', { router_id: routerId, address: 'Sempu, Banyuwangi', ...body })
    ids.egi = (await add({ name: `Egi Setiawan Sempu ${stamp}`, pppoe_username: EGI, latitude: -8.4095, longitude: 112.7035, phone: '0812-3456-7890' })).id
    ids.none = (await add({ name: `Tanpa PPPoE ${stamp}`, pppoe_username: '', latitude: -8.4120, longitude: 112.7101 })).id
    ids.usertest = (await add({ name: `User Test ${stamp}`, pppoe_username: USERTEST, latitude: -8.4061, longitude: 112.6982 })).id

    await page.click(sel('isp-router-customers'))
    await page.waitForSelector(sel('isp-customers-page'), { state: 'visible' })
    assert(new URL(page.url()).searchParams.get('router') === String(routerId), 'the router page opens its customers')
    await page.waitForSelector(customerRow(ids.egi), { state: 'visible' })
    const report = await syncNow()
    assert(report.customers_online >= 1, `usertest is online: ${JSON.stringify(report)}`)
    await page.waitForSelector(`${customerRow(ids.usertest)}[data-connection="online"]`, { state: 'visible' })
    for (const [who, id] of [['Egi (not logged in)', ids.egi], ['the customer without PPPoE', ids.none]]) {
      assert((await page.getAttribute(customerRow(id), 'data-connection')) === 'offline', `${who} is OFFLINE`)
      assert(((await page.textContent(`${customerRow(id)} ${sel('isp-status')}`)) ?? '').trim() === 'OFFLINE', `${who}'s badge reads OFFLINE`)
    }
    assert(((await page.textContent(`${customerRow(ids.usertest)} ${sel('isp-status')}`)) ?? '').trim() === 'ONLINE', 'usertest\'s badge reads ONLINE')
    await page.waitForSelector(marker(ids.egi, 'offline'), { state: 'attached' })
    await page.waitForSelector(marker(ids.none, 'offline'), { state: 'attached' })
    await page.waitForSelector(marker(ids.usertest, 'online'), { state: 'attached' })
    noErrors('the first sync')
  })

  await step('Egi logs in on the router: Sync now turns the badge ONLINE and the marker green (seed test 3)', async () => {
    await logIn(EGI, '10.10.10.2', '00:11:22:33:44:55')
    await syncNow()
    await page.waitForSelector(`${customerRow(ids.egi)}[data-connection="online"]`, { state: 'visible' })
    const badge = `${customerRow(ids.egi)} ${sel('isp-status')}`
    assert(((await page.textContent(badge)) ?? '').trim() === 'ONLINE', 'the badge reads ONLINE')
    assert(((await page.getAttribute(badge, 'class')) ?? '').includes('isp-status--online'), 'the badge is the green, pulsing one')
    const animation = await page.$eval(`${badge} .isp-status__dot`, (dot) => getComputedStyle(dot, '::after').animationName)
    assert(animation && animation !== 'none', `the online dot pulses: ${animation}`)
    await page.waitForSelector(marker(ids.egi, 'online'), { state: 'attached' })
    assert(((await page.textContent(`${customerRow(ids.egi)} ${sel('isp-customer-pppoe')}`)) ?? '').includes(EGI), 'the PPPoE name is shown')
    assert(Number(await page.getAttribute(sel('isp-count-online'), 'data-count')) >= 2, 'the online count includes Egi')
    await shot(page, 'isp-customers-online')
    await page.setViewportSize(PHONE)
    await shot(page, 'isp-customers-phone')
    await page.setViewportSize(DESKTOP)
    noErrors('Egi online')
  })

  await step('Egi disconnects: Sync now brings back OFFLINE and a red marker (seed test 4); the router page shows the sync', async () => {
    await logOut(EGI)
    await syncNow()
    await page.waitForSelector(`${customerRow(ids.egi)}[data-connection="offline"]`, { state: 'visible' })
    assert(((await page.textContent(`${customerRow(ids.egi)} ${sel('isp-status')}`)) ?? '').trim() === 'OFFLINE', 'the badge reads OFFLINE')
    await page.waitForSelector(marker(ids.egi, 'offline'), { state: 'attached' })
    assert(!(await page.$(marker(ids.egi, 'online'))), 'the marker is no longer green')
    await shot(page, 'isp-customers')

    await page.goto(`${BASE_URL}/staff/isp/routers/${routerId}`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(`${sel('isp-router-status-box')}[data-connected="true"]`, { state: 'visible' })
    const lastSync = ((await page.textContent(sel('isp-router-last-sync'))) ?? '').trim()
    assert(/\d{2}[.:]\d{2}[.:]\d{2}/.test(lastSync), `the last sync time is shown: ${lastSync}`)
    assert(((await page.textContent(sel('isp-router-auto-sync'))) ?? '').trim().length > 0, 'the auto-sync interval is shown')
    const manual = await page.$$eval(sel('isp-sync-log-row'), (rows) => rows.filter((r) => r.dataset.ok === 'true').length)
    assert(manual >= 3, `the sync log lists the three syncs: ${manual}`)
    await shot(page, 'isp-router')
    noErrors('the router page')
  })

  await step('the customers exported to Excel import back as unchanged, and cancelling writes nothing', async () => {
    const res = await fetch(`${BASE_URL}/api/v1/isp/customers/export`, { headers: { authorization: `Bearer ${token}` } })
    assert(res.ok, `export answered ${res.status}`)
    const workbook = Buffer.from(await res.arrayBuffer())
    await page.goto(`${BASE_URL}/staff/isp/customers/import`, { waitUntil: 'domcontentloaded' })
    await page.setInputFiles(`${sel('isp-import-upload-area')} input[type="file"]`, {
      name: 'pelanggan.xlsx',
      mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: workbook,
    })
    await page.click(sel('isp-import-upload'))
    await page.waitForSelector(sel('isp-import-summary'), { state: 'visible' })
    const total = Number(await page.getAttribute(sel('isp-import-summary'), 'data-total'))
    const unchanged = Number(await page.getAttribute(sel('isp-import-count-unchanged'), 'data-count'))
    assert(total >= 3 && unchanged === total, `every exported row is unchanged: ${unchanged} of ${total}`)
    await shot(page, 'isp-import-preview')
    await page.click(sel('isp-import-cancel'))
    await page.click(sel('isp-import-cancel-confirm'))
    await page.waitForSelector(sel('isp-import-cancelled'), { state: 'visible' })
    const page1 = await apiCall(token, 'GET', '/api/v1/isp/customers?limit=1')
    assert(page1.total === total, `nothing was written: ${page1.total} customers`)
    noErrors('the import preview')
  })
}, { allowConsole: [/status of 409/] }) // a Sync now that met the router's own scheduled sync, tried again
