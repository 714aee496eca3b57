/**
 * Test support: the shipped model (`models/<name>/model.onnx` + `model.json`, committed by
 * the training pipeline) and variants of it. There is one shipped model; tests fail loudly
 * when it is missing rather than skip.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ModelManifest, parseManifest } from './model'

export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url))

export interface ShippedModel {
  dir: string
  manifest: ModelManifest
  onnx: Uint8Array
}

export function shippedModel(): ShippedModel {
  const dirs = readdirSync(MODELS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(MODELS_DIR, d.name, 'model.onnx')))
    .map((d) => join(MODELS_DIR, d.name))
    // The newest version, as the control plane serves by default (worker/node-models.ts).
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  const dir = dirs.at(-1)
  if (!dir) throw new Error(`no shipped model under ${MODELS_DIR} (npm run models:train)`)
  const manifest = parseManifest(
    JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')),
    join(dir, 'model.json'),
  )
  // A plain Uint8Array copy: Buffer.slice would alias it and let one test corrupt another's.
  return { dir, manifest, onnx: new Uint8Array(readFileSync(join(dir, 'model.onnx'))) }
}

/**
 * The same model with other bytes (and so another hash): an unknown protobuf field (number
 * 100, varint 1) appended to the ModelProto, which ONNX parsers skip. Lets a test swap
 * between two valid models.
 */
export function variantOf(onnx: Uint8Array): Uint8Array {
  const out = new Uint8Array(onnx.length + 3)
  out.set(onnx)
  out.set([0xa0, 0x06, 0x01], onnx.length)
  return out
}
