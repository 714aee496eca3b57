/**
 * Model distribution on the agent with the shipped model: fetched when the desired state
 * names a model the agent does not have, verified, cached in the state directory, swapped
 * without a restart, loaded from the cache without the network; a wrong hash or corrupt
 * bytes are refused with a clear error and the agent stays reactive-only (no model, no
 * flags), retrying later.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeClock } from '../clock/fake'
import { silentLogger } from '../logger'
import { type FetchModel, ModelManager } from './manager'
import { type PredictionModel, sha256Hex } from './model'
import { shippedModel, variantOf } from './testing'

const shipped = shippedModel()
const ref = { id: shipped.manifest.id, sha256: shipped.manifest.sha256 }

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patronus-models-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function setup(fetchModel: FetchModel) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1))
  const swaps: (PredictionModel | null)[] = []
  const target = { current: null as PredictionModel | null }
  const manager = new ModelManager({
    target: {
      setModel(m) {
        swaps.push(m)
        target.current = m
      },
    },
    cacheDir: dir,
    fetchModel,
    clock,
    logger: silentLogger(),
    retryMs: 30_000,
  })
  return { clock, manager, swaps, target }
}

const serve =
  (bundles: Record<string, { manifest: unknown; onnx: Uint8Array }>, calls: string[]) =>
  async (id: string) => {
    calls.push(id)
    const b = bundles[id]
    if (!b) throw new Error(`fetch model ${id}: Not Found (HTTP 404)`)
    return b
  }

describe('model manager', () => {
  it('fetches, verifies, caches and loads the model the desired state names', async () => {
    const calls: string[] = []
    const { manager, target } = setup(serve({ [ref.id]: shipped }, calls))
    await manager.want(ref)
    expect(calls).toEqual([ref.id])
    expect(target.current?.sha256).toBe(ref.sha256)
    expect(manager.status).toMatchObject({ state: 'loaded', source: 'fetched' })
    const [cached] = await readdir(dir)
    expect(cached).toBe(`${ref.id}-${ref.sha256.slice(0, 16)}`)
    // Asking again for the same model is a no-op.
    await manager.want(ref)
    expect(calls).toHaveLength(1)
    await manager.close()
    expect(target.current).toBeNull()

    // A restart (new manager, same state dir) loads from the cache, without the network.
    const again = setup(serve({}, calls))
    await again.manager.want(ref)
    expect(calls).toHaveLength(1)
    expect(again.manager.status).toMatchObject({ state: 'loaded', source: 'cache' })
    await again.manager.close()
  })

  it('swaps to another model without a restart, and unloads on none', async () => {
    const variant = variantOf(shipped.onnx)
    const sha = sha256Hex(variant)
    const other = { id: 'other-model', sha256: sha }
    const calls: string[] = []
    const { manager, target, swaps } = setup(
      serve(
        {
          [ref.id]: shipped,
          'other-model': {
            manifest: { ...shipped.manifest, id: 'other-model', sha256: sha },
            onnx: variant,
          },
        },
        calls,
      ),
    )
    await manager.want(ref)
    const first = target.current
    await manager.want(other)
    expect(target.current?.id).toBe('other-model')
    expect(target.current).not.toBe(first)
    await manager.want(null)
    expect(target.current).toBeNull()
    expect(manager.status).toEqual({ state: 'none' })
    expect(swaps.map((m) => m?.id ?? null)).toEqual([ref.id, null, 'other-model', null])
    await manager.close()
  })

  it('refuses a wrong hash with a clear error, stays reactive-only, caches nothing, retries', async () => {
    const calls: string[] = []
    const tampered = { manifest: shipped.manifest, onnx: variantOf(shipped.onnx) }
    const { manager, target, clock } = setup(serve({ [ref.id]: tampered }, calls))
    await manager.want(ref)
    expect(target.current).toBeNull()
    expect(manager.status).toMatchObject({ state: 'refused', id: ref.id })
    expect(manager.status.state === 'refused' && manager.status.error).toMatch(
      /SHA-256 mismatch \(expected [0-9a-f]{64}, got [0-9a-f]{64}\): refused/,
    )
    expect(await readdir(dir)).toEqual([])
    // Retried after retryMs while the desired state still names it.
    clock.advance(30_000)
    // The retry loads through onnxruntime (real I/O): poll, bounded, instead of counting turns.
    await vi.waitFor(() => expect(calls).toHaveLength(2), { timeout: 5_000, interval: 10 })
    await vi.waitFor(() => expect(manager.status.state).toBe('refused'), { timeout: 5_000 })
    expect(target.current).toBeNull()
    await manager.close()
  })

  it('a corrupt cache is dropped and the model fetched again', async () => {
    const calls: string[] = []
    const first = setup(serve({ [ref.id]: shipped }, calls))
    await first.manager.want(ref)
    await first.manager.close()
    const [cached] = await readdir(dir)
    await writeFile(join(dir, cached!, 'model.onnx'), variantOf(shipped.onnx))
    const second = setup(serve({ [ref.id]: shipped }, calls))
    await second.manager.want(ref)
    expect(calls).toHaveLength(2)
    expect(second.manager.status).toMatchObject({ state: 'loaded', source: 'fetched' })
    await second.manager.close()
  })

  it('an unreachable control plane leaves the agent reactive-only', async () => {
    const { manager, target } = setup(serve({}, []))
    await manager.want(ref)
    expect(target.current).toBeNull()
    expect(manager.status).toMatchObject({
      state: 'refused',
      error: expect.stringMatching(/HTTP 404/),
    })
    await manager.close()
  })
})
