/**
 * The repository files a TypeScript entry point loads at run time: its relative imports,
 * followed transitively (package imports are node_modules', not the repository's), and the
 * files it reads through `new URL('<relative>', import.meta.url)`. container.test.ts checks
 * that the image carries all of them, so that a new import outside the copied folders fails
 * a test instead of the first container start.
 *
 * `import type` lines are skipped (erased at run time); a regex is enough because the
 * repository's imports are all single-quoted literals (biome formats them so).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { posix } from 'node:path'

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm
const DYNAMIC_IMPORT = /\bimport\(\s*'([^']+)'\s*\)/g
const URL_READ = /new URL\(\s*'([^']+)'\s*,\s*import\.meta\.url\s*\)/g

const EXTENSIONS = ['', '.ts', '.tsx', '.js', '.mjs', '/index.ts', '/index.js']

export interface Closure {
  /** Source files and JSON the entry points import, relative to the repository root. */
  modules: Set<string>
  /** Files and directories read via `new URL(..., import.meta.url)`, relative to the root. */
  readPaths: Set<string>
}

export function importClosure(root: string, entries: readonly string[]): Closure {
  const modules = new Set<string>()
  const readPaths = new Set<string>()
  const queue = [...entries]
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (modules.has(file)) continue
    modules.add(file)
    if (!/\.(?:ts|tsx|js|mjs)$/.test(file)) continue
    const text = readFileSync(posix.join(root, file), 'utf8')
    const dir = posix.dirname(file)
    for (const regex of [STATIC_IMPORT, DYNAMIC_IMPORT]) {
      for (const [, specifier = ''] of text.matchAll(regex)) {
        if (!specifier.startsWith('.')) continue
        const resolved = resolveModule(root, posix.join(dir, specifier))
        if (resolved === undefined) throw new Error(`${file}: cannot resolve '${specifier}'`)
        queue.push(resolved)
      }
    }
    for (const [, relative = ''] of text.matchAll(URL_READ)) {
      readPaths.add(posix.join(dir, relative).replace(/\/$/, ''))
    }
  }
  return { modules, readPaths }
}

function resolveModule(root: string, base: string): string | undefined {
  return EXTENSIONS.map((ext) => base + ext).find((candidate) => {
    const path = posix.join(root, candidate)
    return existsSync(path) && statSync(path).isFile()
  })
}
