/**
 * The one feature extractor of the failure predictor, shared by the training export
 * (models/export.ts) and the agent's inference loop, so that the model sees at run time exactly
 * the numbers it was trained on. A `PathFeatureWindow` holds one path's recent probe outcomes
 * and BFD transitions and writes FEATURE_COUNT floats for a point in time.
 *
 * Sample time: `ProbeSample.tMs` is the time the outcome became KNOWN (the reply arrived, or the
 * prober declared the probe lost after its timeout), not the send time: inference can only see
 * what is known, and the export replays traces the same way (models/trace/replay.ts). Samples
 * come in non-decreasing tMs order.
 *
 * Cost: every window keeps running sums (count, loss, RTT moments, time-RTT moments for the
 * slope, |delta RTT| for jitter, loss-run starts) and a log-scale RTT histogram for
 * percentiles, updated on add and on eviction, so writing the features is O(windows x buckets)
 * whatever the probe rate. Sums over time are taken relative to a per-window anchor that is
 * moved (with a recount) as time advances, so float cancellation stays small on long runs.
 *
 * Scaling: every feature is bounded (mostly [0, 1], slopes and rises in [-1, 1]) so a small
 * model trains without a separate normalisation step that could drift from this code. The
 * feature names, scales, histogram buckets and per-window sums are in feature-windows.ts.
 */
import {
  BUCKET_CENTRE_MS,
  BUCKETS,
  bucketOf,
  LONGEST_WINDOW_MS,
  rise,
  scaleCount,
  scaleMs,
  scaleSince,
  WINDOWS,
  WindowSums,
} from './feature-windows'

export { FEATURE_COUNT, FEATURE_NAMES } from './feature-windows'

export interface ProbeSample {
  /** When the outcome became known (reply received or loss declared), epoch or trace ms. */
  tMs: number
  seq: number
  /** Round-trip time in ms; null when the probe was lost. */
  rttMs: number | null
}

export class PathFeatureWindow {
  readonly #keepMs: number
  #cap = 256
  #mask = 255
  #t = new Float64Array(256)
  /** RTT in ms, NaN when lost. */
  #rtt = new Float64Array(256)
  /** |RTT - previous reply's RTT|, NaN for losses and the first reply. */
  #dRtt = new Float64Array(256)
  /** 1 when a lost sample follows a non-lost one (or nothing): a loss run starts here. */
  #runStart = new Uint8Array(256)
  /** Absolute indices: samples [#head, #tail) are held. */
  #head = 0
  #tail = 0
  readonly #windows = WINDOWS.map((w) => new WindowSums(w.ms))

  /** When the first outcome was added: how much history the windows can hold (warm-up). */
  #firstAt = Number.NaN
  #lastReplyRtt = Number.NaN
  #lastReplyAt = Number.NEGATIVE_INFINITY
  #lastLossAt = Number.NEGATIVE_INFINITY
  #lossRun = 0
  #lastWasLost = false

  /** BFD: 1 up, 0 down, -1 never heard; transitions as (time, up) pairs, oldest first. */
  #bfdState = -1
  readonly #bfdT: number[] = []
  readonly #bfdUp: boolean[] = []

  constructor(options: { horizonMs?: number } = {}) {
    // History beyond the longest window is never read; a shorter one would starve it.
    this.#keepMs = Math.max(LONGEST_WINDOW_MS, options.horizonMs ?? LONGEST_WINDOW_MS)
  }

