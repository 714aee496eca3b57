/**
 * The API shapes the dashboard reads, taken from the control plane's own schemas as types
 * only (erased at build time, so no zod reaches the browser bundle).
 */

import type { z } from 'zod'
import type { EventType } from '../../protocol/telemetry'
import type { alertRuleSchema, alertSchema, silenceSchema } from '../../worker/api/alerts'
import type { AuditEntry } from '../../worker/api/audit'
import type { Org, Token } from '../../worker/api/orgs'
import type { Policy } from '../../worker/api/policies'
import type { Site } from '../../worker/api/sites'
import type { siteTrafficSchema } from '../../worker/api/telemetry'
import type { Uplink } from '../../worker/api/uplinks'
import type {
  deliverySchema,
  webhookSchema,
  webhookWithSecretSchema,
} from '../../worker/api/webhooks'

export type { PolicyAction, PolicyMatch } from '../../protocol/policy'
export type { AuditEntry, EventType, Org, Policy, Site, Token, Uplink }

export type Role = 'viewer' | 'operator' | 'admin'

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface EventView {
  id: string
  siteId: string | null
  type: string
  severity: 'info' | 'warning' | 'critical'
  at: string
  source: 'agent' | 'control-plane' | 'operator'
  details: Record<string, unknown>
}

export interface PathKey {
  peerSiteId: string
  localSlot: number
  remoteSlot: number
}

export interface PathView extends PathKey {
  peerSiteName: string | null
  state: 'up' | 'down'
  rttMs: number | null
  jitterMs: number | null
  lossPct: number
  mos: number | null
  at: string
  stale: boolean
}

export interface ActivePathView extends PathKey {
  class: string
  className: string | null
  reason: string
  since: string
}

export interface SitePaths {
  siteId: string
  paths: PathView[]
  activePaths: ActivePathView[]
}

export interface MetricPoint {
  t: string
  samples: number
  rttMs: number | null
  rttMaxMs: number | null
  jitterMs: number
  lossPct: number
  mos: number | null
  mosMin: number | null
  downPct: number
}

export interface PathMetrics {
  siteId: string
  from: string
  to: string
  stepSeconds: number
  series: { path: PathKey; points: MetricPoint[] }[]
}

/** What a site's classifier saw per class and per application (GET /v1/sites/{id}/traffic). */
export type SiteTraffic = z.infer<typeof siteTrafficSchema>

export interface EnrollmentTokenCreated {
  id: string
  siteId: string
  expiresAt: string
  maxUses: number
  uses: number
  token: string
}

export interface TokenCreated extends Token {
  token: string
}

/**
 * The event types the Events page filters by, copied from protocol/telemetry.ts (importing
 * it would bring zod into the bundle); `satisfies` keeps each one a real type. Types added
 * there later still show in the list, they only lack a filter entry until added here.
 */
export const EVENT_TYPES = [
  'path.down',
  'path.up',
  'path.sla_violation',
  'path.failover',
  'path.failback',
  'path.predicted_degradation',
  'scorer.fallback',
  'agent.online',
  'agent.offline',
  'agent.enrolled',
  'agent.revoked',
  'site.created',
  'site.deleted',
  'policy.changed',
  'webhook.disabled',
] as const satisfies readonly EventType[]

/** Alerts and silences, as the API answers them. */
export type AlertView = z.infer<typeof alertSchema>
export type SilenceView = z.infer<typeof silenceSchema>

/** Alert rules: an event rule (eventTypes) or a metric threshold rule (metric). */
export type AlertRuleView = z.infer<typeof alertRuleSchema>

/** Webhook endpoints and their delivery logs; the secret comes only on create and rotate. */
export type WebhookView = z.infer<typeof webhookSchema>
export type WebhookCreated = z.infer<typeof webhookWithSecretSchema>
export type DeliveryView = z.infer<typeof deliverySchema>

/** What an endpoint may subscribe to (worker/api/webhooks.ts MESSAGE_TYPES), or "*". */
export const MESSAGE_TYPES = [...EVENT_TYPES, 'alert.firing', 'alert.resolved'] as const
