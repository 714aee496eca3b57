/**
 * The control plane's Prometheus registry (Node: prom-client needs Node APIs). Request
 * counters and histograms are pushed by the HTTP middleware; the gauges that describe the
 * network (agents online, paths by state, outbox depth) are computed from the database at
 * scrape time, so every instance reports the same truth and nothing drifts. A dedicated
 * Registry per app: two servers in one process (tests) never share series.
 */
import { and, count, eq, isNull, like } from 'drizzle-orm'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Db } from '../db/client'
import { agents, events, pathStates, webhookDeliveries } from '../db/schema'
import { type DeliveryResult, METRIC, type MetricsRecorder } from './metric-names'

/** Seconds: API calls are milliseconds; long-polls hold up to 60 s. */
export const HTTP_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]

export interface PrometheusMetrics extends MetricsRecorder {
  registry: Registry
}

export function createPrometheusMetrics(db: Db): PrometheusMetrics {
  const registry = new Registry()
  const registers = [registry]
  const requests = new Counter({
    name: METRIC.httpRequests,
    help: 'API requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  })
  const duration = new Histogram({
    name: METRIC.httpDuration,
    help: 'Time to answer an API request (long-polls included), by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers,
  })
  const served = new Counter({
    name: METRIC.configRevisionsServed,
    help: 'Desired-state documents built and sent to agents (304 answers excluded).',
    registers,
  })
  const deliveries = new Counter({
    name: METRIC.webhookDeliveries,
    help: 'Webhook delivery attempts, by result (succeeded, retry, failed, lost, cancelled).',
    labelNames: ['result'] as const,
    registers,
  })
  new Gauge({
    name: METRIC.agentsOnline,
    help: 'Enrolled (not revoked) agents whose heartbeats are current.',
    registers,
    async collect() {
      const [row] = await db
        .select({ n: count() })
        .from(agents)
        .where(and(isNull(agents.revokedAt), eq(agents.presence, 'online')))
      this.set(row?.n ?? 0)
    },
  })
  new Gauge({
    name: METRIC.agentsEnrolled,
    help: 'Enrolled agents that are not revoked.',
    registers,
    async collect() {
      const [row] = await db.select({ n: count() }).from(agents).where(isNull(agents.revokedAt))
      this.set(row?.n ?? 0)
    },
  })
  new Gauge({
    name: METRIC.paths,
    help: 'Paths by state (up, down) as last reported by the agents.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const rows = await db
        .select({ state: pathStates.state, n: count() })
        .from(pathStates)
        .groupBy(pathStates.state)
      this.reset()
      this.set({ state: 'up' }, 0)
      this.set({ state: 'down' }, 0)
      for (const r of rows) this.set({ state: r.state }, r.n)
    },
  })
  new Counter({
    name: METRIC.pathEvents,
    help: 'Path events stored (path.down, path.up, path.failover, path.failback, path.sla_violation), by type.',
    labelNames: ['type'] as const,
    registers,
    async collect() {
      const rows = await db
        .select({ type: events.type, n: count() })
        .from(events)
        .where(like(events.type, 'path.%'))
        .groupBy(events.type)
      this.reset()
      for (const r of rows) this.inc({ type: r.type }, r.n)
    },
  })
  new Gauge({
    name: METRIC.webhookOutboxDepth,
    help: 'Webhook deliveries waiting for an attempt or a retry.',
    registers,
    async collect() {
      const [row] = await db
        .select({ n: count() })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.status, 'pending'))
      this.set(row?.n ?? 0)
    },
  })

  return {
    registry,
    httpRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) })
      duration.observe({ method, route }, seconds)
    },
    configServed() {
      served.inc()
    },
    webhookDelivery(result: DeliveryResult) {
      deliveries.inc({ result })
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() }
    },
  }
}
