/** The Hono environment of the app: what middleware puts on the context for routes. */
import type { AppDeps } from '../deps'
import type { AgentRow } from '../services/agent-auth'
import type { Actor, ServiceContext } from '../services/context'
import type { RateLimits } from './rate-limiter'

export interface AppEnv {
  Variables: {
    deps: AppDeps
    services: ServiceContext
    actor: Actor
    agent: AgentRow
    rateLimits: RateLimits
    /** The protocol version the calling agent speaks (http/protocol-version.ts). */
    protocolVersion: number
  }
}
