import { describe, expect, it } from 'vitest'
import { silentLogger } from '../logger'
import { desiredState, peer } from '../testing/fixtures'
import { planReconfig } from './desired-diff'
import { RecordingPipeline } from './recording'

describe('recording pipeline', () => {
  it('records peers added, removed and changed by site id, and the routes to install', async () => {
    const pipeline = new RecordingPipeline(silentLogger())
    const a = peer('site_a', { prefixes: ['10.2.0.0/16'], overlayAddress: '100.64.0.2' })
    const b = peer('site_b', {
      prefixes: ['10.3.0.0/16', '10.4.0.0/24'],
      overlayAddress: '100.64.0.3',
    })
    await pipeline.reconfig(desiredState(1, { peers: [a, b] }))
    const c = peer('site_c', { prefixes: [], overlayAddress: 'fd00::3' })
    await pipeline.reconfig(desiredState(2, { peers: [{ ...a, prefixes: ['10.5.0.0/16'] }, c] }))

    expect(pipeline.plans[0]).toEqual({
      revision: 1,
      added: ['site_a', 'site_b'],
      removed: [],
      changed: [],
      routes: [
        { prefix: '10.2.0.0/16', siteId: 'site_a' },
        { prefix: '10.3.0.0/16', siteId: 'site_b' },
        { prefix: '10.4.0.0/24', siteId: 'site_b' },
        { prefix: '100.64.0.2/32', siteId: 'site_a' },
        { prefix: '100.64.0.3/32', siteId: 'site_b' },
      ],
    })
    expect(pipeline.plans[1]).toMatchObject({
      revision: 2,
      added: ['site_c'],
      removed: ['site_b'],
      changed: ['site_a'],
    })
    expect(pipeline.plans[1]?.routes).toEqual([
      { prefix: '10.5.0.0/16', siteId: 'site_a' },
      { prefix: '100.64.0.2/32', siteId: 'site_a' },
      { prefix: 'fd00::3/128', siteId: 'site_c' },
    ])
  })

  it('is idempotent: the same document twice changes nothing the second time', async () => {
    const pipeline = new RecordingPipeline(silentLogger())
    const state = desiredState(4, { peers: [peer('site_a'), peer('site_b')] })
    await pipeline.reconfig(state)
    await pipeline.reconfig(structuredClone(state))
    expect(pipeline.plans[1]).toMatchObject({ added: [], removed: [], changed: [] })
    expect(pipeline.plans[1]?.routes).toEqual(pipeline.plans[0]?.routes)
  })

  it('never routes to its own site and closes idempotently', async () => {
    const pipeline = new RecordingPipeline(silentLogger())
    const plan = planReconfig(undefined, desiredState(1, { peers: [peer('site_1')] }))
    expect(plan.routes).toEqual([])
    await pipeline.close()
    await pipeline.close()
    expect(pipeline.isClosed).toBe(true)
    await expect(pipeline.reconfig(desiredState(1))).rejects.toThrow(/closed/)
  })
})
