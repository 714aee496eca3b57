import { describe, expect, it } from 'vitest'
import { PathStatsTracker } from './stats'

describe('path statistics', () => {
  it('RTT EWMA (1/8) and the RFC 3550 jitter estimator over round-trip differences', () => {
    const s = new PathStatsTracker()
    const rtts = [10, 20, 10]
    rtts.forEach((rtt, i) => {
      s.sent(i + 1, i * 100)
      expect(s.reply(i + 1, i * 100 + rtt)).toEqual({ verdict: 'ok', rttMs: rtt })
    })
    const snap = s.snapshot(300)
    expect(snap.lastRttMs).toBe(10)
    expect(snap.rttMs).toBeCloseTo(10 + 10 / 8 + (10 - 11.25) / 8, 9) // 11.09375
    // J1 = 0; J2 = 0 + (10 - 0)/16 = 0.625; J3 = 0.625 + (10 - 0.625)/16 = 1.2109375
    expect(snap.jitterMs).toBeCloseTo(1.2109375, 9)
    expect(snap).toMatchObject({ sent: 3, received: 3, lost: 0 })
  })

  it('loses probes after max(1 s, 4 x RTT) and counts loss per window by outcome time', () => {
    const s = new PathStatsTracker()
    let seq = 0
    // 0-10 s: a probe every 100 ms, all answered in 5 ms.
    for (let t = 0; t < 10_000; t += 100) {
      s.expire(t)
      s.sent(++seq, t)
      s.reply(seq, t + 5)
    }
    expect(s.timeoutMs).toBe(1000) // 4 x 5 ms < 1 s
    // 10-20 s: blackhole.
    for (let t = 10_000; t < 20_000; t += 100) {
      s.expire(t)
      s.sent(++seq, t)
    }
    s.expire(20_000)
    const snap = s.snapshot(20_000)
    expect(snap.loss['1s']).toBe(1)
    // Last 10 s of outcomes: the losses of probes sent 9-19 s (the first answered ones are older).
    expect(snap.loss['10s']).toBe(1)
    // Last 60 s: 100 answered, 91 lost so far (the rest are still within their timeout).
    expect(snap.lost).toBe(91)
    expect(snap.loss['60s']).toBeCloseTo(91 / 191, 9)
    expect(s.outstanding).toBe(9)
    // A reply to a lost probe is late; a second reply to an answered one is a duplicate.
    expect(s.reply(101, 20_001).verdict).toBe('late')
    expect(s.reply(100, 20_001).verdict).toBe('duplicate')
    expect(s.reply(99_999, 20_001).verdict).toBe('unknown')
    expect(s.snapshot(20_001).late).toBe(1)
    // After 60 s of silence every window is empty.
    s.expire(90_000)
    const later = s.snapshot(200_000)
    expect(later.loss).toEqual({ '1s': null, '10s': null, '60s': null })
  })

  it('timeout follows 4 x RTT, capped at maxTimeoutMs', () => {
    const s = new PathStatsTracker({ maxTimeoutMs: 3000 })
    s.sent(1, 0)
    s.reply(1, 600)
    expect(s.timeoutMs).toBe(2400)
    s.sent(2, 1000)
    s.reply(2, 6000)
    expect(s.timeoutMs).toBe(3000)
  })

  it('MOS comes from the E-model with the 10 s loss', () => {
    const s = new PathStatsTracker()
    expect(s.snapshot(0).mos).toBeNull()
    s.sent(1, 0)
    s.reply(1, 40)
    expect(s.snapshot(40).mos).toBeCloseTo(4.409, 3)
  })
})
