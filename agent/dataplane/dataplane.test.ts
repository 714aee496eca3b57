import { describe, expect, test } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import type { ClassifierWiring } from '../bpf/wiring'
import type { ClassDecision } from '../decision'
import { silentLogger } from '../logger'
import { planSite } from '../plan/site-plan'
import { memoryRouting } from '../routing/memory'
import { createDataplane, type DecisionSource } from './dataplane'

function source() {
  let listener: ((d: readonly ClassDecision[]) => Promise<void>) | undefined
  const src: DecisionSource & { fire(): Promise<void>; subscribed(): boolean } = {
    decisions: [],
    onDecisions(l) {
      listener = l
      return () => {
        listener = undefined
      }
    },
    prober: { snapshot: () => [] },
    fire: () => listener?.([]) ?? Promise.resolve(),
    subscribed: () => listener !== undefined,
  }
  return src
}

const desired = {
  site: { id: 'a', overlayAddress: '10.255.0.1', prefixes: [] },
  probes: { bfdIntervalMs: 100, bfdMultiplier: 3, probeIntervalMs: 100 },
  uplinks: [],
  peers: [],
  policies: [],
  wireguard: { basePort: 51820, keepaliveSeconds: 1, mtu: 1420 },
} as unknown as DesiredState

describe('the data-plane stage', () => {
  test('decisions are followed only after the first apply; close clears the buckets and unsubscribes', async () => {
    const order: string[] = []
    const wiring = {
      setBalance: async () => {
        order.push('buckets')
      },
    } as unknown as ClassifierWiring
    const src = source()
    const routing = memoryRouting()
    const dp = createDataplane({
      monitor: src,
      routing,
      wiring,
      logger: silentLogger(),
      interfacePrefix: 'wg',
      mode: 'lab',
      qosObject: '/nonexistent/qos.o',
    })
    // No qos object: no shaping, said once; ECMP still runs.
    expect(dp.shaper).toBeUndefined()
    await src.fire()
    expect(order).toEqual([])
    await dp.apply(planSite(desired, { interfacePrefix: 'wg', mode: 'lab' }), undefined)
    // The first plan (no load-balance class) clears the buckets once.
    expect(order).toEqual(['buckets'])
    await src.fire()
    expect(order).toEqual(['buckets'])
    await dp.close()
    expect(order).toEqual(['buckets', 'buckets'])
    expect(src.subscribed()).toBe(false)
    expect(routing.dump()).toBe('')
  })
})
