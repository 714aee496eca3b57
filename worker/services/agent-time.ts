/**
 * The window of time the control plane accepts from an agent's clock, for path samples,
 * traffic reports, active-path `since` and event `at`. An agent's clock is already within
 * MAX_CLOCK_SKEW_SECONDS of ours, or its signed requests are refused; a timestamp further
 * ahead is a bug or a lie (a sample dated 2100 would pin the path's state forever, as a
 * newer state never replaces it, and its rollup would never expire). One further back than
 * rollup retention would be purged on arrival.
 *
 *   later than now + 5 min      clamped to now (the server's receive time)
 *   older than now - 30 days    samples and traffic reports dropped; events clamped to
 *                               now - 30 days (an event is never lost: alerts hang on it)
 *
 * See docs/protocol.md.
 */
import { MAX_CLOCK_SKEW_SECONDS } from '../../protocol/signing'
import type { TelemetryBatch } from '../../protocol/telemetry'

export const MAX_AHEAD_MS = MAX_CLOCK_SKEW_SECONDS * 1000
export const ROLLUP_RETENTION_DAYS = 30
export const MAX_AGE_MS = ROLLUP_RETENTION_DAYS * 86_400_000

export type Placement =
  | { outcome: 'kept'; at: number }
  | { outcome: 'clamped'; at: number }
  | { outcome: 'too-old'; at: number }

/** Where an agent timestamp lands: itself, clamped to `now`, or too old (the window start). */
export function placeAgentTime(at: number, now: number): Placement {
  if (at > now + MAX_AHEAD_MS) return { outcome: 'clamped', at: now }
  if (at < now - MAX_AGE_MS) return { outcome: 'too-old', at: now - MAX_AGE_MS }
  return { outcome: 'kept', at }
}

/** What happened to a batch's timestamps, for the warning the route logs. */
export interface TimeAdjustments {
  clamped: number
  dropped: number
}

/** The batch with every timestamp placed in the window (samples too old left out). */
export function clampTelemetry(
  batch: TelemetryBatch,
  now: number,
): { batch: TelemetryBatch; adjustments: TimeAdjustments } {
  const adjustments: TimeAdjustments = { clamped: 0, dropped: 0 }
  const place = <T extends { at: number }>(item: T): T | null => {
    const p = placeAgentTime(item.at, now)
    if (p.outcome === 'too-old') {
      adjustments.dropped++
      return null
    }
    if (p.outcome === 'clamped') adjustments.clamped++
    return p.at === item.at ? item : { ...item, at: p.at }
  }
  const samples = batch.samples.flatMap((s) => place(s) ?? [])
  // An active path may have been chosen long ago: only a future `since` is wrong.
  const activePaths = batch.activePaths.map((a) => {
    if (a.since <= now + MAX_AHEAD_MS) return a
    adjustments.clamped++
    return { ...a, since: now }
  })
  const traffic = batch.traffic ? (place(batch.traffic) ?? undefined) : undefined
  return {
    batch: { samples, activePaths, ...(traffic ? { traffic } : {}) },
    adjustments,
  }
}
