#!/usr/bin/env node
// Browser journey of Telegram against the sandbox's fake Bot API: a client
// links their chat from the account page (the fake plays the user pressing
// Start with the code) and gets the welcome; the owner adds a staff chat that
// receives alerts, sends it a test message, edits a template and the chat is
// alerted, the Alerts page lists it; a Telegram broadcast with a photo reaches
// the client's chat.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… node e2e/telegram.e2e.mjs
// The server should poll the bot quickly (TELEGRAM_POLL_INTERVAL_SECONDS=1, as scripts/e2e.sh sets).
import { BASE_URL, SANDBOX_URL, WAIT, assert, codeIn, mailTo, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')

const stamp = Date.now()
const CLIENT = { name: 'Rina Wulandari', email: `rina.${stamp}@example.test`, password: 'rahasia-rina-123' }
const CLIENT_CHAT = 5550001
const STAFF_CHAT = 7770001
const PHOTO = 'https://cdn.example.test/promo-e2e.png'
const PROMO = `Promo domain .id Rp 99.000 (E2E ${stamp})`
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }
/** An alert held in a storm goes out with the summary at the end of its minute. */
const ALERT_WAIT = 75_000

async function json(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  assert(res.ok, `${method} ${url} answered ${res.status}: ${text}`)
  return text ? JSON.parse(text) : null
}

/** The newest message the fake bot sent to `chatId` that `match`es (bounded wait). */
async function botMessage(chatId, match, what, wait = WAIT) {
  const deadline = Date.now() + wait
  let seen = []
  while (Date.now() < deadline) {
    const { messages } = await json('GET', `${SANDBOX_URL}/api/telegram/messages?chat_id=${chatId}`)
    seen = messages
    const found = messages.find(match)
    if (found) return found
    await new Promise((r) => setTimeout(r, 250))
  }
  const contents = seen.map((m) => `[${m.kind}] ${m.text ?? m.caption ?? ''}`).join('\n      ')
  throw new Error(`no ${what} to chat ${chatId} within ${wait} ms; the bot sent:\n      ${contents || '(nothing)'}`)
}

const content = (m) => m.text ?? m.caption ?? ''

