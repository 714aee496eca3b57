/**
 * Without BPF (no object, a kernel that refuses the program, no bpftool), the agent still
 * steers what an `ip rule` can see: protocol, ports, DSCP (tos) and prefixes. Applications
 * cannot be recognised by payload or name; an operator's application with ports still
 * matches by its ports (its alternative of bpf/app-match.ts), the rest is reported as
 * unenforced. One rule per combination of the dimensions of each expressible alternative,
 * in policy priority order, each to the class's table.
 */

import type { PolicyMatch } from '../../protocol/policy'
import { expandApplications } from '../bpf/app-match'
import { type AppSignature, operatorApplications } from '../bpf/apps'
import type { ClassifierPolicy } from '../bpf/compile'
import { PRIORITIES, TABLES } from '../plan/numbers'

export interface FallbackRule {
  priority: number
  table: number
  ipproto?: 'tcp' | 'udp' | 'icmp'
  dport?: string
  tos?: number
  from?: string
  to?: string
}

export interface FallbackPlan {
  rules: FallbackRule[]
  warnings: string[]
}

const MAX_RULES_PER_POLICY = 64

export function fallbackRules(
  policies: ClassifierPolicy[],
  options: {
    classOf?: Record<string, number>
    classTableBase?: number
    priorityBase?: number
    /** The operator's applications (the desired state's, bpf/apps.ts signaturesOf). */
    applications?: Record<string, AppSignature>
  } = {},
): FallbackPlan {
  const apps = operatorApplications(options.applications ?? {}).apps
  const tableBase = options.classTableBase ?? TABLES.class.base
  let priority = options.priorityBase ?? PRIORITIES.classMatch.base
  const rules: FallbackRule[] = []
  const warnings: string[] = []
  const sorted = [...policies].sort((a, b) => a.priority - b.priority)
  sorted.forEach((p, i) => {
    const cls = options.classOf?.[p.id] ?? i
    const alternatives = expandApplications(p.match, apps)
    const byName = alternatives.filter((m) => m.applications?.length)
    const byRule = alternatives.filter((m) => !m.applications?.length)
    if (!alternatives.length) {
      warnings.push(`policy ${p.id}: its applications' ports never meet its own; not enforced`)
      return
    }
    if (byName.length && !byRule.length) {
      warnings.push(`policy ${p.id}: applications need the eBPF classifier; not enforced`)
      return
    }
    if (byName.length) {
      const names = byName.flatMap((m) => m.applications ?? []).join(', ')
      warnings.push(
        `policy ${p.id}: matched by application ports only; ${names} need the eBPF classifier`,
      )
    }
    const out = byRule.flatMap((m) => rulesOf(m, priority, tableBase + cls))
    if (out.length > MAX_RULES_PER_POLICY) {
      warnings.push(`policy ${p.id}: ${out.length} rules needed, kept ${MAX_RULES_PER_POLICY}`)
      out.length = MAX_RULES_PER_POLICY
    }
    rules.push(...out)
    priority++
  })
  return { rules, warnings }
}

/** The rules of one match: the cross product of its dimensions. */
function rulesOf(m: PolicyMatch, priority: number, table: number): FallbackRule[] {
  const protos =
    m.protocols?.length && !m.protocols.includes('any')
      ? (m.protocols as ('tcp' | 'udp' | 'icmp')[])
      : [undefined]
  const ports = m.ports?.length ? m.ports.map(String) : [undefined]
  if (ports[0] !== undefined && protos[0] === undefined) protos.splice(0, 1, 'tcp', 'udp')
  const toses = m.dscp?.length ? m.dscp.map((d) => d << 2) : [undefined]
  const froms = m.sourcePrefixes?.length ? m.sourcePrefixes : [undefined]
  const tos = m.destinationPrefixes?.length ? m.destinationPrefixes : [undefined]
  const out: FallbackRule[] = []
  for (const ipproto of protos)
    for (const dport of ports)
      for (const tosv of toses)
        for (const from of froms)
          for (const to of tos) {
            if (ipproto === 'icmp' && dport) continue
            out.push({ priority, table, ipproto, dport, tos: tosv, from, to })
          }
  return out
}

/** `ip rule add` arguments of one rule (for the `ip` binary or an rtnetlink equivalent). */
export function ipRuleArgs(rule: FallbackRule): string[] {
  const args = ['rule', 'add', 'priority', String(rule.priority)]
  if (rule.from) args.push('from', rule.from)
  if (rule.to) args.push('to', rule.to)
  if (rule.tos !== undefined) args.push('tos', `0x${rule.tos.toString(16)}`)
  if (rule.ipproto) args.push('ipproto', rule.ipproto)
  if (rule.dport) args.push('dport', rule.dport)
  args.push('table', String(rule.table))
  return args
}
