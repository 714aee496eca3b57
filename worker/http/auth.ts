/**
 * Bearer-token authentication for operator routes: resolves the token to an Actor (org,
 * role) that every service call is scoped by. The reason for a 401 is in the problem's
 * detail (missing, invalid, revoked), never the token itself.
 */
import { createMiddleware } from 'hono/factory'
import { ProblemError } from '../errors'
import { authenticateToken } from '../services/tokens'
import type { AppEnv } from './env'
import { authenticateLimited, limitToken } from './rate-limit'

export const requireApiToken = createMiddleware<AppEnv>(async (c, next) => {
  // A missing or malformed header is a failed authentication too: it counts per address.
  const actor = await authenticateLimited(c, async () => {
    const header = c.req.header('authorization')
    const match = header ? /^Bearer\s+(\S{8,512})\s*$/i.exec(header) : null
    if (!match) {
      throw new ProblemError(
        'unauthenticated',
        header ? 'the Authorization header is not "Bearer <token>"' : 'an API token is required',
      )
    }
    return authenticateToken(c.var.services, match[1]!)
  })
  await limitToken(c, actor.id)
  c.set('actor', actor)
  await next()
})
