/**
 * The structural check of scorer plugin components against components jco builds: the
 * example plugin passes with its signature checked; other worlds, host imports, core modules
 * and damaged bytes are refused with the code the control plane and the agent report.
 */
import { readFileSync } from 'node:fs'
import { componentEmbed, componentNew } from '@bytecodealliance/jco'
import { describe, expect, it } from 'vitest'
import { checkScorerComponent } from './component-check.js'
import { exampleComponentPath } from './example.js'

const example = new Uint8Array(readFileSync(exampleComponentPath))

/** A component of `world w { body }` with placeholder code (jco's dummy module). */
async function dummy(body: string): Promise<Uint8Array> {
  return componentNew(
    await componentEmbed({
      witSource: `package test:w; world w { ${body} }`,
      world: 'w',
      dummy: true,
    }),
  )
}

const METRICS =
  'record metrics { latency-ms: f64, jitter-ms: f64, loss: f64, bandwidth-mbps: f64, cost: f64, mos: f64 }'

describe('scorer component check', () => {
  it('accepts the example plugin and a dummy of the same world, signature checked', async () => {
    expect(checkScorerComponent(example)).toEqual({ ok: true, signature: 'checked' })
    const same = await dummy(`${METRICS} export score: func(m: metrics) -> f64;`)
    expect(checkScorerComponent(same)).toEqual({ ok: true, signature: 'checked' })
  })

  it('refuses components of another world', async () => {
    const cases: [string, RegExp][] = [
      ['export rank: func() -> f64;', /exports no `score` function/],
      ['export score: func(x: f64) -> f64;', /parameter of score must be the metrics record/],
      [`${METRICS} export score: func(m: metrics) -> f32;`, /must return an f64/],
      [`${METRICS} export score: func(m: metrics, n: f64) -> f64;`, /takes 2 parameters/],
      [
        'record metrics { latency-ms: f64, loss: f64 } export score: func(m: metrics) -> f64;',
        /fields latency-ms, loss/,
      ],
      [
        'record metrics { latency-ms: f64, jitter-ms: f64, loss: f64, bandwidth-mbps: f64, cost: f64, mos: u32 } export score: func(m: metrics) -> f64;',
        /field mos must be an f64/,
      ],
    ]
    for (const [world, message] of cases) {
      const got = checkScorerComponent(await dummy(world))
      expect(got, world).toMatchObject({ ok: false, code: 'WRONG_WORLD' })
      expect(got.ok ? '' : got.message, world).toMatch(message)
    }
  })

  it('refuses components that import functions or instances', async () => {
    const got = checkScorerComponent(
      await dummy(
        `import log: func(msg: string); ${METRICS} export score: func(m: metrics) -> f64;`,
      ),
    )
    expect(got).toMatchObject({ ok: false, code: 'IMPORTS_NOT_ALLOWED' })
    expect(got.ok ? '' : got.message).toMatch(/imports log \(func\)/)
  })

  it('refuses core modules, other binary versions and damaged bytes', () => {
    const core = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)
    expect(checkScorerComponent(core)).toMatchObject({
      ok: false,
      code: 'NOT_A_COMPONENT',
      message: expect.stringMatching(/core WebAssembly module/),
    })
    const future = example.slice()
    future[4] = 0x0e
    expect(checkScorerComponent(future)).toMatchObject({
      message: expect.stringMatching(/version 0xe/),
    })
    expect(checkScorerComponent(new TextEncoder().encode('not wasm at all'))).toMatchObject({
      code: 'NOT_A_COMPONENT',
    })
    // Cut anywhere inside the sections: framing catches it, never an exception.
    for (let cut = 9; cut < example.length; cut += 7) {
      const got = checkScorerComponent(example.subarray(0, cut))
      expect(got.ok, `cut at ${cut}`).toBe(false)
    }
    const longer = new Uint8Array(example.length + 3)
    longer.set(example)
    longer.set([0x0b, 0x05, 0x01], example.length)
    expect(checkScorerComponent(longer)).toMatchObject({ code: 'NOT_A_COMPONENT' })
  })
})
