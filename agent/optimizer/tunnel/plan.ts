/**
 * Which traffic enters the optimizer tunnel, as a pure function of the desired state.
 *
 * A policy class k (the k-th policy in priority order, the numbering of agent/decision,
 * agent/pathmon and the eBPF classifier) whose action sets `fec` and/or `compression` gets:
 * - its own TUN device `<prefix>o<k in hex>` (one per class, so the packets the agent reads
 *   carry their class: the TUN they came from);
 * - its own table OPTIMIZER_TABLE_BASE + k with one route per peer LAN prefix via that TUN
 *   (never the peers' overlay addresses: the optimizer's own datagrams go there, and they
 *   must find the class tables and the WireGuard interfaces, not the TUN again);
 * - the class's match as `ip rule`s (the same selectors pathmon uses, class-rules.ts) at
 *   OPTIMIZER_RULE_PRIORITY_BASE + k, plus `fwmark <class mark>` at
 *   OPTIMIZER_MARK_RULE_PRIORITY for flows the eBPF classifier marked (applications).
 *
 * The rules sit before the whole mesh range (1000-1100) so that they win over the class's
 * own rules; a lookup that finds no route in an optimizer table (traffic to anything but a
 * peer LAN) falls through to the next rule, so nothing else changes. Turning both flags off
 * removes the class from this plan: its rules, routes and TUN go, and its traffic takes the
 * plain tunnel again through pathmon's class rules.
 *
 * Known limit: a non-optimized class of higher priority whose match overlaps an optimized
 * class's loses the overlap to the optimized class (no `goto` rules); IPv4 only.
 */
import type { DesiredState } from '../../../protocol/agent'
import { optimizerTunMtu } from '../../../protocol/optimizer'
import type { AppSignature } from '../../bpf/apps'
import { DEFAULT_CLASS_MARK_BASE } from '../../bpf/compile'
import { policyRules } from '../../pathmon/class-rules'
import { PRIORITIES, TABLES } from '../../plan/numbers'
import type { RuleSpec } from '../../routing/types'

/** UDP port of the optimizer on every site's overlay address (inside the tunnels). */
export const OPTIMIZER_PORT = 4800
/** Tables of the optimized classes: past the mesh and the eBPF ECMP tables (numbers.ts). */
export const OPTIMIZER_TABLE_BASE = TABLES.optimizer.base
/** Match rules of class k at base + k: before the mesh plan's range (numbers.ts). */
export const OPTIMIZER_RULE_PRIORITY_BASE = PRIORITIES.optimizerClass.base
/** One priority for the fwmark rules (marks are distinct), before the match rules. */
export const OPTIMIZER_MARK_RULE_PRIORITY = PRIORITIES.optimizerMark.base
export const OPTIMIZER_MAX_CLASSES = TABLES.optimizer.count

export interface OptimizedClass {
  classId: string
  name: string
  index: number
  fec: boolean
  compression: boolean
  tun: string
  table: number
  /** Match rules (empty for application-only classes, which rely on the fwmark rule). */
  rules: RuleSpec[]
  markRule: RuleSpec
}

export interface OptimizerPeer {
  siteId: string
  overlayAddress: string
  /** IPv4 LAN prefixes (normalised CIDRs): routed into the TUNs, and the only sources accepted. */
  prefixes: string[]
}

export interface TunnelPlan {
  classes: OptimizedClass[]
  peers: OptimizerPeer[]
  routes: { table: number; dst: string; dev: string }[]
  rules: RuleSpec[]
  /** The device the receiver writes decoded packets to (always present). */
  receiveTun: string
  tunMtu: number
  overlayAddress: string
  warnings: string[]
}

export interface TunnelPlanOptions {
  interfacePrefix: string
  tableBase?: number
  rulePriorityBase?: number
  markRulePriority?: number
  classMarkBase?: number
  /** The operator's applications (their ports are matched by rule, class-rules.ts). */
  apps?: Readonly<Record<string, AppSignature>>
}

export function classTunName(prefix: string, index: number): string {
  return `${prefix}o${index.toString(16)}`
}

export function receiveTunName(prefix: string): string {
  return `${prefix}or`
}

export function planTunnel(desired: DesiredState, options: TunnelPlanOptions): TunnelPlan {
  const tableBase = options.tableBase ?? OPTIMIZER_TABLE_BASE
  const priorityBase = options.rulePriorityBase ?? OPTIMIZER_RULE_PRIORITY_BASE
  const markPriority = options.markRulePriority ?? OPTIMIZER_MARK_RULE_PRIORITY
  const markBase = options.classMarkBase ?? DEFAULT_CLASS_MARK_BASE
  const warnings: string[] = []
  const policies = [...desired.policies].sort((a, b) => a.priority - b.priority)
  const classes: OptimizedClass[] = []
  policies.forEach((p, k) => {
    const fec = p.action.fec === true
    const compression = p.action.compression === true
    if (!fec && !compression) return
    if (k >= OPTIMIZER_MAX_CLASSES) {
      warnings.push(
        `policy ${p.name}: class ${k} is beyond ${OPTIMIZER_MAX_CLASSES}; not optimized`,
      )
      return
    }
    const table = tableBase + k
    const r = policyRules(p, k, tableBase, priorityBase + k, options.apps ?? {})
    if (r.skipped) warnings.push(`policy ${p.name}: ${r.skipped}; optimized for marked flows only`)
    classes.push({
      classId: p.id,
      name: p.name,
      index: k,
      fec,
      compression,
      tun: classTunName(options.interfacePrefix, k),
      table,
      rules: r.rules,
      markRule: { priority: markPriority, table, fwmark: markBase + k, family: 4 },
    })
  })
  const peers: OptimizerPeer[] = desired.peers
    .filter((p) => p.siteId !== desired.site.id && !p.overlayAddress.includes(':'))
    .map((p) => ({
      siteId: p.siteId,
      overlayAddress: p.overlayAddress,
      prefixes: p.prefixes.filter((c) => !c.includes(':')),
    }))
  const routes = classes.flatMap((c) =>
    peers.flatMap((p) => p.prefixes.map((dst) => ({ table: c.table, dst, dev: c.tun }))),
  )
  const rules = classes.flatMap((c) => [c.markRule, ...c.rules])
  return {
    classes,
    peers,
    routes,
    rules,
    receiveTun: receiveTunName(options.interfacePrefix),
    tunMtu: optimizerTunMtu(desired.wireguard.mtu),
    overlayAddress: desired.site.overlayAddress,
    warnings,
  }
}
