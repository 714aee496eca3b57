/**
 * A packet-level model of the optimizer's two FEC codes at a fixed packet rate, no bytes: which
 * packets a receiver would get back and when. It exists to compare the block Reed-Solomon code
 * (blocks closed at k packets or a deadline, any n of n + m shards recover the block) with the
 * sliding-window code (a repair every few packets over the last W, decoded by elimination on
 * the real coefficients, agent/optimizer/codec/sliding/) against docs/wanopt.md's goals before building the
 * latter, and to print the figures for docs/wanopt.md. `npx tsx bench/wanopt/fec-sim.ts` runs it.
 */
import { repairCoefficients } from '../../agent/optimizer/codec/sliding/coefficients.js'
import { type Equation, solve } from '../../agent/optimizer/codec/sliding/elimination.js'
import { seededRandom } from '../../agent/optimizer/codec/testing.js'

/** Decides, datagram by datagram in send order, whether the link loses it. */
export type LossModel = () => boolean

export function randomLoss(p: number, seed: number): LossModel {
  const random = seededRandom(seed)
  return () => random() < p
}

/**
 * Gilbert-Elliott: a good state that loses nothing and a bad state that loses `lossInBad`,
 * entered with probability `p` and left with `r` per datagram (netem `loss gemodel p r`).
 */
export function gilbertElliott(p: number, r: number, lossInBad: number, seed: number): LossModel {
  const random = seededRandom(seed)
  let bad = false
  return () => {
    bad = bad ? random() >= r : random() < p
    return bad && random() < lossInBad
  }
}

export interface ModelResult {
  packets: number
  delivered: number
  residualLossPct: number
  overheadPct: number
  /** Delay of recovered packets: from when the packet was sent to when it was rebuilt, ms. */
  recoveryMs: { p50: number; p99: number; max: number; count: number }
  /** p99 of added latency over every delivered packet (0 for those that arrived). */
  addedLatencyMsP99: number
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function summarize(packets: number, repairs: number, delays: number[]): ModelResult {
  const recovered = delays.filter((d) => d >= 0)
  const arrived = delays.filter((d) => d === -1).length
  const delivered = arrived + recovered.length
  const sorted = [...recovered].sort((a, b) => a - b)
  // Over all delivered packets: those that arrived added nothing.
  const all = new Array<number>(arrived)
    .fill(0)
    .concat(sorted)
    .sort((a, b) => a - b)
  return {
    packets,
    delivered,
    residualLossPct: round(((packets - delivered) / packets) * 100, 4),
    overheadPct: round((repairs / packets) * 100, 2),
    recoveryMs: {
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted[sorted.length - 1] ?? 0,
      count: sorted.length,
    },
    addedLatencyMsP99: quantile(all, 0.99),
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export interface BlockModelOptions {
  packets: number
  intervalMs: number
  k: number
  m: number
  deadlineMs: number
  loss: LossModel
}

/**
 * The committed block code (agent/optimizer/codec/sender.ts): a block closes at k packets or when its
 * deadline passes (checked before the packet of that instant), with max(1, round(m * n / k))
 * parity; a block with no more data lost than parity received is rebuilt when its last parity
 * arrives. Delay -1: arrived; -2: lost; else ms from its send to its rebuild.
 */
export function blockModel(o: BlockModelOptions): ModelResult {
  const delays: number[] = new Array(o.packets).fill(-2)
  let parityCount = 0
  let members: number[] = []
  let lostInBlock: number[] = []
  let startedAt = 0
  const close = (now: number) => {
    const n = members.length
    const m = Math.max(1, Math.round((o.m * n) / o.k))
    let parityArrived = 0
    for (let j = 0; j < m; j++) if (!o.loss()) parityArrived++
    parityCount += m
    if (lostInBlock.length <= parityArrived) {
      for (const i of lostInBlock) delays[i] = now - i * o.intervalMs
    }
    members = []
    lostInBlock = []
  }
  for (let i = 0; i < o.packets; i++) {
    const now = i * o.intervalMs
    if (members.length > 0 && now - startedAt >= o.deadlineMs) close(now)
    if (members.length === 0) startedAt = now
    members.push(i)
    if (o.loss()) lostInBlock.push(i)
    else delays[i] = -1
    if (members.length === o.k) close(now)
  }
  if (members.length > 0) close(o.packets * o.intervalMs)
  return summarize(o.packets, parityCount, delays)
}

export interface SlidingModelOptions {
  packets: number
  intervalMs: number
  /** Repairs per source packet (0.2 = one every 5). */
  overhead: number
  /** A repair goes out at the latest this long after the oldest packet it is the first for. */
  repairDelayMs: number
  /** Encoding window: at most this many packets, none older than windowMs. */
  window: number
  windowMs: number
  /** The receiver gives up an unknown packet this long after it was sent. */
  holdMs: number
  loss: LossModel
}

/**
 * The sliding-window code: credit += overhead per packet, a repair when credit reaches 1 or the
 * oldest unprotected packet is repairDelayMs old; the receiver solves its unknowns by
 * elimination on the real coefficients at every repair it gets.
 */
export function slidingModel(o: SlidingModelOptions): ModelResult {
  const delays: number[] = new Array(o.packets).fill(-2)
  let repairs = 0
  let credit = 0
  let firstUnprotected = -1
  const unknown = new Set<number>()
  let equations: Equation[] = []
  const giveUp = (now: number) => {
    for (const u of unknown) {
      if (now - u * o.intervalMs < o.holdMs) continue
      unknown.delete(u)
      equations = equations.filter((eq) => !eq.unknowns.includes(u))
    }
  }
  const sendRepair = (now: number, last: number) => {
    repairs++
    credit = Math.max(0, credit - 1)
    firstUnprotected = -1
    if (o.loss()) return
    let first = Math.max(0, last - o.window + 1)
    while (now - first * o.intervalMs > o.windowMs) first++
    const nss = last - first + 1
    const coefficients = repairCoefficients(1, last, nss)
    const unknowns: number[] = []
    const cs: number[] = []
    for (let e = first; e <= last; e++) {
      if (delays[e] === -2) {
        if (!unknown.has(e)) return // given up: the repair is stale
        unknowns.push(e)
        cs.push(coefficients[e - first]!)
      }
    }
    if (unknowns.length === 0) return
    equations.push({ unknowns, coefficients: cs })
    for (const s of solve(equations)) {
      delays[s.unknown] = now - s.unknown * o.intervalMs
      unknown.delete(s.unknown)
    }
    // Solved unknowns leave every equation (their values are known now).
    equations = equations
      .map((eq) => {
        const keep = eq.unknowns.map((u, i) => [u, eq.coefficients[i]!] as const)
        const left = keep.filter(([u]) => unknown.has(u))
        return { unknowns: left.map(([u]) => u), coefficients: left.map(([, c]) => c) }
      })
      .filter((eq) => eq.unknowns.length > 0)
  }
  for (let i = 0; i < o.packets; i++) {
    const now = i * o.intervalMs
    giveUp(now)
    if (firstUnprotected >= 0 && now - firstUnprotected * o.intervalMs >= o.repairDelayMs) {
      sendRepair(now, i - 1)
    }
    if (o.loss()) unknown.add(i)
    else delays[i] = -1
    if (firstUnprotected < 0) firstUnprotected = i
    credit += o.overhead
    if (credit >= 1 - 1e-9) sendRepair(now, i)
  }
  return summarize(o.packets, repairs, delays)
}
