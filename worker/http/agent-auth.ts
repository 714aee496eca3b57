/**
 * Middleware for /v1/agent/*: the request must be signed by an active agent's identity key.
 * Failures count against the source address, verified requests against the agent.
 */
import { createMiddleware } from 'hono/factory'
import { readSignatureInput } from '../../protocol/signing'
import { authenticateAgent } from '../services/agent-auth'
import type { AppEnv } from './env'
import { authenticateLimited, limitAgent, peekAgent } from './rate-limit'

export const requireAgentSignature = createMiddleware<AppEnv>(async (c, next) => {
  const headers: Record<string, string> = {}
  c.req.raw.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value
  })
  // An agent over its limit is refused before its signature costs a verify and a nonce
  // write. The key id is only claimed here: peeking spends nothing, so a forger naming
  // another agent cannot use up that agent's budget.
  const claimed = readSignatureInput(headers['signature-input'])
  if (typeof claimed !== 'string') await peekAgent(c, claimed.keyId)
  // Hono caches the body, so the route can still parse it as JSON afterwards.
  const body = new Uint8Array(await c.req.arrayBuffer())
  const agent = await authenticateLimited(c, () =>
    authenticateAgent(c.var.services, { method: c.req.method, url: c.req.url, headers, body }),
  )
  // Counted after the signature verified: a forged agent id cannot spend a real agent's budget.
  await limitAgent(c, agent.id)
  c.set('agent', agent)
  await next()
})