  addProbe(sample: ProbeSample): void {
    const t = sample.tMs
    const lost = sample.rttMs === null || !Number.isFinite(sample.rttMs)
    if (Number.isNaN(this.#firstAt)) this.#firstAt = t
    const r = lost ? Number.NaN : Math.max(0, sample.rttMs as number)
    if (this.#tail - this.#head === this.#cap) this.#grow()
    const i = this.#tail & this.#mask
    this.#t[i] = t
    this.#rtt[i] = r
    if (lost) {
      this.#dRtt[i] = Number.NaN
      this.#runStart[i] = this.#lastWasLost ? 0 : 1
      this.#lossRun++
      this.#lastLossAt = t
    } else {
      this.#dRtt[i] = Number.isNaN(this.#lastReplyRtt)
        ? Number.NaN
        : Math.abs(r - this.#lastReplyRtt)
      this.#runStart[i] = 0
      this.#lastReplyRtt = r
      this.#lastReplyAt = t
      this.#lossRun = 0
    }
    this.#lastWasLost = lost
    const abs = this.#tail++
    for (const w of this.#windows) {
      if (Number.isNaN(w.anchor) || t - w.anchor > 4 * w.ms) this.#recount(w, t)
      else this.#include(w, abs)
    }
    this.#evict(t)
  }

  addBfdState(tMs: number, up: boolean): void {
    const state = up ? 1 : 0
    if (state === this.#bfdState) return
    this.#bfdState = state
    this.#bfdT.push(tMs)
    this.#bfdUp.push(up)
    // Flaps are only counted over 60 s; a bounded list keeps a flapping path cheap.
    if (this.#bfdT.length > 512) {
      this.#bfdT.splice(0, 256)
      this.#bfdUp.splice(0, 256)
    }
  }

  /**
   * Writes FEATURE_COUNT floats for time nowMs at out[offset..]. Pure function of history.
   * nowMs must not decrease from one call to the next (windows only slide forward).
   */
  writeFeatures(nowMs: number, out: Float32Array, offset = 0): void {
    this.#evict(nowMs)
    let k = offset
    let mean1 = Number.NaN
    let mean10 = Number.NaN
    let p90_1 = Number.NaN
    let p50_60 = Number.NaN
    let p10_60 = Number.NaN
    // After a start the windows are still filling: a reply count is scaled by the probes the
    // history could hold, not the full window's, or a fresh path with every probe answered
    // looks like one that just came back from an outage (pathfail-mlp-v1 scored a queue
    // build-up 10 s after start at P 0.000 for that reason alone).
    const historyMs = Number.isNaN(this.#firstAt) ? 0 : Math.max(0, nowMs - this.#firstAt)
    for (let wi = 0; wi < this.#windows.length; wi++) {
      const w = this.#windows[wi]!
      const n = w.count
      let runs = w.runStarts
      // A loss run that began before the window still counts once inside it.
      if (n > 0) {
        const first = w.start & this.#mask
        if (Number.isNaN(this.#rtt[first]!) && this.#runStart[first] === 0) runs++
      }
      out[k++] = n === 0 ? 0 : w.lost / n
      out[k++] = runs === 0 ? 0 : scaleCount(w.lost / runs, 20)
      const m = w.replies
      if (m === 0) {
        for (let j = 0; j < 6; j++) out[k++] = 0
        out[k++] = 0
        continue
      }
      const mean = w.sumR / m
      const variance = Math.max(0, w.sumR2 / m - mean * mean)
      const [p10, p50, p90] = this.#percentiles(w, m)
      out[k++] = scaleMs(mean)
      out[k++] = scaleMs(Math.sqrt(variance))
      out[k++] = scaleMs(p50)
      out[k++] = scaleMs(p90)
      out[k++] = Math.tanh(this.#slopeMsPerS(w, m) / 20)
      out[k++] = w.jitN === 0 ? 0 : scaleMs(w.sumJit / w.jitN)
      out[k++] = scaleCount(m, Math.max(1, (Math.min(w.ms, historyMs) / 1000) * 20))
      if (wi === 0) {
        mean1 = mean
        p90_1 = p90
      } else if (wi === 1) {
        mean10 = mean
      } else {
        p50_60 = p50
        p10_60 = p10
      }
    }
    // How far the recent RTT sits above the path's own minute-long baseline: a 20 ms path
    // and a 150 ms path look alike when both double.
    out[k++] = rise(mean1, p50_60)
    out[k++] = rise(mean10, p50_60)
    out[k++] = rise(p90_1, p10_60)
    out[k++] = scaleCount(this.#lossRun, 20)
    out[k++] = scaleSince(nowMs - this.#lastLossAt)
    out[k++] = scaleSince(nowMs - this.#lastReplyAt)
    out[k++] = this.#bfdState === -1 ? 0.5 : this.#bfdState
    out[k++] = scaleCount(this.#bfdFlaps(nowMs, 10_000), 5)
    out[k++] = scaleCount(this.#bfdFlaps(nowMs, 60_000), 5)
    const lastBfd = this.#bfdT.length === 0 ? Number.NEGATIVE_INFINITY : this.#bfdT.at(-1)!
    out[k++] = scaleSince(nowMs - lastBfd)
    // How much of the longest window the history fills (0 at start, 1 from 60 s): lets the
    // model read the 60 s statistics of a fresh path for what they are.
    out[k++] = Math.min(1, historyMs / LONGEST_WINDOW_MS)
  }

  #percentiles(w: WindowSums, m: number): [number, number, number] {
    // Nearest-rank percentiles, read in one pass over the cumulative histogram.
    const r10 = Math.max(1, Math.ceil(0.1 * m))
    const r50 = Math.max(1, Math.ceil(0.5 * m))
    const r90 = Math.max(1, Math.ceil(0.9 * m))
    let p10 = Number.NaN
    let p50 = Number.NaN
    let p90 = Number.NaN
    let cum = 0
    for (let b = 0; b < BUCKETS; b++) {
      cum += w.hist[b]!
      if (Number.isNaN(p10) && cum >= r10) p10 = BUCKET_CENTRE_MS[b]!
      if (Number.isNaN(p50) && cum >= r50) p50 = BUCKET_CENTRE_MS[b]!
      if (cum >= r90) {
        p90 = BUCKET_CENTRE_MS[b]!
        break
      }
    }
    return [p10, p50, p90]
  }

  /** Least-squares slope of RTT over time, in ms per second. */
  #slopeMsPerS(w: WindowSums, m: number): number {
    if (m < 3) return 0
    const meanT = w.sumT / m
    const varT = w.sumT2 / m - meanT * meanT
    // Replies bunched within a millisecond carry no trend.
    if (!(varT > 1)) return 0
    const cov = w.sumTR / m - meanT * (w.sumR / m)
    return (cov / varT) * 1000
  }

  #bfdFlaps(nowMs: number, windowMs: number): number {
    let n = 0
    for (let i = this.#bfdT.length - 1; i >= 0; i--) {
      if (nowMs - this.#bfdT[i]! >= windowMs) break
      if (!this.#bfdUp[i]) n++
    }
    return n
  }

  #include(w: WindowSums, abs: number): void {
    const i = abs & this.#mask
    w.count++
    const r = this.#rtt[i]!
    if (Number.isNaN(r)) {
      w.lost++
      w.runStarts += this.#runStart[i]!
      return
    }
    const t = this.#t[i]! - w.anchor
    w.replies++
    w.sumR += r
    w.sumR2 += r * r
    w.sumT += t
    w.sumT2 += t * t
    w.sumTR += t * r
    w.hist[bucketOf(r)]!++
    const d = this.#dRtt[i]!
    if (!Number.isNaN(d)) {
      w.sumJit += d
      w.jitN++
    }
  }

  #exclude(w: WindowSums, abs: number): void {
    const i = abs & this.#mask
    w.count--
    const r = this.#rtt[i]!
    if (Number.isNaN(r)) {
      w.lost--
      w.runStarts -= this.#runStart[i]!
      return
    }
    const t = this.#t[i]! - w.anchor
    w.replies--
    w.sumR -= r
    w.sumR2 -= r * r
    w.sumT -= t
    w.sumT2 -= t * t
    w.sumTR -= t * r
    w.hist[bucketOf(r)]!--
    const d = this.#dRtt[i]!
    if (!Number.isNaN(d)) {
      w.sumJit -= d
      w.jitN--
    }
  }

  /** Rebuilds a window's sums from its samples with a fresh time anchor. */
  #recount(w: WindowSums, anchor: number): void {
    w.anchor = anchor
    w.reset()
    for (let a = w.start; a < this.#tail; a++) this.#include(w, a)
  }

  #evict(nowMs: number): void {
    for (const w of this.#windows) {
      while (w.start < this.#tail && nowMs - this.#t[w.start & this.#mask]! >= w.ms) {
        this.#exclude(w, w.start)
        w.start++
      }
      // Exclusions can leave -0.0000001 behind; an empty window starts clean.
      if (w.count === 0) w.reset()
    }
    while (this.#head < this.#tail && nowMs - this.#t[this.#head & this.#mask]! >= this.#keepMs) {
      this.#head++
    }
    for (const w of this.#windows) if (w.start < this.#head) w.start = this.#head
  }

  #grow(): void {
    const cap = this.#cap * 2
    const t = new Float64Array(cap)
    const rtt = new Float64Array(cap)
    const dRtt = new Float64Array(cap)
    const runStart = new Uint8Array(cap)
    for (let a = this.#head; a < this.#tail; a++) {
      const from = a & this.#mask
      const to = a & (cap - 1)
      t[to] = this.#t[from]!
      rtt[to] = this.#rtt[from]!
      dRtt[to] = this.#dRtt[from]!
      runStart[to] = this.#runStart[from]!
    }
    this.#cap = cap
    this.#mask = cap - 1
    this.#t = t
    this.#rtt = rtt
    this.#dRtt = dRtt
    this.#runStart = runStart
  }
}
