/**
 * Where the rate limits of docs/security.md (finding 5) apply. Three keys:
 * - the source address, for what anybody can send without a credential: every enrollment
 *   attempt and every failed authentication (wrong or revoked token, bad agent signature)
 *   counts. An address over its limit gets 429 on every request that needs a credential
 *   until it earns one back, so guessing stops costing us lookups (and a correct guess made
 *   while over the limit is refused too);
 * - the API token, for every request it authenticates;
 * - the agent, for every request whose signature verified.
 * Refusals are 429 `rate-limited` problems with `Retry-After` (RFC 6585 sec. 4).
 */
import type { Context } from 'hono'
import { ProblemError } from '../errors'
import type { AppEnv } from './env'
import type { RateDecision, RateLimits } from './rate-limiter'

/** Where the app finds the caller's address; returns undefined when it cannot tell. */
export type ClientAddress = (request: Request, env: unknown) => string | undefined

/**
 * The bucket key of an address. An IPv6 host usually holds a whole /64, so the /64 is the
 * key (else one host could cycle 2^64 addresses). A missing address shares one bucket.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'addr:unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return `addr:${mapped[1]}`
  if (!address.includes(':')) return `addr:${address}`
  return `addr:${ipv6Prefix64(address)}`
}

/** The first four groups of an IPv6 address, expanded (`2001:db8::1` -> `2001:db8:0:0`). */
function ipv6Prefix64(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase()
  const [head = '', tail] = bare.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const missing = tail === undefined ? 0 : 8 - left.length - right.length
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right]
  return groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')
}

export function rateLimited(decision: RateDecision, what: string, variable: string): ProblemError {
  return new ProblemError(
    'rate-limited',
    `too many requests ${what}; retry in ${decision.retryAfterS} s (limit per minute: ${variable})`,
    { retryAfterSeconds: decision.retryAfterS },
  )
}

function limitsOf(c: Context<AppEnv>): { limits: RateLimits; key: string } {
  const deps = c.var.deps
  const limits = c.var.rateLimits
  return { limits, key: addressKey(deps.clientAddress?.(c.req.raw, c.env)) }
}

const authFailuresRefused = (decision: RateDecision) =>
  rateLimited(
    decision,
    'failed or unauthenticated from this address',
    'PATRONUS_RATE_LIMIT_ADDRESS',
  )

const isAuthFailure = (error: unknown) => error instanceof ProblemError && error.status === 401

/**
 * Runs `authenticate` for a request that presents a credential. Refused up front when its
 * address is over the limit; a failure (401) counts against the address and becomes a 429
 * once the address is over it.
 */
export async function authenticateLimited<T>(
  c: Context<AppEnv>,
  authenticate: () => Promise<T>,
): Promise<T> {
  const { limits, key } = limitsOf(c)
  const before = await limits.address.peek(key)
  if (!before.ok) {
    throw authFailuresRefused(before)
  }
  try {
    return await authenticate()
  } catch (error) {
    if (!isAuthFailure(error)) throw error
    const decision = await limits.address.limit(key)
    if (!decision.ok) {
      throw authFailuresRefused(decision)
    }
    throw error
  }
}

/** Counts a request that needs no credential (an enrollment attempt) against its address. */
export async function limitAddress(c: Context<AppEnv>): Promise<void> {
  const { limits, key } = limitsOf(c)
  const decision = await limits.address.limit(key)
  if (!decision.ok) {
    throw rateLimited(
      decision,
      'without credentials from this address',
      'PATRONUS_RATE_LIMIT_ADDRESS',
    )
  }
}

export async function limitToken(c: Context<AppEnv>, tokenId: string): Promise<void> {
  const decision = await c.var.rateLimits.token.limit(`token:${tokenId}`)
  if (!decision.ok) throw rateLimited(decision, 'for this API token', 'PATRONUS_RATE_LIMIT_TOKEN')
}

export async function peekAgent(c: Context<AppEnv>, agentId: string): Promise<void> {
  const decision = await c.var.rateLimits.agent.peek(`agent:${agentId}`)
  if (!decision.ok) throw rateLimited(decision, 'for this agent', 'PATRONUS_RATE_LIMIT_AGENT')
}

export async function limitAgent(c: Context<AppEnv>, agentId: string): Promise<void> {
  const decision = await c.var.rateLimits.agent.limit(`agent:${agentId}`)
  if (!decision.ok) throw rateLimited(decision, 'for this agent', 'PATRONUS_RATE_LIMIT_AGENT')
}
