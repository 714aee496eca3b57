/**
 * The app on Node over an embedded libSQL file database in a temporary directory,
 * migrated and bootstrapped exactly as `npm start` does; shared by the API and security
 * suites. `overrides` lets a suite change a dependency (a clock, a limit) for its own app.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../../worker/app'
import { systemClock } from '../../worker/clock'
import { applyMigrations } from '../../worker/db/migrate'
import { openNodeDb } from '../../worker/db/node'
import type { AppDeps } from '../../worker/deps'
import { silentLogger } from '../../worker/logger'
import { loadNodeModelStore } from '../../worker/node-models'
import { bootstrap } from '../../worker/services/bootstrap'
import { InProcessNotifier } from '../../worker/services/notifier'
import type { ApiTarget } from './harness'

export const NODE_ADMIN_TOKEN = 'test-instance-admin-token-0123456789'

export interface NodeTarget extends ApiTarget {
  deps: AppDeps
  /** The temp database's DATABASE_URL, for tools that open it beside the app. */
  databaseUrl: string
  close(): void
}

export async function startNodeTarget(overrides: Partial<AppDeps> = {}): Promise<NodeTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'patronus-api-'))
  const databaseUrl = `file:${join(dir, 'test.db')}`
  const { db, close } = await openNodeDb({ url: databaseUrl })
  await applyMigrations(db)
  await bootstrap({ db, clock: systemClock }, NODE_ADMIN_TOKEN)
  // The shipped model, as `npm start` serves it by default (PATRONUS_MODEL unset).
  const models = loadNodeModelStore(undefined)
  const deps: AppDeps = {
    models,
    db,
    clock: systemClock,
    logger: silentLogger,
    ready: async () => {},
    version: 'test',
    notifier: new InProcessNotifier(),
    configPollIntervalMs: 1000,
    ...overrides,
  }
  const app = createApp(deps)
  return {
    adminToken: NODE_ADMIN_TOKEN,
    model: models.current,
    deps,
    databaseUrl,
    fetch: async (path, init) => app.fetch(new Request(`http://patronus.test${path}`, init)),
    close: () => {
      close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
