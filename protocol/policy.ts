/**
 * Traffic policies: which traffic (match) goes where and how (action). The control plane
 * validates them with these schemas and sends them unchanged to the agents, which steer
 * each policy's traffic class accordingly.
 */
import { z } from 'zod'
import { applicationNameSchema } from './applications'
import { normaliseCidr } from './net'

export const cidrSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const normal = normaliseCidr(value.trim())
    if (!normal) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a CIDR prefix (e.g. 10.1.0.0/16 or 2001:db8::/48)`,
      })
      return z.NEVER
    }
    return normal
  })

const portRange = z
  .string()
  .regex(/^\d{1,5}-\d{1,5}$/, 'a port range is "from-to", e.g. "8000-8100"')
  .refine((text) => {
    const [from, to] = text.split('-').map(Number) as [number, number]
    return from >= 1 && to <= 65535 && from <= to
  }, 'a port range needs 1 <= from <= to <= 65535')

export const portSpecSchema = z.union([z.number().int().min(1).max(65535), portRange])

const labelKey = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.\-/]{0,62}$/, 'invalid label key')
export const labelsSchema = z
  .record(labelKey, z.string().max(128))
  .refine((labels) => Object.keys(labels).length <= 64, 'at most 64 labels')

export const policyMatchSchema = z.strictObject({
  /** Builtin, default-catalogue or org-defined applications (applications.ts); any one matches. */
  applications: z.array(applicationNameSchema).max(64).optional(),
  protocols: z
    .array(z.enum(['tcp', 'udp', 'icmp', 'any']))
    .max(4)
    .optional(),
  ports: z.array(portSpecSchema).max(64).optional(),
  dscp: z.array(z.number().int().min(0).max(63)).max(64).optional(),
  sourcePrefixes: z.array(cidrSchema).max(256).optional(),
  destinationPrefixes: z.array(cidrSchema).max(256).optional(),
  siteLabels: labelsSchema.optional(),
})

export const slaSchema = z.strictObject({
  maxLatencyMs: z.number().positive().max(60_000).optional(),
  maxJitterMs: z.number().positive().max(60_000).optional(),
  maxLossPct: z.number().min(0).max(100).optional(),
})

export const PATH_PREFERENCES = [
  'lowest-latency',
  'highest-bandwidth',
  'lowest-cost',
  'load-balance',
  'custom',
] as const

/**
 * Egress shaping of a class on every shaped uplink (HTB, docs/qos.md): `rateMbps` is
 * guaranteed, the class may borrow up to `ceilMbps` (default: the uplink) when others leave
 * it idle, `priority` orders borrowing (0 first, 7 last), `burstBytes` is the token bucket's
 * depth (sent at line rate before the rate applies).
 */
export const policyQosSchema = z
  .strictObject({
    rateMbps: z.number().positive().max(1_000_000),
    ceilMbps: z.number().positive().max(1_000_000).optional(),
    priority: z.number().int().min(0).max(7).optional(),
    burstBytes: z.number().int().min(1_500).max(16_777_216).optional(),
  })
  .refine((q) => q.ceilMbps === undefined || q.ceilMbps >= q.rateMbps, {
    path: ['ceilMbps'],
    message: 'ceilMbps must be at least rateMbps',
  })

export const BALANCE_MODES = ['per-flow', 'per-packet'] as const

/**
 * A scorer plugin's name (`PUT /v1/scorers/{name}`), as `custom` policies name it: also a
 * path segment, so no slash, no dot-only name, nothing to escape.
 */
export const scorerNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'a scorer name: a-z, 0-9, _ . - (1-64, first a-z0-9)')

export const policyActionSchema = z
  .strictObject({
    preference: z.enum(PATH_PREFERENCES),
    /** Name of a scorer plugin; required when preference is `custom`. */
    scorer: scorerNameSchema.optional(),
    sla: slaSchema.optional(),
    fec: z.boolean().optional(),
    compression: z.boolean().optional(),
    /**
     * Move this class off a path early when the agent's failure predictor flags it
     * (agent/predict). Default: on when the action has an `sla` (a class with an SLA is one whose
     * traffic suffers during the detection window), off otherwise; see predictiveOf.
     */
    predictive: z.boolean().optional(),
    /**
     * load-balance only: a flow stays on one path (per-flow, the default) or every packet
     * picks a path by weight (per-packet: more even, but reorders within a flow).
     */
    balance: z.enum(BALANCE_MODES).optional(),
    /** Egress shaping of the class's traffic (HTB on every shaped uplink, docs/qos.md). */
    qos: policyQosSchema.optional(),
  })
  .superRefine((action, ctx) => {
    if (action.balance && action.preference !== 'load-balance') {
      ctx.addIssue({
        code: 'custom',
        path: ['balance'],
        message: 'only allowed with preference load-balance',
      })
    }
    if (action.preference === 'custom' && !action.scorer) {
      ctx.addIssue({
        code: 'custom',
        path: ['scorer'],
        message: 'required when preference is custom',
      })
    }
    if (action.preference !== 'custom' && action.scorer) {
      ctx.addIssue({
        code: 'custom',
        path: ['scorer'],
        message: 'only allowed with preference custom',
      })
    }
  })

/** Whether a policy action opts in to predictive moves: explicit, else "has an SLA". */
export function predictiveOf(action: { predictive?: boolean | undefined; sla?: unknown }): boolean {
  return action.predictive ?? action.sla !== undefined
}

export type PolicyMatch = z.infer<typeof policyMatchSchema>
export type PolicyAction = z.infer<typeof policyActionSchema>
export type PolicyQos = z.infer<typeof policyQosSchema>
