import { describe, expect, it } from 'vitest'
import { FakeClock } from '../clock/fake'
import type { PathQuality } from '../probes/quality'
import { buildPathInputs, type QualitySample } from './inputs'
import { PathSelector } from './selector'

describe('buildPathInputs', () => {
  it('joins attributes, liveness and quality; unmeasured paths get null metrics', () => {
    const attributes = [
      { peerSiteId: 'b', localSlot: 0, remoteSlot: 0, bandwidthMbps: 100, cost: 1 },
      { peerSiteId: 'b', localSlot: 1, remoteSlot: 0, bandwidthMbps: null, cost: 0 },
    ]
    const quality = [
      {
        peerSiteId: 'b',
        localSlot: 0,
        remoteSlot: 0,
        rttMs: 30,
        jitterMs: 2,
        loss: { '1s': 0.5, '10s': 0.05, '60s': 0.01 },
        mos: 4.1,
      },
    ]
    const inputs = buildPathInputs(attributes, quality, (p) => p.localSlot === 0)
    expect(inputs).toEqual([
      {
        peerSiteId: 'b',
        localSlot: 0,
        remoteSlot: 0,
        up: true,
        rttMs: 30,
        jitterMs: 2,
        lossRatio: 0.05,
        mos: 4.1,
        bandwidthMbps: 100,
        cost: 1,
      },
      {
        peerSiteId: 'b',
        localSlot: 1,
        remoteSlot: 0,
        up: false,
        rttMs: null,
        jitterMs: null,
        lossRatio: null,
        mos: null,
        bandwidthMbps: null,
        cost: 0,
      },
    ])
    expect(buildPathInputs(attributes, quality, () => true, '1s')[0]?.lossRatio).toBe(0.5)
    // The prober's snapshot type plugs in as is (checked by tsc).
    const fromProber: readonly QualitySample[] = [] as PathQuality[]
    expect(buildPathInputs(attributes, fromProber, () => true).map((p) => p.rttMs)).toEqual([
      null,
      null,
    ])
  })

  it('a measured path beats an unmeasured one', () => {
    const engine = new PathSelector({
      clock: new FakeClock(),
      classes: [{ id: 'default', name: 'default', preference: 'lowest-latency' }],
      failover: { holdDownMs: 0, failbackAfterMs: 0, hysteresisPct: 10 },
    })
    const attributes = [
      { peerSiteId: 'b', localSlot: 0, remoteSlot: 0, bandwidthMbps: null, cost: 0 },
      { peerSiteId: 'b', localSlot: 1, remoteSlot: 0, bandwidthMbps: null, cost: 0 },
    ]
    const quality = [
      {
        peerSiteId: 'b',
        localSlot: 1,
        remoteSlot: 0,
        rttMs: 300,
        jitterMs: 20,
        loss: { '1s': 0, '10s': 0, '60s': 0 },
        mos: 3.9,
      },
    ]
    const r = engine.evaluate(buildPathInputs(attributes, quality, () => true))
    expect(r.decisions[0]?.path?.localSlot).toBe(1)
  })
})
