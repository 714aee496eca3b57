/**
 * Control-plane configuration from environment variables, validated at start so that a
 * typo is a clear message, not a misbehaving server. README.md lists every variable.
 */
import { z } from 'zod'
import { MAX_ORG_APPLICATIONS } from '../protocol/applications'
import { MAX_EVENTS_PER_BATCH } from '../protocol/batch-limits'
import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from './http/rate-limiter'
import { DEFAULT_QUOTAS, type Quotas } from './services/quotas'
import { DEFAULT_RETENTION, type RetentionConfig } from './services/retention'

const count = (fallback: number, min = 1) =>
  z.coerce.number().int().min(min).max(1_000_000_000).default(fallback)

/**
 * Rate limits, quotas and retention (docs/security.md, finding 5): the same variables on Node and
 * Workers (on Workers the rate limits come from the `[[ratelimits]]` bindings instead when
 * the Worker has them). README.md lists them with their meaning.
 */
export const limitsConfigSchema = z.object({
  /** Failed authentications + enrollment attempts per source address per minute; 0: off. */
  PATRONUS_RATE_LIMIT_ADDRESS: count(DEFAULT_RATE_LIMITS.address, 0),
  /** Requests per API token per minute; 0: off. */
  PATRONUS_RATE_LIMIT_TOKEN: count(DEFAULT_RATE_LIMITS.token, 0),
  /** Requests per agent per minute; 0: off. */
  PATRONUS_RATE_LIMIT_AGENT: count(DEFAULT_RATE_LIMITS.agent, 0),
  PATRONUS_QUOTA_SITES: count(DEFAULT_QUOTAS.sites),
  PATRONUS_QUOTA_WEBHOOKS: count(DEFAULT_QUOTAS.webhooks),
  /** Never above what one agent's classifier holds (protocol/applications.ts). */
  PATRONUS_QUOTA_APPLICATIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_ORG_APPLICATIONS)
    .default(DEFAULT_QUOTAS.applications),
  PATRONUS_QUOTA_SCORERS: count(DEFAULT_QUOTAS.scorers),
  /** At least one full agent batch, or a batch could never be accepted. */
  PATRONUS_QUOTA_EVENTS_PER_MINUTE: count(DEFAULT_QUOTAS.eventsPerMinute, MAX_EVENTS_PER_BATCH),
  PATRONUS_RETENTION_EVENTS_DAYS: count(DEFAULT_RETENTION.eventsDays),
  PATRONUS_RETENTION_DELIVERIES_DAYS: count(DEFAULT_RETENTION.deliveriesDays),
  PATRONUS_RETENTION_AUDIT_DAYS: count(DEFAULT_RETENTION.auditDays),
})

export type LimitsConfig = z.infer<typeof limitsConfigSchema>

export const nodeConfigSchema = limitsConfigSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|libsql:|https?:|wss?:|:memory:)/, 'file:, libsql://, http(s):// or ws(s)://')
    .default('file:./data/patronus.db'),
  DATABASE_AUTH_TOKEN: z.string().min(1).optional(),
  PATRONUS_BOOTSTRAP_TOKEN: z.string().min(16).optional(),
  /**
   * Long-poll re-read interval for changes made by other instances. Unset: 30 s with an
   * embedded file database (one process: in-process wake-ups are exact), 1 s otherwise.
   */
  CONFIG_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).optional(),
  /** `1`: webhooks may target loopback, private and link-local addresses (tests, labs). */
  PATRONUS_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
  /** Bearer token that lets non-loopback callers scrape `GET /metrics`. */
  PATRONUS_METRICS_TOKEN: z.string().min(16).optional(),
  /**
   * The failure-prediction model every desired state names: a directory name
   * under models/, or `none` (reactive failover only). Unset: the shipped model.
   */
  PATRONUS_MODEL: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model id under models/, or none')
    .optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /**
   * A header set by a reverse proxy in front of Node that carries the client's address
   * (e.g. `x-forwarded-for`; its last entry is used, the one the proxy appended). Unset:
   * the socket's peer address; such headers are never trusted unless named here.
   */
  PATRONUS_CLIENT_ADDRESS_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name')
    .transform((h) => h.toLowerCase())
    .optional(),
})

export type NodeConfig = z.infer<typeof nodeConfigSchema>

function parseEnv<S extends z.ZodTypeAny>(
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> {
  // Empty variables mean "unset", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  )
  const parsed = schema.safeParse(present)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid configuration:\n${lines.join('\n')}`)
  }
  return parsed.data
}

export function loadNodeConfig(env: Record<string, string | undefined>): NodeConfig {
  return parseEnv(nodeConfigSchema, env)
}

/** The Workers entry's variables (strings from wrangler.toml [vars] or secrets). */
export function loadLimitsConfig(env: Record<string, unknown>): LimitsConfig {
  const strings = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  )
  return parseEnv(limitsConfigSchema, strings)
}

export const rateLimitsOf = (c: LimitsConfig): RateLimitConfig => ({
  address: c.PATRONUS_RATE_LIMIT_ADDRESS,
  token: c.PATRONUS_RATE_LIMIT_TOKEN,
  agent: c.PATRONUS_RATE_LIMIT_AGENT,
})

export const quotasOf = (c: LimitsConfig): Quotas => ({
  sites: c.PATRONUS_QUOTA_SITES,
  webhooks: c.PATRONUS_QUOTA_WEBHOOKS,
  applications: c.PATRONUS_QUOTA_APPLICATIONS,
  eventsPerMinute: c.PATRONUS_QUOTA_EVENTS_PER_MINUTE,
  scorers: c.PATRONUS_QUOTA_SCORERS,
})

export const retentionOf = (c: LimitsConfig): RetentionConfig => ({
  eventsDays: c.PATRONUS_RETENTION_EVENTS_DAYS,
  deliveriesDays: c.PATRONUS_RETENTION_DELIVERIES_DAYS,
  auditDays: c.PATRONUS_RETENTION_AUDIT_DAYS,
})

export function configPollIntervalMs(config: NodeConfig): number {
  if (config.CONFIG_POLL_INTERVAL_MS !== undefined) return config.CONFIG_POLL_INTERVAL_MS
  return config.DATABASE_URL.startsWith('file:') || config.DATABASE_URL === ':memory:'
    ? 30_000
    : 1000
}
