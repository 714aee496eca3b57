/**
 * The API suite on Node: the real app over an embedded libSQL file database in a
 * temporary directory, migrated and bootstrapped exactly as `npm start` does.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { createApp } from '../../worker/app'
import { systemClock } from '../../worker/clock'
import { applyMigrations } from '../../worker/db/migrate'
import { openNodeDb } from '../../worker/db/node'
import { silentLogger } from '../../worker/logger'
import { loadNodeModelStore } from '../../worker/node-models'
import { bootstrap } from '../../worker/services/bootstrap'
import { InProcessNotifier } from '../../worker/services/notifier'
import type { ApiTarget } from './harness'
import { apiSuites } from './suites'

const ADMIN_TOKEN = 'test-instance-admin-token-0123456789'
let target: ApiTarget
let cleanup: () => void = () => {}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'patronus-api-'))
  const { db, close } = await openNodeDb({ url: `file:${join(dir, 'test.db')}` })
  cleanup = () => {
    close()
    rmSync(dir, { recursive: true, force: true })
  }
  await applyMigrations(db)
  await bootstrap({ db, clock: systemClock }, ADMIN_TOKEN)
  // The shipped model, as `npm start` serves it by default (PATRONUS_MODEL unset).
  const models = loadNodeModelStore(undefined)
  const app = createApp({
    models,
    db,
    clock: systemClock,
    logger: silentLogger,
    ready: async () => {},
    version: 'test',
    notifier: new InProcessNotifier(),
    configPollIntervalMs: 1000,
  })
  target = {
    adminToken: ADMIN_TOKEN,
    model: models.current,
    fetch: async (path, init) => app.fetch(new Request(`http://patronus.test${path}`, init)),
  }
})

afterAll(() => cleanup())

apiSuites(() => target)
