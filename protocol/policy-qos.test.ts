import { describe, expect, test } from 'vitest'
import { policyActionSchema } from './policy'

describe('policy action: balance and qos', () => {
  test('accepts a load-balance class balanced per packet with shaping', () => {
    const a = policyActionSchema.parse({
      preference: 'load-balance',
      balance: 'per-packet',
      qos: { rateMbps: 10, ceilMbps: 40, priority: 1, burstBytes: 30_000 },
    })
    expect(a.balance).toBe('per-packet')
    expect(a.qos).toEqual({ rateMbps: 10, ceilMbps: 40, priority: 1, burstBytes: 30_000 })
  })

  test('balance needs preference load-balance', () => {
    const r = policyActionSchema.safeParse({ preference: 'lowest-latency', balance: 'per-flow' })
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.path).toEqual(['balance'])
  })

  test('qos: ceil below rate, a zero rate, a priority past 7, unknown fields are refused', () => {
    for (const qos of [
      { rateMbps: 10, ceilMbps: 5 },
      { rateMbps: 0 },
      { rateMbps: 1, priority: 8 },
      { rateMbps: 1, burstBytes: 10 },
      { rateMbps: 1, rate: 2 },
    ]) {
      expect(policyActionSchema.safeParse({ preference: 'lowest-cost', qos }).success).toBe(false)
    }
  })
})
