/**
 * Carrying out a plan, and how a plan reads. Deletions go first (they free names and
 * policy priorities that creates may reuse), rules and webhooks before the sites they
 * may name; then creates and updates in file order, each site before its uplinks.
 * Every update and delete sends If-Match with the version the plan was made from, so a
 * concurrent edit makes apply stop (412) instead of overwriting it.
 */
import { alertRuleSchema } from '../../worker/api/alerts'
import { policySchema } from '../../worker/api/policies'
import { siteSchema } from '../../worker/api/sites'
import { uplinkSchema } from '../../worker/api/uplinks'
import { webhookSchema, webhookWithSecretSchema } from '../../worker/api/webhooks'
import type { ApiClient } from '../client'
import type { Change, Kind, Plan } from './plan'
import type { LiveState } from './state'

const PATHS: Record<Kind, string> = {
  site: '/v1/sites',
  uplink: '/v1/uplinks',
  policy: '/v1/policies',
  'alert rule': '/v1/alert-rules',
  webhook: '/v1/webhooks',
}

const SCHEMAS = {
  site: siteSchema,
  uplink: uplinkSchema,
  policy: policySchema,
  'alert rule': alertRuleSchema,
  webhook: webhookSchema,
}

/** Deletion order: what refers to something goes before it. */
const DELETE_ORDER: Kind[] = ['alert rule', 'webhook', 'policy', 'uplink', 'site']

const SIGN = { create: '+', update: '~', delete: '-' } as const

export function describeChange(change: Change): string {
  const fields = change.action === 'update' ? ` (${Object.keys(change.patch).join(', ')})` : ''
  return `${SIGN[change.action]} ${change.kind} ${change.key}${fields}`
}

export function summarise(plan: Plan) {
  const count = (action: Change['action']) => plan.changes.filter((c) => c.action === action).length
  return { create: count('create'), update: count('update'), delete: count('delete') }
}

export function formatPlan(plan: Plan, prune: boolean): string {
  const lines: string[] = []
  if (plan.changes.length === 0) {
    lines.push('No changes: the org matches the file.')
  } else {
    const s = summarise(plan)
    lines.push(`Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`)
    for (const change of plan.changes) lines.push(`  ${describeChange(change)}`)
  }
  if (plan.kept.length > 0 && !prune) {
    lines.push(`Not in the file, kept (--prune deletes them):`)
    for (const item of plan.kept) lines.push(`  = ${item.kind} ${item.key}`)
  }
  return `${lines.join('\n')}\n`
}

export interface AppliedSecret {
  webhook: string
  secret: string
}

function orderForApply(changes: Change[]): Change[] {
  const deletes = changes
    .filter((c) => c.action === 'delete')
    .sort((a, b) => DELETE_ORDER.indexOf(a.kind) - DELETE_ORDER.indexOf(b.kind))
  return [...deletes, ...changes.filter((c) => c.action !== 'delete')]
}

/** Runs the plan; returns the signing secrets of webhooks it created (shown once). */
export async function executePlan(
  client: ApiClient,
  plan: Plan,
  state: LiveState,
  progress: (line: string) => void,
): Promise<AppliedSecret[]> {
  const siteIds = new Map(state.sites.map((site) => [site.name, site.id]))
  // Rules planned before their sites existed carry `new:NAME`: now the ids are known.
  const withSiteIds = (body: Record<string, unknown>) => {
    const ids = body['siteIds']
    if (!Array.isArray(ids)) return body
    const real = ids.map((id: string) => (id.startsWith('new:') ? siteIds.get(id.slice(4)) : id))
    return { ...body, siteIds: real }
  }
  const secrets: AppliedSecret[] = []
  for (const change of orderForApply(plan.changes)) {
    const schema = SCHEMAS[change.kind]
    if (change.action === 'delete') {
      await client.request('DELETE', `${PATHS[change.kind]}/${change.id}`, null, {
        ifMatch: change.version,
      })
    } else if (change.action === 'update') {
      await client.request('PATCH', `${PATHS[change.kind]}/${change.id}`, schema, {
        body: change.kind === 'alert rule' ? withSiteIds(change.patch) : change.patch,
        ifMatch: change.version,
      })
    } else if (change.kind === 'site') {
      const site = await client.request('POST', PATHS.site, siteSchema, { body: change.body })
      siteIds.set(site.name, site.id)
    } else if (change.kind === 'uplink') {
      const path = `/v1/sites/${siteIds.get(change.site ?? '')}/uplinks`
      await client.request('POST', path, uplinkSchema, { body: change.body })
    } else if (change.kind === 'webhook') {
      const created = await client.request('POST', PATHS.webhook, webhookWithSecretSchema, {
        body: change.body,
      })
      secrets.push({ webhook: created.url, secret: created.secret })
    } else {
      const body = change.kind === 'alert rule' ? withSiteIds(change.body) : change.body
      await client.request('POST', PATHS[change.kind], schema, { body })
    }
    progress(describeChange(change))
  }
  return secrets
}
