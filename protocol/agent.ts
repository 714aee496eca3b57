/**
 * The agent <-> control plane wire: enrollment, desired state, heartbeat. Both halves
 * validate with these schemas; a change here is a change to PROTOCOL_VERSION.
 *
 * Keys on the wire are base64 of the raw 32-byte public keys (WireGuard's own text form
 * for X25519; the same form for the Ed25519 identity key). Private keys never leave the
 * site.
 */
import { z } from 'zod'
import { desiredApplicationSchema, MAX_ORG_APPLICATIONS } from './applications'
import { endpointSchema } from './endpoint'
import { policyActionSchema, policyMatchSchema, scorerNameSchema } from './policy'

export const publicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'a base64 32-byte public key')

export const enrollmentTokenPattern = /^pet_[A-Za-z0-9_-]{43}$/

export const uplinkClaimSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/),
  interface: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/),
  /**
   * host:port other sites reach this uplink at (public address, or lab address). The same
   * grammar as the operator's uplink API: the dashboard prints it in a root command line.
   */
  endpoint: endpointSchema.optional(),
})

export const enrollRequestSchema = z.strictObject({
  token: z.string().regex(enrollmentTokenPattern, 'an enrollment token (pet_...)'),
  hostname: z.string().min(1).max(253),
  agentVersion: z.string().min(1).max(64),
  identityPublicKey: publicKeySchema,
  wireguardPublicKey: publicKeySchema,
  uplinks: z.array(uplinkClaimSchema).max(16).default([]),
})

export const enrollResponseSchema = z.object({
  agentId: z.string(),
  siteId: z.string(),
  orgId: z.string(),
  overlayAddress: z.string(),
  overlayPool: z.string(),
  protocolVersion: z.number().int(),
})

export const desiredUplinkSchema = z.object({
  id: z.string(),
  name: z.string(),
  slot: z.number().int().min(0).max(15),
  interface: z.string(),
  /** Where peers send to reach this uplink: host only; the port comes from basePort. */
  endpointHost: z.string().nullable(),
  /** First port of this uplink's WireGuard range (path (i, j) uses basePort + 16*i + j). */
  basePort: z.number().int().min(1).max(65535),
  bandwidthMbps: z.number().nullable(),
  costPerGb: z.number().nullable(),
  priority: z.number().int(),
})

export const desiredPeerSchema = z.object({
  siteId: z.string(),
  siteName: z.string(),
  role: z.enum(['hub', 'spoke', 'mesh']),
  agentId: z.string(),
  wireguardPublicKey: publicKeySchema,
  overlayAddress: z.string(),
  prefixes: z.array(z.string()),
  uplinks: z.array(desiredUplinkSchema),
})

export const desiredPolicySchema = z.object({
  id: z.string(),
  name: z.string(),
  priority: z.number().int(),
  match: policyMatchSchema,
  action: policyActionSchema,
})

export const probeSettingsSchema = z.object({
  bfdIntervalMs: z.number().int().min(10).max(10_000),
  bfdMultiplier: z.number().int().min(2).max(255),
  probeIntervalMs: z.number().int().min(10).max(60_000),
})

export const failoverSettingsSchema = z.object({
  holdDownMs: z.number().int().min(0),
  failbackAfterMs: z.number().int().min(0),
  /** A path whose score is worse than the best by less than this keeps its traffic. */
  hysteresisPct: z.number().min(0).max(100),
})

/** A failure-prediction model's id: also a path segment of GET /v1/agent/models/{id}. */
export const modelIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model id')

/** The model the agent should score paths with; the bytes' SHA-256 in hex. */
export const modelRefSchema = z.object({
  id: modelIdSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'),
})

/**
 * GET /v1/agent/models/{id}: the model's manifest (models/<name>/model.json as shipped:
 * features, horizon, threshold, input and output names) and its ONNX bytes in base64. The
 * agent checks the bytes against the desired state's sha256 before using either.
 */
export const modelDocumentSchema = z.object({
  id: modelIdSchema,
  manifest: z.record(z.string(), z.unknown()),
  onnx: z.base64(),
})

/** A scorer plugin version's id: also a path segment of GET /v1/agent/scorers/{id}. */
export const scorerIdSchema = z.string().regex(/^scr_[0-9a-f]{28}$/, 'a scorer id (scr_...)')

/**
 * A scorer plugin a `custom` policy of the site names: the version to run (`id`, new on
 * every upload) and the SHA-256 of its component bytes, checked by the agent before use.
 */
