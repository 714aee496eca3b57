/**
 * The site plan: everything the agent derives from one desired state, computed once per
 * reconfig (agent/pipeline/stages.ts) and handed to every stage. Before it, four layers
 * planned the mesh again from the raw desired state; now a stage only reads its part:
 *
 * - `mesh`: WireGuard interfaces and peers, uplink tables, their rules, the mesh routes;
 * - `classes`: the policy classes in priority order with their table, mark and match rules
 *   (class k = the k-th policy: the numbering of the decision logic, the classifier, ECMP,
 *   shaping and the optimizer);
 * - `shaping`: the per-uplink HTB trees of classes with `action.qos`;
 * - `optimizer`: the TUN devices, tables and rules of classes with `fec`/`compression`.
 *
 * Pure: the same desired state gives the same plan, so tests compare plans and a stage can
 * compare `plan` with `previous` to skip work. Every number comes from numbers.ts.
 */
import type { DesiredState } from '../../protocol/agent'
import { operatorApplications, signaturesOf } from '../bpf/apps'
import { planShaping, type UplinkShaping } from '../dataplane/shaping'
import { planTunnel, type TunnelPlan } from '../optimizer/tunnel/plan'
import { type ClassRules, policyRules } from '../pathmon/class-rules'
import type { RuleSpec } from '../routing/types'
import { type MeshPlan, planMesh } from './mesh-plan'
import { classMark, classTable, MAX_CLASSES, PRIORITIES, TABLES } from './numbers'

export interface SitePlanOptions {
  /** Interface name prefix; at most 12 characters. Must be unique on the host. */
  interfacePrefix: string
  /** See MeshPlanOptions.mode. */
  mode: 'lab' | 'prod'
}

type Policy = DesiredState['policies'][number]

export interface ClassPlan {
  /** Position in priority order. */
  index: number
  policy: Policy
  table: number
  /** The classifier's mark of this class. */
  mark: number
  /** The class's match as `ip rule`s (empty with `skipped` when a rule cannot express it). */
  match: ClassRules
}

export interface SitePlan {
  readonly desired: DesiredState
  readonly options: SitePlanOptions
  readonly mesh: MeshPlan
  /** The first MAX_CLASSES policies in priority order; later ones are in `warnings`. */
  readonly classes: readonly ClassPlan[]
  readonly shaping: { uplinks: UplinkShaping[]; warnings: string[] }
  readonly optimizer: TunnelPlan
  readonly warnings: readonly string[]
}

/** Policies in priority order (ties keep the document's order: the sort is stable). */
function policiesInOrder(desired: DesiredState): Policy[] {
  return [...desired.policies].sort((a, b) => a.priority - b.priority)
}

export function planSite(desired: DesiredState, options: SitePlanOptions): SitePlan {
  const mesh = planMesh(desired, options)
  const warnings = [...mesh.warnings]
  const classes: ClassPlan[] = []
  const apps = operatorApplications(signaturesOf(desired.applications ?? [])).apps
  policiesInOrder(desired).forEach((policy, index) => {
    if (index >= MAX_CLASSES) {
      warnings.push(`policy ${policy.name}: more than ${MAX_CLASSES} classes; not steered`)
      return
    }
    const table = classTable(index)
    const priority = PRIORITIES.classMatch.base + index
    const match = policyRules(policy, index, TABLES.class.base, priority, apps)
    classes.push({ index, policy, table, mark: classMark(index), match })
  })
  const shaping = planShaping(desired, mesh, options)
  const optimizer = planTunnel(desired, { interfacePrefix: options.interfacePrefix, apps })
  warnings.push(...shaping.warnings, ...optimizer.warnings)
  return { desired, options, mesh, classes, shaping, optimizer, warnings }
}

/** Which part of a plan a kernel number belongs to, for the collision check. */
export interface PlanNumbers {
  part: string
  tables: number[]
  marks: number[]
  rules: RuleSpec[]
}

/** Every table, mark and rule each part of the plan uses. */
export function planNumbers(plan: SitePlan): PlanNumbers[] {
  return [
    {
      part: 'mesh',
      tables: [...plan.mesh.uplinks.map((u) => u.table), TABLES.mesh.base],
      marks: plan.mesh.uplinks.map((u) => u.fwmark),
      rules: plan.mesh.rules.map((r) => ({ ...r })),
    },
    {
      part: 'classes',
      tables: plan.classes.map((c) => c.table),
      marks: plan.classes.map((c) => c.mark),
      rules: plan.classes.flatMap((c) => c.match.rules),
    },
    {
      part: 'optimizer',
      tables: plan.optimizer.classes.map((c) => c.table),
      // The optimizer matches the classifier's class marks; it owns no mark of its own.
      marks: [],
      rules: plan.optimizer.rules,
    },
  ]
}
