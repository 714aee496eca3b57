/**
 * The dashboard in a real browser against a real control plane with seeded sites, agents
 * and telemetry: sign in, sites and enrollment, a policy with an invalid CIDR, topology,
 * charts, events, tokens, viewers, dark mode, keyboard, and the static serving itself.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Browser, openBrowser, screenshotDir } from './browser'
import { ADMIN_TOKEN, type Seeded, seed } from './seed'

let env: Seeded
let browser: Browser
let page: Page
const shots = screenshotDir()
const errors: string[] = []

async function shot(name: string, fullPage = false) {
  const path = join(shots, `${name}.png`)
  await page.screenshot({ path, fullPage })
  expect(statSync(path).size, `${name}.png size`).toBeLessThan(300 * 1024)
}

async function signIn(token: string) {
  await page.goto(env.url)
  await page.getByLabel('API token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
}

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name })

beforeAll(async () => {
  env = await seed()
  browser = await openBrowser()
  page = browser.page
  page.on('pageerror', (error) => errors.push(String(error)))
})

afterAll(async () => {
  await browser?.close()
  await env?.stop()
})

describe('dashboard', () => {
  it('serves the build at / with client routes falling back to index.html; the API keeps its paths', async () => {
    const root = await fetch(`${env.url}/`)
    expect(root.status).toBe(200)
    expect(root.headers.get('content-type')).toMatch(/text\/html/)
    const deep = await fetch(`${env.url}/sites/some-id`)
    expect(await deep.text()).toContain('<div id="app">')
    const api = await fetch(`${env.url}/v1/nope`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(api.status).toBe(404)
    expect(api.headers.get('content-type')).toMatch(/problem\+json/)
    expect((await fetch(`${env.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${env.url}/openapi.json`)).headers.get('content-type')).toMatch(/json/)
    expect((await fetch(`${env.url}/assets/missing.js`)).status).toBe(404)
  })

  it('refuses a bad token, then signs in and shows the overview: counts, topology, events', async () => {
    await page.goto(env.url)
    await page.getByLabel('API token').fill('pat_not-a-real-token-000000')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect
      .poll(() => page.locator('[data-field-error="token"]').textContent())
      .toMatch(/refused/)
    await shot('login')

    await signIn(ADMIN_TOKEN)
    await expect
      .poll(() => page.getByTestId('count-online').locator('.value').textContent())
      .toBe('3')
    expect(await page.getByTestId('count-offline').locator('.value').textContent()).toBe('1')
    // Cytoscape draws on canvases inside the map; the pairs table says the same in text.
    await page.locator('.topology canvas').first().waitFor()
    const pairs = page.getByRole('region', { name: 'Site pairs' })
    await expect.poll(() => pairs.getByRole('row').count()).toBe(4) // header + 3 pairs
    // hq <-> berlin has a lossy path and a down one: degraded, though traffic still flows.
    expect(
      await pairs.getByRole('row', { name: /hq-frankfurt ↔ branch-berlin/ }).textContent(),
    ).toContain('degraded')
    await expect.poll(() => page.locator('.event-list').textContent()).toContain('path.failover')
    await page.waitForTimeout(300) // let the map's layout settle for the picture
    await shot('overview', true)
  })

  it('lists sites, creates one and shows the exact enrollment command', async () => {
    await nav('Sites').click()
    await page.getByRole('heading', { level: 1, name: 'Sites' }).waitFor()
    const hq = page.locator('tr[data-site="hq-frankfurt"]')
    await expect.poll(() => hq.textContent()).toContain('online')
    expect(await page.locator('tr[data-site="branch-madrid"]').textContent()).toContain(
      'not enrolled',
    )
    await shot('sites')

    await page.getByRole('button', { name: 'New site' }).click()
    const dialog = page.getByRole('dialog', { name: 'New site' })
    await dialog.getByLabel('Name').fill('branch-lisbon')
    await dialog.getByLabel('LAN prefixes').fill('10.4.0.0/16')
    await dialog.getByRole('button', { name: 'Create site' }).click()
    const lisbon = page.locator('tr[data-site="branch-lisbon"]')
    await lisbon.waitFor()

    await lisbon.getByRole('button', { name: 'Enroll agent for branch-lisbon' }).click()
    const enroll = page.getByRole('dialog', { name: 'Enroll an agent at branch-lisbon' })
    await enroll.getByRole('button', { name: 'Create enrollment token' }).click()
    const command = await enroll.getByTestId('enroll-command').textContent()
    expect(command).toMatch(
      new RegExp(
        // The test's server is plain HTTP, so the command carries the flag the agent needs.
        `^patronus-agent enroll --server ${env.url.replace(/[.]/g, '\\.')} --insecure-http --token pet_\\S+ --uplink wan0=eth0$`,
      ),
    )
    await enroll.getByRole('button', { name: 'Done' }).click()

    // A site with uplinks gets them in the command, slot order, endpoints included.
    await hq.getByRole('button', { name: 'Enroll agent for hq-frankfurt' }).click()
    const hqEnroll = page.getByRole('dialog', { name: 'Enroll an agent at hq-frankfurt' })
    await hqEnroll.getByRole('button', { name: 'Create enrollment token' }).click()
    expect(await hqEnroll.getByTestId('enroll-command').textContent()).toMatch(
      / --uplink fiber=eth0,endpoint=203\.0\.113\.10:51820 --uplink lte=wwan0$/,
    )
    await shot('enroll')
    await page.keyboard.press('Escape')
    await hqEnroll.waitFor({ state: 'hidden' })
  })

  it('lists policies by priority and shows an invalid CIDR next to its field', async () => {
    await nav('Policies').click()
    await page.getByRole('heading', { level: 1, name: 'Policies' }).waitFor()
    await expect.poll(() => page.locator('tr[data-policy]').count()).toBe(3)
    const order = await page
      .locator('tr[data-policy]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-policy')))
    expect(order).toEqual(['voice', 'video-calls', 'backups'])

    await page.getByRole('button', { name: 'New policy' }).click()
    const dialog = page.getByRole('dialog', { name: 'New policy' })
    await dialog.getByLabel('Name', { exact: true }).fill('erp')
    await dialog.getByLabel('Destination prefixes').fill('10.9.0.0/16, 10.300.0.0/16')
    await dialog.getByLabel('udp').check()
    await dialog.getByLabel('Ports').fill('443, 8000-8100')
    await dialog.getByRole('button', { name: 'Create policy' }).click()
    const error = dialog.locator('[data-field-error="match-destination"]')
    await expect.poll(() => error.textContent()).toMatch(/item 2: .*10\.300\.0\.0\/16.*not a CIDR/)
    expect(await dialog.getByLabel('Destination prefixes').getAttribute('aria-invalid')).toBe(
      'true',
    )
    // The error is the field's description for assistive tech.
    expect(
      await dialog.getByLabel('Destination prefixes').getAttribute('aria-describedby'),
    ).toContain('match-destination-error')
    await shot('policy-error')

    await dialog.getByLabel('Destination prefixes').fill('10.9.0.0/16')
    await dialog.getByRole('button', { name: 'Create policy' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await expect
      .poll(() => page.locator('tr[data-policy="erp"]').textContent())
      .toContain('dst 10.9.0.0/16')
    await shot('policies')
  })

  it('shows a site: paths, active path per class, charts over time, failovers, uplinks', async () => {
    await nav('Sites').click()
    await page.getByRole('link', { name: 'hq-frankfurt' }).click()
    await page.getByRole('heading', { level: 1, name: 'Site hq-frankfurt' }).waitFor()
    const paths = page.getByRole('region', { name: 'Paths' })
    await expect.poll(() => paths.getByRole('row').count()).toBe(5) // header + 4 paths
    // Peer names come with the sites list, which may land after the paths.
    await expect.poll(() => paths.textContent()).toContain('fiber → branch-paris #0')
    await expect
      .poll(() => page.getByRole('region', { name: 'Active path per class' }).textContent())
      .toContain('voice')
    // Four uPlot charts with one series per path, drawn from the one-minute rollups.
    const charts = page.getByRole('region', { name: 'Path quality over time' })
    await expect.poll(() => charts.locator('.chart .uplot').count()).toBe(4)
    expect(await charts.locator('.chart').first().locator('.u-legend .u-series').count()).toBe(5)
    await expect
      .poll(() => page.getByRole('region', { name: 'Recent failovers' }).textContent())
      .toContain('class: voice') // the policy's name, not its id
    expect(await page.getByRole('region', { name: 'Uplinks' }).textContent()).toContain('wwan0')
    await shot('site', true)
  })

  it('filters events by type and site', async () => {
    await nav('Events').click()
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor()
    await page.getByLabel('Type').selectOption('path.failover')
    await expect.poll(() => page.url()).toContain('type=path.failover')
    await expect
      .poll(async () => new Set(await page.locator('tbody td code').allTextContents()))
      .toEqual(new Set(['path.failover']))
    await page.getByLabel('Type').selectOption('')
    await page.getByLabel('Site').selectOption({ label: 'branch-berlin' })
    // The list reloads after the filter changes: wait for the filtered rows, not just any.
    await expect.poll(() => page.url()).toContain('siteId=')
    await expect
      .poll(async () => {
        const text = (await page.locator('tbody').textContent()) ?? ''
        return text.includes('path.down') && !text.includes('hq-frankfurt')
      })
      .toBe(true)
    await shot('events')
  })

  it('acknowledges and silences an alert, and ends the silence', async () => {
    await nav('Alerts').click()
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor()
    const row = page.locator('tr[data-alert="path-down"]').first()
    await expect.poll(() => row.textContent()).toContain('firing')
    // The site column shows the id until the sites list has loaded, then the name.
    await expect.poll(() => row.textContent()).toContain('branch-berlin')
    await row.getByRole('button', { name: 'Acknowledge path-down' }).click()
    await expect.poll(() => row.textContent()).toContain('acknowledged')
    await row.getByRole('button', { name: 'Silence path-down' }).click()
    const dialog = page.getByRole('dialog', { name: 'Silence path-down' })
    await dialog.getByLabel('Reason').fill('carrier maintenance window')
    await dialog.getByRole('button', { name: 'Silence', exact: true }).click()
    await dialog.waitFor({ state: 'hidden' })
    const silence = page.locator('li[data-silence="carrier maintenance window"]')
    await expect.poll(() => silence.textContent()).toContain('branch-berlin')
    await shot('alerts')
    await silence.getByRole('button', { name: /End silence/ }).click()
    await silence.waitFor({ state: 'detached' })
  })

  it('issues an API token once and revokes it', async () => {
    await nav('API tokens').click()
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor()
    await page.getByLabel('Name').fill('ci')
    await page.getByLabel('Role').selectOption('operator')
    await page.getByRole('button', { name: 'Issue token' }).click()
    expect(await page.getByTestId('new-token').textContent()).toMatch(/^pat_/)
    const row = page.locator('tr[data-token="ci"]')
    await row.waitFor()
    await shot('tokens')
    page.once('dialog', (d) => void d.accept())
    await row.getByRole('button', { name: 'Revoke ci' }).click()
    await expect.poll(() => row.textContent()).toContain('revoked')
  })

  it('switches to dark mode and keeps it; AA-dark palette applies', async () => {
    await nav('Overview').click()
    const toggle = page.getByRole('button', { name: 'Dark mode' })
    expect(await toggle.getAttribute('aria-pressed')).toBe('false')
    await toggle.click()
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark')
    expect(await toggle.getAttribute('aria-pressed')).toBe('true')
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(bg).toBe('rgb(14, 17, 22)')
    await page.locator('.topology canvas').first().waitFor()
    await page.waitForTimeout(300)
    await shot('overview-dark')
    await page.getByRole('link', { name: 'hq-frankfurt' }).first().click()
    const charts = page.getByRole('region', { name: 'Path quality over time' })
    await expect.poll(() => charts.locator('.chart .uplot').count()).toBe(4)
    await shot('site-dark')
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Site hq-frankfurt' }).waitFor()
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark')
    await page.getByRole('button', { name: 'Dark mode' }).click() // back to light
  })

  it('follows prefers-color-scheme when nothing was chosen', async () => {
    const dark = await openBrowser({ dark: true })
    try {
      await dark.page.goto(env.url)
      expect(await dark.page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark')
    } finally {
      await dark.close()
    }
  })

  it('is keyboard navigable: skip link first, visible focus, nav by keyboard', async () => {
    await page.goto(`${env.url}/policies`)
    await page.getByRole('heading', { level: 1, name: 'Policies' }).waitFor()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    await page.keyboard.press('Tab') // brand link
    await page.keyboard.press('Tab') // Overview
    await page.keyboard.press('Tab') // Sites
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Sites')
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement!).outlineStyle,
    )
    expect(outline).toBe('solid')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Sites' }).waitFor()
  })

  it('hides mutations from a viewer token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await signIn(env.viewerToken)
    expect(await page.locator('.role').textContent()).toBe('viewer')
    expect(await nav('API tokens').count()).toBe(0)
    await nav('Sites').click()
    await page.locator('tr[data-site="hq-frankfurt"]').waitFor()
    expect(await page.getByRole('button', { name: 'New site' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0)
    await nav('Policies').click()
    await page.locator('tr[data-policy="voice"]').waitFor()
    expect(await page.getByRole('button', { name: 'New policy' }).count()).toBe(0)
  })

  it('ran without page errors', () => {
    expect(errors).toEqual([])
  })
})
