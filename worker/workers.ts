/**
 * Cloudflare Workers entry. There is no start-up hook on Workers, so the first request of
 * each isolate migrates and bootstraps (memoised; later requests only await a settled
 * promise). The database is a libSQL server or Turso reached over HTTP (DATABASE_URL, a
 * secret; DATABASE_AUTH_TOKEN for Turso).
 */
import { createApp } from './app'
import { systemClock } from './clock'
import { type LimitsConfig, loadLimitsConfig, quotasOf, rateLimitsOf, retentionOf } from './config'
import { applyMigrations } from './db/migrate'
import { openWebDb } from './db/web'
import { type RateLimitBinding, workersRateLimits } from './http/rate-limiter'
import { consoleJsonLogger } from './logger'
import { bootstrap } from './services/bootstrap'
import { PollingOnlyNotifier } from './services/notifier'
import { sweepPresence } from './services/presence'
import { periodicPass } from './services/webhooks/dispatcher'
import { fetchTransport } from './services/webhooks/transport'
import { APP_VERSION } from './version'

export interface WorkerEnv {
  DATABASE_URL?: string
  DATABASE_AUTH_TOKEN?: string
  PATRONUS_BOOTSTRAP_TOKEN?: string
  /**
   * Long-poll re-read interval (ms, default 1000): on Workers a change is seen by polling
   * the site's revision (one indexed read per waiting agent per interval).
   */
  CONFIG_POLL_INTERVAL_MS?: string
  /**
   * `1`: webhooks may target private addresses. Workers cannot resolve DNS, so only
   * literal addresses and `localhost` are checked; see docs/webhooks.md.
   */
  PATRONUS_WEBHOOK_ALLOW_PRIVATE?: string
  /**
   * Workers Rate Limiting bindings (wrangler.toml `[[ratelimits]]`): failed authentications
   * and enrollments per address, requests per API token, requests per agent. A missing one
   * is counted per isolate with the PATRONUS_RATE_LIMIT_* value instead (logged).
   */
  RATE_LIMIT_ADDRESS?: RateLimitBinding
  RATE_LIMIT_TOKEN?: RateLimitBinding
  RATE_LIMIT_AGENT?: RateLimitBinding
  /** Quotas, retention and fallback rate limits: README.md, "Configuration". */
  [variable: `PATRONUS_${'RATE_LIMIT' | 'QUOTA' | 'RETENTION'}_${string}`]: string | undefined
}

type App = ReturnType<typeof createApp>

let cached: { key: string; app: App } | undefined

function appFor(env: WorkerEnv): App {
  const key = `${env.DATABASE_URL}|${env.DATABASE_AUTH_TOKEN ?? ''}`
  if (cached?.key === key) return cached.app
  if (!env.DATABASE_URL) {
    throw new Error('DATABASE_URL is not set: `wrangler secret put DATABASE_URL` (see README)')
  }
  const db = openWebDb(env.DATABASE_URL, env.DATABASE_AUTH_TOKEN)
  let readiness: Promise<void> | undefined
  const ready = () => {
    readiness ??= (async () => {
      await applyMigrations(db)
      const boot = await bootstrap({ db, clock: systemClock }, env.PATRONUS_BOOTSTRAP_TOKEN)
      if (boot.generatedToken) {
        // Workers have no terminal: the token goes to the log once (`wrangler tail`).
        console.log(`First start: instance-admin API token (shown once): ${boot.generatedToken}`)
      }
    })().catch((error) => {
      readiness = undefined // let the next request try again
      throw error
    })
    return readiness
  }
  const pollMs = Number(env.CONFIG_POLL_INTERVAL_MS ?? 1000)
  const limits = loadLimitsConfig(env as unknown as Record<string, unknown>)
  const app = createApp({
    db,
    clock: systemClock,
    logger: consoleJsonLogger,
    ready,
    version: APP_VERSION,
    // Requests cannot wake each other on Workers: long-polls re-read every pollMs.
    notifier: new PollingOnlyNotifier(),
    configPollIntervalMs: Number.isFinite(pollMs) && pollMs >= 100 ? pollMs : 1000,
    webhooks: {
      allowPrivate: env.PATRONUS_WEBHOOK_ALLOW_PRIVATE === '1',
      transport: fetchTransport,
    },
    rateLimits: workersRateLimits(
      { address: env.RATE_LIMIT_ADDRESS, token: env.RATE_LIMIT_TOKEN, agent: env.RATE_LIMIT_AGENT },
      rateLimitsOf(limits),
      systemClock,
      consoleJsonLogger,
    ),
    // Cloudflare sets it on every request; a client cannot (it would be overwritten).
    clientAddress: (request) => request.headers.get('cf-connecting-ip') ?? undefined,
    quotas: quotasOf(limits),
  })
  cached = { key, app }
  return app
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext) {
    return appFor(env).fetch(request, env, ctx)
  },
  /**
   * Cron trigger (wrangler.toml): announces agents that went silent, evaluates alert
   * rules, applies retention (services/retention.ts) and drains the webhook outbox
   * (retries that came due).
   */
  scheduled(_controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext) {
    if (!env.DATABASE_URL) return
    const db = openWebDb(env.DATABASE_URL, env.DATABASE_AUTH_TOKEN)
    const clock = systemClock
    const limits: LimitsConfig = loadLimitsConfig(env as unknown as Record<string, unknown>)
    ctx.waitUntil(
      sweepPresence({ db, clock }).then(() =>
        periodicPass({
          db,
          clock,
          logger: consoleJsonLogger,
          transport: fetchTransport,
          allowPrivate: env.PATRONUS_WEBHOOK_ALLOW_PRIVATE === '1',
          owner: `cron:${crypto.randomUUID()}`,
          userAgent: `Patronus-Webhooks/${APP_VERSION}`,
          retention: retentionOf(limits),
        }),
      ),
    )
  },
} satisfies ExportedHandler<WorkerEnv>
