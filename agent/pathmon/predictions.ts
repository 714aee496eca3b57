/**
 * What the path monitor needs from a failure predictor (agent/predict implements
 * it): the monitor feeds it what it already observes (every quality-probe outcome, every
 * BFD transition), asks which paths are flagged when it builds the path selector's input,
 * and queues the events it returns after each evaluation. An interface, so pathmon does
 * not depend on onnxruntime.
 */
import type { AgentEvent } from '../../protocol/telemetry'
import type { DecisionEvent, PathRef } from '../decision'

export interface ProbeOutcome {
  /** When the outcome became known (reply or declared loss), clock ms. */
  tMs: number
  seq: number
  /** null: lost. */
  rttMs: number | null
}

export interface PathPredictions {
  setPaths(keys: readonly string[]): void
  observeProbe(key: string, outcome: ProbeOutcome): void
  observeBfd(key: string, tMs: number, up: boolean): void
  /** P over the model's threshold for this path (false with no model). */
  flagged(key: string): boolean
  /** Events of one evaluation (path.predicted_degradation), given the engine's events. */
  events(
    now: number,
    paths: readonly { key: string; ref: PathRef }[],
    decisions: readonly DecisionEvent[],
  ): AgentEvent[]
}
