import { describe, expect, it } from 'vitest'
import { TokenBuckets } from './token-bucket'

function clockAt(start = 1_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('TokenBuckets', () => {
  it('allows a burst of `limit`, then one per period/limit, with an integer Retry-After', () => {
    const clock = clockAt()
    const buckets = new TokenBuckets({ limit: 4, periodMs: 60_000, clock })
    for (let i = 0; i < 4; i++) expect(buckets.take('k').ok).toBe(true)
    expect(buckets.take('k')).toEqual({ ok: false, retryAfterS: 15 })
    expect(buckets.peek('k')).toEqual({ ok: false, retryAfterS: 15 })
    clock.advance(10_000)
    expect(buckets.take('k')).toEqual({ ok: false, retryAfterS: 5 })
    clock.advance(5_000)
    expect(buckets.peek('k').ok).toBe(true)
    expect(buckets.take('k').ok).toBe(true)
    expect(buckets.take('k').ok).toBe(false)
    // Other keys are untouched; a clock stepping back earns nothing.
    expect(buckets.take('other').ok).toBe(true)
    clock.advance(-30_000)
    expect(buckets.take('k').ok).toBe(false)
  })

  it('keeps at most maxKeys buckets under a flood of fresh keys, live ones last to go', () => {
    const clock = clockAt()
    const buckets = new TokenBuckets({ limit: 2, periodMs: 60_000, clock, maxKeys: 100 })
    buckets.take('victim')
    buckets.take('victim')
    for (let i = 0; i < 10_000; i++) {
      buckets.take(`flood-${i}`)
      // The victim stays the most recently used: refused throughout.
      if (i % 50 === 0) expect(buckets.take('victim').ok).toBe(false)
    }
    expect(buckets.size).toBeLessThanOrEqual(100)
    // Full buckets carry no state: a refilled key is dropped first, and comes back full.
    clock.advance(60_000)
    buckets.take('fresh')
    expect(buckets.take('victim').ok).toBe(true)
  })
})
