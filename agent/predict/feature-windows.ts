/**
 * The vocabulary of the failure predictor's feature vector: which features there are and in
 * which order (FEATURE_NAMES), how each is scaled to a bounded range, the RTT histogram
 * buckets for percentiles, and the per-window running sums they are computed from. Kept apart
 * from features.ts, which keeps the ring of samples and the arithmetic over it
 * (PathFeatureWindow), so the layout the models are trained on can be read in one place;
 * features.ts re-exports FEATURE_NAMES and FEATURE_COUNT for the training pipeline.
 */

/** Windows over which the per-window features are computed, shortest first. */
export const WINDOWS = [
  { name: '1s', ms: 1_000 },
  { name: '10s', ms: 10_000 },
  { name: '60s', ms: 60_000 },
] as const

export const LONGEST_WINDOW_MS = 60_000

const PER_WINDOW = [
  'loss_ratio',
  'loss_burst_mean',
  'rtt_mean',
  'rtt_std',
  'rtt_p50',
  'rtt_p90',
  'rtt_slope',
  'jitter',
  'replies',
] as const

const GLOBAL = [
  'rtt_rise_1s',
  'rtt_rise_10s',
  'rtt_rise_p90_1s',
  'loss_run_current',
  'since_last_loss',
  'since_last_reply',
  'bfd_up',
  'bfd_flaps_10s',
  'bfd_flaps_60s',
  'since_last_bfd_change',
  'history_filled',
] as const

export const FEATURE_NAMES: readonly string[] = Object.freeze([
  ...WINDOWS.flatMap((w) => PER_WINDOW.map((f) => `${f}_${w.name}`)),
  ...GLOBAL,
])

export const FEATURE_COUNT: number = FEATURE_NAMES.length

// --- scaling -------------------------------------------------------------------------------

/** RTT-like values (ms) to [0, 1] on a log scale: 0 ms -> 0, 1 s -> 1 (clamped above). */
const LOG_MS_SCALE = Math.log1p(1_000)
export const scaleMs = (ms: number): number =>
  Math.min(1, Math.log1p(Math.max(0, ms)) / LOG_MS_SCALE)

/** Elapsed seconds to [0, 1] on a log scale, 60 s and more (or never) -> 1. */
const LOG_S_SCALE = Math.log1p(60)
export const scaleSince = (ms: number): number =>
  Number.isFinite(ms) ? Math.min(1, Math.log1p(Math.max(0, ms) / 1000) / LOG_S_SCALE) : 1

/** Probe counts (runs, bursts) to [0, 1]: 20 probes, one second at the lab's 20 Hz, -> 1. */
export const scaleCount = (n: number, full: number): number => Math.min(1, n / full)

/** tanh of the log ratio: 0 when level equals baseline, ~0.6 when doubled, -> 1 far above. */
export function rise(level: number, baseline: number): number {
  if (Number.isNaN(level) || Number.isNaN(baseline)) return 0
  return Math.tanh(Math.log((level + 1) / (baseline + 1)))
}

// --- RTT histogram for percentiles ---------------------------------------------------------

/**
 * Log-spaced buckets from 0.5 ms to 4 s: 64 buckets of ~15% each. A percentile is the
 * geometric centre of its bucket, so it is exact to about 7%, plenty for a degradation signal
 * and O(64) to read instead of sorting up to 1,200 samples per path every 100 ms.
 */
export const BUCKETS = 64
const BUCKET_LO_MS = 0.5
const BUCKET_SPAN = Math.log(4_000 / BUCKET_LO_MS)

export const bucketOf = (rttMs: number): number => {
  if (rttMs <= BUCKET_LO_MS) return 0
  const b = Math.floor((Math.log(rttMs / BUCKET_LO_MS) / BUCKET_SPAN) * BUCKETS)
  return b >= BUCKETS ? BUCKETS - 1 : b
}

export const BUCKET_CENTRE_MS = Array.from(
  { length: BUCKETS },
  (_, i) => BUCKET_LO_MS * Math.exp(((i + 0.5) / BUCKETS) * BUCKET_SPAN),
)

// --- per-window running sums ---------------------------------------------------------------

/** One window's running aggregates over the samples [start, end of ring). */
export class WindowSums {
  readonly ms: number
  /** Absolute index of the oldest sample in the window. */
  start = 0
  count = 0
  lost = 0
  runStarts = 0
  replies = 0
  sumR = 0
  sumR2 = 0
  sumT = 0
  sumT2 = 0
  sumTR = 0
  sumJit = 0
  jitN = 0
  anchor = Number.NaN
  readonly hist = new Int32Array(BUCKETS)

  constructor(ms: number) {
    this.ms = ms
  }

  reset(): void {
    this.count = 0
    this.lost = 0
    this.runStarts = 0
    this.replies = 0
    this.sumR = 0
    this.sumR2 = 0
    this.sumT = 0
    this.sumT2 = 0
    this.sumTR = 0
    this.sumJit = 0
    this.jitN = 0
    this.hist.fill(0)
  }
}
