/**
 * The scorer sandbox with real worker threads and real plugins: a batch is one round trip;
 * a plugin that loops is cut off at its budget while the agent's event loop keeps running;
 * a trap, a refused component, a worker past its memory limit and a malformed answer each
 * come back as their own failure; the supervising runtime restarts a dead sandbox after a
 * backoff and never restarts a refused component.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { exampleComponentPath, exampleScore } from '../../wasm/plugin/example'
import { systemClock } from '../clock'
import { PluginRuntime } from './runtime'
import { PluginSandbox, type ScoreOutcome } from './sandbox'
import { METRICS_PER_PATH } from './sandbox-protocol'
import { plugin, workerScript } from './testing'

const example = new Uint8Array(readFileSync(exampleComponentPath))
const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

function sandbox(
  component: Uint8Array,
  options: Partial<ConstructorParameters<typeof PluginSandbox>[1]> = {},
) {
  const s = new PluginSandbox(component, { clock: systemClock, budgetMs: 200, ...options })
  open.push(s)
  return s
}

const PATHS = [
  { latencyMs: 20, jitterMs: 2, loss: 0, bandwidthMbps: 100, cost: 0, mos: 4.3 },
  { latencyMs: 150, jitterMs: 1, loss: 0, bandwidthMbps: 100, cost: 3, mos: 4.1 },
  { latencyMs: 10, jitterMs: 1, loss: 0.2, bandwidthMbps: 0.5, cost: 0, mos: 4.4 },
]

function pack(paths = PATHS): Float64Array {
  return Float64Array.from(
    paths.flatMap((m) => [m.latencyMs, m.jitterMs, m.loss, m.bandwidthMbps, m.cost, m.mos]),
  )
}

const failure = (o: ScoreOutcome) => (o.ok ? undefined : o.reason)

describe('scorer sandbox', () => {
  it('scores every path of a batch in one round trip, as the plugin computes', async () => {
    const s = sandbox(example)
    expect(await s.ready).toEqual({ ok: true })
    const metrics = pack()
    expect(metrics.length).toBe(PATHS.length * METRICS_PER_PATH)
    const outcome = await s.score(metrics, PATHS.length)
    expect(outcome.ok && [...outcome.scores]).toEqual(PATHS.map(exampleScore))
    expect(metrics.length).toBe(0) // transferred to the worker, not copied
  })

  it('cuts a looping plugin off at its budget; the event loop runs meanwhile', async () => {
    const s = sandbox(await plugin('loop'), { budgetMs: 150 })
    expect(await s.ready).toEqual({ ok: true })
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    const started = performance.now()
    const outcome = await s.score(pack(), PATHS.length)
    const elapsed = performance.now() - started
    clearInterval(timer)
    expect(outcome).toMatchObject({ ok: false, reason: 'timeout' })
    expect(elapsed).toBeGreaterThanOrEqual(140)
    expect(elapsed).toBeLessThan(1_000)
    // The agent's own timers kept firing while the plugin spun.
    expect(ticks).toBeGreaterThanOrEqual(5)
    // Dead now: later calls answer at once with the cause.
    const again = performance.now()
    expect(failure(await s.score(pack(), PATHS.length))).toBe('timeout')
    expect(performance.now() - again).toBeLessThan(50)
  })

  it('reports a trap per call and keeps serving', async () => {
    const s = sandbox(await plugin('trap'))
    expect(await s.ready).toEqual({ ok: true })
    const first = await s.score(pack(), PATHS.length)
    expect(first).toMatchObject({
      ok: false,
      reason: 'error',
      message: expect.stringMatching(/unreachable/),
    })
    expect(failure(await s.score(pack(), PATHS.length))).toBe('error')
    expect(s.failure).toBeUndefined()
  })

  it('refuses a component of another world at load (invalid)', async () => {
    const { componentEmbed, componentNew } = await import('@bytecodealliance/jco')
    const other = await componentNew(
      await componentEmbed({
        witSource: 'package t:o; world o { export rank: func() -> f64; }',
        world: 'o',
        dummy: true,
      }),
    )
    const s = sandbox(other)
    expect(await s.ready).toMatchObject({
      ok: false,
      reason: 'invalid',
      message: expect.stringMatching(/^WRONG_WORLD: .*no `score` function/),
    })
    expect(failure(await s.score(pack(), PATHS.length))).toBe('invalid')
  })

  it('a worker past its memory limit crashes alone', async () => {
    const hog = workerScript(`
      import { parentPort } from 'node:worker_threads'
      const keep = []
      parentPort.postMessage({ type: 'ready' })
      parentPort.on('message', () => { for (;;) keep.push(new Array(1e5).fill(keep.length)) })`)
    const s = sandbox(example, {
      workerUrl: hog,
      budgetMs: 10_000,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    })
    expect(await s.ready).toEqual({ ok: true })
    const outcome = await s.score(pack(), PATHS.length)
    expect(outcome).toMatchObject({ ok: false, reason: 'crashed' })
    expect(outcome.ok ? '' : outcome.message).toMatch(/ERR_WORKER_OUT_OF_MEMORY/)
  })

  it('a worker that never finishes loading is cut off at the load timeout', async () => {
    const stuck = workerScript('for (;;) {}')
    const s = sandbox(example, { workerUrl: stuck, loadTimeoutMs: 300 })
    expect(await s.ready).toMatchObject({ ok: false, reason: 'timeout' })
    expect(failure(await s.score(pack(), PATHS.length))).toBe('timeout')
  })

  it('an answer that is not one score per path is a bad result', async () => {
    const short = workerScript(`
      import { parentPort } from 'node:worker_threads'
      parentPort.postMessage({ type: 'ready' })
      parentPort.on('message', (m) => parentPort.postMessage({ type: 'scores', seq: m.seq, scores: new Float64Array(1) }))`)
    const s = sandbox(example, { workerUrl: short })
    expect(await s.score(pack(), PATHS.length)).toMatchObject({
      ok: false,
      reason: 'bad_result',
      message: 'expected 3 scores, got 1',
    })
  })
})

describe('scorer runtime (a supervised sandbox)', () => {
  it('restarts a dead sandbox after a backoff and answers the cause meanwhile', async () => {
    let recovered = 0
    const runtime = new PluginRuntime(await plugin('loop'), {
      clock: systemClock,
      budgetMs: 100,
      restartMs: 300,
      onRecovered: () => recovered++,
    })
    open.push(runtime)
    expect(await runtime.loaded).toEqual({ ok: true })
    expect(failure(await runtime.score(pack(), PATHS.length))).toBe('timeout')
    // Within the backoff: no new sandbox, the cause at once.
    const at = performance.now()
    expect(failure(await runtime.score(pack(), PATHS.length))).toBe('timeout')
    expect(performance.now() - at).toBeLessThan(50)
    expect(runtime.starts).toBe(1)
    await expect.poll(() => recovered, { timeout: 15_000, interval: 50 }).toBe(1)
    expect(runtime.starts).toBe(2)
    // The plugin loops again: timed out again, the next restart waits twice as long.
    expect(failure(await runtime.score(pack(), PATHS.length))).toBe('timeout')
  })

  it('never restarts a refused component', async () => {
    const runtime = new PluginRuntime(new TextEncoder().encode('not a component'), {
      clock: systemClock,
      restartMs: 10,
    })
    open.push(runtime)
    expect(await runtime.loaded).toMatchObject({ ok: false, reason: 'invalid' })
    expect(failure(await runtime.score(pack(), PATHS.length))).toBe('invalid')
    await new Promise((r) => setTimeout(r, 100))
    expect(runtime.starts).toBe(1)
  })
})
