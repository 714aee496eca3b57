import { describe, expect, it } from 'vitest'
import {
  delayImpairment,
  estimateMos,
  lossImpairment,
  mosFromR,
  oneWayDelayMs,
  rFactor,
} from './emodel'

describe('E-model (ITU-T G.107, simplified)', () => {
  it('MOS from R matches the G.107 Annex B curve at known points', () => {
    // R -> MOS: the usual table (G.107 Annex B / G.109 categories).
    const known: [number, number][] = [
      [-5, 1],
      [0, 1],
      [50, 2.575],
      [60, 3.1],
      [70, 3.597],
      [80, 4.024],
      [90, 4.339],
      [93.2, 4.409],
      [100, 4.5],
      [120, 4.5],
    ]
    for (const [r, mos] of known) expect(mosFromR(r)).toBeCloseTo(mos, 3)
    // The cubic dips a hair below 1 near R = 6.5; the estimate is clamped.
    expect(mosFromR(6.5)).toBe(1)
  })

  it('delay impairment Idd: 0 up to 100 ms, ~3.04 at 200 ms, ~24.07 at 400 ms', () => {
    expect(delayImpairment(0)).toBe(0)
    expect(delayImpairment(100)).toBe(0)
    expect(delayImpairment(200)).toBeCloseTo(3.0444, 3)
    expect(delayImpairment(400)).toBeCloseTo(24.0701, 3)
    expect(delayImpairment(800)).toBeGreaterThan(delayImpairment(400))
  })

  it('loss impairment Ie,eff for G.711 with PLC (Ie 0, Bpl 25.1)', () => {
    expect(lossImpairment(0)).toBe(0)
    expect(lossImpairment(1)).toBeCloseTo(95 / 26.1, 6) // 3.64
    expect(lossImpairment(10)).toBeCloseTo(950 / 35.1, 6) // 27.07
    expect(lossImpairment(100)).toBeCloseTo(9500 / 125.1, 6)
    expect(lossImpairment(-3)).toBe(0)
  })

  it('R and MOS of whole paths', () => {
    // A clean LAN: R0 = 93.2, MOS 4.41.
    expect(rFactor({ rttMs: 2, jitterMs: 0, lossPct: 0 })).toBeCloseTo(93.2, 9)
    expect(estimateMos({ rttMs: 2, jitterMs: 0, lossPct: 0 })).toBeCloseTo(4.409, 3)
    // Jitter counts twice (the buffer): RTT 300 + 2 x 50 -> one way 250 ms.
    expect(oneWayDelayMs({ rttMs: 300, jitterMs: 50, lossPct: 0 })).toBe(250)
    // One way 200 ms and 1% loss: R = 93.2 - 3.0444 - 3.6398 = 86.516, MOS ~ 4.24.
    const r = rFactor({ rttMs: 400, jitterMs: 0, lossPct: 1 })
    expect(r).toBeCloseTo(93.2 - 3.0444 - 95 / 26.1, 3)
    expect(estimateMos({ rttMs: 400, jitterMs: 0, lossPct: 1 })).toBeCloseTo(mosFromR(r), 9)
    expect(estimateMos({ rttMs: 400, jitterMs: 0, lossPct: 1 })).toBeCloseTo(4.24, 2)
    // Worse delay or loss never raises the MOS.
    expect(estimateMos({ rttMs: 50, jitterMs: 1, lossPct: 5 })).toBeLessThan(
      estimateMos({ rttMs: 50, jitterMs: 1, lossPct: 1 }),
    )
  })
})
