/**
 * After a write that may have enqueued deliveries (operator mutations, agent events),
 * start the first attempt right away: Node kicks its in-process dispatcher, Workers drain
 * the outbox in `ctx.waitUntil` after the response. Heartbeats and telemetry do not kick
 * (too frequent); what they enqueue waits for the next poll or cron run.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../http/env'
import { drainOutbox } from '../services/webhooks/drain'

const QUIET = new Set([
  '/v1/agent/heartbeat',
  '/v1/agent/telemetry',
  '/v1/agent/config',
  '/v1/enroll',
])

export const kickAfterWrites: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  const method = c.req.method
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return
  if (c.res.status >= 400 || QUIET.has(c.req.path)) return
  const runtime = c.var.deps.webhooks
  if (runtime?.kick) return runtime.kick()
  if (!runtime?.transport) return
  let waitUntil: ((p: Promise<unknown>) => void) | undefined
  try {
    const ctx = c.executionCtx
    waitUntil = (p) => ctx.waitUntil(p)
  } catch {
    return // no execution context (not on Workers)
  }
  const { deps } = c.var
  waitUntil(
    drainOutbox({
      db: deps.db,
      clock: deps.clock,
      logger: deps.logger,
      transport: runtime.transport,
      allowPrivate: runtime.allowPrivate,
      owner: `waituntil:${crypto.randomUUID()}`,
      userAgent: `Patronus-Webhooks/${deps.version}`,
    }).catch((error: unknown) => deps.logger.warn({ err: String(error) }, 'webhook drain failed')),
  )
}
