import type { OpenAPIHono } from '@hono/zod-openapi'
import { migrationsUpToDate } from '../db/migrate'
import type { AppEnv } from '../http/env'

/** Liveness says the process answers; readiness says the database is reachable and migrated. */
export function healthRoutes(app: OpenAPIHono<AppEnv>) {
  app.get('/healthz', (c) => c.json({ status: 'ok', version: c.var.deps.version }))

  app.get('/readyz', async (c) => {
    try {
      await c.var.deps.ready()
      if (!(await migrationsUpToDate(c.var.deps.db))) {
        return c.json({ status: 'unready', reason: 'migrations pending' }, 503)
      }
      return c.json({ status: 'ready' })
    } catch (error) {
      c.var.deps.logger.warn({ err: String(error) }, 'readiness check failed')
      return c.json({ status: 'unready', reason: 'database unreachable' }, 503)
    }
  })
}
