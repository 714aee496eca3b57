/**
 * ECMP for `load-balance` classes, planned: from the path selector's weighted member paths
 * (per peer: up, undamped, SLA-compliant paths, weighted by capacity) and the paths' recent
 * loss, the classifier's 64 hash buckets per class and the routing that serves them.
 *
 * A load-balance class c spreads over up to 16 local/remote slot pairs; pair p (a per-class
 * index, stable while the pair is in use) has its own mark ecmpMark(c, p) = 0x7400 | c<<4 | p
 * and table ecmpTable(c, p) = 7400 + 16c + p. The class number stays in the mark so the
 * egress HTB filter (bpf/qos.c) still finds the class of a balanced packet. Table (c, p)
 * routes each peer's prefixes via `wg-i-j` when (i, j) is one of that peer's members, else
 * via the class's primary path to that peer, so a bucket never points nowhere.
 *
 * Buckets move as little as possible: a flow keeps its path unless its bucket's path left
 * or the weights moved by more than BUCKET_TOLERANCE buckets (loss wobbles would otherwise
 * move flows on every evaluation). Buckets are per class, not per peer: with several peers
 * the pair weights are the peers' weights averaged (docs/qos.md).
 */
import type { DesiredState } from '../../protocol/agent'
import { LB_BUCKETS, MAX_CLASSES } from '../bpf/layout'
import type { ClassDecision, PathRef } from '../decision'
import type { WantedRoute } from '../pathmon/apply'
import { interfaceName } from '../plan/mesh-plan'
import { MARKS, MAX_ECMP_PATHS, TABLES } from '../plan/numbers'
import type { RuleSpec } from '../routing/types'

export const ECMP_MARK_BASE = MARKS.ecmp.base
export const ECMP_TABLE_BASE = TABLES.ecmp.base
/** Slot pairs per class: 4 bits of the mark. */
export { MAX_ECMP_PATHS }
/** Buckets a path's share may drift from its target before flows are moved. */
export const BUCKET_TOLERANCE = 2
/** Below this loss (%) a path counts as fully healthy. */
export const HEALTHY_LOSS_PCT = 1
/** A lossy member still gets this much of its capacity share (it is up and compliant). */
export const MIN_HEALTH = 0.05

export function ecmpMark(classId: number, pathIndex: number): number {
  return ECMP_MARK_BASE | (classId << 4) | pathIndex
}

export function ecmpTable(classId: number, pathIndex: number): number {
  return ECMP_TABLE_BASE + classId * MAX_ECMP_PATHS + pathIndex
}

export function isEcmpTable(table: number): boolean {
  return table >= ECMP_TABLE_BASE && table < ECMP_TABLE_BASE + MAX_CLASSES * MAX_ECMP_PATHS
}

/** Health factor from the path's loss over the last 10 s (null = not measured yet). */
export function healthFactor(lossPct: number | null | undefined): number {
  if (lossPct === null || lossPct === undefined || lossPct < HEALTHY_LOSS_PCT) return 1
  return Math.max(MIN_HEALTH, 1 - lossPct / 100)
}

/** Target bucket counts by weight (largest remainder); weights <= 0 get none. */
export function targetCounts(weights: ReadonlyMap<number, number>): Map<number, number> {
  const live = [...weights].filter(([, w]) => w > 0)
  const total = live.reduce((s, [, w]) => s + w, 0)
  const out = new Map<number, number>()
  if (!live.length || total <= 0) return out
  const exact = live.map(([p, w]) => ({ p, e: (w / total) * LB_BUCKETS }))
  for (const { p, e } of exact) out.set(p, Math.floor(e))
  let left = LB_BUCKETS - [...out.values()].reduce((s, c) => s + c, 0)
  const order = [...exact].sort((a, b) => b.e - Math.floor(b.e) - (a.e - Math.floor(a.e)))
  for (const { p } of order) {
    if (left-- <= 0) break
    out.set(p, (out.get(p) ?? 0) + 1)
  }
  return out
}

/**
 * New bucket -> path index assignment, moving as few buckets as possible from `prev`
 * (-1 = unassigned). Unchanged when the same paths are live and no count is off its target
 * by more than `tolerance`. A fresh assignment is interleaved (smooth weighted round robin)
 * so no path owns one contiguous hash range.
 */
