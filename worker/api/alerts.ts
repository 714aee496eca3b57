import { z } from '@hono/zod-openapi'
import { EVENT_TYPES, severitySchema } from '../../protocol/telemetry'
import { parseSelector } from '../services/alerts/selector'
import { nameSchema } from './common'

const selectorSchema = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .superRefine((text, ctx) => {
    const parsed = parseSelector(text)
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
  })
  .openapi({
    description:
      'Site label selector: comma-separated `k=v`, `k!=v`, `k=~regex`, `k!~regex`, `k`, `!k`',
    example: 'region=eu,tier=~gold|silver',
  })

const siteIdsSchema = z.array(z.string().max(64)).min(1).max(500)

export const metricSchema = z
  .strictObject({
    name: z.enum(['lossPct', 'rttMs', 'jitterMs', 'mos']),
    op: z.enum(['gt', 'lt']),
    threshold: z.number().min(0).max(600_000),
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(86_400)
      .refine((s) => s % 60 === 0, 'a multiple of 60 seconds'),
  })
  .openapi('AlertMetric')

const ruleFields = {
  name: nameSchema,
  enabled: z.boolean().default(true),
  eventTypes: z.array(z.enum(EVENT_TYPES)).min(1).max(32).optional(),
  metric: metricSchema.optional(),
  siteIds: siteIdsSchema.nullable().optional(),
  siteSelector: selectorSchema.nullable().optional(),
  minSeverity: severitySchema.default('info'),
  severity: severitySchema.default('warning'),
  resolveAfterSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .nullable()
    .optional(),
  repeatIntervalSeconds: z
    .number()
    .int()
    .min(300)
    .max(7 * 86_400)
    .nullable()
    .optional(),
}

const oneKind = (r: { eventTypes?: unknown; metric?: unknown }) =>
  (r.eventTypes === undefined) !== (r.metric === undefined)

export const alertRuleCreateSchema = z
  .strictObject(ruleFields)
  .refine(oneKind, {
    message: 'give either eventTypes (an event rule) or metric (a threshold rule)',
  })
  .openapi('AlertRuleCreate')

export const alertRuleUpdateSchema = z
  .strictObject({
    name: nameSchema.optional(),
    enabled: z.boolean().optional(),
    eventTypes: ruleFields.eventTypes,
    metric: ruleFields.metric,
    siteIds: ruleFields.siteIds,
    siteSelector: ruleFields.siteSelector,
    minSeverity: severitySchema.optional(),
    severity: severitySchema.optional(),
    resolveAfterSeconds: ruleFields.resolveAfterSeconds,
    repeatIntervalSeconds: ruleFields.repeatIntervalSeconds,
  })
  .openapi('AlertRuleUpdate')

export const alertRuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    kind: z.enum(['event', 'metric']),
    eventTypes: z.array(z.string()),
    metric: metricSchema.nullable(),
    siteIds: z.array(z.string()).nullable(),
    siteSelector: z.string().nullable(),
    minSeverity: severitySchema,
    severity: severitySchema,
    resolveAfterSeconds: z.number().nullable(),
    repeatIntervalSeconds: z.number().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .openapi('AlertRule')

export const alertSchema = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    ruleName: z.string().nullable(),
    incidentKey: z.string(),
    siteId: z.string().nullable(),
    status: z.enum(['firing', 'resolved']),
    severity: severitySchema,
    summary: z.string(),
    details: z.record(z.string(), z.unknown()),
    eventCount: z.number().int(),
    startedAt: z.string(),
    lastEventAt: z.string(),
    resolvedAt: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
    notifiedAt: z.string().nullable(),
  })
  .openapi('Alert')

export const alertQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  ruleId: z.string().max(64).optional(),
  siteId: z.string().max(64).optional(),
})

export const silenceCreateSchema = z
  .strictObject({
    ruleId: z.string().max(64).nullable().optional(),
    siteIds: siteIdsSchema.nullable().optional(),
    siteSelector: selectorSchema.nullable().optional(),
    comment: z.string().trim().min(1).max(500),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }),
  })
  .refine((s) => s.ruleId || s.siteIds || s.siteSelector, {
    message: 'a silence needs ruleId, siteIds or siteSelector (it would mute everything)',
  })
  .openapi('SilenceCreate')

export const silenceSchema = z
  .object({
    id: z.string(),
    ruleId: z.string().nullable(),
    siteIds: z.array(z.string()).nullable(),
    siteSelector: z.string().nullable(),
    comment: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('Silence')

export const silenceQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
  active: z.enum(['true', 'false']).optional(),
})

export type AlertRuleCreate = z.infer<typeof alertRuleCreateSchema>
export type AlertRuleUpdate = z.infer<typeof alertRuleUpdateSchema>
export type SilenceCreate = z.infer<typeof silenceCreateSchema>
