import { describe, expect, it } from 'vitest'
import { DEFAULT_DAMPING, FlapDamper } from './damping'

describe('FlapDamper (RFC 2439 style)', () => {
  it('adds a penalty per flap that halves every half-life', () => {
    const d = new FlapDamper()
    d.flap(0)
    expect(d.penalty(0)).toBe(1000)
    expect(d.penalty(DEFAULT_DAMPING.halfLifeMs)).toBeCloseTo(500, 6)
    expect(d.penalty(2 * DEFAULT_DAMPING.halfLifeMs)).toBeCloseTo(250, 6)
    expect(d.suppressed(0)).toBe(false)
  })

  it('suppresses above the threshold and reuses only below the reuse threshold', () => {
    const d = new FlapDamper()
    d.flap(0)
    d.flap(1000)
    expect(d.suppressed(1000)).toBe(false) // ~1955 < 2000
    d.flap(2000)
    expect(d.suppressed(2000)).toBe(true)
    const p = d.penalty(2000)
    // Still suppressed while the penalty decays from ~2900 towards 750...
    const reuseAt = 2000 + DEFAULT_DAMPING.halfLifeMs * Math.log2(p / DEFAULT_DAMPING.reuseBelow)
    expect(d.suppressed(Math.floor(reuseAt) - 10)).toBe(true)
    // ...and is reused once below it, even though it passed under 2000 long before.
    expect(d.suppressed(Math.ceil(reuseAt) + 10)).toBe(false)
  })

  it('caps the penalty so a path is reused at most maxSuppressMs after its last flap', () => {
    const d = new FlapDamper()
    for (let t = 0; t < 100; t++) d.flap(t)
    expect(d.penalty(100)).toBeLessThanOrEqual(d.maxPenalty + 1e-9)
    expect(d.suppressed(100 + DEFAULT_DAMPING.maxSuppressMs - 100)).toBe(true)
    expect(d.suppressed(100 + DEFAULT_DAMPING.maxSuppressMs + 10)).toBe(false)
  })

  it('ignores time going backwards', () => {
    const d = new FlapDamper()
    d.flap(10_000)
    expect(d.penalty(5_000)).toBe(1000)
  })
})