export function stableBuckets(
  prev: readonly number[],
  weights: ReadonlyMap<number, number>,
  tolerance = BUCKET_TOLERANCE,
): number[] {
  const target = targetCounts(weights)
  if (target.size === 0) return new Array(LB_BUCKETS).fill(-1)
  const have = new Map<number, number>()
  for (const p of prev) if (p >= 0) have.set(p, (have.get(p) ?? 0) + 1)
  const sameSet =
    prev.length === LB_BUCKETS &&
    prev.every((p) => target.has(p)) &&
    [...target.keys()].every((p) => have.has(p))
  if (sameSet && [...target].every(([p, n]) => Math.abs((have.get(p) ?? 0) - n) <= tolerance))
    return [...prev]
  if (have.size === 0) return interleave(target)
  const out = prev.length === LB_BUCKETS ? [...prev] : new Array<number>(LB_BUCKETS).fill(-1)
  const kept = new Map<number, number>()
  for (let b = 0; b < LB_BUCKETS; b++) {
    const p = out[b] ?? -1
    const n = kept.get(p) ?? 0
    if (p >= 0 && n < (target.get(p) ?? 0)) kept.set(p, n + 1)
    else out[b] = -1
  }
  // Free buckets go to the paths furthest below their target, one at a time.
  for (let b = 0; b < LB_BUCKETS; b++) {
    if ((out[b] ?? -1) >= 0) continue
    let best = -1
    let deficit = 0
    for (const [p, n] of target) {
      const d = n - (kept.get(p) ?? 0)
      if (d > deficit) {
        deficit = d
        best = p
      }
    }
    out[b] = best
    if (best >= 0) kept.set(best, (kept.get(best) ?? 0) + 1)
  }
  return out
}

function interleave(target: ReadonlyMap<number, number>): number[] {
  const paths = [...target]
  const credit = paths.map(() => 0)
  const out: number[] = []
  for (let b = 0; b < LB_BUCKETS; b++) {
    let best = 0
    for (let i = 0; i < paths.length; i++) {
      credit[i] = (credit[i] ?? 0) + (paths[i]?.[1] ?? 0)
      if ((credit[i] ?? 0) > (credit[best] ?? 0)) best = i
    }
    credit[best] = (credit[best] ?? 0) - LB_BUCKETS
    out.push(paths[best]?.[0] ?? -1)
  }
  return out
}

export interface EcmpInput {
  desired: Pick<DesiredState, 'policies' | 'peers'>
  /** The path selector's latest decisions (all classes, all peers). */
  decisions: readonly ClassDecision[]
  interfacePrefix: string
  /** Destinations of a peer: its prefixes and overlay address (the mesh plan's allowed IPs). */
  allowedIps: ReadonlyMap<string, readonly string[]>
  /** Health factor of a path (healthFactor of its loss); 1 when unknown. */
  health?: (path: PathRef) => number
  rulePriority: number
}

export interface EcmpPlan {
  /** Class id -> 64 bucket marks (0 = unused), for the classifier's pt_lb map. */
  marks: Record<number, number[]>
  /** Classes balanced per packet. */
  perPacket: number[]
  routes: WantedRoute[]
  rules: RuleSpec[]
  /**
   * Tables of pairs that just left (their buckets moved): pointed at the class's primary
   * path until the new buckets are written, so flows still marked for them are not lost.
   */
  retiring: WantedRoute[]
  /** Class id -> { "i-j": share of buckets } for logs and tests. */
  shares: Record<number, Record<string, number>>
  warnings: string[]
}

const pairOf = (p: PathRef) => `${p.localSlot}-${p.remoteSlot}`

/** Keeps, per class, the pair indexes and the buckets between plans (stability). */
export class EcmpPlanner {
  readonly #index = new Map<number, Map<string, number>>()
  readonly #buckets = new Map<number, number[]>()

