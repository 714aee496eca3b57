/**
 * Helpers for scripts.test.ts: which `npm run` scripts the docs tell people to run, which
 * scripts a script's pre-hooks run, and what a script's entry file imports (relative imports
 * only, found by a plain scan: enough to tell whether it reaches code that needs build output).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

export type Scripts = Readonly<Record<string, string>>

/**
 * Script names after `npm run` (flags such as `--silent` skipped), `npm start` and `npm test`
 * in the given markdown texts.
 */
export function mentionedScripts(markdown: readonly string[]): Set<string> {
  const names = new Set<string>()
  for (const text of markdown) {
    for (const m of text.matchAll(/\bnpm run((?:\s+--?[\w-]+)*)\s+([a-z][\w:.-]*[\w])/g)) {
      names.add(m[2]!)
    }
    for (const m of text.matchAll(/\bnpm (start|test)\b/g)) names.add(m[1]!)
  }
  return names
}

/** The scripts a command line runs with `npm run X` (or `npm test` / `npm start`). */
function runsOf(command: string): string[] {
  const out: string[] = []
  for (const m of command.matchAll(/\bnpm run(?:\s+--?[\w-]+)*\s+([a-z][\w:.-]*)/g)) out.push(m[1]!)
  return out
}

/**
 * Every script that `npm run name` runs before its own command: its pre-hook and, through
 * `npm run` in those commands, whatever they run in turn.
 */
export function scriptsRunBefore(scripts: Scripts, name: string): Set<string> {
  const seen = new Set<string>()
  const queue = [`pre${name}`]
  while (queue.length > 0) {
    const next = queue.shift()!
    const command = scripts[next]
    if (command === undefined || seen.has(next)) continue
    seen.add(next)
    for (const run of runsOf(command)) {
      queue.push(run)
      if (run in scripts) queue.push(`pre${run}`)
    }
  }
  return seen
}

/** The file a script runs with `tsx FILE` or `node FILE`, if that is all its command is. */
export function entryFile(command: string): string | undefined {
  return /^(?:tsx|node)\s+(\S+\.(?:ts|mjs|js))(?:\s|$)/.exec(command)?.[1]
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g

function resolveImport(fromFile: string, spec: string): string | undefined {
  const base = resolve(dirname(fromFile), spec)
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    `${base}.ts`,
    `${base}.tsx`,
    `${base}.mjs`,
    `${base}.js`,
    join(base, 'index.ts'),
  ]
  return candidates.find((c) => existsSync(c) && statSync(c).isFile())
}

/** Repository-relative paths of every file the entry reaches through relative imports. */
export function importClosure(root: string, entry: string): Set<string> {
  const seen = new Set<string>()
  const queue = [resolve(root, entry)]
  while (queue.length > 0) {
    const file = queue.pop()!
    const rel = relative(root, file)
    if (seen.has(rel) || rel.startsWith('node_modules')) continue
    seen.add(rel)
    if (!/\.(ts|tsx|mjs|js)$/.test(file)) continue
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolveImport(file, m[1]!)
      if (target !== undefined) queue.push(target)
    }
  }
  return seen
}

/** The markdown files people read: every tracked *.md (README.md, docs/, models/...). */
export function docFiles(root: string): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '*.md'], { cwd: root, encoding: 'utf8' })
  return out.split('\0').filter((path) => path !== '')
}
