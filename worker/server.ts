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
import { NodeDispatcher, type NodeDispatcherOptions } from './services/webhooks/dispatcher'
import { nodeTransport } from './services/webhooks/node-transport'
import { RequestTracker } from './services/webhooks/quiet'

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
  options: { webhooks?: NodeDispatcherOptions & { retryBaseMs?: number } } = {},
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
  const allowPrivate = config.PATRONUS_WEBHOOK_ALLOW_PRIVATE === '1'
  const requests = new RequestTracker()
  // Webhook outbox and alert evaluation, in process; stopped by close() before the db.
  const dispatcher = new NodeDispatcher(
    {
      db,
      clock,
      logger,
      transport: nodeTransport(allowPrivate),
      allowPrivate,
      owner: `node:${crypto.randomUUID()}`,
      userAgent: `Patronus-Webhooks/${APP_VERSION}`,
      quiet: () => requests.quiet(),
      ...(options.webhooks?.retryBaseMs ? { retryBaseMs: options.webhooks.retryBaseMs } : {}),
    },
    options.webhooks,
  )
  const app = createApp({
    db,
    clock,
    logger,
    ready: async () => {},
    version: APP_VERSION,
    notifier: new InProcessNotifier(),
    configPollIntervalMs: configPollIntervalMs(config),
    webhooks: { allowPrivate, kick: () => dispatcher.kick() },
  })
  // Mutating requests are counted so that the dispatcher writes between them (quiet.ts).
  const appFetch: typeof app.fetch = (request, ...rest) =>
    request.method === 'GET' || request.method === 'HEAD'
      ? app.fetch(request, ...rest)
      : requests.track(async () => app.fetch(request, ...rest))
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: appFetch, port: config.PORT, hostname: config.HOST }, () =>
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
  dispatcher.start()
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
          // The attempt in flight finishes (or times out) before the database closes.
          dispatcher.stop().finally(() => {
            closeDb()
            resolve()
          })
        })
        // Keep-alive sockets with no request in flight would hold close() open forever.
        if ('closeIdleConnections' in server) server.closeIdleConnections()
      })
      return closing
    },
  }
}
