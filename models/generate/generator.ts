/**
 * The trace generator: realistic per-path probe series with labelled failures and SLA
 * violations, deterministic for a seed. Documented in models/README.md ("Generator").
 *
 * A trace is drawn in two layers. The *design* layer is a 100 ms timeline of what the path is
 * doing: base RTT (log-uniform 5-150 ms) with diurnal load, added queueing delay, a loss rate,
 * route-change level shifts, and for every slot the cause annotation of the incident painted
 * there. Labels come from the design layer alone (failure: loss rate >= 50%; SLA violation:
 * designed RTT > 250 ms or loss rate >= 10%), so they do not depend on the sampled noise.
 * The *probe* layer samples it every 50 ms (the lab's probe interval): Gaussian jitter, rare
 * single-probe spikes, Gilbert-Elliott background loss bursts (short, unlabelled, the noise a
 * predictor must not cry wolf on) and the designed loss rate.
 *
 * Incidents (README has the parameter ranges): congestion collapse after a queue build-up
 * (precursor failure), benign queue ramps that drain (no event unless they cross the SLA),
 * latency ramps past the SLA (precursor SLA violation), brownouts that ramp (precursor) or
 * step (abrupt), route flaps (2-5 short outages at random intervals: abrupt, nothing in the
 * seconds before each announces it), failing links (loss climbs, then the link drops:
 * precursor failure) and abrupt cuts with no precursor at all.
 */
import type { EventCause, Trace, TraceEvent, TraceProbe } from '../trace/format.ts'
import { deriveBfd } from '../trace/replay.ts'
import { createRng, type Rng } from './rng.ts'

export interface GeneratorOptions {
  durationMs: number
  probeIntervalMs: number
  /** Probability that a trace has no incident at all (false-alarm material). */
  cleanProbability: number
  /**
   * Probability that a trace with incidents gets its first one after only 5-15 s of history
   * (the path just came up, the agent just restarted): its windows are still filling, and a
   * model that never saw such ticks is blind for a minute after every restart.
   */
  earlyProbability: number
}

export const DEFAULT_GENERATOR_OPTIONS: GeneratorOptions = {
  durationMs: 15 * 60_000,
  probeIntervalMs: 50,
  cleanProbability: 0.25,
  earlyProbability: 0.4,
}

/** The labelling rules (README "Labels"). */
export const SLA_RTT_MS = 250
export const SLA_LOSS = 0.1
export const FAILURE_LOSS = 0.5

export const INCIDENT_KINDS = [
  'congestion',
  'benign-ramp',
  'latency-ramp',
  'brownout-ramp',
  'brownout-step',
  'route-flaps',
  'link-decay',
  'cut',
] as const
export type IncidentKind = (typeof INCIDENT_KINDS)[number]

/** Relative frequency of each incident kind. */
const INCIDENT_WEIGHTS: Record<IncidentKind, number> = {
  congestion: 25,
  'benign-ramp': 20,
  'latency-ramp': 8,
  'brownout-ramp': 10,
  'brownout-step': 5,
  'route-flaps': 12,
  'link-decay': 10,
  cut: 20,
}

export interface Incident {
  kind: IncidentKind
  startMs: number
  endMs: number
}

export interface GeneratedTrace extends Trace {
  incidents: Incident[]
  baseRttMs: number
}

const SLOT_MS = 100
const CAUSE_NONE = 0
const CAUSE_PRECURSOR = 1
const CAUSE_ABRUPT = 2

/** The design layer: one entry per 100 ms slot. */
class Timeline {
  readonly slots: number
  readonly extra: Float64Array
  readonly loss: Float64Array
  readonly shift: Float64Array
  readonly cause: Uint8Array

  constructor(durationMs: number) {
    this.slots = Math.ceil(durationMs / SLOT_MS)
    this.extra = new Float64Array(this.slots)
    this.loss = new Float64Array(this.slots)
    this.shift = new Float64Array(this.slots)
    this.cause = new Uint8Array(this.slots)
  }

  /** Applies f over [fromMs, toMs); values combine by max (the worst condition wins). */
  paint(
    fromMs: number,
    toMs: number,
    cause: number,
    f: (tMs: number) => { extra?: number; loss?: number },
  ): void {
    const a = Math.max(0, Math.floor(fromMs / SLOT_MS))
    const b = Math.min(this.slots, Math.ceil(toMs / SLOT_MS))
    for (let s = a; s < b; s++) {
      // The first slot can begin before fromMs: ramps must never see a negative elapsed time.
      const v = f(Math.max(fromMs, s * SLOT_MS))
      if (v.extra !== undefined) this.extra[s] = Math.max(this.extra[s]!, v.extra)
      if (v.loss !== undefined) this.loss[s] = Math.max(this.loss[s]!, Math.min(1, v.loss))
      if (cause !== CAUSE_NONE && this.cause[s] === CAUSE_NONE) this.cause[s] = cause
    }
  }

