/**
 * What the agent now does, in the dashboard: a policy's predictive
 * failover, QoS shaping and load-balancing mode made and edited in the policy form and
 * stored as such by the API; client-side and server field errors on the QoS rate; badges in
 * the policy list; and a site's classified traffic (seeded through the agent telemetry
 * path) with its empty state.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatBytes, formatCount } from '../../ui/api/traffic'
import { type Browser, openBrowser } from './browser'
import { ADMIN_TOKEN, type Seeded, seed } from './seed'
import { APPLICATION_TRAFFIC, CLASS_TRAFFIC, totalOf } from './seed-traffic'

let env: Seeded
let browser: Browser
let page: Page
const errors: string[] = []
/** Every policy write the page sent, to tell a client-side refusal from a server one. */
const policyWrites: string[] = []

interface StoredPolicy {
  id: string
  name: string
  version: number
  match: Record<string, unknown>
  action: Record<string, unknown>
}

async function storedPolicy(name: string): Promise<StoredPolicy | undefined> {
  const list = await env.admin.get<{ items: StoredPolicy[] }>('/v1/policies?limit=500')
  expect(list.status).toBe(200)
  return list.body.items.find((p) => p.name === name)
}

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name })

beforeAll(async () => {
  env = await seed()
  browser = await openBrowser()
  page = browser.page
  page.on('pageerror', (error) => errors.push(String(error)))
  page.on('request', (request) => {
    if (request.url().includes('/v1/policies') && request.method() !== 'GET') {
      policyWrites.push(`${request.method()} ${request.postData() ?? ''}`)
    }
  })
  await page.goto(env.url)
  await page.getByLabel('API token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
})

afterAll(async () => {
  await browser?.close()
  await env?.stop()
})

describe('policy form: predictive, QoS, balance', () => {
  it('refuses a QoS rate that is no number before sending, then shows the server’s error on the field', async () => {
    await nav('Policies').click()
    await page.getByRole('heading', { level: 1, name: 'Policies' }).waitFor()
    await page.getByRole('button', { name: 'New policy' }).click()
    const dialog = page.getByRole('dialog', { name: 'New policy' })
    await dialog.getByLabel('Name', { exact: true }).fill('bulk-sync')
    await dialog.getByLabel('Ports').fill('5300')
    const rate = dialog.getByLabel('QoS: rate, Mbps')

    await rate.fill('ten')
    await dialog.getByRole('button', { name: 'Create policy' }).click()
    const rateError = dialog.locator('[data-field-error="qos-rate"]')
    await expect.poll(() => rateError.textContent()).toBe('"ten" is not a number')
    expect(await rate.getAttribute('aria-invalid')).toBe('true')
    expect(await rate.getAttribute('aria-describedby')).toContain('qos-rate-error')
    expect(policyWrites).toEqual([])
    // The keyboard is taken to the field in error (it may be below the dialog's fold).
    const focused = () => rate.evaluate((el) => el === document.activeElement)
    expect(await focused()).toBe(true)
    await dialog.getByLabel('Name', { exact: true }).focus()

    // A ceiling without a rate is also caught here, on the rate.
    await rate.fill('')
    await dialog.getByLabel('QoS: ceiling, Mbps').fill('50')
    await dialog.getByRole('button', { name: 'Create policy' }).click()
    await expect.poll(() => rateError.textContent()).toBe('required when any QoS field is set')
    expect(policyWrites).toEqual([])

    // A number out of range goes to the API, which names action.qos.rateMbps.
    await rate.fill('0')
    await dialog.getByRole('button', { name: 'Create policy' }).click()
    await expect.poll(() => policyWrites.length).toBe(1)
    await expect.poll(() => rateError.textContent()).toMatch(/too small|>\s*0/i)
    expect(await rate.getAttribute('aria-invalid')).toBe('true')
    expect(await dialog.locator('[data-field-error]').count()).toBe(1)
    await expect.poll(focused).toBe(true)
    expect(await storedPolicy('bulk-sync')).toBeUndefined()
  })

  it('creates a policy with QoS, per-packet balance and predictive off; the API stores exactly that', async () => {
    const dialog = page.getByRole('dialog', { name: 'New policy' })
    // Balance exists only for load-balance.
    expect(await dialog.getByLabel('Load balancing').count()).toBe(0)
    await dialog.getByLabel('Path preference').selectOption('load-balance')
    await dialog.getByLabel('Load balancing').selectOption('per-packet')
    const predictive = dialog.getByLabel('Predictive failover')
    // The default says what it means for this action: no SLA yet, so off...
    expect(await predictive.locator('option[value="default"]').textContent()).toMatch(/off/)
    await dialog.getByLabel('SLA: max loss, %').fill('2')
    // ...and on once an SLA is set.
    await expect
      .poll(() => predictive.locator('option[value="default"]').textContent())
      .toMatch(/on: an SLA is set/)
    await predictive.selectOption('off')
    await dialog.getByLabel('QoS: rate, Mbps').fill('10')
    await dialog.getByLabel('QoS: priority').fill('2')
    await dialog.getByLabel('QoS: burst, bytes').fill('30000')
    await dialog.getByRole('button', { name: 'Create policy' }).click()
    await dialog.waitFor({ state: 'hidden' })

    const stored = await storedPolicy('bulk-sync')
    expect(stored?.match).toEqual({ ports: [5300] })
    expect(stored?.action).toEqual({
      preference: 'load-balance',
      balance: 'per-packet',
      predictive: false,
      sla: { maxLossPct: 2 },
      qos: { rateMbps: 10, ceilMbps: 50, priority: 2, burstBytes: 30_000 },
    })
  })

  it('shows badges for QoS, FEC, compression and predictive in the list', async () => {
    const badges = (policy: string) =>
      page.locator(`tr[data-policy="${policy}"] .badge`).allTextContents()
    await expect
      .poll(() => badges('bulk-sync'))
      .toEqual(['predictive off', 'QoS 10–50 Mbps · prio 2'])
    expect(await page.locator('tr[data-policy="bulk-sync"]').textContent()).toContain(
      'load-balance · loss ≤ 2 % · per-packet',
    )
    // voice has an SLA and no explicit choice: predictive by default.
    expect(await badges('voice')).toEqual(['predictive (default)'])
    expect(await badges('video-calls')).toEqual(['FEC'])
    expect(await badges('backups')).toEqual(['compression'])
    // The badge list is named for assistive tech.
    expect(
      await page
        .locator('tr[data-policy="bulk-sync"]')
        .getByRole('list', { name: 'Options' })
        .count(),
    ).toBe(1)
  })

  it('edits the policy keeping every field, and a change of preference drops balance', async () => {
    const before = (await storedPolicy('bulk-sync'))!
    await page.getByRole('button', { name: 'Edit bulk-sync' }).click()
    const dialog = page.getByRole('dialog', { name: 'Edit policy bulk-sync' })
    expect(await dialog.getByLabel('Predictive failover').inputValue()).toBe('off')
    expect(await dialog.getByLabel('Load balancing').inputValue()).toBe('per-packet')
    expect(await dialog.getByLabel('QoS: ceiling, Mbps').inputValue()).toBe('50')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'hidden' })
    const saved = (await storedPolicy('bulk-sync'))!
    expect(saved.version).toBeGreaterThan(before.version)
    expect(saved.action).toEqual(before.action)
    expect(saved.match).toEqual(before.match)

    await page.getByRole('button', { name: 'Edit bulk-sync' }).click()
    const again = page.getByRole('dialog', { name: 'Edit policy bulk-sync' })
    await again.getByLabel('Path preference').selectOption('lowest-latency')
    expect(await again.getByLabel('Load balancing').count()).toBe(0)
    await again.getByLabel('Predictive failover').selectOption('default')
    await again.getByRole('button', { name: 'Save' }).click()
    await again.waitFor({ state: 'hidden' })
    expect((await storedPolicy('bulk-sync'))!.action).toEqual({
      preference: 'lowest-latency',
      sla: { maxLossPct: 2 },
      qos: { rateMbps: 10, ceilMbps: 50, priority: 2, burstBytes: 30_000 },
    })
  })
})

