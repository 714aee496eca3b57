/**
 * The policy compiler: from the site's policies to the classifier's tables. Each policy is
 * one bit (priority order, lower number first, as agent/decision/classes.ts numbers
 * classes), or a few adjacent bits when it names operator applications with ports
 * (app-match.ts); every match dimension becomes a table of "which policies admit this value",
 * plus a wildcard mask for the policies that do not constrain it. The classifier ANDs the
 * dimensions and takes the lowest bit. Pure: no I/O, so it is unit tested directly.
 */

import { type Cidr, parseCidr } from '../../protocol/net'
import type { PolicyAction, PolicyMatch } from '../../protocol/policy'
import { MARKS } from '../plan/numbers'
import { expandApplications } from './app-match'
import { type AppSignature, BUILTIN_APPS, buildCatalogue, operatorApplications } from './apps'
import { LB_BUCKETS, MAX_APPS, MAX_CLASSES, MAX_POLICIES, MAX_PORT_RULES, NO_DSCP } from './layout'

export interface ClassifierPolicy {
  id: string
  priority: number
  match: PolicyMatch
  action: Pick<PolicyAction, 'preference'>
}

export interface LoadBalancePath {
  /** skb mark that selects this path's routing table. */
  mark: number
  /** Relative weight (path capacity x health); 0 takes the path out. */
  weight: number
}

export interface ClassifierSpec {
  policies: ClassifierPolicy[]
  /** Policy id -> class id; default: the policy's rank in priority order. */
  classOf?: Record<string, number>
  /** Mark of class c is classMarkBase + c (MESH_DEFAULTS.classTableBase's marks). */
  classMarkBase?: number
  /** Class id -> DSCP to write on the class's packets. */
  dscpRewrite?: Record<number, number>
  /** Class id -> paths for a `load-balance` class. */
  loadBalance?: Record<number, LoadBalancePath[]>
  /**
   * Class id -> LB_BUCKETS bucket marks already laid out (the running agent's ECMP,
   * ecmp-plan.ts, keeps them stable); takes precedence over loadBalance.
   */
  lbMarks?: Record<number, number[]>
  /** Class ids balanced per packet rather than per flow. */
  perPacket?: number[]
  /** The operator's applications (names and ports), beside the default catalogue. */
  applications?: Record<string, AppSignature>
  /** Named application ids of the tables written before (name -> id), kept (apps.ts). */
  appIds?: ReadonlyMap<string, number>
  rtpPorts?: [number, number]
  inspectPackets?: number
}

export interface PrefixEntry {
  dir: 0 | 1
  family: 4 | 6
  address: Buffer
  bits: number
  mask: bigint
}

export interface ClassifierTables {
  classMarkBase: number
  inspectPackets: number
  rtpPorts: [number, number]
  portWild: bigint
  srcWild: bigint
  dstWild: bigint
  appWild: bigint
  protoMask: [bigint, bigint, bigint, bigint]
  policyClass: number[]
  ports: { lo: number; hi: number; mask: bigint }[]
  dscp: bigint[]
  apps: bigint[]
  classes: { mark: number; dscp: number; lbMode: 0 | 1 | 2 }[]
  /** class * LB_BUCKETS + bucket -> path mark (0 = unused). */
  lb: number[]
  prefixes: PrefixEntry[]
  names: { suffix: string; app: number }[]
  /** App id -> name, to label counters. */
  appNames: Map<number, string>
  /** Class id -> the policy id it came from. */
  classPolicy: Map<number, string>
  warnings: string[]
}

/** The classifier's mark of class c is this + c (numbers.ts). */
export const DEFAULT_CLASS_MARK_BASE = MARKS.class.base

/** Spreads LB_BUCKETS buckets over paths by weight (largest remainder), interleaved. */
export function lbBuckets(paths: LoadBalancePath[]): number[] {
  const live = paths.filter((p) => p.weight > 0)
  const total = live.reduce((s, p) => s + p.weight, 0)
  if (!live.length || total <= 0) return new Array(LB_BUCKETS).fill(0)
  const exact = live.map((p) => (p.weight / total) * LB_BUCKETS)
  const counts = exact.map(Math.floor)
  let left = LB_BUCKETS - counts.reduce((s, c) => s + c, 0)
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r)
  for (const { i } of order) {
    if (left-- <= 0) break
    counts[i] = (counts[i] ?? 0) + 1
  }
  // Interleave (smooth weighted round robin) so no path owns one contiguous hash range.
  const out: number[] = []
  const credit = live.map(() => 0)
  for (let b = 0; b < LB_BUCKETS; b++) {
    let best = 0
    for (let i = 0; i < live.length; i++) {
      credit[i] = (credit[i] ?? 0) + (counts[i] ?? 0)
      if ((credit[i] ?? 0) > (credit[best] ?? 0)) best = i
    }
    credit[best] = (credit[best] ?? 0) - LB_BUCKETS
    out.push(live[best]?.mark ?? 0)
  }
  return out
}

