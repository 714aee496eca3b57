/**
 * Webhooks and alert rules in a real browser against the seeded control plane, whose
 * webhook endpoints point at a receiver on 127.0.0.1: create an endpoint (secret shown
 * once), an invalid URL inline, the delivery log with real deliveries, redeliver, rotate,
 * delete; and the alert-rule editor: a metric rule's field error, an event rule.
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
  await signIn(ADMIN_TOKEN)
})

afterAll(async () => {
  await browser?.close()
  await env?.stop()
})

describe('webhooks', () => {
  it('lists the endpoints; an invalid URL shows next to its field; a new one shows its secret once', async () => {
    await nav('Webhooks').click()
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor()
    await expect.poll(() => page.locator('tr[data-webhook]').count()).toBe(2)
    expect(await page.locator('tr[data-webhook="pager-bridge"]').textContent()).toContain('slack')

    await page.getByRole('button', { name: 'New webhook' }).click()
    const dialog = page.getByRole('dialog', { name: 'New webhook' })
    await dialog.getByLabel('URL').fill('hooks.example.com/patronus')
    await dialog.getByLabel('Description').fill('chatops')
    await dialog.getByLabel('path.down').check()
    await dialog.getByRole('button', { name: 'Create webhook' }).click()
    const error = dialog.locator('[data-field-error="webhook-url"]')
    await expect.poll(() => error.textContent()).toMatch(/not a valid absolute URL/)
    expect(await dialog.getByLabel('URL').getAttribute('aria-invalid')).toBe('true')
    expect(await dialog.getByLabel('URL').getAttribute('aria-describedby')).toContain(
      'webhook-url-error',
    )

    await dialog.getByLabel('URL').fill('ftp://hooks.example.com/patronus')
    await dialog.getByRole('button', { name: 'Create webhook' }).click()
    await expect.poll(() => error.textContent()).toMatch(/must be an http\(s\) URL/)

    await dialog.getByLabel('URL').fill(`${env.receiver.url}/chatops`)
    await dialog.getByRole('button', { name: 'Create webhook' }).click()
    await dialog.waitFor({ state: 'hidden' })
    const secret = page.getByTestId('webhook-secret')
    expect(await secret.textContent()).toMatch(/^whsec_\S{20,}$/)
    const row = page.locator('tr[data-webhook="chatops"]')
    await expect.poll(() => row.textContent()).toContain('alert.firing, path.down')
    await page.getByRole('button', { name: 'I have stored it' }).click()
    await secret.waitFor({ state: 'detached' })
    await page.reload()
    await row.waitFor()
    expect(await page.getByTestId('webhook-secret').count()).toBe(0)
    expect(await page.textContent('main')).not.toContain('whsec_')
  })

  it('edits an endpoint: format, event filter, paused', async () => {
    const row = page.locator('tr[data-webhook="chatops"]')
    await row.getByRole('button', { name: 'Edit chatops' }).click()
    const dialog = page.getByRole('dialog', { name: 'Edit webhook chatops' })
    expect(await dialog.getByLabel('URL').inputValue()).toBe(`${env.receiver.url}/chatops`)
    await dialog.getByLabel('Format').selectOption('slack')
    await dialog.getByLabel('All events (*)').check()
    await dialog.getByLabel(/^Enabled/).uncheck()
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await expect.poll(() => row.textContent()).toContain('paused')
    expect(await row.textContent()).toContain('slack')
    expect(await row.locator('td').first().textContent()).toBe('*')
  })

  it('rotates a secret (shown once) and deletes an endpoint', async () => {
    const row = page.locator('tr[data-webhook="chatops"]')
    page.once('dialog', (d) => void d.accept())
    await row.getByRole('button', { name: 'Rotate secret of chatops' }).click()
    expect(await page.getByTestId('webhook-secret').textContent()).toMatch(/^whsec_/)
    await page.getByRole('button', { name: 'I have stored it' }).click()
    page.once('dialog', (d) => void d.accept())
    await row.getByRole('button', { name: 'Delete chatops' }).click()
    await row.waitFor({ state: 'detached' })
  })

  it('shows the delivery log with real deliveries and redelivers one', async () => {
    await page.getByRole('link', { name: 'noc-receiver' }).click()
    await page.getByRole('heading', { level: 1, name: 'Webhook noc-receiver' }).waitFor()
    expect(await page.getByRole('definition').first().textContent()).toBe(
      `${env.receiver.url}/patronus`,
    )
    const delivered = page.locator('tr[data-status="succeeded"][data-type="alert.firing"]')
    await delivered.first().waitFor()
    const cells = await delivered.first().locator('td').allTextContents()
    expect(cells[0]).toContain('delivered')
    expect(cells[1]).toBe('204')
    expect(cells[2]).toMatch(/^\d+ ms$/)
    expect(cells[3]).toBe('1')
    expect(
      await page.locator('tr[data-status="succeeded"][data-type="path.down"]').count(),
    ).toBeGreaterThan(0)
    await shot('webhooks')

    const id = await delivered.first().getAttribute('data-delivery')
    const before = env.receiver.received.filter((r) => r.id === id).length
    expect(before).toBe(1)
    const again = page.locator(`tr[data-delivery="${id}"]`)
    await again.getByRole('button', { name: `Redeliver ${id}` }).click()
    await page.getByText('alert.firing queued again').waitFor()
    await expect.poll(() => env.receiver.received.filter((r) => r.id === id).length).toBe(2)
    await expect.poll(() => again.locator('td').nth(3).textContent(), { timeout: 20_000 }).toBe('2')
    expect(await again.getAttribute('data-status')).toBe('succeeded')

    await page.getByLabel('Show').selectOption('failed')
    await expect.poll(() => page.url()).toContain('status=failed')
    await page.getByText('No failed deliveries yet.').waitFor()
  })

  it('shows a failing endpoint: response code, error and the next attempt', async () => {
    await nav('Webhooks').click()
    await page.getByRole('link', { name: 'pager-bridge' }).click()
    await page.getByRole('heading', { level: 1, name: 'Webhook pager-bridge' }).waitFor()
    const row = page.locator('tr[data-type="alert.firing"]').first()
    await expect.poll(() => row.locator('td').nth(1).textContent()).toBe('503')
    expect(await row.getAttribute('data-status')).toBe('pending')
    expect(Number(await row.locator('td').nth(3).textContent())).toBeGreaterThan(0)
    expect(await row.getByRole('button', { name: /Redeliver/ }).count()).toBe(0)
  })

  it('hides webhook mutations from a viewer', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await signIn(env.viewerToken)
    await nav('Webhooks').click()
    await page.locator('tr[data-webhook="noc-receiver"]').waitFor()
    expect(await page.getByRole('button', { name: 'New webhook' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /Delete|Rotate/ }).count()).toBe(0)
    await page.getByRole('link', { name: 'noc-receiver' }).click()
    await page.locator('tr[data-delivery]').first().waitFor()
    expect(await page.getByRole('button', { name: /Redeliver/ }).count()).toBe(0)
    expect(await nav('Alerts').count()).toBe(1)
    await nav('Alerts').click()
    await page
      .getByRole('region', { name: 'Alert rules' })
      .locator('tr[data-rule]')
      .first()
      .waitFor()
    expect(await page.getByRole('button', { name: 'New rule' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await signIn(ADMIN_TOKEN)
  })

  it('lists alert rules; a metric rule with a bad window shows the error by its field, then saves', async () => {
    await nav('Alerts').click()
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor()
    const rules = page.getByRole('region', { name: 'Alert rules' })
    await expect
      .poll(() => rules.locator('tr[data-rule="path-down"]').textContent())
      .toContain('path.down')

    await rules.getByRole('button', { name: 'New rule' }).click()
    const dialog = page.getByRole('dialog', { name: 'New alert rule' })
    await dialog.getByLabel('Name', { exact: true }).fill('branch-loss')
    await dialog.getByLabel('Metric threshold').check()
    await dialog.getByLabel('Metric', { exact: true }).selectOption('lossPct')
    await dialog.getByLabel('Threshold', { exact: true }).fill('2')
    await dialog.getByLabel('Window, seconds').fill('90')
    await dialog.getByLabel('Site selector').fill('tier=branch')
    await dialog.getByRole('button', { name: 'Create rule' }).click()
    const error = dialog.locator('[data-field-error="metric-window"]')
    await expect.poll(() => error.textContent()).toMatch(/multiple of 60/)
    expect(await dialog.getByLabel('Window, seconds').getAttribute('aria-invalid')).toBe('true')
    expect(await dialog.getByLabel('Window, seconds').getAttribute('aria-describedby')).toContain(
      'metric-window-error',
    )
    await shot('alert-rules')

    await dialog.getByLabel('Window, seconds').fill('300')
    await dialog.getByRole('button', { name: 'Create rule' }).click()
    await dialog.waitFor({ state: 'hidden' })
    const row = rules.locator('tr[data-rule="branch-loss"]')
    await expect.poll(() => row.textContent()).toContain('loss, % > 2 over 5 min')
    expect(await row.textContent()).toContain('tier=branch')

    await row.getByRole('button', { name: 'Edit branch-loss' }).click()
    const edit = page.getByRole('dialog', { name: 'Edit rule branch-loss' })
    expect(await edit.getByLabel('On events').isDisabled()).toBe(true)
    await edit.getByLabel('Threshold', { exact: true }).fill('5')
    await edit.getByRole('button', { name: 'Save' }).click()
    await edit.waitFor({ state: 'hidden' })
    await expect.poll(() => row.textContent()).toContain('loss, % > 5 over 5 min')
  })

  it('creates an event rule (event types required) and deletes it', async () => {
    const rules = page.getByRole('region', { name: 'Alert rules' })
    await rules.getByRole('button', { name: 'New rule' }).click()
    const dialog = page.getByRole('dialog', { name: 'New alert rule' })
    await dialog.getByLabel('Name', { exact: true }).fill('agents-offline')
    await dialog.getByRole('button', { name: 'Create rule' }).click()
    await dialog.locator('[data-field-error="rule-events"]').waitFor()
    await dialog.getByLabel('agent.offline').check()
    await dialog.getByLabel('Minimum event severity').selectOption('warning')
    await dialog.getByRole('button', { name: 'Create rule' }).click()
    await dialog.waitFor({ state: 'hidden' })
    const row = rules.locator('tr[data-rule="agents-offline"]')
    await expect.poll(() => row.textContent()).toContain('agent.offline (≥ warning)')
    page.once('dialog', (d) => void d.accept())
    await row.getByRole('button', { name: 'Delete agents-offline' }).click()
    await row.waitFor({ state: 'detached' })
  })

  it('ran without page errors', () => {
    expect(errors).toEqual([])
  })
})
