import { describe, expect, it } from 'vitest'
import { bindingLimiter, type RateLimitBinding, workersRateLimits } from './rate-limiter'

function clockAt(start = 1_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

/** A binding that allows `limit` calls per key, as one window of the real one. */
function fakeBinding(limit: number): RateLimitBinding & { calls: number } {
  const counts = new Map<string, number>()
  return {
    calls: 0,
    async limit({ key }) {
      this.calls++
      const n = (counts.get(key) ?? 0) + 1
      counts.set(key, n)
      return { success: n <= limit }
    },
  }
}

describe('Workers rate limiters', () => {
  it('a refusal by the binding is remembered for peek until its window has passed', async () => {
    const clock = clockAt()
    const binding = fakeBinding(2)
    const limiter = bindingLimiter(binding, 60, clock)
    expect((await limiter.limit('k')).ok).toBe(true)
    expect((await limiter.peek('k')).ok).toBe(true)
    expect((await limiter.limit('k')).ok).toBe(true)
    expect(await limiter.limit('k')).toEqual({ ok: false, retryAfterS: 60 })
    const calls = binding.calls
    clock.advance(45_000)
    expect(await limiter.peek('k')).toEqual({ ok: false, retryAfterS: 15 })
    expect(binding.calls).toBe(calls) // peek never counts
    clock.advance(15_000)
    expect((await limiter.peek('k')).ok).toBe(true)
  })

  it('without a binding, a limit counts in process and the gap is logged once', async () => {
    const warnings: unknown[] = []
    const logger = { info() {}, error() {}, warn: (fields: unknown) => warnings.push(fields) }
    const limits = workersRateLimits(
      { token: fakeBinding(1000) },
      { address: 2, token: 5, agent: 0 },
      clockAt(),
      logger,
    )
    expect(warnings).toEqual([{ missing: ['address', 'agent'] }])
    expect((await limits.address.limit('a')).ok).toBe(true)
    expect((await limits.address.limit('a')).ok).toBe(true)
    expect((await limits.address.limit('a')).ok).toBe(false)
    // 0 is "off".
    for (let i = 0; i < 100; i++) expect((await limits.agent.limit('x')).ok).toBe(true)
  })
})