function cidrBytes(c: Cidr): Buffer {
  const len = c.family === 4 ? 4 : 16
  const b = Buffer.alloc(len)
  let v = c.network
  for (let i = len - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return b
}

function contains(outer: PrefixEntry, inner: PrefixEntry): boolean {
  if (outer.family !== inner.family || outer.dir !== inner.dir || outer.bits > inner.bits)
    return false
  for (let bit = 0; bit < outer.bits; bit++) {
    const byte = bit >> 3
    const m = 0x80 >> (bit & 7)
    if (((outer.address[byte] ?? 0) & m) !== ((inner.address[byte] ?? 0) & m)) return false
  }
  return true
}

export function compilePolicies(spec: ClassifierSpec): ClassifierTables {
  const warnings: string[] = []
  const catalogue = buildCatalogue(spec.applications, spec.appIds)
  warnings.push(...catalogue.warnings)
  const classMarkBase = spec.classMarkBase ?? DEFAULT_CLASS_MARK_BASE
  const policies = [...spec.policies].sort((a, b) => a.priority - b.priority)
  // One bit per match alternative (app-match.ts: an application's ports are an alternative
  // to its names); a policy's alternatives share its class, by default its rank.
  const operatorApps = operatorApplications(spec.applications ?? {}).apps
  let rows = policies.flatMap((policy, rank) => {
    const alternatives = expandApplications(policy.match, operatorApps)
    if (!alternatives.length)
      warnings.push(
        `policy ${policy.id}: its applications' ports never meet its own protocols or ports; it matches nothing`,
      )
    return alternatives.map((match) => ({ policy, rank, match }))
  })
  if (rows.length > MAX_POLICIES) {
    warnings.push(
      `${rows.length} policy matches (an application's ports count apart): only the first ${MAX_POLICIES} are classified`,
    )
    rows = rows.slice(0, MAX_POLICIES)
  }
  const bit = (i: number) => 1n << BigInt(i)
  let portWild = 0n
  let srcWild = 0n
  let dstWild = 0n
  let appWild = 0n
  const protoMask: [bigint, bigint, bigint, bigint] = [0n, 0n, 0n, 0n]
  const dscpSpecific = new Array<bigint>(64).fill(0n)
  let dscpWild = 0n
  const appSpecific = new Array<bigint>(MAX_APPS).fill(0n)
  const portMap = new Map<string, { lo: number; hi: number; mask: bigint }>()
  const prefixes: PrefixEntry[] = []
  const policyClass: number[] = []
  const classPolicy = new Map<number, string>()
  const tlsOrHttp = new Set<number>([BUILTIN_APPS.tls, BUILTIN_APPS.http])
  let tlsHttpBits = 0n

  rows.forEach(({ policy: p, rank, match: m }, i) => {
    const b = bit(i)
    const cls = spec.classOf?.[p.id] ?? rank
    if (cls < 0 || cls >= MAX_CLASSES) {
      warnings.push(`policy ${p.id}: class ${cls} is outside 0-${MAX_CLASSES - 1}, not marked`)
      policyClass.push(0xffff)
    } else {
      policyClass.push(cls)
      if (!classPolicy.has(cls)) classPolicy.set(cls, p.id)
    }
    // Protocols: tcp, udp, icmp, other.
    const protos = m.protocols?.length && !m.protocols.includes('any') ? m.protocols : undefined
    if (!protos) {
      for (let k = 0; k < 4; k++) protoMask[k as 0] |= b
    } else {
      if (protos.includes('tcp')) protoMask[0] |= b
      if (protos.includes('udp')) protoMask[1] |= b
      if (protos.includes('icmp')) protoMask[2] |= b
    }
    if (!m.ports?.length) portWild |= b
    for (const spec of m.ports ?? []) {
      const [lo, hi] =
        typeof spec === 'number' ? [spec, spec] : (spec.split('-').map(Number) as [number, number])
      const key = `${lo}-${hi}`
      const rule = portMap.get(key) ?? { lo, hi, mask: 0n }
      rule.mask |= b
      portMap.set(key, rule)
    }
    if (!m.dscp?.length) dscpWild |= b
    for (const d of m.dscp ?? []) dscpSpecific[d] = (dscpSpecific[d] ?? 0n) | b
    if (!m.applications?.length) appWild |= b
    for (const name of m.applications ?? []) {
      const ids = catalogue.resolve(name)
      if (!ids) {
        warnings.push(`policy ${p.id}: unknown application ${name}`)
        continue
      }
      for (const id of ids) {
        appSpecific[id] = (appSpecific[id] ?? 0n) | b
        if (tlsOrHttp.has(id)) tlsHttpBits |= b
      }
    }
    for (const [dir, list] of [
      [0, m.sourcePrefixes],
      [1, m.destinationPrefixes],
    ] as const) {
      if (!list?.length) {
        if (dir === 0) srcWild |= b
        else dstWild |= b
        continue
      }
      for (const text of list) {
        const c = parseCidr(text)
        if (!c) {
          warnings.push(`policy ${p.id}: bad prefix ${text}`)
          continue
        }
        const address = cidrBytes(c)
        const same = prefixes.find(
          (e) => e.dir === dir && e.bits === c.length && e.address.equals(address),
        )
        if (same) same.mask |= b
        else prefixes.push({ dir, family: c.family, address, bits: c.length, mask: b })
      }
    }
  })

  // A longer prefix must still admit the policies of the shorter prefixes that contain it
  // (the trie returns only the longest match), and the wildcard policies.
  const closed = prefixes.map((p) => {
    let mask = p.mask | (p.dir === 0 ? srcWild : dstWild)
    for (const q of prefixes) if (q !== p && contains(q, p)) mask |= q.mask
    return { ...p, mask }
  })

  // A named application is TLS or HTTP: policies on tls/http admit it too.
  for (const named of catalogue.names)
    appSpecific[named.id] = (appSpecific[named.id] ?? 0n) | tlsHttpBits

  let ports = [...portMap.values()].sort((a, b) => a.lo - b.lo || a.hi - b.hi)
  if (ports.length > MAX_PORT_RULES) {
    warnings.push(`${ports.length} port ranges: only ${MAX_PORT_RULES} fit, the rest never match`)
    ports = ports.slice(0, MAX_PORT_RULES)
  }

  const perPacket = new Set(spec.perPacket ?? [])
  const classes: ClassifierTables['classes'] = []
  const lb = new Array<number>(MAX_CLASSES * LB_BUCKETS).fill(0)
  for (let c = 0; c < MAX_CLASSES; c++) {
    const dscp = spec.dscpRewrite?.[c]
    const paths = spec.loadBalance?.[c]
    let lbMode: 0 | 1 | 2 = 0
    const preset = spec.lbMarks?.[c]
    if (preset?.some((m) => m !== 0)) {
      lbMode = perPacket.has(c) ? 2 : 1
      for (let k = 0; k < LB_BUCKETS; k++) lb[c * LB_BUCKETS + k] = preset[k] ?? 0
    } else if (paths?.length) {
      const buckets = lbBuckets(paths)
      if (buckets.some((m) => m !== 0)) {
        lbMode = perPacket.has(c) ? 2 : 1
        buckets.forEach((m, k) => {
          lb[c * LB_BUCKETS + k] = m
        })
      } else warnings.push(`class ${c}: no load-balance path has a weight, using the class table`)
    }
    classes.push({
      mark: classMarkBase + c,
      dscp: dscp !== undefined && dscp >= 0 && dscp <= 63 ? dscp : NO_DSCP,
      lbMode,
    })
  }
  for (const p of policies) {
    const cls = spec.classOf?.[p.id] ?? policies.indexOf(p)
    if (p.action.preference === 'load-balance' && !spec.lbMarks && !spec.loadBalance?.[cls]?.length)
      warnings.push(`policy ${p.id}: load-balance without paths, using class ${cls}'s table`)
  }

  return {
    classMarkBase,
    inspectPackets: Math.min(255, Math.max(1, spec.inspectPackets ?? 6)),
    rtpPorts: spec.rtpPorts ?? [10000, 20000],
    portWild,
    srcWild,
    dstWild,
    appWild,
    protoMask,
    policyClass,
    ports,
    dscp: dscpSpecific.map((m) => m | dscpWild),
    apps: appSpecific.map((m) => m | appWild),
    classes,
    lb,
    prefixes: closed,
    names: catalogue.names.flatMap((n) => n.suffixes.map((suffix) => ({ suffix, app: n.id }))),
    appNames: catalogue.nameOf,
    classPolicy,
    warnings,
  }
}
