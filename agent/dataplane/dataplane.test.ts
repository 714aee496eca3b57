import { describe, expect, test } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import type { ClassifierWiring } from '../bpf/wiring'
import type { ClassDecision } from '../decision'
import type { Engine } from '../engine/engine'
import { silentLogger } from '../logger'
import type { Routing } from '../routing/types'
import { createDataplane, type DecisionSource, withDataplane } from './dataplane'

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

const routing = {
  rules: async () => [],
  routes: async () => [],
  ensureRule: async () => {},
  deleteRule: async () => {},
  replaceRoute: async () => {},
  deleteRoute: async () => {},
} as unknown as Routing

const desired = {
  site: { id: 'a', overlayAddress: '10.255.0.1', prefixes: [] },
  uplinks: [],
  peers: [],
  policies: [],
  wireguard: { basePort: 51820, keepaliveSeconds: 1, mtu: 1420 },
} as unknown as DesiredState

describe('the data plane around the engine', () => {
  test('engine first on reconfig and last on close; decisions are followed only after the first reconfig', async () => {
    const order: string[] = []
    const wiring = {
      setBalance: async () => {
        order.push('buckets')
      },
    } as unknown as ClassifierWiring
    const src = source()
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
    const inner: Engine = {
      reconfig: async () => {
        order.push('engine.reconfig')
      },
      close: async () => {
        order.push('engine.close')
      },
    }
    const engine = withDataplane(inner, dp)
    await engine.reconfig(desired)
    // The first plan (no load-balance class) clears the buckets once.
    expect(order).toEqual(['engine.reconfig', 'buckets'])
    await src.fire()
    expect(order).toEqual(['engine.reconfig', 'buckets'])
    await engine.close()
    expect(order.slice(2)).toEqual(['buckets', 'engine.close'])
    expect(src.subscribed()).toBe(false)
  })
})
