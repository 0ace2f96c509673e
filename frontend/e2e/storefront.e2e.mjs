#!/usr/bin/env node
// Browser journey of the storefront: the owner adds a hosting plan in the staff editor
// with a member and a reseller price; a visitor walks home → products → the plan's page
// (member price, setup fee, first payment) and searches a domain from the home page (the
// sandbox's RDAP fake answers; the asked name first, then the same name under the shop's
// other TLDs, each with its price); a signed-in member sees the member price, a signed-in
// reseller the reseller price; the pages fit a 390 px phone.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… node e2e/storefront.e2e.mjs
import { BASE_URL, apiCall, assert, codeIn, mailTo, ownerApiToken, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')

const stamp = Date.now()
const NAME = `Hosting Hemat ${stamp}`
const PASSWORD = 'pelanggan-rahasia-123'
const MEMBER = `budi.${stamp}@pelanggan.test`
const RESELLER = `rina.${stamp}@reseller.test`
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }
const plain = (text) => (text ?? '').replace(/\s/g, ' ').trim()

/** A verified client account, made the way a visitor makes one. */
async function registerClient(email, name) {
  const asked = Date.now() - 1000
  await apiCall(null, 'POST', '/api/v1/auth/register', { email, password: PASSWORD, name })
  const code = codeIn(await mailTo(email, 'Verifikasi', asked))
  await apiCall(null, 'POST', '/api/v1/auth/verify-email', { email, code })
}

/** Signs a client in (no second factor) and waits for the client area. */
async function signInClient(page, email) {
  await page.context().clearCookies()
  await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded' })
  await page.evaluate(() => window.localStorage.clear())
  await page.reload({ waitUntil: 'domcontentloaded' })
  await page.fill(sel('login-email'), email)
  await page.fill(sel('login-password'), PASSWORD)
  await page.click(sel('login-submit'))
  await page.waitForSelector(sel('client-area'), { state: 'visible' })
}

/** The plan's monthly price as its product page shows it, read after the page loaded. */
async function monthlyOnProductPage(page, slug) {
  await page.goto(`${BASE_URL}/products/${slug}`, { waitUntil: 'domcontentloaded' })
  await page.waitForSelector(sel('product-price-period'))
  return plain(await page.textContent(sel('product-price-period')))
}

