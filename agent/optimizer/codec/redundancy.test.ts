import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../clock/fake'
import { parityFor, RedundancyController } from './redundancy'

describe('RedundancyController', () => {
  it('uses no parity on a clean path and 20% at 5% loss', () => {
    const c = new RedundancyController({ clock: new FakeClock() })
    expect(c.update(0)).toBe(0)
    expect(c.update(0.0005)).toBe(0)
    expect(c.update(0.05)).toBe(5)
    expect(c.m / c.k).toBe(0.2)
  })

  it('steps through 5/10/15/20% levels as loss rises (k = 25: m 1, 3, 4, 5)', () => {
    const c = new RedundancyController({ clock: new FakeClock() })
    expect([0.002, 0.01, 0.03, 0.2].map((l) => c.update(l))).toEqual([1, 3, 4, 5])
  })

  it('steps up at once but down only after the loss stayed low for the hold time', () => {
    const clock = new FakeClock()
    const c = new RedundancyController({ clock, holdDownMs: 10_000 })
    expect(c.update(0.05)).toBe(5)
    expect(c.update(0)).toBe(5)
    clock.advance(9_999)
    expect(c.update(0)).toBe(5)
    clock.advance(1)
    expect(c.update(0)).toBe(4) // one step at a time
    clock.advance(10_000)
    expect(c.update(0)).toBe(3)
  })

  it('does not flap when loss hovers around a threshold', () => {
    const clock = new FakeClock()
    const c = new RedundancyController({ clock, holdDownMs: 5_000 })
    const ms: number[] = []
    for (let i = 0; i < 100; i++) {
      clock.advance(1_000)
      ms.push(c.update(i % 2 ? 0.0065 : 0.0055)) // around the 0.6% entry of the 10% level
    }
    expect(new Set(ms.slice(1))).toEqual(new Set([3]))
  })

  it('a loss spike during the hold restarts it', () => {
    const clock = new FakeClock()
    const c = new RedundancyController({ clock, holdDownMs: 10_000 })
    c.update(0.05)
    clock.advance(8_000)
    c.update(0)
    clock.advance(8_000)
    c.update(0.03) // back above half of the 20% level's 4% threshold
    clock.advance(8_000)
    expect(c.update(0)).toBe(5)
  })

  it('ignores non-numbers', () => {
    const c = new RedundancyController({ clock: new FakeClock() })
    c.update(0.05)
    expect(c.update(Number.NaN)).toBe(5)
  })

  it('keeps parity at or under 20% of k, with at least one packet', () => {
    expect(parityFor(0.05, 25)).toBe(1)
    expect(parityFor(0.2, 25)).toBe(5)
    expect(parityFor(0.2, 10)).toBe(2)
    expect(parityFor(0.05, 4)).toBe(1)
    expect(parityFor(0, 25)).toBe(0)
  })
})