export const scorerRefSchema = z.object({
  name: scorerNameSchema,
  id: scorerIdSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'),
})

/**
 * Largest scorer plugin component, in bytes: the control plane refuses bigger uploads, the
 * agent refuses bigger answers. AssemblyScript plugins are hundreds of bytes, Rust ones tens
 * to hundreds of KiB; a runtime-embedding toolchain (a JS or Python interpreter) will not fit.
 */
export const MAX_SCORER_BYTES = 4 * 1024 * 1024

/** Most scorer plugins one desired state names (a site has at most this many custom classes). */
export const MAX_SCORERS_PER_SITE = 64

export const desiredStateSchema = z.object({
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
    /** Default first port of an uplink's range, when its endpoint names none. */
    basePort: z.number().int(),
    keepaliveSeconds: z.number().int().min(0),
    mtu: z.number().int().min(1280).max(9000),
  }),
  peers: z.array(desiredPeerSchema),
  policies: z.array(desiredPolicySchema),
  /**
   * The org's own applications (name suffixes and ports) that policies may name beside the
   * builtin and default ones (applications.ts). Additive: absent in older documents, and
   * older agents ignore it (a policy naming one then matches nothing there).
   */
  applications: z.array(desiredApplicationSchema).max(MAX_ORG_APPLICATIONS).default([]),
  probes: probeSettingsSchema,
  failover: failoverSettingsSchema,
  heartbeatIntervalSeconds: z.number().int().min(1),
  /**
   * The failure-prediction model: fetched from GET /v1/agent/models/{id} when the
   * agent does not have it. null or absent: no model, reactive failover only. Additive:
   * older agents ignore it, older control planes do not send it.
   */
  model: modelRefSchema.nullable().optional(),
  /**
   * The scorer plugins of the site's `custom` policies, by name (fetched from
   * GET /v1/agent/scorers/{id}). Absent means none, as from a control plane that predates
   * plugins; optional rather than defaulted so that the DesiredState type keeps every
   * existing document and fixture valid. Consumers read it as `desired.scorers ?? []`.
   */
  scorers: z.array(scorerRefSchema).max(MAX_SCORERS_PER_SITE).optional(),
})

export const heartbeatSchema = z.strictObject({
  agentVersion: z.string().min(1).max(64),
  uptimeSeconds: z.number().min(0),
  revision: z.number().int().min(0).optional(),
  uplinks: z
    .array(z.strictObject({ name: z.string().max(64), state: z.enum(['up', 'down', 'unknown']) }))
    .max(16)
    .default([]),
})

export type EnrollRequest = z.infer<typeof enrollRequestSchema>
export type EnrollResponse = z.infer<typeof enrollResponseSchema>
export type DesiredState = z.infer<typeof desiredStateSchema>
export type DesiredPeer = z.infer<typeof desiredPeerSchema>
export type DesiredUplink = z.infer<typeof desiredUplinkSchema>
export type Heartbeat = z.infer<typeof heartbeatSchema>
export type ModelRef = z.infer<typeof modelRefSchema>
export type ModelDocument = z.infer<typeof modelDocumentSchema>
export type ScorerRef = z.infer<typeof scorerRefSchema>

/** Agent API paths (relative to the server URL). */
export const AGENT_PATHS = {
  enroll: '/v1/enroll',
  config: '/v1/agent/config',
  heartbeat: '/v1/agent/heartbeat',
  /** + `/{id}`: a model's bytes (application/octet-stream), signed like every agent call. */
  models: '/v1/agent/models',
  /** + `/{id}`: a scorer plugin's component bytes (application/wasm), signed likewise. */
  scorers: '/v1/agent/scorers',
} as const

/**
 * The model part of a config request's If-None-Match: next to `"<revision>"`, an
 * agent sends `"m-<first 16 hex of its model's sha256>"` (or `"m-none"`). The model is an
 * instance setting that does not bump site revisions, so a control plane now serving another
 * model answers 200 even when the revision matches. Servers that do not know the tag ignore
 * it (it is not a revision), and agents that do not send it are answered as before.
 */
export function modelEtag(model: { sha256: string } | null | undefined): string {
  return model ? `"m-${model.sha256.slice(0, 16)}"` : '"m-none"'
}

/** Longest long-poll the server honours (`?wait=N`, seconds). */
export const MAX_LONG_POLL_SECONDS = 60