await runJourney('storefront', 6, async (step, page, noErrors) => {
  let slug
  await step('the owner sells .com and .id, and two clients sign up (one put in the reseller tier)', async () => {
    const token = await ownerApiToken(OWNER_EMAIL, OWNER_PASSWORD)
    for (const [tld, member, reseller] of [['com', 165000, 150000], ['id', 235000, 215000]]) {
      await apiCall(token, 'POST', '/api/v1/staff/catalog/products', {
        kind: 'domain',
        slug: `domain-${tld}-${stamp}`,
        name_id: `Domain .${tld}`,
        spec: { tld },
        prices: [
          { group: 'member', currency: 'IDR', cycle: 'annual', price_minor: member },
          { group: 'reseller', currency: 'IDR', cycle: 'annual', price_minor: reseller },
        ],
      })
    }
    await registerClient(MEMBER, 'Budi Santoso')
    await registerClient(RESELLER, 'Rina Reseller')
    const groups = await apiCall(token, 'GET', '/api/v1/staff/customer-groups')
    const reseller = groups.find((group) => group.code === 'reseller')
    await apiCall(token, 'POST', `/api/v1/staff/customer-groups/${reseller.id}/members`, { email: RESELLER })
  })

  await step('the owner adds a hosting plan in the editor with member and reseller prices', async () => {
    await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
    await page.goto(`${BASE_URL}/staff/catalog/products/new`, { waitUntil: 'domcontentloaded' })
    await page.fill(sel('listing-name-id'), NAME)
    await page.click(`${sel('spec-kind')} .n-base-selection`)
    await page.click('.n-base-select-option:has-text("Hosting")')
    await page.fill(sel('spec-whm_package'), 'juragan_hemat')
    await page.fill(sel('price-member-IDR-monthly-price'), '25.000')
    await page.fill(sel('price-member-IDR-monthly-setup'), '10.000')
    await page.fill(sel('price-reseller-IDR-monthly-price'), '19.500')
    await page.click(sel('product-create'))
    await page.waitForURL(/\/staff\/catalog\/products\/\d+$/)
    slug = await page.inputValue(sel('listing-slug'))
    assert(slug.startsWith('hosting-hemat-'), `slug ${slug}`)
    noErrors('creating the plan')
  })

  await step('a visitor finds the plan from the home page and its page sums the first payment', async () => {
    await page.context().clearCookies()
    await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded' })
    await page.evaluate(() => window.localStorage.clear())
    await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded' })
    await page.click(sel('home-cta-products'))
    await page.waitForURL(`${BASE_URL}/products`)
    await page.fill(sel('products-search'), String(stamp))
    await page.press(sel('products-search'), 'Enter')
    const card = sel(`product-card-${slug}`)
    await page.waitForSelector(card)
    assert(plain(await page.textContent(`${card} ${sel('product-card-price')}`)).includes('Rp 25.000'), 'the card quotes the member price')
    await shot(page, 'storefront-products-desktop')
    await page.click(card)
    await page.waitForSelector(sel('product-first-payment'))
    assert(plain(await page.textContent(sel('product-name'))) === NAME, 'the plan page')
    assert(plain(await page.textContent(sel('product-price-period'))) === 'Rp 25.000', 'monthly price')
    assert(plain(await page.textContent(sel('product-setup-fee'))) === 'Rp 10.000', 'setup fee')
    assert(plain(await page.textContent(sel('product-first-payment'))) === 'Rp 35.000', 'first payment')
    await shot(page, 'storefront-product-desktop')
    noErrors('browsing')
  })

  await step('a domain search from the home page answers the asked name and the other TLDs with prices', async () => {
    await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded' })
    await page.fill(sel('home-domain-input'), `TokoBaru${stamp}.com`)
    await page.click(sel('home-domain-submit'))
    await page.waitForURL(/\/domains\?name=/)
    const asked = sel(`domain-result-tokobaru${stamp}.com`)
    await page.waitForSelector(asked)
    assert((await page.getAttribute(asked, 'data-status')) === 'available', 'a fresh name is available')
    assert(plain(await page.textContent(asked)).includes('Rp 165.000'), 'with the .com price')
    const suggestion = sel(`domain-result-tokobaru${stamp}.id`)
    assert(plain(await page.textContent(suggestion)).includes('Rp 235.000'), 'the .id suggestion with its price')
    await page.fill(sel('domain-search-input'), 'tokobudi.id')
    await page.click(sel('domain-search-submit'))
    await page.waitForSelector(`${sel('domain-result-tokobudi.id')}[data-status="taken"]`)
    await shot(page, 'storefront-domains-desktop')
    noErrors('searching domains')
  })

  await step('a signed-in member sees the member price, a reseller the reseller price', async () => {
    await signInClient(page, MEMBER)
    const member = await monthlyOnProductPage(page, slug)
    assert(member === 'Rp 25.000', `member sees ${member}`)
    await signInClient(page, RESELLER)
    const reseller = await monthlyOnProductPage(page, slug)
    assert(reseller === 'Rp 19.500', `reseller sees ${reseller}`)
    noErrors('signed in')
  })

  await step('the product and domain pages fit a 390 px phone', async () => {
    await page.setViewportSize(PHONE)
    for (const path of [`/products/${slug}`, `/domains?name=tokobaru${stamp}`, '/']) {
      await page.goto(`${BASE_URL}${path}`, { waitUntil: 'domcontentloaded' })
      await page.waitForLoadState('networkidle')
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      assert(overflow <= 1, `${path} scrolls sideways by ${overflow} px`)
    }
    await shot(page, 'storefront-home-phone')
    await page.setViewportSize(DESKTOP)
    noErrors('on a phone')
  })
})
