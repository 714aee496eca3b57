/** Path state, path metrics and events, for operators; telemetry and events from agents. */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { eq } from 'drizzle-orm'
import type { Context } from 'hono'
import { MAX_EVENTS_PER_BATCH, MAX_EVENTS_PER_BATCH_V1 } from '../../protocol/batch-limits'
import {
  agentEventBatchSchema,
  agentEventSchema,
  telemetryBatchSchema,
} from '../../protocol/telemetry'
import { pageOf, pathId } from '../api/common'
import {
  eventCreateSchema,
  eventQuerySchema,
  eventSchema,
  metricsQuerySchema,
  pathMetricsSchema,
  sitePathsSchema,
  siteTrafficSchema,
} from '../api/telemetry'
import { events } from '../db/schema'
import { invalid } from '../errors'
import type { AppEnv } from '../http/env'
import { ingestAgentEvents } from '../services/agent-events'
import type { TimeAdjustments } from '../services/agent-time'
import { loadAlerting } from '../services/alerts/event-plan'
import { getSiteTraffic } from '../services/class-traffic'
import { listEvents, recordEvent, toEventView } from '../services/events'
import { getPathMetrics, getSitePaths } from '../services/paths'
import { maxEventsPerBatch } from '../services/protocol-compat'
import { assertEventQuota, DEFAULT_QUOTAS } from '../services/quotas'
import { findSiteRow } from '../services/sites'
import { ingestTelemetry } from '../services/telemetry'
import {
  authProblems,
  bodyProblems,
  jsonBody,
  jsonContent,
  noContent,
  notFoundProblem,
} from './openapi'

const siteParams = z.strictObject({ siteId: pathId('siteId') })

/**
 * The route takes the largest batch of any served version (v1 agents send up to 500);
 * the handler then holds each agent to its own version's limit (services/protocol-compat.ts).
 */
const servedEventBatchSchema = agentEventBatchSchema
  .extend({ events: z.array(agentEventSchema).min(1).max(MAX_EVENTS_PER_BATCH_V1) })
  .openapi('AgentEventBatch', {
    description: `At most ${MAX_EVENTS_PER_BATCH} events (protocol v1 agents: ${MAX_EVENTS_PER_BATCH_V1})`,
  })

/** Timestamps outside the accepted window (services/agent-time.ts) are counted in the log. */
function warnAdjusted(c: Context<AppEnv>, what: string, result: TimeAdjustments) {
  if (result.clamped === 0 && result.dropped === 0) return
  c.var.deps.logger.warn(
    { agentId: c.var.agent.id, clamped: result.clamped, dropped: result.dropped },
    `agent ${what}: timestamps outside the accepted window`,
  )
}

export function agentTelemetryRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agent/telemetry',
      tags: ['Agents'],
      summary: 'Per-path summaries (batched, every 10 s) and the active path per class',
      security: [{ agentSignature: [] }],
      request: jsonBody(telemetryBatchSchema.openapi('TelemetryBatch')),
      responses: { ...noContent, ...authProblems, ...bodyProblems },
    }),
    async (c) => {
      const result = await ingestTelemetry(c.var.services, c.var.agent, c.req.valid('json'))
      warnAdjusted(c, 'telemetry', result)
      return c.body(null, 204)
    },
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agent/events',
      tags: ['Agents'],
      summary: 'Path events seen by the agent (down, up, SLA violation, failover, failback)',
      security: [{ agentSignature: [] }],
      request: jsonBody(servedEventBatchSchema),
      responses: {
        201: jsonContent(z.object({ ids: z.array(z.string()) }), 'The stored events'),
        ...authProblems,
        ...bodyProblems,
      },
    }),
    async (c) => {
      const list = c.req.valid('json').events
      const max = maxEventsPerBatch(c.var.protocolVersion)
      if (list.length > max) {
        throw invalid([
          {
            path: 'events',
            message: `at most ${max} events per request (protocol v${c.var.protocolVersion}); send the rest in further requests`,
          },
        ])
      }
      const result = await ingestAgentEvents(c.var.services, c.var.agent, list)
      warnAdjusted(c, 'events', result)
      return c.json({ ids: result.ids }, 201)
    },
  )
}

export function telemetryRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sites/{siteId}/paths',
      tags: ['Paths'],
      summary: 'Current state of every path of the site and the active path of each class',
      request: { params: siteParams },
      responses: {
        200: jsonContent(sitePathsSchema, 'Paths'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      c.json(await getSitePaths(c.var.services, c.var.actor, c.req.valid('param').siteId), 200),
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sites/{siteId}/paths/metrics',
      tags: ['Paths'],
      summary: 'Path latency, jitter, loss and MOS over time (from one-minute rollups)',
      request: { params: siteParams, query: metricsQuerySchema },
      responses: {
        200: jsonContent(pathMetricsSchema, 'Series per path'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const { from, to, step } = c.req.valid('query')
      const metrics = await getPathMetrics(
        c.var.services,
        c.var.actor,
        c.req.valid('param').siteId,
        {
          from: Date.parse(from),
          to: Date.parse(to),
          stepSeconds: step,
        },
      )
      return c.json(metrics, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sites/{siteId}/traffic',
      tags: ['Paths'],
      summary:
        'Traffic per policy class and per application seen by the site’s eBPF classifier (one-minute rollups)',
      request: { params: siteParams, query: metricsQuerySchema },
      responses: {
        200: jsonContent(siteTrafficSchema, 'Series and totals per class and application'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const { from, to, step } = c.req.valid('query')
      const traffic = await getSiteTraffic(
        c.var.services,
        c.var.actor,
        c.req.valid('param').siteId,
        { from: Date.parse(from), to: Date.parse(to), stepSeconds: step },
      )
      return c.json(traffic, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events',
      tags: ['Events'],
      summary: 'Events, newest first (filters: type, siteId, since)',
      request: { query: eventQuerySchema },
      responses: {
        200: jsonContent(pageOf(eventSchema, 'EventPage'), 'A page of events'),
        ...authProblems,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const page = await listEvents(c.var.services, c.var.actor, {
        ...q,
        since: q.since ? Date.parse(q.since) : undefined,
      })
      return c.json(page, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/events',
      tags: ['Events'],
      summary: 'Raise an event by hand (operator), e.g. to test alert rules and webhooks',
      request: jsonBody(eventCreateSchema),
      responses: {
        201: jsonContent(eventSchema, 'The event'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const input = c.req.valid('json')
      const { services, actor } = c.var
      if (input.siteId) await findSiteRow(services.db, actor.orgId, input.siteId)
      const now = services.clock.now()
      // Rules are matched before the transaction: it only writes.
      const alerting = await loadAlerting(services.db, actor.orgId, [input.siteId ?? null], now)
      const id = await services.db.transaction(async (tx) => {
        await assertEventQuota(tx, actor.orgId, 1, now, services.quotas ?? DEFAULT_QUOTAS)
        const row = await recordEvent(
          tx,
          {
            orgId: actor.orgId,
            siteId: input.siteId,
            type: input.type,
            severity: input.severity,
            at: now,
            source: 'operator',
            details: { ...input.details, actor: actor.id },
          },
          now,
          alerting,
        )
        return row
      })
      const [row] = await services.db.select().from(events).where(eq(events.id, id))
      return c.json(toEventView(row!), 201)
    },
  )
}
