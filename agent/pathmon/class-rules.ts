/**
 * Policy matches as `ip rule` selectors, so that a policy class's traffic looks up its own
 * table (classTableBase + k). What a rule can express: destinationPrefixes -> `to`,
 * sourcePrefixes -> `from`, protocols -> `ipproto`, ports -> `dport` ranges, dscp -> `tos`
 * (dscp << 2). A match is the cross product of its lists; all rules of class k share one
 * priority, in policy order, above (before) the mesh-table rule. `applications` need the
 * eBPF classifier (docs/qos.md): such a policy gets no rules here, and the caller says so.
 * siteLabels select which sites a policy applies to: the control plane already resolved
 * them into the desired state's policy list.
 */
import type { DesiredState } from '../../protocol/agent'
import { expandApplications } from '../bpf/app-match'
import type { AppSignature } from '../bpf/apps'
import type { RuleSpec } from '../routing/types'

/** Rules of one class beyond this are not installed (the class is reported as skipped). */
export const MAX_RULES_PER_CLASS = 256

const PROTO: Record<string, number | undefined> = { tcp: 6, udp: 17, icmp: 1, any: undefined }

export interface ClassRules {
  classId: string
  table: number
  rules: RuleSpec[]
  /** Why the class has no rules (applications only, too many combinations), if so. */
  skipped?: string
}

type Policy = DesiredState['policies'][number]

function portRange(p: number | string): { start: number; end: number } | undefined {
  if (typeof p === 'number') return { start: p, end: p }
  const m = /^(\d+)-(\d+)$/.exec(p)
  if (!m) return undefined
  return { start: Number(m[1]), end: Number(m[2]) }
}

export function classRules(
  policy: Policy,
  index: number,
  tableBase: number,
  priority: number,
): ClassRules {
  const table = tableBase + index
  const m = policy.match
  const selectors =
    (m.destinationPrefixes?.length ?? 0) +
    (m.sourcePrefixes?.length ?? 0) +
    (m.protocols?.length ?? 0) +
    (m.ports?.length ?? 0) +
    (m.dscp?.length ?? 0)
  if (selectors === 0) {
    const why = m.applications?.length
      ? 'matches applications only (needs the eBPF classifier, run --lan-interface)'
      : 'matches nothing a rule can express'
    return { classId: policy.id, table, rules: [], skipped: why }
  }
  const tos: (number | undefined)[] = m.dscp?.length ? m.dscp.map((d) => d << 2) : [undefined]
  const tos4 = tos
  const to: (string | undefined)[] = m.destinationPrefixes?.length
    ? m.destinationPrefixes.filter((c) => !c.includes(':'))
    : [undefined]
  const from: (string | undefined)[] = m.sourcePrefixes?.length
    ? m.sourcePrefixes.filter((c) => !c.includes(':'))
    : [undefined]
  const protos: (number | undefined)[] = m.protocols?.length
    ? [...new Set(m.protocols.map((p) => PROTO[p]))]
    : [undefined]
  const ports = m.ports?.length
    ? m.ports.map(portRange).filter((p) => p !== undefined)
    : [undefined]
  const rules: RuleSpec[] = []
  for (const t of to)
    for (const f of from)
      for (const proto of protos)
        for (const port of ports)
          for (const tb of tos4) {
            // Ports only mean something for TCP and UDP.
            if (port && proto !== undefined && proto !== 6 && proto !== 17) continue
            const r: RuleSpec = { priority, table, family: 4 }
            if (t) r.to = t
            if (f) r.from = f
            if (proto !== undefined) r.ipproto = proto
            if (port) r.dport = port
            if (tb !== undefined) r.tos = tb
            rules.push(r)
            if (rules.length > MAX_RULES_PER_CLASS) {
              return {
                classId: policy.id,
                table,
                rules: [],
                skipped: `more than ${MAX_RULES_PER_CLASS} rule combinations`,
              }
            }
          }
  return { classId: policy.id, table, rules }
}

/**
 * The class's rules with the operator's applications resolved: one classRules per
 * alternative a rule can express (bpf/app-match.ts expandApplications), all sharing the
 * class's table and priority. Without applications this is classRules.
 */
export function policyRules(
  policy: Policy,
  index: number,
  tableBase: number,
  priority: number,
  apps: Readonly<Record<string, AppSignature>>,
): ClassRules {
  if (!policy.match.applications?.length) return classRules(policy, index, tableBase, priority)
  const table = tableBase + index
  const alternatives = expandApplications(policy.match, apps)
  if (alternatives.length === 0) {
    const skipped = "its applications' ports never meet its own protocols or ports"
    return { classId: policy.id, table, rules: [], skipped }
  }
  const byRule = alternatives.filter((m) => !m.applications?.length)
  // Only named applications: classRules says the classifier is needed.
  if (byRule.length === 0) return classRules(policy, index, tableBase, priority)
  const rules: RuleSpec[] = []
  for (const match of byRule) {
    const part = classRules({ ...policy, match }, index, tableBase, priority)
    if (part.skipped) return part
    rules.push(...part.rules)
  }
  if (rules.length > MAX_RULES_PER_CLASS) {
    const skipped = `more than ${MAX_RULES_PER_CLASS} rule combinations`
    return { classId: policy.id, table, rules: [], skipped }
  }
  return { classId: policy.id, table, rules }
}

export function ruleKey(r: RuleSpec): string {
  return JSON.stringify([r.priority, r.table, r.to, r.from, r.ipproto, r.dport, r.tos ?? 0])
}
