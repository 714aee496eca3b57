/**
 * What createApp needs from its entry point. The Node and Workers entry points build
 * these differently (file vs HTTP database, pino vs console); the app never knows which.
 */
import type { TracerProvider } from '@opentelemetry/api'
import type { Clock } from './clock'
import type { Db } from './db/client'
import type { ClientAddress } from './http/rate-limit'
import type { RateLimits } from './http/rate-limiter'
import type { Logger } from './logger'
import type { MetricsRecorder } from './observability/metric-names'
import type { ModelStore } from './services/models'
import type { RevisionNotifier } from './services/notifier'
import type { Quotas } from './services/quotas'
import type { WebhookRuntime } from './services/webhooks/runtime'

export interface AppDeps {
  db: Db
  clock: Clock
  logger: Logger
  /**
   * Resolves once the database is migrated and bootstrapped. Node awaits it before
   * listening; Workers start it on the first request of an isolate. Requests to /v1 and
   * /readyz wait for it.
   */
  ready: () => Promise<void>
  version: string
  /** Wakes long-polling agents of this process when their site's revision changes. */
  notifier: RevisionNotifier
  /**
   * How often a long-poll re-reads its site's revision, for changes made by another
   * instance that the notifier cannot hear (Workers isolates, several Node processes).
   */
  configPollIntervalMs: number
  /**
   * Aborted when the process begins to shut down (Node: SIGTERM, RunningServer.close()).
   * Long-polls then answer 304 at once, so the drain is not held open by agents waiting
   * for a change. Absent (Workers): the runtime ends requests itself.
   */
  shutdown?: AbortSignal
  /** Webhook delivery on this runtime; absent: private targets refused, no kicks. */
  webhooks?: WebhookRuntime
  /**
   * Traces (docs/observability.md): spans of requests, queries, config builds. Absent: the API's
   * global tracer, a no-op unless something registered one.
   */
  tracerProvider?: TracerProvider
  /** Prometheus metrics (Node); absent: `GET /metrics` answers 501 (Workers). */
  metrics?: MetricsDeps
  /**
   * Failure-prediction models for agents (Node: the shipped models/ directory).
   * Absent (Workers): desired states name no model and GET /v1/agent/models/{id} is 404.
   */
  models?: ModelStore
  /**
   * Rate limits per source address, API token and agent (docs/security.md, finding 5). Absent: in
   * process with the defaults (http/rate-limiter.ts), as Hono defaults a router it is not given.
   */
  rateLimits?: RateLimits
  /**
   * The caller's address (Node: the socket's peer, or a configured proxy header; Workers:
   * CF-Connecting-IP). Absent or undefined: all callers share the address bucket.
   */
  clientAddress?: ClientAddress
  /** Per-org quotas (sites, webhook endpoints, events per minute); absent: the defaults. */
  quotas?: Quotas
}

export interface MetricsDeps {
  recorder: MetricsRecorder
  /** PATRONUS_METRICS_TOKEN: callers presenting it as a bearer token may scrape. */
  token?: string | undefined
  /** The peer address of a request from the runtime's bindings, for the loopback rule. */
  remoteAddress?: (env: unknown) => string | undefined
}
