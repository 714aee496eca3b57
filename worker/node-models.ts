/**
 * The Node control plane's model store: `models/<id>/model.onnx` and its manifest
 * `model.json`, read once at start. PATRONUS_MODEL picks the model every desired state
 * names: an id, `none` (no model: reactive failover only), or unset (the shipped model: the
 * newest version among the directories holding both files). The manifest's sha256 must match the bytes, or the
 * server refuses to start: a control plane must never hand agents a model that fails their
 * hash check.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ModelDocument, modelIdSchema } from '../protocol/agent'
import type { ModelStore } from './services/models'

export const SHIPPED_MODELS_DIR = fileURLToPath(new URL('../models/', import.meta.url))

function modelDirs(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true })
    .filter(
      (d) =>
        d.isDirectory() &&
        existsSync(join(dir, d.name, 'model.onnx')) &&
        existsSync(join(dir, d.name, 'model.json')),
    )
    .map((d) => d.name)
    .sort()
}

/**
 * The default model: the newest version, by a numeric-aware name order (a `-v10` after a
 * `-v9`), so that a retrained model added beside an older one is served without a setting.
 */
export function newestModel(names: readonly string[]): string | undefined {
  return [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1)
}

export function loadNodeModelStore(
  setting: string | undefined,
  dir = SHIPPED_MODELS_DIR,
): ModelStore {
  if (setting === 'none') return { current: null, document: async () => undefined }
  const names = modelDirs(dir)
  const name = setting ?? newestModel(names)
  if (name === undefined) return { current: null, document: async () => undefined }
  if (!modelIdSchema.safeParse(name).success || !names.includes(name)) {
    throw new Error(
      `PATRONUS_MODEL=${name}: no model.onnx + model.json in ${join(dir, name)} (have: ${names.join(', ') || 'none'}; or "none")`,
    )
  }
  const onnx = readFileSync(join(dir, name, 'model.onnx'))
  const manifest = JSON.parse(readFileSync(join(dir, name, 'model.json'), 'utf8')) as Record<
    string,
    unknown
  >
  const sha256 = createHash('sha256').update(onnx).digest('hex')
  if (manifest.sha256 !== sha256) {
    throw new Error(
      `model ${name}: model.json names SHA-256 ${String(manifest.sha256)} but model.onnx hashes to ${sha256}`,
    )
  }
  const id = typeof manifest.id === 'string' ? manifest.id : name
  const doc: ModelDocument = { id, manifest, onnx: onnx.toString('base64') }
  return {
    current: { id, sha256 },
    document: async (wanted) => (wanted === id ? doc : undefined),
  }
}
