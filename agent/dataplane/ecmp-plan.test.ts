import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import { LB_BUCKETS } from '../bpf/layout'
import type { ClassDecision } from '../decision'
import {
  EcmpPlanner,
  ecmpMark,
  ecmpTable,
  healthFactor,
  stableBuckets,
  targetCounts,
} from './ecmp-plan'

const counts = (buckets: number[]) => {
  const m = new Map<number, number>()
  for (const b of buckets) m.set(b, (m.get(b) ?? 0) + 1)
  return m
}

describe('bucket layout', () => {
  test('targets follow the weights and always fill every bucket', () => {
    expect(
      targetCounts(
        new Map([
          [0, 2],
          [1, 1],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 43],
        [1, 21],
      ]),
    )
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1000, noNaN: true }), { minLength: 1, maxLength: 16 }),
        (ws) => {
          const t = targetCounts(new Map(ws.map((w, i) => [i, w])))
          expect([...t.values()].reduce((a, b) => a + b, 0)).toBe(LB_BUCKETS)
        },
      ),
    )
  })

  test('a fresh layout is interleaved, not one contiguous range per path', () => {
    const b = stableBuckets(
      [],
      new Map([
        [0, 1],
        [1, 1],
      ]),
    )
    expect(counts(b)).toEqual(
      new Map([
        [0, 32],
        [1, 32],
      ]),
    )
    let longest = 0
    let run = 0
    b.forEach((p, i) => {
      run = i > 0 && b[i - 1] === p ? run + 1 : 1
      longest = Math.max(longest, run)
    })
    expect(longest).toBeLessThanOrEqual(2)
  })

  test('small weight changes (loss wobble) move no bucket', () => {
    const prev = stableBuckets(
      [],
      new Map([
        [0, 2],
        [1, 1],
      ]),
    )
    expect(
      stableBuckets(
        prev,
        new Map([
          [0, 2],
          [1, 0.97],
        ]),
      ),
    ).toEqual(prev)
  })

  test('a path leaving moves only its buckets; the others keep their flows', () => {
    const prev = stableBuckets(
      [],
      new Map([
        [0, 1],
        [1, 1],
        [2, 1],
      ]),
    )
    const next = stableBuckets(
      prev,
      new Map([
        [0, 1],
        [1, 1],
      ]),
    )
    prev.forEach((p, i) => {
      if (p !== 2) expect(next[i]).toBe(p)
    })
    expect(next.includes(2)).toBe(false)
    expect(counts(next)).toEqual(
      new Map([
        [0, 32],
        [1, 32],
      ]),
    )
  })

  test('a path joining takes just its share, from the others', () => {
    const prev = stableBuckets([], new Map([[0, 1]]))
    const next = stableBuckets(
      prev,
      new Map([
        [0, 1],
        [1, 1],
      ]),
    )
    const moved = next.filter((p, i) => p !== prev[i]).length
    expect(moved).toBe(32)
    expect(counts(next).get(1)).toBe(32)
  })

  test('health: full below 1% loss, then shrinking, never zero', () => {
    expect(healthFactor(null)).toBe(1)
    expect(healthFactor(0.5)).toBe(1)
    expect(healthFactor(20)).toBeCloseTo(0.8)
    expect(healthFactor(100)).toBe(0.05)
  })
})

const PEER = 'site-b'
const desired = (preference: 'load-balance' | 'lowest-cost', balance?: 'per-packet') =>
  ({
    peers: [],
    policies: [
      {
        id: 'p-voice',
        name: 'voice',
        priority: 1,
        match: { ports: [5060] },
        action: { preference: 'lowest-latency' },
      },
      {
        id: 'p-bulk',
        name: 'bulk',
        priority: 2,
        match: { ports: [5300] },
        action: { preference, ...(balance ? { balance } : {}) },
      },
    ],
  }) as unknown as Pick<DesiredState, 'policies' | 'peers'>

const decision = (members: [number, number, number][]): ClassDecision => ({
  classId: 'p-bulk',
  peerSiteId: PEER,
  path: members[0]
    ? { peerSiteId: PEER, localSlot: members[0][0], remoteSlot: members[0][1] }
    : null,
  paths: members.map(([i, j, weight]) => ({
    path: { peerSiteId: PEER, localSlot: i, remoteSlot: j },
    weight,
  })),
  reason: 'current_best',
  slaViolation: false,
  since: 0,
})

