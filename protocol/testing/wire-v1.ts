/**
 * Protocol version 1 as the first agents shipped it (protocol/ at commit 8070501), frozen:
 * what a v1 agent parses and sends. Tests use it as the v1 agent's own schemas, to check
 * that what the control plane serves a v1 agent still parses
 * (worker/services/protocol-compat.ts) and that protocol/wire-schemas.v1.json records it.
 * Never edit it to follow the current protocol; that is the point of it.
 *
 * Copied rule for rule, without the comments; net.ts and signing.ts have not changed since,
 * so the live ones are used.
 */
import { z } from 'zod'
import { normaliseCidr } from '../net'
import { COVERED_COMPONENTS, MAX_CLOCK_SKEW_SECONDS, SIGNATURE_LABEL } from '../signing'
import type { Wire } from '../wire'

const cidrSchema = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const normal = normaliseCidr(value.trim())
    if (!normal) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a CIDR prefix` })
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

const portSpecSchema = z.union([z.number().int().min(1).max(65535), portRange])

const labelKey = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.\-/]{0,62}$/, 'invalid label key')
const labelsSchema = z
  .record(labelKey, z.string().max(128))
  .refine((labels) => Object.keys(labels).length <= 64, 'at most 64 labels')

const policyMatchSchema = z.strictObject({
  applications: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'application names are lowercase'))
    .max(64)
    .optional(),
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

const slaSchema = z.strictObject({
  maxLatencyMs: z.number().positive().max(60_000).optional(),
  maxJitterMs: z.number().positive().max(60_000).optional(),
  maxLossPct: z.number().min(0).max(100).optional(),
})

const PATH_PREFERENCES = [
  'lowest-latency',
  'highest-bandwidth',
  'lowest-cost',
  'load-balance',
  'custom',
] as const

/** Strict: a v1 agent refuses a whole document whose policy carries a key it does not know. */
const policyActionSchema = z
  .strictObject({
    preference: z.enum(PATH_PREFERENCES),
    scorer: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/)
      .optional(),
    sla: slaSchema.optional(),
    fec: z.boolean().optional(),
    compression: z.boolean().optional(),
  })
  .superRefine((action, ctx) => {
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

const publicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'a base64 32-byte public key')

const uplinkClaimSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/),
  interface: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/),
  endpoint: z.string().max(270).optional(),
})

export const enrollRequestSchemaV1 = z.strictObject({
  token: z.string().regex(/^pet_[A-Za-z0-9_-]{43}$/, 'an enrollment token (pet_...)'),
  hostname: z.string().min(1).max(253),
  agentVersion: z.string().min(1).max(64),
  identityPublicKey: publicKeySchema,
  wireguardPublicKey: publicKeySchema,
  uplinks: z.array(uplinkClaimSchema).max(16).default([]),
})

export const enrollResponseSchemaV1 = z.object({
  agentId: z.string(),
  siteId: z.string(),
  orgId: z.string(),
  overlayAddress: z.string(),
  overlayPool: z.string(),
  protocolVersion: z.number().int(),
})

const desiredUplinkSchema = z.object({
  id: z.string(),
  name: z.string(),
  slot: z.number().int().min(0).max(15),
  interface: z.string(),
  endpointHost: z.string().nullable(),
  basePort: z.number().int().min(1).max(65535),
  bandwidthMbps: z.number().nullable(),
  costPerGb: z.number().nullable(),
  priority: z.number().int(),
})

const desiredPeerSchema = z.object({
  siteId: z.string(),
  siteName: z.string(),
  role: z.enum(['hub', 'spoke', 'mesh']),
  agentId: z.string(),
  wireguardPublicKey: publicKeySchema,
  overlayAddress: z.string(),
  prefixes: z.array(z.string()),
  uplinks: z.array(desiredUplinkSchema),
})

const desiredPolicySchema = z.object({
  id: z.string(),
  name: z.string(),
  priority: z.number().int(),
  match: policyMatchSchema,
  action: policyActionSchema,
})

export const desiredStateSchemaV1 = z.object({
  protocolVersion: z.number().int(),
  revision: z.number().int().min(0),
  generatedAt: z.string(),
  org: z.object({ id: z.string(), topology: z.enum(['mesh', 'hub-and-spoke']) }),
  site: z.object({
    id: z.string(),
    name: z.string(),
    role: z.enum(['hub', 'spoke', 'mesh']),
    prefixes: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
    overlayAddress: z.string(),
    overlayPool: z.string(),
  }),
  agent: z.object({ id: z.string() }),
  uplinks: z.array(desiredUplinkSchema),
  wireguard: z.object({
    basePort: z.number().int(),
    keepaliveSeconds: z.number().int().min(0),
    mtu: z.number().int().min(1280).max(9000),
  }),
  peers: z.array(desiredPeerSchema),
  policies: z.array(desiredPolicySchema),
  probes: z.object({
    bfdIntervalMs: z.number().int().min(10).max(10_000),
    bfdMultiplier: z.number().int().min(2).max(255),
    probeIntervalMs: z.number().int().min(10).max(60_000),
  }),
  failover: z.object({
    holdDownMs: z.number().int().min(0),
    failbackAfterMs: z.number().int().min(0),
    hysteresisPct: z.number().min(0).max(100),
  }),
  heartbeatIntervalSeconds: z.number().int().min(1),
})

export const heartbeatSchemaV1 = z.strictObject({
  agentVersion: z.string().min(1).max(64),
  uptimeSeconds: z.number().min(0),
  revision: z.number().int().min(0).optional(),
  uplinks: z
    .array(z.strictObject({ name: z.string().max(64), state: z.enum(['up', 'down', 'unknown']) }))
    .max(16)
    .default([]),
})

const pathKeySchema = z.strictObject({
  peerSiteId: z.string().min(1).max(64),
  localSlot: z.number().int().min(0).max(15),
  remoteSlot: z.number().int().min(0).max(15),
})

export const telemetryBatchSchemaV1 = z.strictObject({
  samples: z
    .array(
      z.strictObject({
        at: z.number().int().min(0),
        path: pathKeySchema,
        state: z.enum(['up', 'down']),
        rttMs: z.number().min(0).max(600_000).nullable(),
        jitterMs: z.number().min(0).max(600_000).nullable(),
        lossPct: z.number().min(0).max(100),
        mos: z.number().min(1).max(5).nullable(),
      }),
    )
    .max(2000),
  activePaths: z
    .array(
      z.strictObject({
        class: z.string().min(1).max(64),
        path: pathKeySchema,
        reason: z.string().max(200),
        since: z.number().int().min(0),
      }),
    )
    .max(2000)
    .default([]),
})

/** v1 agents post up to 500 events at once (v2: 100). */
export const MAX_EVENTS_PER_BATCH_V1 = 500

export const agentEventBatchSchemaV1 = z.strictObject({
  events: z
    .array(
      z.strictObject({
        type: z.enum([
          'path.down',
          'path.up',
          'path.sla_violation',
          'path.failover',
          'path.failback',
        ]),
        at: z.number().int().min(0),
        severity: z.enum(['info', 'warning', 'critical']).optional(),
        path: pathKeySchema.optional(),
        class: z.string().max(64).optional(),
        details: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .min(1)
    .max(MAX_EVENTS_PER_BATCH_V1),
})

const AGENT_PATHS_V1 = {
  enroll: '/v1/enroll',
  config: '/v1/agent/config',
  heartbeat: '/v1/agent/heartbeat',
} as const

const TELEMETRY_PATHS_V1 = { telemetry: '/v1/agent/telemetry', events: '/v1/agent/events' } as const

export const WIRE_V1: Wire = {
  version: 1,
  messages: {
    enrollRequest: {
      direction: 'agent-to-control-plane',
      route: `POST ${AGENT_PATHS_V1.enroll}`,
      schema: enrollRequestSchemaV1,
    },
    enrollResponse: {
      direction: 'control-plane-to-agent',
      route: `POST ${AGENT_PATHS_V1.enroll} 201`,
      schema: enrollResponseSchemaV1,
    },
    desiredState: {
      direction: 'control-plane-to-agent',
      route: `GET ${AGENT_PATHS_V1.config} 200`,
      schema: desiredStateSchemaV1,
    },
    heartbeat: {
      direction: 'agent-to-control-plane',
      route: `POST ${AGENT_PATHS_V1.heartbeat}`,
      schema: heartbeatSchemaV1,
    },
    telemetryBatch: {
      direction: 'agent-to-control-plane',
      route: `POST ${TELEMETRY_PATHS_V1.telemetry}`,
      schema: telemetryBatchSchemaV1,
    },
    eventBatch: {
      direction: 'agent-to-control-plane',
      route: `POST ${TELEMETRY_PATHS_V1.events}`,
      schema: agentEventBatchSchemaV1,
    },
  },
  constants: {
    agentPaths: AGENT_PATHS_V1,
    telemetryPaths: TELEMETRY_PATHS_V1,
    maxLongPollSeconds: 60,
    maxEventsPerBatch: MAX_EVENTS_PER_BATCH_V1,
    signatureLabel: SIGNATURE_LABEL,
    signatureComponents: COVERED_COMPONENTS,
    maxClockSkewSeconds: MAX_CLOCK_SKEW_SECONDS,
  },
}
