/**
 * Runs the control plane on Node: open the database, migrate, bootstrap, listen. Used by
 * `npm start` (worker/node.ts), by the tests and by the WAN lab, so they all run the same
 * code. `close()` drains in-flight requests, then closes the database.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createApp } from './app'
import { type Clock, systemClock } from './clock'
import { configPollIntervalMs, type NodeConfig } from './config'
import { applyMigrations } from './db/migrate'
import { openNodeDb } from './db/node'
import type { Logger } from './logger'
import { bootstrap } from './services/bootstrap'
import { InProcessNotifier } from './services/notifier'
import { sweepPresence } from './services/presence'

const PRESENCE_SWEEP_MS = 30_000

import { APP_VERSION } from './version'

export interface RunningServer {
  url: string
  port: number
  /** Set when the database was empty and no bootstrap token was configured. */
  generatedBootstrapToken?: string
  close(): Promise<void>
}

export async function startNodeServer(
  config: NodeConfig,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<RunningServer> {
  const { db, close: closeDb } = await openNodeDb({
    url: config.DATABASE_URL,
    authToken: config.DATABASE_AUTH_TOKEN,
  })
  let boot: { generatedToken?: string }
  try {
    const applied = await applyMigrations(db)
    if (applied > 0) logger.info({ applied }, 'database migrated')
    boot = await bootstrap({ db, clock }, config.PATRONUS_BOOTSTRAP_TOKEN)
  } catch (error) {
    closeDb()
    throw error
  }
  const app = createApp({
    db,
    clock,
    logger,
    ready: async () => {},
    version: APP_VERSION,
    notifier: new InProcessNotifier(),
    configPollIntervalMs: configPollIntervalMs(config),
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () =>
      resolve(s),
    )
    s.once('error', reject)
  })
  // Announces agents that went silent (agent.offline events).
  const sweeper = setInterval(() => {
    sweepPresence({ db, clock }).catch((error: unknown) =>
      logger.warn({ err: String(error) }, 'presence sweep failed'),
    )
  }, PRESENCE_SWEEP_MS)
  sweeper.unref()
  const { port } = server.address() as AddressInfo
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST
  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    port,
    ...(boot.generatedToken ? { generatedBootstrapToken: boot.generatedToken } : {}),
    close() {
      clearInterval(sweeper)
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          closeDb()
          resolve()
        })
        // Keep-alive sockets with no request in flight would hold close() open forever.
        if ('closeIdleConnections' in server) server.closeIdleConnections()
      })
      return closing
    },
  }
}
