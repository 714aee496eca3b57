import { describe, expect, test } from 'vitest'
import type { PathReporter } from '../daemon/daemon'
import { ClassTrafficDeltas, withClassTraffic } from './traffic-report'
import type { LabelledCounters } from './wiring'

const counters = (voice: number, dflt: number, sip = voice): LabelledCounters => ({
  classes: [
    { label: 'voice', policyId: 'pol_1', packets: voice, bytes: voice * 100 },
    { label: 'default', policyId: 'default', packets: dflt, bytes: dflt * 10 },
  ],
  applications: [{ label: 'sip', packets: sip, bytes: sip * 100 }],
})

describe('classifier traffic deltas', () => {
  test('the first report carries the totals, the next ones the differences, zero deltas none', () => {
    const d = new ClassTrafficDeltas()
    expect(d.next(counters(10, 5), 1000)).toEqual({
      at: 1000,
      classes: [
        { class: 'pol_1', packets: 10, bytes: 1000 },
        { class: 'default', packets: 5, bytes: 50 },
      ],
      applications: [{ application: 'sip', packets: 10, bytes: 1000 }],
    })
    expect(d.next(counters(13, 5), 2000)).toEqual({
      at: 2000,
      classes: [{ class: 'pol_1', packets: 3, bytes: 300 }],
      applications: [{ application: 'sip', packets: 3, bytes: 300 }],
    })
  })

  test('a counter that went down (reattached program) reports its new total', () => {
    const d = new ClassTrafficDeltas()
    d.next(counters(100, 0), 1)
    expect(d.next(counters(4, 0), 2).classes).toEqual([{ class: 'pol_1', packets: 4, bytes: 400 }])
  })
})

describe('withClassTraffic', () => {
  test('adds the traffic read after the previous batch to the next one', async () => {
    const base: PathReporter = {
      telemetry: () => ({ samples: [], activePaths: [] }),
      takeEvents: () => [],
      requeue: () => {},
      onEvents: () => () => {},
      uplinkStates: () => new Map(),
    }
    let total = 10
    const reporter = withClassTraffic(
      base,
      { counters: async () => counters(total, 0) },
      { now: () => 5000 },
    )
    await new Promise((r) => setTimeout(r, 0))
    const first = reporter.telemetry()
    expect(first.traffic?.classes).toEqual([{ class: 'pol_1', packets: 10, bytes: 1000 }])
    // Taking a batch started a read (of 10: nothing new), so the next batch has no traffic.
    await new Promise((r) => setTimeout(r, 0))
    total = 12
    expect(reporter.telemetry().traffic).toBeUndefined()
    // ...and it started a read of 12: the batch after carries the 2 packets.
    await new Promise((r) => setTimeout(r, 0))
    expect(reporter.telemetry().traffic?.classes).toEqual([
      { class: 'pol_1', packets: 2, bytes: 200 },
    ])
  })
})
