import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../protocol/telemetry'
import type { PathState } from './measure'
import { EVENT_QUEUE_MAX, PathReport, type UplinkState, uplinkStates } from './report'
import type { PathTarget } from './targets'
import { captureLogger } from './testing'

const target = (localSlot: number, remoteSlot = 0, peer = 'site_b'): PathTarget => ({
  ref: { peerSiteId: peer, localSlot, remoteSlot },
  key: `${peer}/${localSlot}/${remoteSlot}`,
  ifname: `pt${localSlot}-${remoteSlot}`,
  peerPublicKey: 'k',
  localAddress: `192.0.2.${localSlot + 1}`,
  remoteAddress: '198.51.100.1',
})

const event = (n: number): AgentEvent => ({
  type: 'path.up',
  at: n,
  severity: 'info',
  details: { n },
})

const up: PathState = { up: true, bfd: 'up', tunnel: 'up' }
const bfdDown: PathState = { up: false, bfd: 'down', tunnel: 'up' }

describe('uplinkStates', () => {
  it('an uplink is up with one BFD session up, down once one has had a result, else unknown', () => {
    const targets = [target(0, 0), target(0, 1), target(1, 0), target(1, 1), target(2, 0)]
    const verdicts: Record<string, UplinkState> = {
      'site_b/0/0': 'down',
      'site_b/0/1': 'up',
      'site_b/1/0': 'down',
      'site_b/1/1': 'unknown',
      'site_b/2/0': 'unknown',
    }
    expect(uplinkStates(targets, (k) => verdicts[k] ?? 'unknown')).toEqual(
      new Map([
        [0, 'up'],
        [1, 'down'],
        [2, 'unknown'],
      ]),
    )
  })
})

describe('PathReport', () => {
  it('queues path.down/path.up on liveness changes only, not for the first state seen', () => {
    const report = new PathReport({ logger: captureLogger().logger })
    const t = [target(0), target(1)]
    const states: Record<string, PathState> = { 'site_b/0/0': up, 'site_b/1/0': bfdDown }
    const stateOf = (k: string) => states[k] ?? up
    report.observeLiveness(t, stateOf, 1_000.7)
    expect(report.pendingEvents).toBe(0)

    states['site_b/0/0'] = bfdDown
    report.observeLiveness(t, stateOf, 2_000.7)
    report.observeLiveness(t, stateOf, 3_000)
    expect(report.takeEvents(10)).toEqual([
      {
        type: 'path.down',
        at: 2_000,
        severity: 'warning',
        path: { peerSiteId: 'site_b', localSlot: 0, remoteSlot: 0 },
        details: { bfd: 'down', tunnel: 'up' },
      },
    ])

    // A path no longer monitored is forgotten: when it is back, its first state is silent.
    report.observeLiveness([target(1)], stateOf, 4_000)
    states['site_b/0/0'] = up
    report.observeLiveness(t, stateOf, 5_000)
    expect(report.pendingEvents).toBe(0)
  })

  it('keeps the newest EVENT_QUEUE_MAX events and logs the dropped count once', () => {
    const { logger, lines } = captureLogger()
    const report = new PathReport({ logger })
    let notified = 0
    const unsubscribe = report.onEvents(() => notified++)
    for (let n = 0; n < EVENT_QUEUE_MAX + 5; n++) report.push(event(n))
    expect(notified).toBe(EVENT_QUEUE_MAX + 5)
    unsubscribe()
    report.push(event(-1))
    expect(notified).toBe(EVENT_QUEUE_MAX + 5)

    expect(report.pendingEvents).toBe(EVENT_QUEUE_MAX)
    expect(report.takeEvents(2).map((e) => e.details)).toEqual([{ n: 6 }, { n: 7 }])
    const warned = lines.filter((l) => l.msg === 'event queue full: oldest events dropped')
    expect(warned.map((l) => l.dropped)).toEqual([6])
    report.takeEvents(2)
    expect(lines.filter((l) => l.msg === 'event queue full: oldest events dropped')).toHaveLength(1)

    // Requeued events go back to the head, in their order.
    const head = report.takeEvents(2)
    report.requeue(head)
    expect(report.takeEvents(2)).toEqual(head)
  })

  it('samples every path and lists the active path of every class that has one', () => {
    const report = new PathReport({ logger: captureLogger().logger })
    const batch = report.telemetry({
      at: 10_000.5,
      targets: [target(0), target(1)],
      quality: [
        {
          peerSiteId: 'site_b',
          localSlot: 0,
          remoteSlot: 0,
          rttMs: 12,
          jitterMs: 1,
          loss: { '1s': 0, '10s': 0.25, '60s': 0.1 },
          mos: 4.2,
        },
      ],
      isUp: (k) => k === 'site_b/0/0',
      decisions: [
        {
          classId: 'default',
          peerSiteId: 'site_b',
          path: { peerSiteId: 'site_b', localSlot: 0, remoteSlot: 0 },
          paths: [],
          reason: 'initial',
          slaViolation: false,
          since: null,
        },
        {
          classId: 'pol_voice',
          peerSiteId: 'site_b',
          path: null,
          paths: [],
          reason: 'no_path',
          slaViolation: false,
          since: null,
        },
      ],
    })
    expect(batch.samples).toEqual([
      {
        at: 10_000,
        path: { peerSiteId: 'site_b', localSlot: 0, remoteSlot: 0 },
        state: 'up',
        rttMs: 12,
        jitterMs: 1,
        lossPct: 25,
        mos: 4.2,
      },
      {
        at: 10_000,
        path: { peerSiteId: 'site_b', localSlot: 1, remoteSlot: 0 },
        state: 'down',
        rttMs: null,
        jitterMs: null,
        lossPct: 100,
        mos: null,
      },
    ])
    expect(batch.activePaths).toEqual([
      {
        class: 'default',
        path: { peerSiteId: 'site_b', localSlot: 0, remoteSlot: 0 },
        reason: 'initial',
        since: 10_000,
      },
    ])
  })
})
