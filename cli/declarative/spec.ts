/**
 * The declarative file (`patronus apply -f network.yaml`): the API's own create schemas,
 * keyed by name (webhooks, which have no name, by URL), with uplinks nested in their site
 * and alert rules naming sites instead of carrying server-made ids. A section the file
 * leaves out is not managed at all, so `--prune` never empties it by accident.
 */
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { alertRuleCreateSchema } from '../../worker/api/alerts'
import { nameSchema } from '../../worker/api/common'
import { policyCreateSchema } from '../../worker/api/policies'
import { siteCreateSchema } from '../../worker/api/sites'
import { uplinkCreateSchema } from '../../worker/api/uplinks'
import { webhookCreateSchema } from '../../worker/api/webhooks'
import { ApiProblem } from '../client'

export const siteSpecSchema = siteCreateSchema.extend({
  uplinks: z.array(uplinkCreateSchema).max(64).optional(),
})

export const alertRuleSpecSchema = alertRuleCreateSchema
  .safeExtend({
    /** Site names; the plan turns them into the siteIds the API stores. */
    sites: z.array(nameSchema).min(1).max(500).optional(),
  })
  .refine((rule) => !(rule.sites && rule.siteIds), {
    message: 'give sites (names) or siteIds, not both',
    path: ['sites'],
  })

/** Duplicate keys would make "the object named X" ambiguous. */
function uniqueBy<T>(
  items: T[] | undefined,
  key: (item: T) => string,
  ctx: z.RefinementCtx,
  path: (string | number)[],
) {
  const seen = new Set<string>()
  for (const [index, item] of (items ?? []).entries()) {
    const value = key(item)
    if (seen.has(value)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" appears twice`, path: [...path, index] })
    }
    seen.add(value)
  }
}

export const networkSpecSchema = z
  .strictObject({
    sites: z.array(siteSpecSchema).optional(),
    policies: z.array(policyCreateSchema).optional(),
    alertRules: z.array(alertRuleSpecSchema).optional(),
    webhooks: z.array(webhookCreateSchema).optional(),
  })
  .superRefine((spec, ctx) => {
    uniqueBy(spec.sites, (s) => s.name, ctx, ['sites'])
    uniqueBy(spec.policies, (p) => p.name, ctx, ['policies'])
    uniqueBy(spec.alertRules, (r) => r.name, ctx, ['alertRules'])
    uniqueBy(spec.webhooks, (w) => w.url, ctx, ['webhooks'])
    for (const [index, site] of (spec.sites ?? []).entries()) {
      uniqueBy(site.uplinks, (u) => u.name, ctx, ['sites', index, 'uplinks'])
    }
  })

export type NetworkSpec = z.infer<typeof networkSpecSchema>
export type SiteSpec = z.infer<typeof siteSpecSchema>
export type AlertRuleSpec = z.infer<typeof alertRuleSpecSchema>

/** A file that does not match the schema: every field error, as the API would list them. */
export function invalidFile(file: string, issues: z.core.$ZodIssue[]): ApiProblem {
  return new ApiProblem(
    0,
    'The file is not valid',
    `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`,
    issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  )
}

/** YAML or JSON text (JSON is YAML) to a parsed document, syntax errors as a problem. */
export function parseDocument(text: string, file: string): unknown {
  try {
    return parseYaml(text)
  } catch (error) {
    throw new ApiProblem(
      0,
      'The file is not valid YAML or JSON',
      `${file}: ${(error as Error).message}`,
    )
  }
}

export function parseNetworkSpec(text: string, file: string): NetworkSpec {
  const parsed = networkSpecSchema.safeParse(parseDocument(text, file) ?? {})
  if (!parsed.success) throw invalidFile(file, parsed.error.issues)
  return parsed.data
}

/**
 * A policies file (`patronus policies apply|check|diff -f`): a list of policies, or the
 * `policies:` section of a network file.
 */
export function parsePoliciesFile(text: string, file: string): NetworkSpec {
  const document = parseDocument(text, file)
  const list = Array.isArray(document) ? document : (document as { policies?: unknown })?.policies
  const parsed = networkSpecSchema.safeParse({ policies: list ?? [] })
  if (!parsed.success) throw invalidFile(file, parsed.error.issues)
  return parsed.data
}