const input = (d: ClassDecision[], pref: 'load-balance' | 'lowest-cost' = 'load-balance') => ({
  desired: desired(pref),
  decisions: d,
  interfacePrefix: 'wg',
  allowedIps: new Map([[PEER, ['10.2.0.0/24', '10.255.0.2/32']]]),
  rulePriority: 1032,
})

describe('EcmpPlanner', () => {
  test('a load-balance class: buckets by weight, a rule and a table per path', () => {
    const plan = new EcmpPlanner().plan(
      input([
        decision([
          [0, 0, 2 / 3],
          [1, 0, 1 / 3],
        ]),
      ]),
    )
    const marks = plan.marks[1] ?? []
    expect(marks).toHaveLength(LB_BUCKETS)
    expect(counts(marks)).toEqual(
      new Map([
        [ecmpMark(1, 0), 43],
        [ecmpMark(1, 1), 21],
      ]),
    )
    expect(plan.shares[1]).toEqual({ '0-0': 43 / 64, '1-0': 21 / 64 })
    expect(plan.rules.map((r) => [r.fwmark, r.table])).toEqual([
      [0x7410, ecmpTable(1, 0)],
      [0x7411, ecmpTable(1, 1)],
    ])
    expect(ecmpTable(1, 1)).toBe(7417)
    expect(plan.routes).toContainEqual({ table: 7417, dst: '10.2.0.0/24', dev: 'wg1-0' })
    expect(plan.routes).toContainEqual({ table: 7416, dst: '10.255.0.2/32', dev: 'wg0-0' })
    expect(plan.perPacket).toEqual([])
    expect(plan.retiring).toEqual([])
  })

  test('other preferences get no buckets', () => {
    const plan = new EcmpPlanner().plan(input([decision([[0, 0, 1]])], 'lowest-cost'))
    expect(plan.marks).toEqual({})
    expect(plan.rules).toEqual([])
  })

  test('per-packet balance is passed on', () => {
    const i = { ...input([decision([[0, 0, 1]])]), desired: desired('load-balance', 'per-packet') }
    expect(new EcmpPlanner().plan(i).perPacket).toEqual([1])
  })

  test('a member going down: its table points at the primary until the buckets move', () => {
    const planner = new EcmpPlanner()
    const first = planner.plan(
      input([
        decision([
          [0, 0, 0.5],
          [1, 0, 0.5],
        ]),
      ]),
    )
    const kept = (first.marks[1] ?? []).map((m) => m === ecmpMark(1, 0))
    const after = planner.plan(input([decision([[0, 0, 1]])]))
    expect(after.shares[1]).toEqual({ '0-0': 1 })
    // Buckets of the surviving path did not move.
    ;(after.marks[1] ?? []).forEach((m, b) => {
      if (kept[b]) expect(m).toBe(ecmpMark(1, 0))
    })
    expect(after.rules.map((r) => r.table)).toEqual([ecmpTable(1, 0)])
    expect(after.retiring).toContainEqual({
      table: ecmpTable(1, 1),
      dst: '10.2.0.0/24',
      dev: 'wg0-0',
    })
    // The next plan has nothing left to retire.
    expect(planner.plan(input([decision([[0, 0, 1]])])).retiring).toEqual([])
  })

  test('with no path up the class has no buckets (the class table applies)', () => {
    const plan = new EcmpPlanner().plan(input([decision([])]))
    expect(plan.marks).toEqual({})
    expect(plan.routes).toEqual([])
  })

  test('a lossy member gets fewer buckets', () => {
    const plan = new EcmpPlanner().plan({
      ...input([
        decision([
          [0, 0, 0.5],
          [1, 0, 0.5],
        ]),
      ]),
      health: (p) => (p.localSlot === 1 ? healthFactor(50) : 1),
    })
    const c = counts(plan.marks[1] ?? [])
    expect(c.get(ecmpMark(1, 0))).toBeGreaterThan(c.get(ecmpMark(1, 1)) ?? 0)
    expect(c.get(ecmpMark(1, 1))).toBe(21)
  })
})
