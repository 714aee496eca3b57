/**
 * Control-plane configuration from environment variables, validated at start so that a
 * typo is a clear message, not a misbehaving server. README.md lists every variable.
 */
import { z } from 'zod'

export const nodeConfigSchema = z.object({
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
   * The failure-prediction model every desired state names (issue 9): a directory name
   * under models/, or `none` (reactive failover only). Unset: the shipped model.
   */
  PATRONUS_MODEL: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model id under models/, or none')
    .optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
})

export type NodeConfig = z.infer<typeof nodeConfigSchema>

export function loadNodeConfig(env: Record<string, string | undefined>): NodeConfig {
  // Empty variables mean "unset", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  )
  const parsed = nodeConfigSchema.safeParse(present)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid configuration:\n${lines.join('\n')}`)
  }
  return parsed.data
}

export function configPollIntervalMs(config: NodeConfig): number {
  if (config.CONFIG_POLL_INTERVAL_MS !== undefined) return config.CONFIG_POLL_INTERVAL_MS
  return config.DATABASE_URL.startsWith('file:') || config.DATABASE_URL === ':memory:'
    ? 30_000
    : 1000
}
