import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Backoff, jitter } from './backoff'

describe('backoff', () => {
  it('doubles from the minimum and stays at the cap', () => {
    const backoff = new Backoff(1_000, 60_000)
    const delays = Array.from({ length: 10 }, () => backoff.next())
    expect(delays).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000,
    ])
    backoff.reset()
    expect(backoff.next()).toBe(1_000)
  })

  it('never overflows past the cap after many failures', () => {
    const backoff = new Backoff(1_000, 60_000)
    for (let i = 0; i < 2_000; i++) backoff.next()
    expect(backoff.next()).toBe(60_000)
  })
})

describe('jitter', () => {
  it('stays within [d * (1 - fraction), d] for any random source value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (ms, r, fraction) => {
          const value = jitter(ms, () => r, fraction)
          expect(value).toBeLessThanOrEqual(ms)
          expect(value).toBeGreaterThanOrEqual(Math.floor(ms * (1 - fraction)))
        },
      ),
    )
  })

  it('actually varies the delay (0.2 by default)', () => {
    expect(jitter(10_000, () => 0)).toBe(10_000)
    expect(jitter(10_000, () => 1)).toBe(8_000)
    expect(jitter(10_000, () => 0.5)).toBe(9_000)
  })
})