describe('site traffic panel', () => {
  it('shows the hub’s classified traffic per class and per application, with a chart', async () => {
    await nav('Sites').click()
    await page.getByRole('link', { name: 'hq-frankfurt' }).click()
    await page.getByRole('heading', { level: 1, name: 'Site hq-frankfurt' }).waitFor()
    const panel = page.getByRole('region', { name: 'Traffic', exact: true })
    const classes = panel.getByRole('region', { name: 'By class' })
    await expect.poll(() => classes.locator('tbody tr').count()).toBe(3)
    // Largest first: video-calls, default, voice.
    expect(
      await classes
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-traffic'))),
    ).toEqual(['video-calls', 'default', 'voice'])
    for (const [name, traffic] of Object.entries(CLASS_TRAFFIC)) {
      const total = totalOf(traffic)
      const cells = await classes.locator(`tr[data-traffic="${name}"] td`).allTextContents()
      expect(cells.slice(0, 2), name).toEqual([
        formatCount(total.packets),
        formatBytes(total.bytes),
      ])
    }
    // Per batch 990 kB of video out of 1.334 MB in all.
    expect(await classes.locator('tr[data-traffic="video-calls"] td').nth(2).textContent()).toBe(
      '74.2 %',
    )
    const applications = panel.getByRole('region', { name: 'By application' })
    for (const [name, traffic] of Object.entries(APPLICATION_TRAFFIC)) {
      const total = totalOf(traffic)
      const cells = await applications.locator(`tr[data-traffic="${name}"] td`).allTextContents()
      expect(cells.slice(0, 2), name).toEqual([
        formatCount(total.packets),
        formatBytes(total.bytes),
      ])
    }
    // One chart, a series per class.
    await expect.poll(() => panel.locator('.chart .uplot').count()).toBe(1)
    expect(await panel.locator('.u-legend .u-series').count()).toBe(4) // time + 3 classes
    expect(await panel.getByRole('figure', { name: 'Rate by class chart' }).count()).toBe(1)

    // Over 7 days (hourly steps) the totals are the same traffic.
    const hourly = page.waitForResponse(
      (r) => r.url().includes('/traffic?') && r.url().includes('step=3600') && r.ok(),
    )
    await panel.getByLabel('Traffic time range').selectOption({ label: 'Last 7 days' })
    await hourly
    const voice = totalOf(CLASS_TRAFFIC.voice)
    await expect
      .poll(() => classes.locator('tr[data-traffic="voice"] td').allTextContents())
      .toEqual([formatCount(voice.packets), formatBytes(voice.bytes), '1.8 %'])
    await expect.poll(() => panel.locator('.chart .uplot').count()).toBe(1)
  })

  it('says so when a site reported no traffic', async () => {
    await nav('Sites').click()
    await page.getByRole('link', { name: 'branch-berlin' }).click()
    await page.getByRole('heading', { level: 1, name: 'Site branch-berlin' }).waitFor()
    const panel = page.getByRole('region', { name: 'Traffic', exact: true })
    await expect
      .poll(() => panel.locator('.empty').textContent())
      .toMatch(/No classified traffic in this range/)
    expect(await panel.locator('table').count()).toBe(0)
    expect(await panel.locator('.chart').count()).toBe(0)
  })

  it('ran without page errors', () => {
    expect(errors).toEqual([])
  })
})
