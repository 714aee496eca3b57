/**
 * Loading the shipped model: it loads and scores a batch of 64 paths in one run with
 * probabilities in [0, 1]; a wrong hash, corrupted bytes, a manifest for other features or
 * other tensor names are refused with a clear ModelError before anything runs.
 */
import { describe, expect, it } from 'vitest'
import { FEATURE_COUNT, FEATURE_NAMES } from './features'
import { loadModel, ModelError, parseManifest, sha256Hex } from './model'
import { shippedModel, variantOf } from './testing'

describe('prediction model loading', () => {
  const shipped = shippedModel()

  it('the shipped model matches its manifest hash and scores 64 paths in one batch', async () => {
    expect(sha256Hex(shipped.onnx)).toBe(shipped.manifest.sha256)
    const model = await loadModel(shipped.onnx, shipped.manifest)
    try {
      expect(model.id).toBe(shipped.manifest.id)
      expect(model.horizonMs).toBe(
        shipped.manifest.horizonMs ?? (shipped.manifest.horizon ?? 0) * 1000,
      )
      const rows = 64
      const features = new Float32Array(rows * FEATURE_COUNT)
      for (let i = 0; i < features.length; i++) features[i] = ((i * 7919) % 1000) / 1000
      const p = await model.score(features, rows)
      expect(p).toHaveLength(rows)
      for (const v of p) expect(v >= 0 && v <= 1).toBe(true)
      // Deterministic: the same rows give the same probabilities.
      expect([...(await model.score(features, rows))]).toEqual([...p])
    } finally {
      await model.release()
    }
  })

  it('refuses a hash other than the expected one, before parsing', async () => {
    const other = 'a'.repeat(64)
    await expect(loadModel(shipped.onnx, shipped.manifest, other)).rejects.toThrow(
      new RegExp(
        `model ${shipped.manifest.id}: SHA-256 mismatch \\(expected a{64}, got ${shipped.manifest.sha256}\\)`,
      ),
    )
  })

  it('refuses corrupted bytes even when the hash matches them', async () => {
    const corrupt = shipped.onnx.slice(0, Math.floor(shipped.onnx.length / 2))
    corrupt[10] = (corrupt[10] ?? 0) ^ 0xff
    const sha = sha256Hex(corrupt)
    const error = await loadModel(corrupt, { ...shipped.manifest, sha256: sha }, sha).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ModelError)
    expect((error as Error).message).toMatch(/not a loadable ONNX model/)
  })

  it('refuses a manifest whose hash disagrees with the bytes the desired state names', async () => {
    const variant = variantOf(shipped.onnx)
    await expect(loadModel(variant, shipped.manifest, sha256Hex(variant))).rejects.toThrow(
      /its manifest names SHA-256/,
    )
  })

  it('refuses a model trained on other features, or with other tensor names', async () => {
    const swapped = [...FEATURE_NAMES]
    ;[swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!]
    await expect(
      loadModel(shipped.onnx, { ...shipped.manifest, featureNames: swapped }),
    ).rejects.toThrow(/trained on other features .*first difference at 0/)
    await expect(
      loadModel(shipped.onnx, { ...shipped.manifest, featureNames: FEATURE_NAMES.slice(1) }),
    ).rejects.toThrow(/trained on other features/)
    await expect(loadModel(shipped.onnx, { ...shipped.manifest, inputName: 'x' })).rejects.toThrow(
      /no input x/,
    )
    await expect(loadModel(shipped.onnx, { ...shipped.manifest, outputName: 'y' })).rejects.toThrow(
      /no output y/,
    )
  })

  it('a variant with an unknown field appended is still a valid model (used by swap tests)', async () => {
    const variant = variantOf(shipped.onnx)
    const sha = sha256Hex(variant)
    const model = await loadModel(variant, { ...shipped.manifest, sha256: sha }, sha)
    expect(model.sha256).not.toBe(shipped.manifest.sha256)
    await model.release()
  })

  it('rejects a malformed manifest with the field named', () => {
    expect(() => parseManifest({ ...shipped.manifest, threshold: 2 }, 'test')).toThrow(
      /model manifest test: threshold/,
    )
  })
})
