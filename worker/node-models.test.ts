import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadNodeModelStore, newestModel } from './node-models'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A models/ directory with a (fake, but correctly hashed) model per name. */
function modelsDir(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'patronus-models-'))
  dirs.push(dir)
  for (const name of names) {
    mkdirSync(join(dir, name))
    const onnx = Buffer.from(`onnx bytes of ${name}`)
    const sha256 = createHash('sha256').update(onnx).digest('hex')
    writeFileSync(join(dir, name, 'model.onnx'), onnx)
    writeFileSync(join(dir, name, 'model.json'), JSON.stringify({ id: name, sha256 }))
  }
  // A directory without a model is not a candidate.
  mkdirSync(join(dir, 'zz-fixtures'))
  return dir
}

describe('node model store default', () => {
  it('serves the newest version when PATRONUS_MODEL is unset', () => {
    const store = loadNodeModelStore(undefined, modelsDir(['pathfail-mlp-v1', 'pathfail-mlp-v2']))
    expect(store.current?.id).toBe('pathfail-mlp-v2')
    expect(newestModel(['m-v9', 'm-v10', 'm-v2'])).toBe('m-v10')
    expect(newestModel([])).toBeUndefined()
  })

  it('serves the named model, and none on "none"', () => {
    const dir = modelsDir(['pathfail-mlp-v1', 'pathfail-mlp-v2'])
    expect(loadNodeModelStore('pathfail-mlp-v1', dir).current?.id).toBe('pathfail-mlp-v1')
    expect(loadNodeModelStore('none', dir).current).toBeNull()
    expect(() => loadNodeModelStore('pathfail-mlp-v3', dir)).toThrow(/no model.onnx/)
  })
})
