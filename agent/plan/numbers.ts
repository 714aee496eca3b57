/**
 * The one owner of every kernel number the agent uses: routing tables, packet marks and
 * `ip rule` priorities. Every other module takes its numbers from here (no literal table,
 * mark or priority elsewhere), and `numbers.test.ts` checks that no two ranges overlap, so
 * a new feature (NAT traversal, BGP, segmentation) claims a range here and cannot collide
 * silently with an existing one.
 *
 * Why these values:
 * - Tables 7100-7715 and marks 0x7100-0x74ff sit far from the kernel's own tables (253-255)
 *   and from what distributions and other daemons commonly use (low tables, small marks).
 * - Rule priorities: the kernel's `from all lookup main` is 32766, so everything here runs
 *   before main. The optimizer's rules (959-975) come before the whole mesh range so that
 *   an optimized class enters its TUN before its plain class table; inside the mesh range
 *   the order is uplink fwmark (underlay of each tunnel) -> uplink source address ->
 *   classifier marks -> policy match rules -> the mesh table -> control-plane steering.
 */

import { MAX_CLASSES } from '../bpf/layout'

/** A contiguous range [base, base + count). */
export interface NumberRange {
  readonly base: number
  readonly count: number
}

/** At most 16 uplinks per site: interface names carry the slot as one hex digit. */
export const MAX_UPLINK_SLOTS = 16
/**
 * Policy classes with their own table, mark and rules (the first 16 in priority order): the
 * classifier's maps hold 16 (bpf/common.h, mirrored in layout.ts).
 */
export { MAX_CLASSES }
/** Member paths of one load-balance class: 4 bits of an ECMP mark. */
export const MAX_ECMP_PATHS = 16

/** tc filter preferences: the classifier on the LAN's ingress, shaping on tunnel egress. */
export const TC_FILTER_PREFS = { classifier: 0x7300, shaping: 0x7302 } as const

const range = (base: number, count: number): NumberRange => ({ base, count })

export const TABLES = {
  /** Table of uplink slot i: the underlay default route through that uplink. */
  uplink: range(7100, MAX_UPLINK_SLOTS),
  /** Routes to every peer over the default class's current path. */
  mesh: range(7200, 1),
  /** Table of policy class k: its peers' routes over the class's current path. */
  class: range(7300, MAX_CLASSES),
  /** ECMP member tables: 7400 + 16c + p (class c, path index p). */
  ecmp: range(7400, MAX_CLASSES * MAX_ECMP_PATHS),
  /** Optimizer class k: the route into its TUN device. */
  optimizer: range(7700, MAX_CLASSES),
} as const satisfies Record<string, NumberRange>

export const MARKS = {
  /** WireGuard fwmark of uplink slot i (the tunnel's underlay leaves by that uplink). */
  uplink: range(0x7100, MAX_UPLINK_SLOTS),
  /** The classifier's mark of policy class k. */
  class: range(0x7300, MAX_CLASSES),
  /** ECMP member marks: 0x7400 | c << 4 | p. */
  ecmp: range(0x7400, MAX_CLASSES * MAX_ECMP_PATHS),
} as const satisfies Record<string, NumberRange>

export const PRIORITIES = {
  /** Optimizer: marked packets of an optimized class (one shared priority). */
  optimizerMark: range(959, 1),
  /** Optimizer: match rules of class k at 960 + k. */
  optimizerClass: range(960, MAX_CLASSES),
  /** Uplink slot i's fwmark rule. */
  uplinkFwmark: range(1000, MAX_UPLINK_SLOTS),
  /** Uplink slot i's source-address rule. */
  uplinkSource: range(1016, MAX_UPLINK_SLOTS),
  /** Classifier marks of every class and ECMP member (distinct marks share one priority). */
  classifier: range(1032, 1),
  /** Policy match rules of class k at 1040 + k. */
  classMatch: range(1040, MAX_CLASSES),
  /** The mesh table (everything not claimed by a rule above). */
  mesh: range(1100, 1),
  /** The control plane's address, kept on an up uplink. */
  controlPlane: range(1101, 1),
} as const satisfies Record<string, NumberRange>

/** The first rule priority the mesh range owns. */
export const MESH_PRIORITY_FIRST = PRIORITIES.uplinkFwmark.base

function at(r: NumberRange, k: number, what: string): number {
  if (!Number.isInteger(k) || k < 0 || k >= r.count) {
    throw new RangeError(`${what} ${k} is outside 0-${r.count - 1}`)
  }
  return r.base + k
}

export const uplinkTable = (slot: number) => at(TABLES.uplink, slot, 'uplink slot')
export const uplinkMark = (slot: number) => at(MARKS.uplink, slot, 'uplink slot')
export const classTable = (k: number) => at(TABLES.class, k, 'class')
export const classMark = (k: number) => at(MARKS.class, k, 'class')
export const uplinkFwmarkPriority = (slot: number) => at(PRIORITIES.uplinkFwmark, slot, 'slot')
export const uplinkSourcePriority = (slot: number) => at(PRIORITIES.uplinkSource, slot, 'slot')

/** Whether `n` lies in `r`. */
export function inRange(r: NumberRange, n: number): boolean {
  return n >= r.base && n < r.base + r.count
}
