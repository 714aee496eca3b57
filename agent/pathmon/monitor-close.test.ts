/** PathMonitor.close and the monitor stage: teardown goes on past a failed step. */
import { afterEach, describe, expect, it } from 'vitest'
import type { Stage } from '../pipeline/stage'
import { createStagedPipeline } from '../pipeline/stages'
import { QUALITY_PROBE_PORT } from '../probes/quality'
import { monitorStage } from './stage'
import { A0, B0, closeSites, MESH, twoSites, VOICE_TABLE } from './two-sites'

afterEach(closeSites)

describe('PathMonitor.close', () => {
  it('stops its timers, closes its sockets and removes its class rules and routes', async () => {
    const s = await twoSites()
    await s.run(3_000)
    expect(s.routing.table(VOICE_TABLE)).not.toEqual([])
    await s.monitor.close()

    expect(s.clockA.pending).toBe(0)
    expect(s.underlay.bfdBound).toEqual([B0])
    // The responder's port is free again.
    const socket = await s.underlay.probeSockets.bind({
      address: A0,
      port: QUALITY_PROBE_PORT,
      onMessage: () => {},
    })
    await socket.close()
    expect(await s.routing.rules()).toEqual([])
    expect(s.routing.table(VOICE_TABLE)).toEqual([])
    // The mesh table belongs to the mesh engine, which removes it on its own close.
    expect(s.routing.table(MESH)).not.toEqual([])
    // Nothing runs after close.
    const before = s.monitor.decisions
    await s.run(1_000)
    expect(s.monitor.decisions).toBe(before)
  })

  it('goes on with every step when one throws, then reports the failure', async () => {
    const s = await twoSites()
    await s.run(3_000)
    s.underlay.failClose = 'bfd transport close failed'
    await expect(s.monitor.close()).rejects.toThrow(/bfd transport close failed/)
    expect(await s.routing.rules()).toEqual([])
    expect(s.routing.table(VOICE_TABLE)).toEqual([])
    expect(s.clockA.pending).toBe(0)
  })

  it('reports a routing failure while removing class routing, after trying the rest', async () => {
    const s = await twoSites()
    await s.run(3_000)
    s.routing.failNext('deleteRule', new Error('netlink: operation not permitted'))
    await expect(s.monitor.close()).rejects.toThrow(/operation not permitted/)
    expect(s.clockA.pending).toBe(0)
    expect(s.underlay.bfdBound).toEqual([B0])
  })
})

describe('the monitor stage in the pipeline', () => {
  it('the tunnels below it close even when the monitor fails to close, then the failure is reported', async () => {
    const s = await twoSites()
    await s.run(1_000)
    const closed: string[] = []
    const mesh: Stage = {
      name: 'tunnels',
      apply: async () => {},
      close: async () => void closed.push('tunnels'),
    }
    const pipeline = createStagedPipeline({
      stages: [mesh, monitorStage(s.monitor)],
      plan: { interfacePrefix: 'pt', mode: 'lab' },
    })
    s.underlay.failClose = 'bfd transport close failed'
    await expect(pipeline.close()).rejects.toThrow(/monitor: .*bfd transport/)
    expect(closed).toEqual(['tunnels'])
  })
})