  shiftFrom(fromMs: number, deltaMs: number): void {
    for (let s = Math.max(0, Math.floor(fromMs / SLOT_MS)); s < this.slots; s++) {
      this.shift[s]! += deltaMs
    }
  }
}

const lerp = (a: number, b: number, x: number) => a + (b - a) * Math.min(1, Math.max(0, x))

/** Paints one incident starting at `at`; returns its end. */
function paintIncident(
  kind: IncidentKind,
  at: number,
  base: number,
  tl: Timeline,
  rng: Rng,
): number {
  switch (kind) {
    case 'congestion': {
      // Queue build-up: delay grows over the ramp, loss creeps in over its last 40%, then
      // the queue overflows (loss >= 60%) until the load goes away and the queue drains.
      const ramp = rng.uniform(4_000, 30_000)
      const q = rng.uniform(60, 400)
      const preLoss = rng.uniform(0.01, 0.08)
      const collapse = rng.uniform(5_000, 60_000)
      const collapseLoss = rng.uniform(0.6, 1)
      const drain = rng.uniform(2_000, 5_000)
      const end = at + ramp + collapse + drain
      tl.paint(at, at + ramp, CAUSE_PRECURSOR, (t) => {
        const x = (t - at) / ramp
        return { extra: q * x ** 1.5, loss: x < 0.6 ? 0 : lerp(0, preLoss, (x - 0.6) / 0.4) }
      })
      tl.paint(at + ramp, at + ramp + collapse, CAUSE_PRECURSOR, () => ({
        extra: q,
        loss: collapseLoss,
      }))
      tl.paint(at + ramp + collapse, end, CAUSE_PRECURSOR, (t) => ({
        extra: lerp(q, 0, (t - at - ramp - collapse) / drain),
      }))
      return end
    }
    case 'benign-ramp':
    case 'latency-ramp': {
      // A queue that builds and drains without overflowing; a latency ramp goes past the SLA.
      const q =
        kind === 'benign-ramp'
          ? rng.uniform(15, 120)
          : Math.max(20, SLA_RTT_MS - base) + rng.uniform(20, 200)
      const rise = rng.uniform(3_000, 25_000)
      const hold = rng.uniform(5_000, 60_000)
      const fall = rng.uniform(2_000, 15_000)
      const end = at + rise + hold + fall
      tl.paint(at, end, CAUSE_PRECURSOR, (t) => {
        const d = t - at
        if (d < rise) return { extra: q * (d / rise) ** 1.5 }
        if (d < rise + hold) return { extra: q }
        return { extra: lerp(q, 0, (d - rise - hold) / fall) }
      })
      return end
    }
    case 'brownout-ramp':
    case 'brownout-step': {
      // Partial loss (an overloaded or faulty link): 10-40% for 20-120 s.
      const level = rng.uniform(0.1, 0.4)
      const rise = kind === 'brownout-ramp' ? rng.uniform(5_000, 20_000) : 0
      const hold = rng.uniform(20_000, 120_000)
      const end = at + rise + hold
      const cause = kind === 'brownout-ramp' ? CAUSE_PRECURSOR : CAUSE_ABRUPT
      tl.paint(at, end, cause, (t) => ({
        loss: rise === 0 ? level : lerp(0, level, (t - at) / rise),
        extra: rng.uniform(0, 0.15) * base,
      }))
      return end
    }
    case 'route-flaps': {
      // 2-5 outages of 0.5-3 s, 3-15 s apart, each coming back on a route with another delay.
      const flaps = rng.int(2, 5)
      let t = at
      for (let i = 0; i < flaps; i++) {
        const down = rng.uniform(500, 3_000)
        // Every outage is abrupt: the path is clean for 3-15 s (random) before each, so
        // nothing in the probes announces one within the horizon; the earlier flaps say the
        // route is unstable (the path selector's hold-down is the answer to that), not when.
        tl.paint(t, t + down, CAUSE_ABRUPT, () => ({ loss: 1 }))
        const delta = rng.uniform(2, 0.3 * base + 5) * (rng.chance(0.5) ? 1 : -1)
        tl.shiftFrom(t + down, Math.max(delta, -0.5 * base))
        t += down + rng.uniform(3_000, 15_000)
      }
      return t
    }
    case 'link-decay': {
      // A failing link (optics, radio fade): loss climbs with no change in delay, then the
      // link drops.
      const ramp = rng.uniform(5_000, 30_000)
      const top = rng.uniform(0.1, 0.4)
      const down = rng.uniform(5_000, 60_000)
      tl.paint(at, at + ramp, CAUSE_PRECURSOR, (t) => ({ loss: top * ((t - at) / ramp) ** 1.5 }))
      tl.paint(at + ramp, at + ramp + down, CAUSE_PRECURSOR, () => ({ loss: 1 }))
      return at + ramp + down
    }
    case 'cut': {
      const down = rng.uniform(3_000, 120_000)
      tl.paint(at, at + down, CAUSE_ABRUPT, () => ({ loss: 1 }))
      return at + down
    }
  }
}

