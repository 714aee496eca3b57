/**
 * Debian's chromium driven by playwright-core: never a downloaded browser. A missing
 * chromium fails the run saying how to install it.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export interface Browser {
  context: BrowserContext
  page: Page
  close(): Promise<void>
}

export async function openBrowser(options: { dark?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the dashboard tests need Debian's chromium; install it with ` +
        '`sudo scripts/setup-debian.sh`',
    )
  }
  const profile = mkdtempSync(join(tmpdir(), 'patronus-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1,
    colorScheme: options.dark ? 'dark' : 'light',
    reducedMotion: 'reduce',
  })
  context.setDefaultTimeout(30_000)
  const page = context.pages()[0] ?? (await context.newPage())
  return {
    context,
    page,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/**
 * Where screenshots go: docs/img (shown in the README) with UI_SCREENSHOTS=1, otherwise a
 * temporary folder, so a plain `npm test` leaves the working tree clean.
 */
export function screenshotDir(): string {
  if (process.env['UI_SCREENSHOTS'] === '1') {
    mkdirSync('docs/img', { recursive: true })
    return 'docs/img'
  }
  return mkdtempSync(join(tmpdir(), 'patronus-shots-'))
}
