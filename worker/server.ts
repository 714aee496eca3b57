/**
 * Runs the control plane on Node: open the database, migrate, bootstrap, listen. Used by
 * `npm start` (worker/node.ts), by the tests and by the WAN lab, so they all run the same
 * code. `close()` drains in-flight requests, then closes the database.
 */
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type HttpBindings, serve } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import type { TracerProvider } from '@opentelemetry/api'
import { Hono } from 'hono'
import { createApp } from './app'
import { type Clock, systemClock } from './clock'
import {
  configPollIntervalMs,
  type NodeConfig,
  quotasOf,
  rateLimitsOf,
  retentionOf,
} from './config'
import { applyMigrations } from './db/migrate'
import { openNodeDb } from './db/node'
import type { ClientAddress } from './http/rate-limit'
import { inProcessRateLimits } from './http/rate-limiter'
import { securityHeaders } from './http/security-headers'
import type { Logger } from './logger'
import { loadNodeModelStore } from './node-models'
import { createPrometheusMetrics } from './observability/metrics'
import { tracerFor } from './observability/tracing'
import { DOCS_ASSETS } from './routes/docs'
import { bootstrap } from './services/bootstrap'
import type { ModelStore } from './services/models'
import { InProcessNotifier } from './services/notifier'
import { sweepPresence } from './services/presence'
import { NodeDispatcher, type NodeDispatcherOptions } from './services/webhooks/dispatcher'
import { nodeTransport } from './services/webhooks/node-transport'

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
  options: {
    webhooks?: NodeDispatcherOptions & { retryBaseMs?: number; timeoutMs?: number }
    /** Tracing (worker/observability/provider.ts builds one from OTEL_*); absent: off. */
    tracerProvider?: TracerProvider
  } = {},
): Promise<RunningServer> {
  const tracer = options.tracerProvider ? tracerFor(options.tracerProvider) : undefined
  const { db, close: closeDb } = await openNodeDb({
    url: config.DATABASE_URL,
    authToken: config.DATABASE_AUTH_TOKEN,
    tracer,
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
  let models: ModelStore
  try {
    models = loadNodeModelStore(config.PATRONUS_MODEL)
  } catch (error) {
    closeDb()
    throw error
  }
  if (models.current) logger.info({ model: models.current.id }, 'prediction model served')
  else logger.info({}, 'no prediction model: agents run reactive failover only')
  const allowPrivate = config.PATRONUS_WEBHOOK_ALLOW_PRIVATE === '1'
  const metrics = createPrometheusMetrics(db)
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
      ...(options.webhooks?.retryBaseMs ? { retryBaseMs: options.webhooks.retryBaseMs } : {}),
      ...(options.webhooks?.timeoutMs ? { timeoutMs: options.webhooks.timeoutMs } : {}),
      ...(tracer ? { tracer } : {}),
      onDelivery: (result) => metrics.webhookDelivery(result),
      retention: retentionOf(config),
    },
    options.webhooks,
  )
  // Aborted by close(): long-polls answer 304 at once instead of holding the drain open.
  const shutdown = new AbortController()
  const app = createApp({
    db,
    clock,
    logger,
    ready: async () => {},
    version: APP_VERSION,
    notifier: new InProcessNotifier(),
    configPollIntervalMs: configPollIntervalMs(config),
    shutdown: shutdown.signal,
    webhooks: { allowPrivate, kick: () => dispatcher.kick() },
    models,
    rateLimits: inProcessRateLimits(rateLimitsOf(config), clock),
    clientAddress: nodeClientAddress(config.PATRONUS_CLIENT_ADDRESS_HEADER),
    quotas: quotasOf(config),
    ...(options.tracerProvider ? { tracerProvider: options.tracerProvider } : {}),
    metrics: {
      recorder: metrics,
      token: config.PATRONUS_METRICS_TOKEN,
      remoteAddress: (env) =>
        (env as Partial<HttpBindings> | undefined)?.incoming?.socket?.remoteAddress,
    },
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: closingConnections(withDashboard(app.fetch), shutdown.signal),
        port: config.PORT,
        hostname: config.HOST,
      },
      () => resolve(s),
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
      shutdown.abort()
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

/**
 * The client's address on Node: the socket's peer, or the last entry of a header that the
 * operator named because a reverse proxy sets it (the last one is what that proxy saw; any
 * earlier ones came from the client and prove nothing).
 */
export function nodeClientAddress(header: string | undefined): ClientAddress {
  return (request, env) => {
    if (header) {
      const last = request.headers.get(header)?.split(',').pop()?.trim()
      if (last) return last
    }
    return (env as Partial<HttpBindings> | undefined)?.incoming?.socket?.remoteAddress
  }
}

type Fetch = (request: Request, env?: object) => Response | Promise<Response>

/**
 * Once shutdown began, every answer says `Connection: close` (RFC 9112 sec. 9.6), so Node
 * ends the socket after it. server.close() only drops connections idle at the moment it
 * is called; a keep-alive socket that carried a woken long-poll would otherwise hold the
 * close open until the client's keep-alive timer runs out (3 s for Node's fetch).
 */
export function closingConnections(fetch: Fetch, shutdown: AbortSignal): Fetch {
  return async (request, env) => {
    const response = await fetch(request, env)
    if (!shutdown.aborted) return response
    try {
      response.headers.set('connection', 'close')
      return response
    } catch {
      // Immutable headers (a proxied response): copy it once.
      const copy = new Response(response.body, response)
      copy.headers.set('connection', 'close')
      return copy
    }
  }
}

/**
 * Paths the API answers; everything else that is a GET is the dashboard's, /docs/assets/
 * (Swagger UI's files, in the dashboard build) included. `/_headers` is the Workers
 * headers file: Workers never serve it, so neither does this.
 */
const API_PATH = /^\/(?:v1(?:\/|$)|openapi\.json$|docs$|healthz$|readyz$|metrics$|_headers$)/
/** Built files that are never index.html when missing: a missing one is the API's 404. */
const ASSET_DIRS = ['/assets/', `${DOCS_ASSETS}/`]
export const DASHBOARD_DIR = fileURLToPath(new URL('../dist/ui', import.meta.url))

/**
 * Serves the dashboard build (dist/ui, `npm run build:ui`) at `/` in front of the API, as
 * Workers static assets do (wrangler.toml): files by path, index.html for every other GET
 * so client-side routes survive a reload; API paths always reach the API. Without a build,
 * `/` says how to make one.
 */
export function withDashboard(api: Fetch, dir = DASHBOARD_DIR): Fetch {
  const index = `${dir}/index.html`
  const ui = new Hono()
  // The same headers as the API's answers and the `_headers` file Workers serve files with.
  ui.use('*', securityHeaders)
  ui.use(
    '*',
    serveStatic({
      root: dir,
      onFound: (path, c) => {
        // Vite names assets by content hash: cache them for good, revalidate index.html.
        const immutable = path.includes('/assets/')
        c.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      },
    }),
  )
  ui.get('*', async (c, next) => {
    // A missing hashed asset is a 404 (the API's), never index.html.
    if (ASSET_DIRS.some((dir) => c.req.path.startsWith(dir))) return next()
    if (existsSync(index)) return serveStatic({ path: index })(c, next)
    return c.html(
      '<!doctype html><title>Patronus</title><h1>The dashboard is not built</h1>' +
        '<p>Run <code>npm run build:ui</code> (<code>npm start</code> does it first). ' +
        'The API is at <a href="/docs">/docs</a>.</p>',
      503,
    )
  })
  return async (request, env) => {
    const { pathname } = new URL(request.url)
    const read = request.method === 'GET' || request.method === 'HEAD'
    if (!read || API_PATH.test(pathname)) return api(request, env)
    const response = await ui.fetch(request, env)
    return response.status === 404 ? api(request, env) : response
  }
}
