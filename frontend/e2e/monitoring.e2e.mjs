#!/usr/bin/env node
// Browser journey of the server monitor (the acceptance test): the owner
// imports an .xlsx made here (aliased headers, good and bad rows), sees the bad
// rows and their problems in the preview, confirms, makes the two new hosts
// public with a 30 s interval and DOWN after one failure in the edit form; the
// public status page then shows the host on a local TCP listener UP and the one
// on a closed port DOWN, and the staff Telegram chat got the DOWN message.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… node e2e/monitoring.e2e.mjs
import { mkdtempSync, statSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { BASE_URL, SANDBOX_URL, assert, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')

const stamp = Date.now()
const STAFF_CHAT = 7770002
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }
/**
 * How long the status page may take to show both hosts' first results. An import spreads each
 * new host's first check over its interval (300 s by default); setting the interval to 30 s in
 * the edit form brings the next check within 30 s, and failures_before_down = 1 makes DOWN
 * immediate. Bounded at two 30 s intervals + margin.
 */
const STATUS_WAIT = 90_000
/** The DOWN message goes through the outbox to the fake Bot API. */
const TELEGRAM_WAIT = 30_000

// (a) A TCP listener the checker will find UP, and a port nothing listens on.
const listener = net.createServer((socket) => socket.destroy())
await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve))
const LISTEN_PORT = listener.address().port
const closed = net.createServer()
await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve))
const CLOSED_PORT = closed.address().port
await new Promise((resolve) => closed.close(resolve))
listener.unref()

const UP_HOST = `E2E Listener ${stamp}`
const DOWN_HOST = `E2E Closed ${stamp}`

// (b) The workbook: aliased headers as the shop writes them, an ignored column and sheet.
async function workbook() {
  const book = new ExcelJS.Workbook()
  const vps = book.addWorksheet('Data VPS')
  vps.addRow(['Nama', 'IP/Domain', 'Port', 'Tanggal Expired', 'Harga', 'Mata Uang', 'Keterangan'])
  vps.addRow([UP_HOST, '127.0.0.1', LISTEN_PORT, '31/12/2030', 150000, 'IDR', 'listener']) // row 2
  vps.addRow([DOWN_HOST, '127.0.0.1', CLOSED_PORT, '2031-01-15', 12.5, 'USD', 'closed port']) // row 3
  vps.addRow(['E2E Bad IP', '999.1.1.1', 22, '01/06/2030', 100000, 'IDR', '']) // row 4
  vps.addRow(['E2E Bad Port', '127.0.0.1', 70000, '01/06/2030', 100000, 'IDR', '']) // row 5
  vps.addRow(['E2E Bad Date', '127.0.0.1', 2222, '31/02/2026', 100000, 'IDR', '']) // row 6
  const akun = book.addWorksheet('AKUN')
  akun.addRow(['Tanggal', 'Nama', 'Toko', 'Tipe', 'Jumlah', 'Harga', 'Mata Uang'])
  akun.addRow(['03/05/2025', `Netflix 1 bulan E2E ${stamp}`, 'Shopee', 'netflix', 2, 50000, 'IDR']) // row 2
  akun.addRow(['31/13/2025', 'Spotify E2E', 'Tokopedia', 'spotify', 'nol', 25000, 'IDR']) // row 3
  book.addWorksheet('Catatan').addRow(['Diisi oleh admin'])
  const file = join(mkdtempSync(join(tmpdir(), 'juragan-import-')), 'pelanggan-vps.xlsx')
  await book.xlsx.writeFile(file)
  return file
}

async function json(url) {
  const res = await fetch(url)
  const text = await res.text()
  assert(res.ok, `GET ${url} answered ${res.status}: ${text}`)
  return JSON.parse(text)
}

const hostRow = (name) => `${sel('host-row')}[data-name="${name}"]`
const attr = async (page, selector, name) => page.getAttribute(selector, name)

/** (d, e) Public (the shop's "new hosts are public" default), checked every 30 s, DOWN after one failed check: through the edit form. */
async function makePublicAndQuick(page, name, screenshot) {
  await page.click(`${hostRow(name)} ${sel('host-edit')}`)
  await page.waitForSelector(`${sel('host-form')}[data-mode="edit"]`, { state: 'visible' })
  assert((await page.inputValue(sel('host-name'))) === name, `the form edits ${name}`)
  await page.click(sel('host-advanced'))
  await page.waitForSelector(sel('host-interval'), { state: 'visible' })
  assert((await attr(page, sel('host-public'), 'aria-checked')) === 'true', 'an imported host is public: the shop publishes new hosts by default')
  assert((await page.inputValue(sel('host-interval'))) === '300', 'imported hosts are checked every 300 s')
  await page.fill(sel('host-interval'), '30')
  await page.fill(sel('host-failures'), '1')
  if (screenshot) await shot(page, screenshot)
  await page.click(sel('host-save'))
  await page.waitForSelector(sel('host-form'), { state: 'hidden' })
  await page.waitForSelector(`${hostRow(name)}[data-public="true"]`, { state: 'visible' })
}

