/**
 * The app on Node with small rate limits and quotas (docs/security.md, finding 5), and requests
 * that arrive from a chosen peer address: each goes through the same `env` bindings that
 * @hono/node-server hands the app (`incoming.socket.remoteAddress`), read by the Node
 * entry's own nodeClientAddress. The limiters run on a clock the test moves.
 */

import { createApp } from '../../worker/app'
import type { Clock } from '../../worker/clock'
import {
  DEFAULT_RATE_LIMITS,
  inProcessRateLimits,
  type RateLimitConfig,
} from '../../worker/http/rate-limiter'
import { nodeClientAddress } from '../../worker/server'
import { DEFAULT_QUOTAS, type Quotas } from '../../worker/services/quotas'
import type { ApiTarget } from '../api/harness'
import { type NodeTarget, startNodeTarget } from '../api/node-target'

export class ManualClock implements Clock {
  constructor(private at = Date.now()) {}
  now(): number {
    return this.at
  }
  advance(ms: number): void {
    this.at += ms
  }
}

export interface LimitedTarget {
  node: NodeTarget
  /** The limiters' clock. */
  limiterClock: ManualClock
  /** The app as a client at `address` reaches it. */
  from(address: string, headers?: Record<string, string>): ApiTarget
}

export async function startLimitedTarget(
  options: {
    limits?: Partial<RateLimitConfig>
    quotas?: Partial<Quotas>
    /** PATRONUS_CLIENT_ADDRESS_HEADER */
    addressHeader?: string
    clock?: Clock
  } = {},
): Promise<LimitedTarget> {
  const limiterClock = new ManualClock()
  const node = await startNodeTarget({
    rateLimits: inProcessRateLimits({ ...DEFAULT_RATE_LIMITS, ...options.limits }, limiterClock),
    clientAddress: nodeClientAddress(options.addressHeader),
    quotas: { ...DEFAULT_QUOTAS, ...options.quotas },
    ...(options.clock ? { clock: options.clock } : {}),
  })
  const app = createApp(node.deps)
  return {
    node,
    limiterClock,
    from: (address, headers = {}) => ({
      ...node,
      fetch: async (path, init) => {
        const request = new Request(`http://patronus.test${path}`, init)
        for (const [name, value] of Object.entries(headers)) request.headers.set(name, value)
        return app.fetch(request, { incoming: { socket: { remoteAddress: address } } })
      },
    }),
  }
}
