/**
 * Path telemetry and events, from agents to the control plane. An agent batches one
 * summary per path every 10 s (`POST /v1/agent/telemetry`) and posts path events as they
 * happen (`POST /v1/agent/events`). A path is (local slot, peer site, remote slot), as in
 * the path model.
 */
import { z } from 'zod'
import { MAX_EVENTS_PER_BATCH } from './batch-limits'

export const pathKeySchema = z.strictObject({
  peerSiteId: z.string().min(1).max(64),
  localSlot: z.number().int().min(0).max(15),
  remoteSlot: z.number().int().min(0).max(15),
})

export const pathSampleSchema = z.strictObject({
  /** End of the summarised interval, epoch milliseconds. */
  at: z.number().int().min(0),
  path: pathKeySchema,
  state: z.enum(['up', 'down']),
  rttMs: z.number().min(0).max(600_000).nullable(),
  jitterMs: z.number().min(0).max(600_000).nullable(),
  lossPct: z.number().min(0).max(100),
  mos: z.number().min(1).max(5).nullable(),
})

export const activePathSchema = z.strictObject({
  /** Policy id, or "default" for traffic no policy matches. */
  class: z.string().min(1).max(64),
  path: pathKeySchema,
  reason: z.string().max(200),
  since: z.number().int().min(0),
})

const counterFields = {
  packets: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
}

/**
 * What the site's eBPF classifier saw since the agent's previous report (deltas, so the
 * control plane sums them into rollups; a restarted classifier starts from zero again):
 * per policy class (a policy id, or "default" for unmatched traffic) and per recognised
 * application (tls, http, ssh, dns, sip, rtp or a named one).
 */
export const classTrafficSchema = z.strictObject({
  /** End of the interval the deltas cover, epoch milliseconds. */
  at: z.number().int().min(0),
  classes: z.array(z.strictObject({ class: z.string().min(1).max(64), ...counterFields })).max(64),
  applications: z
    .array(z.strictObject({ application: z.string().min(1).max(64), ...counterFields }))
    .max(256),
})

export const telemetryBatchSchema = z.strictObject({
  samples: z.array(pathSampleSchema).max(2000),
  activePaths: z.array(activePathSchema).max(2000).default([]),
  /** Optional: only agents running the eBPF classifier send it (docs/qos.md). */
  traffic: classTrafficSchema.optional(),
})

export const EVENT_TYPES = [
  'path.down',
  'path.up',
  'path.sla_violation',
  'path.failover',
  'path.failback',
  /** The agent's failure predictor flagged a path: P over the model's threshold. */
  'path.predicted_degradation',
  /**
   * A custom policy's scorer plugin could not score (not loaded, refused, too slow, failed):
   * its classes are scored lowest-latency until it can. One per (scorer, reason) change.
   */
  'scorer.fallback',
  'agent.online',
  'agent.offline',
  'agent.enrolled',
  'agent.revoked',
  'site.created',
  'site.deleted',
  'policy.changed',
  /** A webhook endpoint was disabled after 20 deliveries in a row failed for good. */
  'webhook.disabled',
] as const

/** Events an agent may report; the others are raised by the control plane itself. */
export const AGENT_EVENT_TYPES = [
  'path.down',
  'path.up',
  'path.sla_violation',
  'path.failover',
  'path.failback',
  'path.predicted_degradation',
  'scorer.fallback',
] as const

export const severitySchema = z.enum(['info', 'warning', 'critical'])

/**
 * Keys of a stored event's `details` that the control plane sets itself, from the event's
 * validated fields (`path`, `class`), the agent's identity (`agentId`) and its own clock
 * (`reportedAt`): incidents are keyed on them, so free-form details may not carry them.
 */
export const DERIVED_DETAIL_KEYS = ['path', 'class', 'agentId', 'reportedAt'] as const

const agentDetailsSchema = z.record(z.string(), z.unknown()).superRefine((details, ctx) => {
  for (const key of DERIVED_DETAIL_KEYS) {
    if (Object.hasOwn(details, key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `"${key}" is set by the control plane${key === 'path' || key === 'class' ? ` from the event's own "${key}" field` : ''}; details may not carry it`,
      })
    }
  }
})

export const agentEventSchema = z.strictObject({
  type: z.enum(AGENT_EVENT_TYPES),
  at: z.number().int().min(0),
  severity: severitySchema.optional(),
  path: pathKeySchema.optional(),
  /** Policy id or "default", for failover/failback/sla events. */
  class: z.string().max(64).optional(),
  /** Free-form; never one of DERIVED_DETAIL_KEYS. */
  details: agentDetailsSchema.optional(),
})

export { MAX_EVENTS_PER_BATCH }

export const agentEventBatchSchema = z.strictObject({
  events: z.array(agentEventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
})

export type PathKey = z.infer<typeof pathKeySchema>
export type PathSample = z.infer<typeof pathSampleSchema>
export type TelemetryBatch = z.infer<typeof telemetryBatchSchema>
export type ClassTraffic = z.infer<typeof classTrafficSchema>
export type AgentEvent = z.infer<typeof agentEventSchema>
export type EventType = (typeof EVENT_TYPES)[number]
export type Severity = z.infer<typeof severitySchema>

export const TELEMETRY_PATHS = {
  telemetry: '/v1/agent/telemetry',
  events: '/v1/agent/events',
} as const
