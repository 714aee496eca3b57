import { z } from '@hono/zod-openapi'
import { EVENT_TYPES, severitySchema } from '../../protocol/telemetry'

export const eventSchema = z
  .object({
    id: z.string(),
    siteId: z.string().nullable(),
    type: z.string(),
    severity: severitySchema,
    at: z.string(),
    source: z.enum(['agent', 'control-plane', 'operator']),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('Event')

export const eventQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
  type: z.enum(EVENT_TYPES).optional(),
  siteId: z.string().max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'ISO 8601 time' }),
})

/** Operators may raise events by hand (to test alerting and webhooks end to end). */
export const eventCreateSchema = z
  .strictObject({
    type: z.enum(EVENT_TYPES),
    siteId: z.string().max(64).nullable().default(null),
    severity: severitySchema.optional(),
    details: z.record(z.string(), z.unknown()).default({}),
  })
  .openapi('EventCreate')

const pathKey = z.object({ peerSiteId: z.string(), localSlot: z.number(), remoteSlot: z.number() })

export const sitePathsSchema = z
  .object({
    siteId: z.string(),
    paths: z.array(
      pathKey.extend({
        peerSiteName: z.string().nullable(),
        state: z.enum(['up', 'down']),
        rttMs: z.number().nullable(),
        jitterMs: z.number().nullable(),
        lossPct: z.number(),
        mos: z.number().nullable(),
        at: z.string(),
        stale: z.boolean(),
      }),
    ),
    activePaths: z.array(
      pathKey.extend({
        class: z.string(),
        className: z.string().nullable(),
        reason: z.string(),
        since: z.string(),
      }),
    ),
  })
  .openapi('SitePaths')

export const metricsQuerySchema = z.strictObject({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  step: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(60)
    .refine((s) => s % 60 === 0, 'a multiple of 60 seconds')
    .openapi({ description: 'seconds, a multiple of 60' }),
})

export const pathMetricsSchema = z
  .object({
    siteId: z.string(),
    from: z.string(),
    to: z.string(),
    stepSeconds: z.number(),
    series: z.array(
      z.object({
        path: pathKey,
        points: z.array(
          z.object({
            t: z.string(),
            samples: z.number(),
            rttMs: z.number().nullable(),
            rttMaxMs: z.number().nullable(),
            jitterMs: z.number(),
            lossPct: z.number(),
            mos: z.number().nullable(),
            mosMin: z.number().nullable(),
            downPct: z.number(),
          }),
        ),
      }),
    ),
  })
  .openapi('PathMetrics')

const trafficPoint = z.object({ t: z.string(), packets: z.number(), bytes: z.number() })
const trafficTotals = { packets: z.number(), bytes: z.number(), points: z.array(trafficPoint) }

/** What the site's eBPF classifier saw, per policy class and per application (docs/qos.md). */
export const siteTrafficSchema = z
  .object({
    siteId: z.string(),
    from: z.string(),
    to: z.string(),
    stepSeconds: z.number(),
    classes: z.array(
      z.object({
        class: z.string().openapi({ description: 'Policy id, or "default" (unmatched)' }),
        className: z.string().nullable(),
        ...trafficTotals,
      }),
    ),
    applications: z.array(z.object({ application: z.string(), ...trafficTotals })),
  })
  .openapi('SiteTraffic')