function pickKind(rng: Rng): IncidentKind {
  const total = INCIDENT_KINDS.reduce((a, k) => a + INCIDENT_WEIGHTS[k], 0)
  let x = rng.next() * total
  for (const k of INCIDENT_KINDS) {
    x -= INCIDENT_WEIGHTS[k]
    if (x < 0) return k
  }
  return 'cut'
}

/** Labelled intervals from the design layer (README "Labels"). */
function labelEvents(tl: Timeline, rttAt: (slot: number) => number): TraceEvent[] {
  // A slot no incident painted crossed the line by a route's level shift: a step, abrupt.
  const causeName = (c: number): EventCause => (c === CAUSE_PRECURSOR ? 'precursor' : 'abrupt')
  const intervals = (bad: (s: number) => boolean) => {
    const out: { a: number; b: number }[] = []
    for (let s = 0; s < tl.slots; s++) {
      if (!bad(s)) continue
      const last = out.at(-1)
      // Gaps under 1 s are the same episode.
      if (last && s - last.b <= 10) last.b = s + 1
      else out.push({ a: s, b: s + 1 })
    }
    return out
  }
  const failures = intervals((s) => tl.loss[s]! >= FAILURE_LOSS)
  const slas = intervals((s) => tl.loss[s]! >= SLA_LOSS || rttAt(s) > SLA_RTT_MS)
  const events: TraceEvent[] = failures.map((i) => ({
    startMs: i.a * SLOT_MS,
    endMs: i.b * SLOT_MS,
    kind: 'failure',
    cause: causeName(tl.cause[i.a]!),
  }))
  for (const i of slas) {
    // An SLA violation that begins with a failure is that failure, not a second event.
    if (failures.some((f) => f.a === i.a)) continue
    events.push({
      startMs: i.a * SLOT_MS,
      endMs: i.b * SLOT_MS,
      kind: 'sla',
      cause: causeName(tl.cause[i.a]!),
    })
  }
  return events.sort((x, y) => x.startMs - y.startMs)
}

export function generateTrace(
  name: string,
  seed: number,
  options: GeneratorOptions = DEFAULT_GENERATOR_OPTIONS,
): GeneratedTrace {
  const rng = createRng(seed)
  const { durationMs, probeIntervalMs } = options
  const base = rng.logUniform(5, 150)
  const jitterSd = 0.3 + 0.03 * base * rng.uniform(0.5, 2)
  const startHour = rng.uniform(0, 24)
  const loadDepth = rng.uniform(0.02, 0.2)
  // Gilbert-Elliott background: rare, short bad states that lose most probes.
  const geEnter = rng.logUniform(0.0002, 0.004)
  const geLeave = rng.uniform(0.25, 0.6)
  const spikeRate = rng.logUniform(0.0005, 0.005)
  const tl = new Timeline(durationMs)

  const incidents: Incident[] = []
  if (!rng.chance(options.cleanProbability)) {
    let t = rng.chance(options.earlyProbability)
      ? rng.uniform(5_000, 15_000)
      : 90_000 + rng.uniform(0, 120_000)
    while (t < durationMs - 60_000) {
      const kind = pickKind(rng)
      const end = paintIncident(kind, t, base, tl, rng)
      incidents.push({ kind, startMs: t, endMs: end })
      t = end + 60_000 + -Math.log(1 - rng.next()) * 120_000
    }
  }

  // Diurnal load: a daily sine peaking at 20:00, adding queueing delay and background loss.
  const load = (tMs: number) => {
    const hour = startHour + tMs / 3_600_000
    return 0.5 + 0.5 * Math.cos(((hour - 20) / 24) * 2 * Math.PI)
  }
  const designRtt = (slot: number) =>
    base * (1 + loadDepth * load(slot * SLOT_MS)) + tl.shift[slot]! + tl.extra[slot]!

  const probes: TraceProbe[] = []
  let geBad = false
  const count = Math.floor(durationMs / probeIntervalMs)
  for (let i = 0; i < count; i++) {
    const t = i * probeIntervalMs
    const slot = Math.min(tl.slots - 1, Math.floor(t / SLOT_MS))
    const l = load(t)
    geBad = geBad ? !rng.chance(geLeave) : rng.chance(geEnter * (0.5 + l))
    const lost = (geBad && rng.chance(0.8)) || rng.chance(tl.loss[slot]!)
    // Queueing makes delay vary too: jitter grows with the queue.
    const sd = jitterSd * (1 + l) + 0.08 * tl.extra[slot]!
    let rtt = designRtt(slot) + sd * rng.normal()
    if (rng.chance(spikeRate)) rtt += rng.uniform(10, 80)
    rtt = Math.max(0.3 * base, rtt)
    probes.push({ tMs: t, seq: i + 1, rttMs: lost ? null : Math.round(rtt * 1000) / 1000 })
  }

  return {
    name,
    probes,
    events: labelEvents(tl, designRtt),
    bfd: deriveBfd(probes),
    incidents,
    baseRttMs: base,
  }
}
