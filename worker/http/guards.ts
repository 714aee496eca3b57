/**
 * Request guards that apply to every /v1 route: JSON bodies only (415 otherwise), and
 * role checks for mutations (viewers read, operators change the network, admins manage
 * tokens).
 */
import { createMiddleware } from 'hono/factory'
import { ProblemError } from '../errors'
import type { Actor, Role } from '../services/context'
import type { AppEnv } from './env'

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 }

export function requireRole(actor: Actor, role: Role): void {
  if (RANK[actor.role] < RANK[role]) {
    throw new ProblemError('forbidden', `this needs the ${role} role; the token has ${actor.role}`)
  }
}

const isMutation = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS'

/** Viewers never mutate: refused before the body is even validated. */
export const viewersReadOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (isMutation(c.req.method)) requireRole(c.var.actor, 'operator')
  await next()
})

const takesBody = (method: string) => method === 'POST' || method === 'PATCH' || method === 'PUT'

export const requireJsonBody = createMiddleware(async (c, next) => {
  // DELETE takes no body here; an empty body (Content-Length: 0) needs no type either.
  const empty = c.req.header('content-length') === '0'
  if (takesBody(c.req.method) && c.req.raw.body !== null && !empty) {
    const type = c.req.header('content-type') ?? ''
    if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) {
      throw new ProblemError(
        'unsupported-media-type',
        `request bodies must be application/json, not "${type || 'none'}"`,
      )
    }
  }
  await next()
})