  plan(input: EcmpInput): EcmpPlan {
    const out: EcmpPlan = {
      marks: {},
      perPacket: [],
      routes: [],
      rules: [],
      retiring: [],
      shares: {},
      warnings: [],
    }
    const policies = [...input.desired.policies].sort((a, b) => a.priority - b.priority)
    const active = new Set<number>()
    policies.slice(0, MAX_CLASSES).forEach((policy, cls) => {
      if (policy.action.preference !== 'load-balance') return
      const decisions = input.decisions.filter((d) => d.classId === policy.id)
      const weights = this.#pairWeights(decisions, input.health)
      const index = this.#index.get(cls) ?? new Map<string, number>()
      this.#index.set(cls, index)
      for (const pair of weights.keys()) {
        if (index.has(pair)) continue
        const used = new Set(index.values())
        let free = 0
        while (used.has(free)) free++
        if (free >= MAX_ECMP_PATHS) {
          out.warnings.push(
            `policy ${policy.name}: more than ${MAX_ECMP_PATHS} paths, ${pair} unused`,
          )
          continue
        }
        index.set(pair, free)
      }
      const byIndex = new Map<number, number>()
      for (const [pair, w] of weights) {
        const p = index.get(pair)
        if (p !== undefined) byIndex.set(p, w)
      }
      const buckets = stableBuckets(this.#buckets.get(cls) ?? [], byIndex)
      // Indexes of pairs that left are free again once no bucket points at them.
      const inUse = new Set(buckets.filter((p) => p >= 0))
      const wasUsed = new Set(this.#buckets.get(cls) ?? [])
      for (const [pair, p] of index) {
        if (inUse.has(p)) continue
        index.delete(pair)
        if (!wasUsed.has(p)) continue
        for (const d of decisions) {
          if (!d.path) continue
          const dev = interfaceName(input.interfacePrefix, d.path.localSlot, d.path.remoteSlot)
          for (const dst of input.allowedIps.get(d.peerSiteId) ?? [])
            out.retiring.push({ table: ecmpTable(cls, p), dst, dev })
        }
      }
      if (inUse.size === 0) {
        this.#buckets.delete(cls)
        return
      }
      this.#buckets.set(cls, buckets)
      active.add(cls)
      out.marks[cls] = buckets.map((p) => (p >= 0 ? ecmpMark(cls, p) : 0))
      if (policy.action.balance === 'per-packet') out.perPacket.push(cls)
      const shares: Record<string, number> = {}
      for (const [pair, p] of index) {
        shares[pair] = buckets.filter((x) => x === p).length / LB_BUCKETS
        const [i, j] = pair.split('-').map(Number) as [number, number]
        const table = ecmpTable(cls, p)
        out.rules.push({
          priority: input.rulePriority,
          table,
          fwmark: ecmpMark(cls, p),
          family: 4,
        })
        for (const d of decisions) {
          const member = d.paths.some((w) => w.path.localSlot === i && w.path.remoteSlot === j)
          const via = member ? { localSlot: i, remoteSlot: j } : d.path
          if (!via) continue
          const dev = interfaceName(input.interfacePrefix, via.localSlot, via.remoteSlot)
          for (const dst of input.allowedIps.get(d.peerSiteId) ?? [])
            out.routes.push({ table, dst, dev })
        }
      }
      out.shares[cls] = shares
    })
    for (const cls of [...this.#buckets.keys()]) {
      if (!active.has(cls)) {
        this.#buckets.delete(cls)
        this.#index.delete(cls)
      }
    }
    return out
  }

  /** Pair -> weight: each peer's member weights x health, averaged over the class's peers. */
  #pairWeights(
    decisions: readonly ClassDecision[],
    health: ((p: PathRef) => number) | undefined,
  ): Map<string, number> {
    const sum = new Map<string, number>()
    let peers = 0
    for (const d of decisions) {
      if (d.paths.length === 0) continue
      peers++
      const raw = d.paths.map((w) => ({ w, h: w.weight * (health?.(w.path) ?? 1) }))
      const total = raw.reduce((s, x) => s + x.h, 0)
      if (total <= 0) continue
      for (const { w, h } of raw) {
        const k = pairOf(w.path)
        sum.set(k, (sum.get(k) ?? 0) + h / total)
      }
    }
    if (peers === 0) return new Map()
    return new Map([...sum].map(([k, v]) => [k, v / peers]))
  }
}
