import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { exampleScore } from './example.js'
import {
  choosePathWithPlugin,
  exampleComponentPath,
  loadScorerPlugin,
  PluginError,
  type ScorerPlugin,
} from './index.js'

let plugin: ScorerPlugin

beforeAll(async () => {
  plugin = await loadScorerPlugin(readFileSync(exampleComponentPath))
})

const metrics = fc.record({
  latencyMs: fc.double({ min: 0, max: 1000, noNaN: true }),
  jitterMs: fc.double({ min: 0, max: 100, noNaN: true }),
  loss: fc.double({ min: 0, max: 1, noNaN: true }),
  bandwidthMbps: fc.double({ min: 0, max: 10_000, noNaN: true }),
  cost: fc.double({ min: 0, max: 100, noNaN: true }),
  mos: fc.double({ min: 1, max: 5, noNaN: true }),
})

describe('scorer plugin components', () => {
  it('the example component scores exactly like its TypeScript statement', () => {
    fc.assert(
      fc.property(metrics, (m) => {
        expect(plugin.score(m)).toBe(exampleScore(m))
      }),
      { numRuns: 500 },
    )
  })

  it('chooses paths for a custom policy with the plugin', () => {
    const f = (xs: number[]) => Float64Array.from(xs)
    const choice = choosePathWithPlugin(plugin, {
      latencyMs: f([20, 150, 10, 5]),
      jitterMs: f([2, 1, 1, 1]),
      loss: f([0, 0, 0.2, 1]),
      bandwidthMbps: f([100, 100, 100, 100]),
      cost: f([0, 0, 0, 0]),
      mos: f([4.3, 4.3, 4.4, 4.4]),
    })
    // Path 2 has the best MOS but 20% loss (refused by the plugin), path 3 is down.
    expect(choice.bestPath).toBe(0)
    expect(choice.scores[2]).toBe(Number.NEGATIVE_INFINITY)
    expect(choice.scores[3]).toBeNaN()
  })

  it('refuses bytes that are not a component', async () => {
    await expect(loadScorerPlugin(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0))).rejects.toThrow(
      PluginError,
    )
    await expect(loadScorerPlugin(new TextEncoder().encode('not wasm'))).rejects.toMatchObject({
      code: 'INVALID_COMPONENT',
    })
  })

  it('refuses components of another world or needing host imports', async () => {
    const { componentEmbed, componentNew } = await import('@bytecodealliance/jco')
    const dummy = async (witSource: string, world: string) =>
      componentNew(await componentEmbed({ witSource, world, dummy: true }))
    const noScore = await dummy('package test:a; world a { export rank: func() -> f64; }', 'a')
    await expect(loadScorerPlugin(noScore)).rejects.toMatchObject({ code: 'WRONG_WORLD' })
    const wantsHost = await dummy(
      'package test:b; world b { import log: func(msg: string); export score: func(x: f64) -> f64; }',
      'b',
    )
    await expect(loadScorerPlugin(wantsHost)).rejects.toMatchObject({ code: 'IMPORTS_NOT_ALLOWED' })
  })
})
