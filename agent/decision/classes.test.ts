import { describe, expect, it } from 'vitest'
import type { DesiredState } from '../../protocol/agent'
import { classesFromDesiredState, DEFAULT_CLASS_ID, pathsFromDesiredState } from './classes'

type Uplink = DesiredState['uplinks'][number]

function uplink(slot: number, bw: number | null, cost: number | null): Uplink {
  return {
    id: `u${slot}`,
    name: `wan${slot}`,
    slot,
    interface: `eth${slot}`,
    endpointHost: `192.0.2.${slot + 1}`,
    basePort: 51820,
    bandwidthMbps: bw,
    costPerGb: cost,
    priority: slot,
  }
}

describe('classes and paths from the desired state', () => {
  it('orders classes by policy priority and ends with the default class', () => {
    const policies = [
      {
        id: 'p-bulk',
        name: 'bulk',
        priority: 200,
        match: {},
        action: { preference: 'lowest-cost' },
      },
      {
        id: 'p-voice',
        name: 'voice',
        priority: 10,
        match: {},
        action: { preference: 'lowest-latency', sla: { maxLatencyMs: 150 } },
      },
    ] as DesiredState['policies']
    const classes = classesFromDesiredState({ policies })
    expect(classes.map((c) => c.id)).toEqual(['p-voice', 'p-bulk', DEFAULT_CLASS_ID])
    expect(classes[0]?.sla).toEqual({ maxLatencyMs: 150 })
    expect(classes[1]?.preference).toBe('lowest-cost')
  })

  it('lists every (local, peer, remote) path with min bandwidth and summed cost', () => {
    const peer = (siteId: string, uplinks: Uplink[]) =>
      ({ siteId, uplinks }) as unknown as DesiredState['peers'][number]
    const paths = pathsFromDesiredState({
      uplinks: [uplink(0, 100, 1), uplink(1, null, null)],
      peers: [peer('b', [uplink(0, 50, 2), uplink(1, 500, null)]), peer('c', [uplink(0, 10, 0)])],
    })
    expect(paths).toHaveLength(2 * 2 + 2 * 1)
    const find = (s: string, i: number, j: number) =>
      paths.find((p) => p.peerSiteId === s && p.localSlot === i && p.remoteSlot === j)
    expect(find('b', 0, 0)).toMatchObject({ bandwidthMbps: 50, cost: 3 })
    expect(find('b', 0, 1)).toMatchObject({ bandwidthMbps: 100, cost: 1 })
    expect(find('b', 1, 1)).toMatchObject({ bandwidthMbps: null, cost: 0 })
    expect(find('c', 1, 0)).toMatchObject({ bandwidthMbps: null, cost: 0 })
  })
})
