/**
 * The org as it is: read through the list APIs, and written back as a network file
 * (`patronus export`). Only fields an operator declares are exported: ids, versions,
 * timestamps and status stay out, and webhook secrets are never in a view to begin with.
 */
import type { z } from 'zod'
import { alertRuleCreateSchema, alertRuleSchema } from '../../worker/api/alerts'
import { pageOf } from '../../worker/api/common'
import { type Policy, policyCreateSchema } from '../../worker/api/policies'
import { type Site, siteCreateSchema } from '../../worker/api/sites'
import { type Uplink, uplinkCreateSchema, uplinkSchema } from '../../worker/api/uplinks'
import { webhookCreateSchema, webhookSchema } from '../../worker/api/webhooks'
import type { ApiClient } from '../client'
import { policyPageSchema, sitePageSchema } from '../lookup'
import type { NetworkSpec } from './spec'

export type AlertRule = z.infer<typeof alertRuleSchema>
export type Webhook = z.infer<typeof webhookSchema>
export type LiveSite = Site & { uplinks: Uplink[] }

export interface LiveState {
  sites: LiveSite[]
  policies: Policy[]
  alertRules: AlertRule[]
  webhooks: Webhook[]
}

const uplinkPageSchema = pageOf(uplinkSchema, 'UplinkPage')
const alertRulePageSchema = pageOf(alertRuleSchema, 'AlertRulePage')
const webhookPageSchema = pageOf(webhookSchema, 'WebhookPage')

export type Section = keyof LiveState

/** Reads the sections asked for (uplinks only when sites are). */
export async function readState(client: ApiClient, sections: Section[]): Promise<LiveState> {
  const want = new Set(sections)
  const state: LiveState = { sites: [], policies: [], alertRules: [], webhooks: [] }
  // Alert rules name sites, so reading rules needs the sites too (for their names).
  if (want.has('sites') || want.has('alertRules')) {
    const sites = await client.listAll('/v1/sites', sitePageSchema)
    for (const site of sites) {
      const uplinks = want.has('sites')
        ? await client.listAll(`/v1/sites/${site.id}/uplinks`, uplinkPageSchema)
        : []
      state.sites.push({ ...site, uplinks })
    }
  }
  if (want.has('policies')) state.policies = await client.listAll('/v1/policies', policyPageSchema)
  if (want.has('alertRules')) {
    state.alertRules = await client.listAll('/v1/alert-rules', alertRulePageSchema)
  }
  if (want.has('webhooks')) state.webhooks = await client.listAll('/v1/webhooks', webhookPageSchema)
  return state
}

/** The fields of `view` that `schema` (a create schema) declares, nulls left out. */
export function declared(
  schema: { shape: Record<string, unknown> },
  view: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(schema.shape)) {
    const value = view[key]
    if (value !== null && value !== undefined) out[key] = value
  }
  return out
}

/** Site ids as names in an alert rule, when every id still names a site. */
export function ruleSiteNames(rule: AlertRule, sites: Site[]): string[] | undefined {
  if (!rule.siteIds) return undefined
  const names = rule.siteIds.map((id) => sites.find((s) => s.id === id)?.name)
  return names.every((n) => n !== undefined) ? (names as string[]) : undefined
}

export function toSpec(state: LiveState): NetworkSpec {
  const spec = {
    sites: state.sites.map((site) => ({
      ...declared(siteCreateSchema, site),
      uplinks: site.uplinks.map((uplink) => declared(uplinkCreateSchema, uplink)),
    })),
    policies: state.policies.map((policy) => declared(policyCreateSchema, policy)),
    alertRules: state.alertRules.map((rule) => {
      const out = declared(alertRuleCreateSchema, rule)
      // A metric rule reads back with eventTypes [], which the create schema refuses.
      if (rule.kind === 'metric') delete out['eventTypes']
      const names = ruleSiteNames(rule, state.sites)
      if (names) {
        delete out['siteIds']
        out['sites'] = names
      }
      return out
    }),
    webhooks: state.webhooks.map((webhook) => declared(webhookCreateSchema, webhook)),
  }
  return spec as NetworkSpec
}