await runJourney(
  'monitoring e2e',
  7,
  async (step, page, noErrors) => {
    await step('the owner signs in and adds a staff Telegram chat that receives alerts', async () => {
      await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
      assert(await page.isVisible(sel('staff-tool-hosts')), 'the staff area offers Monitoring')
      await page.goto(`${BASE_URL}/staff/telegram-chats`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('telegram-chats-page'), { state: 'visible' })
      await page.fill(sel('staff-chat-id'), String(STAFF_CHAT))
      await page.fill(sel('staff-chat-label'), 'Monitoring E2E')
      await page.click(sel('staff-chat-save'))
      await page.waitForSelector(`${sel('staff-chat-row')}[data-chat-id="${STAFF_CHAT}"][data-alerts="true"]`, { state: 'visible' })
      noErrors('adding the staff chat')
    })

    await step('the import page previews the workbook: bad rows are highlighted with their problems', async () => {
      const file = await workbook()
      await page.click(sel('nav-menu-button'))
      await page.click(sel('drawer-nav-hosts'))
      await page.waitForSelector(sel('hosts-page'), { state: 'visible' })
      await page.click(sel('hosts-import'))
      await page.waitForSelector(`${sel('import-page')}[data-step="1"]`, { state: 'visible' })
      await page.setInputFiles(`${sel('import-upload-area')} input[type="file"]`, file)
      await page.waitForSelector(sel('import-file'), { state: 'visible' })
      assert(Number(await attr(page, sel('import-file'), 'data-size')) === statSync(file).size, 'the chosen file and its size are shown')
      await page.click(sel('import-upload'))
      await page.waitForSelector(`${sel('import-page')}[data-step="2"]`, { state: 'visible' })

      const counts = async (kind) =>
        (await Promise.all(['data-total', 'data-valid', 'data-problems'].map((a) => attr(page, sel(`import-summary-${kind}`), a)))).join('/')
      assert((await counts('hosts')) === '5/2/3', `VPS: 5 rows, 2 valid, 3 with problems, got ${await counts('hosts')}`)
      assert((await counts('account_sales')) === '2/1/1', `AKUN: 2 rows, 1 valid, 1 with problems, got ${await counts('account_sales')}`)
      const ignoredHeaders = (await page.textContent(`${sel('import-sheet')}[data-name="Data VPS"] ${sel('import-ignored-headers')}`)) ?? ''
      assert(ignoredHeaders.includes('Keterangan'), `the unknown column is listed as ignored: ${ignoredHeaders}`)
      assert(await page.isVisible(`${sel('import-ignored-sheet')}[data-name="Catatan"][data-reason="unrecognised_name"]`), 'the Catatan sheet is ignored')

      const hostAt = (row) => `${sel('import-host-row')}[data-row="${row}"]`
      for (const row of [2, 3]) {
        assert((await attr(page, hostAt(row), 'data-problems')) === '0', `VPS row ${row} is clean`)
        assert(!((await attr(page, hostAt(row), 'class')) ?? '').includes('import-row--problem'), `VPS row ${row} is not highlighted`)
      }
      assert(((await page.textContent(`${hostAt(2)} [data-field="ip"]`)) ?? '').includes('127.0.0.1'), 'the address is read')
      assert(((await page.textContent(`${hostAt(2)} [data-field="port"]`)) ?? '').includes(String(LISTEN_PORT)), 'the port is read')
      const expected = [
        [4, 'ip', 'invalid_ip', '999.1.1.1'],
        [5, 'port', 'invalid_port', '70000'],
        [6, 'expire_date', 'invalid_date', '31/02/2026'],
      ]
      for (const [row, field, code, cell] of expected) {
        assert(((await attr(page, hostAt(row), 'class')) ?? '').includes('import-row--problem'), `VPS row ${row} is highlighted`)
        const problem = `${hostAt(row)} [data-field="${field}"] ${sel('import-problem')}[data-code="${code}"]`
        assert(await page.isVisible(problem), `VPS row ${row} shows ${code} next to ${field}`)
        const text = (await page.textContent(problem)) ?? ''
        assert(text.includes(cell), `the problem quotes the cell ${cell}: ${text}`)
      }
      // The tint is the theme's soft danger colour token.
      const [background, token] = await page.$eval(`${hostAt(4)} td`, (td) => {
        const probe = document.createElement('div')
        probe.style.background = 'var(--jg-danger-soft)'
        document.body.append(probe)
        const expected = getComputedStyle(probe).backgroundColor
        probe.remove()
        return [getComputedStyle(td).backgroundColor, expected]
      })
      assert(background === token && token !== 'rgba(0, 0, 0, 0)', `problem rows are tinted red (${token}), got ${background}`)
      const saleAt = (row) => `${sel('import-sale-row')}[data-row="${row}"]`
      assert((await attr(page, saleAt(2), 'data-problems')) === '0', 'AKUN row 2 is clean')
      const saleProblems = await page.$$eval(`${saleAt(3)} ${sel('import-problem')}`, (els) => els.map((e) => `${e.dataset.field}:${e.dataset.code}`))
      assert(saleProblems.join(',') === 'sold_at:invalid_date,qty:invalid_qty', `AKUN row 3 problems: ${saleProblems}`)
      await shot(page, 'import-preview')

      // The filter asks the server for that page of rows: wait for it.
      await page.click(sel('import-only-problems'))
      const rowsNow = () => page.$$eval(sel('import-host-row'), (rows) => rows.map((r) => r.dataset.row).join(','))
      const onlyBad = await page
        .waitForFunction((selector) => [...document.querySelectorAll(selector)].map((r) => r.dataset.row).join(',') === '4,5,6', sel('import-host-row'), { timeout: 10_000 })
        .then(() => '4,5,6', rowsNow)
      assert(onlyBad === '4,5,6', `the filter keeps the rows with problems: ${onlyBad}`)
      await page.setViewportSize(PHONE)
      await shot(page, 'import-preview-phone')
      await page.setViewportSize(DESKTOP)
      noErrors('previewing the import')
    })

    await step('confirming writes the valid rows and shows the counts', async () => {
      assert(((await page.textContent(sel('import-confirm'))) ?? '').includes('3'), 'the confirm button counts the 3 valid rows')
      await page.click(sel('import-confirm'))
      await page.waitForSelector(`${sel('import-page')}[data-step="3"]`, { state: 'visible' })
      const count = async (id) => ((await page.textContent(sel(id))) ?? '').trim()
      assert((await count('import-result-hosts-created')) === '2', 'two hosts added')
      assert((await count('import-result-hosts-updated')) === '0', 'none updated')
      assert((await count('import-result-host-sales')) === '2', 'their two sales recorded')
      assert((await count('import-result-account-sales')) === '1', 'one account sale added')
      assert((await count('import-result-skipped')) === '4', 'four rows skipped')
      await shot(page, 'import-result')
      noErrors('confirming the import')
    })

    await step('both new hosts are public by default, checked every 30 s and DOWN after one failure in the edit form', async () => {
      await page.click(sel('import-go-hosts'))
      await page.waitForSelector(sel('hosts-page'), { state: 'visible' })
      await page.waitForSelector(hostRow(UP_HOST), { state: 'visible' })
      assert(((await page.textContent(`${hostRow(DOWN_HOST)} ${sel('host-row-address')}`)) ?? '').trim() === `127.0.0.1:${CLOSED_PORT}`, 'address:port shown')
      assert(!(await page.isVisible(`${sel('host-row')}[data-name="E2E Bad IP"]`)), 'rows with problems were not imported')
      await makePublicAndQuick(page, UP_HOST, 'host-form')
      await makePublicAndQuick(page, DOWN_HOST)
      await shot(page, 'hosts')
      await page.setViewportSize(PHONE)
      await shot(page, 'hosts-phone')
      await page.setViewportSize(DESKTOP)
      noErrors('editing the hosts')
    })

    let waited = 0
    await step('the public status page shows the listener UP and the closed port DOWN (bounded wait)', async () => {
      const started = Date.now()
      await page.goto(`${BASE_URL}/status`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('status-page'), { state: 'visible' })
      const row = (name) => `${sel('status-row')}[data-name="${name}"]`
      await page.waitForSelector(row(UP_HOST), { state: 'visible' })
      let states = []
      while (Date.now() - started < STATUS_WAIT) {
        states = await Promise.all([attr(page, row(UP_HOST), 'data-status'), attr(page, row(DOWN_HOST), 'data-status')])
        if (states[0] === 'up' && states[1] === 'down') break
        await page.waitForTimeout(2000)
        await page.click(sel('status-refresh'))
        await page.waitForSelector(`${sel('status-refresh')}:not(.n-button--loading)`)
      }
      waited = Date.now() - started
      assert(states[0] === 'up' && states[1] === 'down', `within ${STATUS_WAIT / 1000} s: listener ${states[0]}, closed port ${states[1]}`)
      console.log(`    (both results after ${Math.round(waited / 1000)} s)`)
      assert(((await page.textContent(`${row(UP_HOST)} ${sel('status-response')}`)) ?? '').includes('ms'), 'the response time is shown')
      assert(await page.isVisible(`${row(UP_HOST)} ${sel('status-days-left')}`), 'days left are shown')
      assert((await attr(page, sel('status-summary'), 'data-state')) === 'down', 'the summary says a server is down')
      // Public: the API answers without a session and gives no address away.
      const status = await json(`${BASE_URL}/api/v1/status`)
      const names = status.hosts.map((h) => h.name)
      assert(names.includes(UP_HOST) && names.includes(DOWN_HOST), `the public API lists both: ${names}`)
      assert(!JSON.stringify(status).includes('127.0.0.1'), 'no address on the public page')
      await shot(page, 'status')
      await page.setViewportSize(PHONE)
      await shot(page, 'status-phone')
      await page.setViewportSize(DESKTOP)
      noErrors('watching the status page')
    })

    await step('the staff Telegram chat got the DOWN message, and the host shows its state change', async () => {
      const deadline = Date.now() + TELEGRAM_WAIT
      let seen = []
      let found = null
      while (!found && Date.now() < deadline) {
        seen = (await json(`${SANDBOX_URL}/api/telegram/messages?chat_id=${STAFF_CHAT}`)).messages
        found = seen.find((m) => (m.text ?? '').includes('DOWN') && (m.text ?? '').includes(DOWN_HOST))
        if (!found) await new Promise((r) => setTimeout(r, 500))
      }
      assert(found, `a DOWN message naming ${DOWN_HOST} within ${TELEGRAM_WAIT / 1000} s; the bot sent:\n      ${seen.map((m) => m.text).join('\n      ') || '(nothing)'}`)
      assert(found.text.includes(`127.0.0.1:${CLOSED_PORT}`), `the message names the address: ${found.text}`)
      assert(!seen.some((m) => (m.text ?? '').includes('DOWN') && (m.text ?? '').includes(UP_HOST)), 'the listener was not reported down')

      await page.goto(`${BASE_URL}/staff/hosts`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(`${hostRow(DOWN_HOST)}[data-status="down"]`, { state: 'visible' })
      await page.waitForSelector(`${hostRow(UP_HOST)}[data-status="up"]`, { state: 'visible' })
      await page.click(`${hostRow(DOWN_HOST)} ${sel('host-row-name')}`)
      await page.waitForSelector(`${sel('host-change-row')}[data-to="down"]`, { state: 'visible' })
      assert(((await page.textContent(sel('host-uptime-24h'))) ?? '').includes('0'), 'the closed port has 0 % uptime')
      await shot(page, 'host-detail')
      noErrors('checking the alert')
    })

    await step('the sales book lists the sales the import recorded, with totals kept apart per currency', async () => {
      await page.goto(`${BASE_URL}/staff/sales`, { waitUntil: 'domcontentloaded' })
      await page.waitForSelector(sel('sales-page'), { state: 'visible' })
      await page.waitForSelector(sel('sale-row'), { state: 'visible' })
      // This run's sales only (their names carry the stamp): the totals follow the filter.
      await page.fill(sel('sales-search'), String(stamp))
      await page.waitForFunction(
        ({ row, stamp }) => [...document.querySelectorAll(row)].every((r) => r.textContent.includes(stamp)),
        { row: sel('sale-row'), stamp: String(stamp) },
      )
      await page.waitForSelector(`${sel('sales-total')}[data-currency="USD"]`, { state: 'visible' })
      const names = await page.$$eval(sel('sale-row-name'), (cells) => cells.map((c) => c.textContent.trim()))
      for (const name of [UP_HOST, DOWN_HOST, `Netflix 1 bulan E2E ${stamp}`]) assert(names.includes(name), `the book lists ${name}: ${names}`)
      const totals = Object.fromEntries(await page.$$eval(sel('sales-total'), (cards) => cards.map((c) => [c.dataset.currency, c.dataset.amount])))
      // Rp 150.000 (listener) + 2 × Rp 50.000 (Netflix), and $12.50 (closed port) on its own.
      assert(totals.IDR === '250000' && totals.USD === '1250', `totals per currency: ${JSON.stringify(totals)}`)
      await shot(page, 'sales')
      await page.setViewportSize(PHONE)
      await shot(page, 'sales-phone')
      await page.setViewportSize(DESKTOP)
      noErrors('reading the sales book')
    })
  },
  { timeLimit: STATUS_WAIT + 150_000 },
)
listener.close()