await runJourney('telegram e2e', 5, async (step, page, noErrors) => {
  await step('a verified client signs in and opens the Telegram card', async () => {
    await json('POST', `${BASE_URL}/api/v1/auth/register`, { name: CLIENT.name, email: CLIENT.email, password: CLIENT.password })
    const code = codeIn(await mailTo(CLIENT.email, 'Verifikasi'))
    await json('POST', `${BASE_URL}/api/v1/auth/verify-email`, { email: CLIENT.email, code })
    await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
    await page.fill(sel('login-email'), CLIENT.email)
    await page.fill(sel('login-password'), CLIENT.password)
    await page.click(sel('login-submit'))
    await page.waitForSelector(sel('client-area'), { state: 'visible' })
    await page.goto(`${BASE_URL}/client/account?tab=notifications`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(`${sel('telegram-card')}[data-state="unlinked"]`, { state: 'visible' })
    noErrors('opening the Telegram card')
  })

  await step('Link Telegram shows the deep link and code; pressing Start in Telegram links the chat and the bot welcomes the client', async () => {
    await page.click(sel('telegram-link'))
    await page.waitForSelector(sel('telegram-code'), { state: 'visible' })
    const code = ((await page.textContent(sel('telegram-code'))) ?? '').trim()
    assert(/^[A-Za-z0-9]{16,}$/.test(code), `a link code is shown, got "${code}"`)
    const open = page.locator(sel('telegram-open'))
    const href = (await open.getAttribute('href')) ?? ''
    assert(href.startsWith('https://t.me/') && href.endsWith(`?start=${code}`), `the deep link carries the code: ${href}`)
    assert((await open.getAttribute('target')) === '_blank' && (await open.getAttribute('rel')) === 'noopener', 'the deep link opens a new tab')
    const instruction = (await page.textContent(sel('telegram-instruction'))) ?? ''
    assert(instruction.includes(`/start ${code}`) && instruction.includes('@'), `the /start instruction names the code and the bot: ${instruction}`)
    await shot(page, 'telegram-link-code')
    await page.setViewportSize(PHONE)
    await shot(page, 'telegram-link-code-phone')
    await page.setViewportSize(DESKTOP)

    // The user presses Start: Telegram sends `/start CODE` to the bot; the server polls it.
    await json('POST', `${SANDBOX_URL}/api/telegram/updates`, { chat_id: CLIENT_CHAT, text: `/start ${code}`, username: 'rina', first_name: 'Rina' })
    await page.waitForSelector(`${sel('telegram-card')}[data-state="linked"]`, { state: 'visible', timeout: 20_000 })
    await page.waitForSelector(sel('telegram-linked'), { state: 'visible' })
    const label = (await page.textContent(sel('telegram-chat-label'))) ?? ''
    assert(label.trim() === '@rina', `the linked chat is named after the Telegram user, got "${label}"`)
    const welcome = await botMessage(CLIENT_CHAT, (m) => content(m).includes('terhubung'), 'welcome message')
    assert(content(welcome).includes(CLIENT.name), `the welcome greets the client: ${content(welcome)}`)
    await shot(page, 'telegram-linked')
    noErrors('linking Telegram')
  })

  await step('the owner adds a staff chat that receives alerts and sends it a test message', async () => {
    await page.click(sel('account-menu'))
    await page.click(sel('logout'))
    await page.waitForSelector(sel('nav-login'), { state: 'visible' })
    await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
    // The owner's many links do not fit the header: they are in the menu drawer.
    assert(!(await page.isVisible(sel('nav-telegram-chats'))), 'the crowded header links wait in the drawer')
    await page.click(sel('nav-menu-button'))
    await page.click(sel('drawer-nav-telegram-chats'))
    await page.waitForSelector(sel('telegram-chats-page'), { state: 'visible' })
    await page.waitForSelector(sel('drawer-nav-telegram-chats'), { state: 'hidden' })
    await page.fill(sel('staff-chat-id'), String(STAFF_CHAT))
    await page.fill(sel('staff-chat-label'), 'Pemilik E2E')
    assert((await page.getAttribute(sel('staff-chat-alerts'), 'aria-checked')) === 'true', 'a new chat receives alerts unless switched off')
    await page.click(sel('staff-chat-save'))
    const row = `${sel('staff-chat-row')}[data-chat-id="${STAFF_CHAT}"]`
    await page.waitForSelector(`${row}[data-alerts="true"]`, { state: 'visible' })
    await page.waitForSelector(`${row} ${sel('staff-chat-alerts-tag')}`, { state: 'visible' })
    await shot(page, 'telegram-chats')

    await page.click(`${row} ${sel('staff-chat-test')}`)
    await page.waitForSelector(sel('staff-chat-outbox-link'), { state: 'visible' })
    await botMessage(STAFF_CHAT, (m) => content(m).includes('Pesan uji'), 'test message')
    await shot(page, 'telegram-chats-test')
    await page.setViewportSize(PHONE)
    await shot(page, 'telegram-chats-phone')
    await page.setViewportSize(DESKTOP)
    noErrors('managing staff chats')
  })

  await step('editing a template alerts the staff chat, and the Alerts page lists it', async () => {
    const before = Date.now() - 1000
    await page.goto(`${BASE_URL}/staff/templates?event=auth.account_locked&lang=en`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('template-body'), { state: 'visible' })
    const body = await page.inputValue(sel('template-body'))
    assert(body.includes('{minutes}'), `the template loaded: ${body}`)
    await page.fill(sel('template-body'), `${body}\nE2E ${stamp}`)
    await page.click(sel('template-save'))
    await page.waitForSelector(sel('template-saved'), { state: 'visible' })

    const alert = await botMessage(
      STAFF_CHAT,
      (m) => content(m).includes('template.edited') && Date.parse(m.sent_at) >= before,
      'template.edited alert',
      ALERT_WAIT,
    )
    assert(content(alert).includes('auth.account_locked'), `the alert names the template: ${content(alert)}`)

    await page.goto(`${BASE_URL}/staff/alerts`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('alerts-page'), { state: 'visible' })
    const listed = `${sel('alert-row')}[data-source="template.edited"]`
    await page.waitForSelector(listed, { state: 'visible' })
    const title = (await page.textContent(`${listed} ${sel('alert-title')}`)) ?? ''
    assert(title.includes('auth.account_locked'), `the newest template alert is this edit: ${title}`)
    assert(await page.isVisible(`${sel('alert-row')}[data-source="staff_chat.saved"]`), 'adding the staff chat is listed too')
    await shot(page, 'alerts')
    noErrors('reading alerts')
  })

  await step('a Telegram broadcast with a photo runs to done and reaches the client as a photo', async () => {
    await page.goto(`${BASE_URL}/staff/broadcasts`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('broadcasts-page'), { state: 'visible' })
    await page.click(sel('broadcast-channel-telegram'))
    await page.fill(sel('broadcast-body'), PROMO)
    await page.fill(sel('broadcast-photo'), PHOTO)
    assert((await page.getAttribute(sel('broadcast-counter'), 'data-limit')) === '1024', 'a photo caption holds 1024 characters')
    await page.click(sel('broadcast-send'))
    await page.waitForSelector(sel('broadcast-send-confirm'), { state: 'visible' })
    await page.click(sel('broadcast-send-confirm'))
    await page.waitForSelector(sel('broadcast-notice'), { state: 'visible' })
    await page.waitForFunction(
      ({ row, sent, text }) => {
        const first = document.querySelector(row)
        return (
          !!first &&
          first.getAttribute('data-status') === 'done' &&
          first.textContent.includes(text) &&
          first.querySelector(sent)?.textContent?.trim() === '1'
        )
      },
      { row: sel('broadcast-row'), sent: sel('broadcast-sent'), text: PROMO },
      { timeout: 30_000 },
    )
    const photo = await botMessage(CLIENT_CHAT, (m) => m.kind === 'photo' && content(m).includes(PROMO), 'broadcast photo')
    assert(photo.file?.url === PHOTO, `the photo is sent by URL: ${JSON.stringify(photo.file)}`)
    assert(photo.caption === PROMO, `the text is the caption: ${photo.caption}`)
    await shot(page, 'telegram-broadcast')
    noErrors('broadcasting on Telegram')
  })
})
