/**
 * The plan: what `apply` would change to make the org match the file, per object, keyed by
 * name (webhooks by URL). Deletions are planned only with `prune`; without it they are
 * listed as kept. A field the file leaves out is cleared when the API allows null for it
 * (region, endpoint, ...) and otherwise left as the server has it (an uplink's priority).
 */
import { alertRuleUpdateSchema } from '../../worker/api/alerts'
import { policyUpdateSchema } from '../../worker/api/policies'
import { siteUpdateSchema } from '../../worker/api/sites'
import { uplinkUpdateSchema } from '../../worker/api/uplinks'
import { webhookUpdateSchema } from '../../worker/api/webhooks'
import type { AlertRuleSpec, NetworkSpec, SiteSpec } from './spec'
import type { LiveSite, LiveState } from './state'

export type Kind = 'site' | 'uplink' | 'policy' | 'alert rule' | 'webhook'

interface Target {
  kind: Kind
  key: string
}

export type Change =
  | (Target & { action: 'create'; body: Record<string, unknown>; site?: string })
  | (Target & { action: 'update'; id: string; version: number; patch: Record<string, unknown> })
  | (Target & { action: 'delete'; id: string; version: number })

export interface Plan {
  changes: Change[]
  /** Objects on the server that the file does not list, kept because prune is off. */
  kept: Target[]
}

type UpdateSchema = { shape: Record<string, { safeParse(value: unknown): { success: boolean } }> }

/** JSON with sorted keys and no undefined: equal values print equally. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

/** The update body that turns `current` into `desired` (empty when nothing differs). */
export function patchOf(
  schema: UpdateSchema,
  desired: Record<string, unknown>,
  current: Record<string, unknown>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(schema.shape)) {
    const want = desired[key]
    const have = current[key]
    if (want === undefined) {
      if (have !== null && have !== undefined && field.safeParse(null).success) patch[key] = null
      continue
    }
    if (canonical(want) !== canonical(have)) patch[key] = want
  }
  return patch
}

/** Site names in a rule as ids; a site the plan will create has none yet: `new:NAME`. */
export function ruleBody(rule: AlertRuleSpec, siteIdOf: (name: string) => string | undefined) {
  const { sites, ...body } = rule
  if (!sites) return body as Record<string, unknown>
  return { ...body, siteIds: sites.map((name) => siteIdOf(name) ?? `new:${name}`) }
}

interface Keyed {
  id: string
  version: number
}

/** Create, update or (with prune) delete one section's objects, matched by key. */
function diffSection<D, C extends Keyed>(
  plan: Plan,
  options: {
    kind: Kind
    prune: boolean
    desired: D[]
    current: C[]
    keyOf: (item: D | C) => string
    schema: UpdateSchema
    body: (item: D) => Record<string, unknown>
    afterEach?: (item: D, current: C | undefined) => void
  },
) {
  const { kind, desired, current, keyOf } = options
  const byKey = new Map(current.map((item) => [keyOf(item), item]))
  for (const item of desired) {
    const key = keyOf(item)
    const have = byKey.get(key)
    const body = options.body(item)
    if (!have) {
      plan.changes.push({ action: 'create', kind, key, body })
    } else {
      const patch = patchOf(options.schema, body, have as unknown as Record<string, unknown>)
      if (Object.keys(patch).length > 0) {
        plan.changes.push({
          action: 'update',
          kind,
          key,
          id: have.id,
          version: have.version,
          patch,
        })
      }
    }
    options.afterEach?.(item, have)
  }
  const wanted = new Set(desired.map(keyOf))
  for (const item of current) {
    const key = keyOf(item)
    if (wanted.has(key)) continue
    if (options.prune) {
      plan.changes.push({ action: 'delete', kind, key, id: item.id, version: item.version })
    } else {
      plan.kept.push({ kind, key })
    }
  }
}

function planSites(plan: Plan, spec: SiteSpec[], state: LiveState, prune: boolean) {
  diffSection<SiteSpec, LiveSite>(plan, {
    kind: 'site',
    prune,
    desired: spec,
    current: state.sites,
    keyOf: (site) => site.name,
    schema: siteUpdateSchema,
    body: ({ uplinks: _uplinks, ...site }) => site,
    // Uplinks follow their site; a file site without `uplinks:` leaves them unmanaged.
    afterEach(site, have) {
      if (!site.uplinks) return
      const before = plan.changes.length
      diffSection(plan, {
        kind: 'uplink',
        prune,
        desired: site.uplinks,
        current: have?.uplinks ?? [],
        keyOf: (uplink) => `${site.name}/${uplink.name}`,
        schema: uplinkUpdateSchema,
        body: (uplink) => uplink,
      })
      for (const change of plan.changes.slice(before)) {
        if (change.action === 'create') change.site = site.name
      }
    },
  })
}

export function computePlan(spec: NetworkSpec, state: LiveState, prune: boolean): Plan {
  const plan: Plan = { changes: [], kept: [] }
  if (spec.sites) planSites(plan, spec.sites, state, prune)
  if (spec.policies) {
    diffSection(plan, {
      kind: 'policy',
      prune,
      desired: spec.policies,
      current: state.policies,
      keyOf: (policy) => policy.name,
      schema: policyUpdateSchema,
      body: (policy) => policy,
    })
  }
  if (spec.alertRules) {
    const siteIdOf = (name: string) => state.sites.find((s) => s.name === name)?.id
    diffSection(plan, {
      kind: 'alert rule',
      prune,
      desired: spec.alertRules,
      current: state.alertRules,
      keyOf: (rule) => rule.name,
      schema: alertRuleUpdateSchema,
      body: (rule) => ruleBody(rule, siteIdOf),
    })
  }
  if (spec.webhooks) {
    diffSection(plan, {
      kind: 'webhook',
      prune,
      desired: spec.webhooks,
      current: state.webhooks,
      keyOf: (webhook) => webhook.url,
      schema: webhookUpdateSchema,
      body: (webhook) => webhook,
    })
  }
  return plan
}
