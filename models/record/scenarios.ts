/**
 * The scripted impairments of `npm run models:record`, one trace each, on site 0's uplink in
 * the WAN lab. Each starts with 30 s of clean path (a baseline for the 60 s features...
 * half of it: the recording stays a few minutes), then degrades. What the kernel offers
 * here (test/lab/impair.ts): loss and blackhole with nftables, rate with tbf; no netem, and
 * the lab's delay relay only handles WireGuard ports, so the RTT ramp is a real queue: a tbf
 * on the WAN side with a flood slightly over its rate (as bench/predict/lab.ts does).
 */

import type { Impairment } from '../../test/lab/impair.ts'
import type { EventCause } from '../trace/format.ts'

export interface Step {
  atMs: number
  /** Replaces the uplink's impairment (`{}` lifts it); loss applies in each direction. */
  impair?: Impairment
  /** Starts (true) or stops (false) the queue build-up. */
  queue?: boolean
}

export interface Scenario {
  name: string
  durationMs: number
  steps: Step[]
  /** The scripted outage, labelled from the script (probes only see it ~1 s later). */
  failure?: { startMs: number; endMs: number; cause: EventCause }
  /** Cause given to SLA violations found in the probes (derive-events.ts rules). */
  slaCause: EventCause
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'lab-queue-cut',
    durationMs: 60_000,
    steps: [
      { atMs: 30_000, queue: true },
      { atMs: 39_000, impair: { blackhole: true } },
      { atMs: 49_000, queue: false, impair: {} },
    ],
    failure: { startMs: 39_000, endMs: 49_000, cause: 'precursor' },
    slaCause: 'precursor',
  },
  {
    name: 'lab-loss-ramp-cut',
    durationMs: 62_000,
    steps: [
      { atMs: 30_000, impair: { lossPct: 2 } },
      { atMs: 33_000, impair: { lossPct: 5 } },
      { atMs: 36_000, impair: { lossPct: 10 } },
      { atMs: 39_000, impair: { lossPct: 20 } },
      { atMs: 42_000, impair: { blackhole: true } },
      { atMs: 52_000, impair: {} },
    ],
    failure: { startMs: 42_000, endMs: 52_000, cause: 'precursor' },
    slaCause: 'precursor',
  },
  {
    name: 'lab-cut',
    durationMs: 55_000,
    steps: [
      { atMs: 30_000, impair: { blackhole: true } },
      { atMs: 45_000, impair: {} },
    ],
    failure: { startMs: 30_000, endMs: 45_000, cause: 'abrupt' },
    slaCause: 'abrupt',
  },
  {
    name: 'lab-brownout',
    durationMs: 60_000,
    steps: [
      // Per direction: ~28% of round trips lost, an SLA violation short of a failure.
      { atMs: 30_000, impair: { lossPct: 15 } },
      { atMs: 50_000, impair: {} },
    ],
    slaCause: 'abrupt',
  },
]
