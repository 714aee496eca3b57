/**
 * scorer.fallback events are per change of reason, not per evaluation, and the same
 * (scorer, reason) is reported at most once per quiet period however often it flaps.
 */
import { describe, expect, it } from 'vitest'
import { FallbackLog } from './fallbacks'

const details = { message: 'm', scorerId: null, classes: ['pol_1'] }
const T0 = Date.UTC(2026, 0, 1)

describe('scorer fallback events', () => {
  it('one event per change of reason; none while loading; recovery is a transition', () => {
    const log = new FallbackLog(60_000)
    const reasons = (at: number, r: Parameters<FallbackLog['fallback']>[1]) => {
      const t = log.fallback('s', r, at, details)
      return t.kind === 'fallback' && t.event ? t.event.details?.reason : null
    }
    expect(reasons(T0, 'loading')).toBeNull()
    expect(reasons(T0 + 1, 'missing')).toBe('missing')
    expect(reasons(T0 + 2, 'missing')).toBeNull()
    expect(log.fallback('s', 'missing', T0 + 3, details)).toEqual({ kind: 'same' })
    expect(reasons(T0 + 4, 'invalid')).toBe('invalid')
    expect(log.states.get('s')).toBe('invalid')
    expect(log.ok('s')).toEqual({ kind: 'recovered', from: 'invalid' })
    expect(log.ok('s')).toEqual({ kind: 'same' })
    expect(log.states.size).toBe(0)
  })

  it('a flapping plugin reports the same reason once per quiet period', () => {
    const log = new FallbackLog(60_000)
    const sent: number[] = []
    for (let k = 0; k < 20; k++) {
      const at = T0 + k * 10_000
      const t = log.fallback('s', 'timeout', at, details)
      if (t.kind === 'fallback' && t.event) sent.push(t.event.at - T0)
      log.ok('s')
    }
    expect(sent).toEqual([0, 60_000, 120_000, 180_000])
  })

  it('scorers are independent; forgotten ones start afresh', () => {
    const log = new FallbackLog(60_000)
    expect(log.fallback('a', 'error', T0, details)).toMatchObject({
      event: { type: 'scorer.fallback' },
    })
    expect(log.fallback('b', 'error', T0, details)).toMatchObject({
      event: { type: 'scorer.fallback' },
    })
    log.retain(new Set(['b']))
    expect([...log.states.keys()]).toEqual(['b'])
  })
})
