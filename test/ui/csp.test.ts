/**
 * The dashboard and /docs under the control plane's Content-Security-Policy (docs/security.md,
 * finding 8): every page of the dashboard and Swagger UI work with `script-src 'self'` and
 * `style-src 'self'`, and the browser reports no violation on the way (a refused inline
 * style or script, a call to another origin).
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Browser, openBrowser } from './browser'
import { ADMIN_TOKEN, type Seeded, seed } from './seed'

let env: Seeded
let browser: Browser
let page: Page
/** `securitypolicyviolation` events, from every document the page loads. */
const violations: string[] = []
/** Console errors and uncaught exceptions: a refused resource shows up here too. */
const errors: string[] = []

beforeAll(async () => {
  env = await seed()
  browser = await openBrowser()
  page = browser.page
  // Bindings and init scripts run through DevTools, outside the page's CSP.
  await page.exposeFunction('__reportCspViolation', (text: string) => violations.push(text))
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __reportCspViolation(text: string): void })
        .__reportCspViolation
      report(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}`)
    })
  })
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(String(error)))
})

afterAll(async () => {
  await browser?.close()
  await env?.stop()
})

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name })

const heading = (name: string) => page.getByRole('heading', { level: 1, name }).waitFor()

describe('content security policy', () => {
  it('the dashboard works under the CSP: every page, no violation', async () => {
    const response = await page.goto(env.url)
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
    await page.getByLabel('API token').fill(ADMIN_TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await heading('Overview')
    // Cytoscape (the map) and uPlot (charts) style their own elements: the riskiest parts.
    await page.locator('.topology canvas').first().waitFor()
    await expect.poll(() => page.locator('.event-list').textContent()).toContain('path.failover')
    await nav('Sites').click()
    await heading('Sites')
    await page.getByRole('link', { name: 'hq-frankfurt' }).click()
    await heading('Site hq-frankfurt')
    const charts = page.getByRole('region', { name: 'Path quality over time' })
    await expect.poll(() => charts.locator('.chart .uplot').count()).toBe(4)
    for (const [link, title] of [
      ['Policies', 'Policies'],
      ['Events', 'Events'],
      ['Alerts', 'Alerts'],
      ['Webhooks', 'Webhooks'],
      ['API tokens', 'API tokens'],
    ] as const) {
      await nav(link).click()
      await heading(title)
    }
    // Let late renders (charts, polling) happen before counting.
    await page.waitForTimeout(500)
    expect(violations).toEqual([])
    expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([])
    expect(errors).toEqual([])
  })

  it('/docs renders Swagger UI from its own files, with no violation', async () => {
    const external: string[] = []
    const origin = new URL(env.url).origin
    const onRequest = (request: { url(): string }) => {
      const url = request.url()
      if (!url.startsWith(origin) && !url.startsWith('data:')) external.push(url)
    }
    page.on('request', onRequest)
    const before = { violations: violations.length, errors: errors.length }
    const response = await page.goto(`${env.url}/docs`)
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'")
    // An operation block means the bundle ran, the initializer ran and /openapi.json loaded.
    const sites = page.locator('.opblock').filter({ hasText: '/v1/sites' }).first()
    await sites.waitFor()
    await sites.locator('.opblock-summary').click()
    await page.locator('.opblock-body').first().waitFor()
    await page.waitForTimeout(500)
    page.off('request', onRequest)
    expect(external).toEqual([])
    expect(violations.slice(before.violations)).toEqual([])
    expect(errors.slice(before.errors)).toEqual([])
  })
})
