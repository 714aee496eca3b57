/**
 * Request guards that apply to every /v1 route: JSON bodies only (415 otherwise), and
 * role checks for mutations (viewers read, operators change the network, admins manage
 * tokens).
 */
import { createMiddleware } from 'hono/factory'
import { ProblemError } from '../errors'
import type { Actor, Role } from '../services/context'

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 }

export function requireRole(actor: Actor, role: Role): void {
  if (RANK[actor.role] < RANK[role]) {
    throw new ProblemError('forbidden', `this needs the ${role} role; the token has ${actor.role}`)
  }
}

export const requireJsonBody = createMiddleware(async (c, next) => {
  const method = c.req.method
  if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
    const type = c.req.header('content-type') ?? ''
    const length = c.req.header('content-length')
    const hasBody = length !== '0' && (length !== undefined || c.req.header('transfer-encoding'))
    if (hasBody && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) {
      throw new ProblemError(
        'unsupported-media-type',
        `request bodies must be application/json, not "${type || 'none'}"`,
      )
    }
  }
  await next()
})
