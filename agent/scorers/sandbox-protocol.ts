/**
 * Messages between the agent and a scorer sandbox's worker thread. Metrics travel packed:
 * one Float64Array of METRICS_PER_PATH numbers per path in the WIT record's order (latency,
 * jitter, loss, bandwidth, cost, MOS), transferred rather than copied; scores come back as a
 * Float64Array of one score per path. One `score` message is one batch: every path the
 * plugin is to score in this evaluation.
 */

export const METRICS_PER_PATH = 6

/** The worker's start data. */
export interface SandboxWorkerData {
  component: Uint8Array
}

export type ToWorker = { type: 'score'; seq: number; metrics: Float64Array }

export type FromWorker =
  | { type: 'ready' }
  /** The component was refused: `code` is the component check's or the loader's. */
  | { type: 'load-error'; code: string; message: string }
  | { type: 'scores'; seq: number; scores: Float64Array }
  /** The plugin threw or trapped (`code` BAD_RESULT: it returned something not a number). */
  | { type: 'error'; seq: number; code: string; message: string }
