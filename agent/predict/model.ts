/**
 * Loading a failure-prediction model: the ONNX bytes and their manifest
 * (`models/<name>/model.json`). The bytes are checked against the expected SHA-256 BEFORE
 * onnxruntime parses them (a model is code-like input: never feed it unverified bytes), the
 * manifest must describe features the agent computes (FEATURE_NAMES, in order: a model
 * trained on other features would score garbage without any error), and the session's input
 * and output must be the ones the manifest names. Every refusal is a ModelError whose message
 * names the model and the reason.
 */
import { createHash } from 'node:crypto'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { z } from 'zod'
import { FEATURE_COUNT, FEATURE_NAMES } from './features'

export class ModelError extends Error {
  override name = 'ModelError'
}

/**
 * model.json as the training pipeline writes it; unknown keys (metrics, training details)
 * are allowed and kept. Tensor names come as `input`/`output` or `inputName`/`outputName`,
 * the horizon as `horizonMs` or `horizon` (seconds): both spellings are read, one is needed.
 */
export const modelManifestSchema = z
  .looseObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    featureNames: z.array(z.string()),
    /** Prediction horizon (the model's label: failure within this long). */
    horizonMs: z.number().positive().max(3_600_000).optional(),
    horizon: z.number().positive().max(3_600).optional(),
    /** Alarm when P >= threshold. */
    threshold: z.number().min(0).max(1),
    inputName: z.string().min(1).optional(),
    input: z.string().min(1).optional(),
    outputName: z.string().min(1).optional(),
    output: z.string().min(1).optional(),
  })
  .refine((m) => m.horizonMs !== undefined || m.horizon !== undefined, {
    message: 'horizonMs (or horizon, seconds) is required',
    path: ['horizonMs'],
  })
  .refine((m) => (m.inputName ?? m.input) !== undefined, {
    message: 'input (or inputName) is required',
    path: ['input'],
  })
  .refine((m) => (m.outputName ?? m.output) !== undefined, {
    message: 'output (or outputName) is required',
    path: ['output'],
  })

export type ModelManifest = z.infer<typeof modelManifestSchema>

const horizonMsOf = (m: ModelManifest): number => m.horizonMs ?? (m.horizon ?? 0) * 1000
const inputOf = (m: ModelManifest): string => m.inputName ?? m.input ?? ''
const outputOf = (m: ModelManifest): string => m.outputName ?? m.output ?? ''

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A loaded, verified model: scores a batch of feature rows. */
export interface PredictionModel {
  readonly id: string
  readonly sha256: string
  readonly threshold: number
  readonly horizonMs: number
  /** P per row of `features` (rows x FEATURE_COUNT floats). */
  score(features: Float32Array, rows: number): Promise<Float32Array>
  release(): Promise<void>
}

export function parseManifest(raw: unknown, where: string): ModelManifest {
  const parsed = modelManifestSchema.safeParse(raw)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    throw new ModelError(
      `model manifest ${where}: ${first?.path.join('.') || '(root)'}: ${first?.message}`,
    )
  }
  return parsed.data
}

/**
 * Verifies and loads a model. `expectedSha256` is what the desired state names (or, for the
 * shipped model, what its manifest says); the manifest must agree with it too.
 */
export async function loadModel(
  bytes: Uint8Array,
  manifest: ModelManifest,
  expectedSha256: string = manifest.sha256,
): Promise<PredictionModel> {
  const id = manifest.id
  const actual = sha256Hex(bytes)
  if (actual !== expectedSha256) {
    throw new ModelError(
      `model ${id}: SHA-256 mismatch (expected ${expectedSha256}, got ${actual}): refused`,
    )
  }
  if (manifest.sha256 !== actual) {
    throw new ModelError(
      `model ${id}: its manifest names SHA-256 ${manifest.sha256}, not ${actual}`,
    )
  }
  const names = manifest.featureNames
  const drift = names.findIndex((n, i) => n !== FEATURE_NAMES[i])
  if (names.length !== FEATURE_COUNT || drift >= 0) {
    throw new ModelError(
      `model ${id}: trained on other features (${names.length} vs ${FEATURE_COUNT} here` +
        `${drift >= 0 ? `, first difference at ${drift}: ${names[drift]} vs ${FEATURE_NAMES[drift]}` : ''})`,
    )
  }
  let session: InferenceSession
  try {
    session = await InferenceSession.create(bytes, {
      // One thread: 64 paths x 37 features is microseconds of work; a pool would only add
      // wake-ups and contend with the data plane on small boxes.
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    })
  } catch (error) {
    throw new ModelError(`model ${id}: not a loadable ONNX model: ${(error as Error).message}`, {
      cause: error,
    })
  }
  const inputName = inputOf(manifest)
  const outputName = outputOf(manifest)
  if (!session.inputNames.includes(inputName)) {
    await session.release()
    throw new ModelError(
      `model ${id}: no input ${inputName} (has ${session.inputNames.join(', ')})`,
    )
  }
  if (!session.outputNames.includes(outputName)) {
    await session.release()
    throw new ModelError(
      `model ${id}: no output ${outputName} (has ${session.outputNames.join(', ')})`,
    )
  }
  return {
    id,
    sha256: actual,
    threshold: manifest.threshold,
    horizonMs: horizonMsOf(manifest),
    async score(features, rows) {
      if (rows === 0) return new Float32Array(0)
      const input = new Tensor('float32', features.subarray(0, rows * FEATURE_COUNT), [
        rows,
        FEATURE_COUNT,
      ])
      const out = await session.run({ [inputName]: input })
      const p = out[outputName]
      if (!p || !(p.data instanceof Float32Array) || p.data.length !== rows) {
        throw new ModelError(`model ${id}: output ${outputName} is not ${rows} float32 values`)
      }
      return p.data
    },
    release: () => session.release(),
  }
}
