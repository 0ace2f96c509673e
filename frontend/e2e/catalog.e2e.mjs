#!/usr/bin/env node
// Browser journey of the staff catalog: the owner's lists (a region, OS templates, a
// category) and a VPS with prices are set up through the API; the owner then finds the
// product in the list, sees its technical fields and the price grid in rupiah, saves a
// changed price (sent in minor units), and the editor is usable on a 390 px phone. A new
// digital product is added through the editor, and pasted stock is counted.
//
//   BASE_URL=… SANDBOX_URL=… E2E_OWNER_EMAIL=… E2E_OWNER_PASSWORD=… node e2e/catalog.e2e.mjs
import { BASE_URL, apiCall as call, assert, ownerApiToken, runJourney, sel, shot, signInWithCode } from './support.mjs'

const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL
const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD
assert(OWNER_EMAIL && OWNER_PASSWORD, 'E2E_OWNER_EMAIL and E2E_OWNER_PASSWORD must be set')

const stamp = Date.now()
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 860 }

await runJourney('catalog', 6, async (step, page, noErrors) => {
  let product
  await step('the owner sets up lists and a VPS with prices through the API', async () => {
    const token = await ownerApiToken(OWNER_EMAIL, OWNER_PASSWORD)
    await call(token, 'POST', '/api/v1/staff/catalog/regions', { code: `jkt${stamp % 100000}`, name: 'Jakarta', country: 'ID' })
    await call(token, 'POST', '/api/v1/staff/catalog/os-templates', { code: `ubuntu-${stamp}`, name: 'Ubuntu 24.04 LTS', family: 'linux' })
    await call(token, 'POST', '/api/v1/staff/catalog/os-templates', { code: `win-${stamp}`, name: 'Windows Server 2022', family: 'windows' })
    const category = await call(token, 'POST', '/api/v1/staff/catalog/categories', { slug: `vps-${stamp}`, name_id: 'VPS', name_en: 'VPS' })
    product = await call(token, 'POST', '/api/v1/staff/catalog/products', {
      kind: 'vps',
      slug: `vps-jakarta-2-core-${stamp}`,
      category_id: category.id,
      name_id: `VPS Jakarta 2 Core ${stamp}`,
      summary_id: '2 vCPU, 4 GB RAM, 60 GB NVMe',
      featured: true,
      spec: { cores: 2, ram_mb: 4096, disk_gb: 60, rate_limit_mbps: 100, regions: [`jkt${stamp % 100000}`], os_templates: [`ubuntu-${stamp}`, `win-${stamp}`] },
      prices: [
        { group: 'member', currency: 'IDR', cycle: 'monthly', price_minor: 150000, setup_fee_minor: 50000 },
        { group: 'member', currency: 'IDR', cycle: 'annual', price_minor: 1500000 },
        { group: 'reseller', currency: 'IDR', cycle: 'monthly', price_minor: 120000 },
        { group: 'member', currency: 'USD', cycle: 'monthly', price_minor: 999 },
      ],
    })
  })

  await step('the product list shows it with its rupiah from-price', async () => {
    await signInWithCode(page, OWNER_EMAIL, OWNER_PASSWORD, 'staff-area')
    await page.goto(`${BASE_URL}/staff/catalog/products?q=${stamp}`, { waitUntil: 'domcontentloaded' })
    await page.fill(sel('products-search'), String(stamp))
    const row = `${sel('product-row')}[data-id="${product.id}"]`
    await page.waitForSelector(row)
    const from = (await page.textContent(`${row} ${sel('product-row-from')}`)).replace(/\s/g, ' ')
    assert(from.includes('150.000'), `from-price shown as ${from}`)
    await shot(page, 'catalog-products-desktop')
    noErrors('on the product list')
  })

  await step('the editor shows the VPS fields and the price grid; a changed price is saved', async () => {
    await page.click(`${sel('product-row')}[data-id="${product.id}"] ${sel('product-open')}`)
    await page.waitForSelector(sel('spec-cores'))
    assert((await page.inputValue(sel('spec-cores'))) === '2', 'cores shown')
    assert((await page.inputValue(sel('price-member-IDR-monthly-price'))) === '150000', 'monthly price shown')
    await page.fill(sel('price-member-IDR-quarterly-price'), '400.000')
    await page.click(sel('prices-save'))
    await page.waitForSelector(sel('product-notice'))
    await shot(page, 'catalog-editor-desktop')
    noErrors('in the editor')
  })

  await step('the editor is usable on a 390 px phone: the price grid scrolls, forms stack', async () => {
    await page.setViewportSize(PHONE)
    await page.reload({ waitUntil: 'domcontentloaded' })
    await page.waitForSelector(sel('price-grid'))
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert(overflow <= 1, `the page scrolls sideways by ${overflow} px`)
    await shot(page, 'catalog-editor-phone')
    await page.setViewportSize(DESKTOP)
  })

  await step('a digital product is added through the editor', async () => {
    await page.goto(`${BASE_URL}/staff/catalog/products/new`, { waitUntil: 'domcontentloaded' })
    await page.fill(sel('listing-name-id'), `Netflix Premium 1 Bulan ${stamp}`)
    await page.click(`${sel('spec-kind')} .n-base-selection`)
    await page.click('.n-base-select-option:has-text("Produk digital"), .n-base-select-option:has-text("Digital goods")')
    await page.fill(sel('spec-terms_id'), 'Akun sharing 1 profil. Dilarang mengganti password.')
    await page.fill(sel('price-member-IDR-one_time-price'), '35.000')
    await shot(page, 'catalog-editor-new-desktop')
    await page.click(sel('product-create'))
    await page.waitForSelector(sel('section-stock'))
  })

  await step('pasted stock is counted, repeats skipped', async () => {
    await page.fill(sel('stock-paste'), `NFX-${stamp}-1\nNFX-${stamp}-2\nNFX-${stamp}-1\n`)
    await page.click(sel('stock-add'))
    await page.waitForSelector(sel('stock-notice'))
    const notice = await page.textContent(sel('stock-notice'))
    assert(/2\b/.test(notice) && /1\b/.test(notice), `stock notice: ${notice}`)
    await page.setViewportSize(PHONE)
    await shot(page, 'catalog-digital-phone')
    noErrors('adding stock')
  })
})
