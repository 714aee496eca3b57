/**
 * Authenticates an agent request signed per protocol/signing.ts. Each check fails with its
 * own problem type, so an operator reading an agent's log knows what to fix: an unsigned
 * or malformed request, a skewed clock, an unknown or revoked agent, a body that does not
 * match its digest, a bad signature, or a replayed nonce.
 */
import { and, eq, lt } from 'drizzle-orm'
import {
  contentDigest,
  fromBase64,
  MAX_CLOCK_SKEW_SECONDS,
  readSignatureInput,
  verifySignature,
} from '../../protocol/signing'
import { isUniqueViolation } from '../db/errors'
import { agentNonces, agents } from '../db/schema'
import { ProblemError } from '../errors'
import type { ServiceContext } from './context'

export type AgentRow = typeof agents.$inferSelect

export interface SignedRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: Uint8Array
}

/** One request in this many also purges expired nonces, keeping the table small. */
const PURGE_ONE_IN = 64

export async function authenticateAgent(
  ctx: ServiceContext,
  request: SignedRequest,
): Promise<AgentRow> {
  const params = readSignatureInput(request.headers['signature-input'])
  if (typeof params === 'string') throw new ProblemError('agent-signature-invalid', params)

  const nowSeconds = Math.floor(ctx.clock.now() / 1000)
  const skew = params.created - nowSeconds
  if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
    throw new ProblemError(
      'agent-clock-skew',
      `the signature was created ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the server clock; at most ${MAX_CLOCK_SKEW_SECONDS} s is accepted (check NTP on the site)`,
      { skewSeconds: skew },
    )
  }

  const agent = await activeAgent(ctx, params.keyId)

  if (request.headers['content-digest'] !== (await contentDigest(request.body))) {
    throw new ProblemError('agent-signature-invalid', 'the Content-Digest does not match the body')
  }
  if (!(await verifySignature(request, fromBase64(agent.identityPublicKey)))) {
    throw new ProblemError(
      'agent-signature-invalid',
      'the signature does not verify with the agent’s identity key',
    )
  }

  try {
    await ctx.db.insert(agentNonces).values({
      agentId: agent.id,
      nonce: params.nonce,
      expiresAt: (params.created + 2 * MAX_CLOCK_SKEW_SECONDS) * 1000,
    })
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ProblemError('agent-replay', 'this nonce was already used: the request is a replay')
    }
    throw error
  }
  if (Math.random() * PURGE_ONE_IN < 1) {
    await ctx.db.delete(agentNonces).where(and(lt(agentNonces.expiresAt, ctx.clock.now())))
  }
  return agent
}

/**
 * The agent's row if it may still be served, else the 401 saying why. Checked when a
 * request is authenticated and again after a long-poll's wait (docs/security.md, finding 7): a
 * revocation during the wait must not let the poll carry the new document out.
 */
export async function activeAgent(ctx: ServiceContext, agentId: string): Promise<AgentRow> {
  const [agent] = await ctx.db.select().from(agents).where(eq(agents.id, agentId))
  if (!agent) throw new ProblemError('agent-unknown', `no agent ${agentId}`)
  if (agent.revokedAt !== null) {
    throw new ProblemError('agent-revoked', `agent ${agent.id} was revoked; enroll again`)
  }
  return agent
}
