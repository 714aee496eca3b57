/** Middleware for /v1/agent/*: the request must be signed by an active agent's identity key. */
import { createMiddleware } from 'hono/factory'
import { authenticateAgent } from '../services/agent-auth'
import type { AppEnv } from './env'

export const requireAgentSignature = createMiddleware<AppEnv>(async (c, next) => {
  const headers: Record<string, string> = {}
  c.req.raw.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value
  })
  // Hono caches the body, so the route can still parse it as JSON afterwards.
  const body = new Uint8Array(await c.req.arrayBuffer())
  const agent = await authenticateAgent(c.var.services, {
    method: c.req.method,
    url: c.req.url,
    headers,
    body,
  })
  c.set('agent', agent)
  await next()
})
