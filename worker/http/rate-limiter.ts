/**
 * The rate limiters the app is given (docs/security.md, finding 5), behind one small interface so
 * the app does not know where the counts live: in process on Node (token buckets), in the
 * Workers Rate Limiting binding on Cloudflare (counted per location by Cloudflare, shared by
 * every isolate), or in process on a Worker deployed without the binding.
 */
import type { Clock } from '../clock'
import type { Logger } from '../logger'
import { type RateDecision, TokenBuckets } from './token-bucket'

export type { RateDecision } from './token-bucket'

export interface RateLimiter {
  /** Counts one request of `key`; `ok: false` when the key is over its limit. */
  limit(key: string): Promise<RateDecision>
  /**
   * Whether `key` is over its limit now, counting nothing. May answer ok when unsure (the
   * binding cannot be asked without counting): `limit` is what enforces.
   */
  peek(key: string): Promise<RateDecision>
}

/** The three limits of docs/security.md: per source address, per API token, per agent. */
export interface RateLimits {
  /** Failed authentications and enrollment attempts, per source address. */
  address: RateLimiter
  /** Requests per API token (operators). */
  token: RateLimiter
  /** Requests per agent, after its signature verified. */
  agent: RateLimiter
}

/** Requests per minute for each limit. */
export interface RateLimitConfig {
  address: number
  token: number
  agent: number
}

/**
 * Defaults: generous for people and agents, tight only where nobody legitimate is fast.
 * - address 300/min (5/s): a person mistyping a token, a lab enrolling dozens of sites at
 *   once, a test suite from one address stay under it; guessing tokens or enrollment
 *   tokens at any useful rate does not.
 * - token 1200/min (20/s sustained, bursts of 1200): a dashboard polls a few requests every
 *   few seconds; scripts get headroom; one leaked token cannot saturate the writer.
 * - agent 600/min: an agent sends a heartbeat, a telemetry batch every 10 s, events and a
 *   long-poll (about 10/min); 600 leaves room for retries and a busy event stream.
 */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = { address: 300, token: 1200, agent: 600 }

const UNLIMITED: RateLimiter = {
  limit: async () => ({ ok: true, retryAfterS: 0 }),
  peek: async () => ({ ok: true, retryAfterS: 0 }),
}

/** Token buckets of `limitPerMinute` (0: no limit, e.g. for benchmarks). */
export function inProcessLimiter(limitPerMinute: number, clock: Clock): RateLimiter {
  if (limitPerMinute === 0) return UNLIMITED
  const buckets = new TokenBuckets({ limit: limitPerMinute, periodMs: 60_000, clock })
  return {
    limit: async (key) => buckets.take(key),
    peek: async (key) => buckets.peek(key),
  }
}

export function inProcessRateLimits(
  config: RateLimitConfig = DEFAULT_RATE_LIMITS,
  clock: Clock,
): RateLimits {
  return {
    address: inProcessLimiter(config.address, clock),
    token: inProcessLimiter(config.token, clock),
    agent: inProcessLimiter(config.agent, clock),
  }
}

/** The Workers Rate Limiting binding's shape (`[[ratelimits]]` in wrangler.toml). */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

/** Refusals remembered per isolate for peek, at most this many keys. */
const MAX_REMEMBERED = 10_000

/**
 * The binding as a RateLimiter. The binding only says yes or no, per fixed window of
 * `periodS` (10 or 60 s), so a refusal's Retry-After is the whole period: the honest upper
 * bound. `peek` cannot ask the binding without counting, so it answers from the refusals
 * this isolate saw (until their period ends); other isolates' refusals count on their own.
 */
export function bindingLimiter(binding: RateLimitBinding, periodS: number, clock: Clock) {
  const refusedUntil = new Map<string, number>()
  const limiter: RateLimiter = {
    async limit(key) {
      const { success } = await binding.limit({ key })
      if (success) return { ok: true, retryAfterS: 0 }
      if (refusedUntil.size >= MAX_REMEMBERED) refusedUntil.clear()
      refusedUntil.set(key, clock.now() + periodS * 1000)
      return { ok: false, retryAfterS: periodS }
    },
    async peek(key) {
      const until = refusedUntil.get(key)
      if (until === undefined) return { ok: true, retryAfterS: 0 }
      const left = until - clock.now()
      if (left <= 0) {
        refusedUntil.delete(key)
        return { ok: true, retryAfterS: 0 }
      }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil(left / 1000)) }
    },
  }
  return limiter
}

/**
 * Each limit from its binding when the Worker has one, else in process (per isolate, so
 * weaker: a client spread over isolates gets more), logged once per isolate.
 */
export function workersRateLimits(
  bindings: { address?: RateLimitBinding; token?: RateLimitBinding; agent?: RateLimitBinding },
  fallback: RateLimitConfig,
  clock: Clock,
  logger: Logger,
  periodS = 60,
): RateLimits {
  const missing = (['address', 'token', 'agent'] as const).filter((k) => !bindings[k])
  if (missing.length > 0) {
    logger.warn(
      { missing },
      'no Rate Limiting binding for these limits (wrangler.toml [[ratelimits]]): counting per isolate instead',
    )
  }
  const pick = (k: keyof RateLimitConfig) => {
    const binding = bindings[k]
    return binding ? bindingLimiter(binding, periodS, clock) : inProcessLimiter(fallback[k], clock)
  }
  return { address: pick('address'), token: pick('token'), agent: pick('agent') }
}
