/**
 * Detectors for references that leave the repository: a reader of a tracked file must be
 * able to follow every path it cites inside a checkout. Three kinds are refused:
 * - an absolute path into the work directory of the machine the code was written on, or
 *   the shared design-notes directory that lived beside the repository there;
 * - a path of `..` steps into a `shared` folder that resolves outside the repository or to
 *   nothing tracked (the wasm modules importing their sibling `wasm/shared/` are fine);
 * - a design-document citation (the lab, toolchain, house-style and architecture notes)
 *   that does not resolve to a tracked file under `docs/`, and a numbered house-style rule
 *   cited without its file.
 * Every detector is a fixed-literal regex or a forward scan plus a bounded backward walk, so
 * the cost is linear in the file's length.
 */
import { posix } from 'node:path'

export interface Problem {
  line: number
  message: string
}

/** The design documents code and docs cite by name; each must live under docs/. */
export const DESIGN_DOCS = ['lab', 'toolchain', 'house-style', 'architecture'] as const

/** A file's view of the repository: which paths are tracked (files and their folders). */
export interface Tree {
  files: ReadonlySet<string>
  dirs: ReadonlySet<string>
}

export function treeOf(files: readonly string[]): Tree {
  const dirs = new Set<string>()
  for (const file of files) {
    for (let dir = posix.dirname(file); dir !== '.'; dir = posix.dirname(dir)) {
      if (dirs.has(dir)) break
      dirs.add(dir)
    }
  }
  return { files: new Set(files), dirs }
}

function lineAt(text: string, index: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++
  return line
}

/** Characters a path token is made of (the backward walk stops at anything else). */
const PATH_CHAR = /[\w./-]/

/** The path token that ends at `end`, walking back over path characters. */
function tokenEndingAt(text: string, end: number, from: number): { start: number; token: string } {
  let start = from
  while (start > 0 && PATH_CHAR.test(text[start - 1] ?? '')) start--
  return { start, token: text.slice(start, end) }
}

/** Where a path cited in `file` points, repository-relative; null when outside the repository. */
export function resolveCited(file: string, token: string): string | null {
  if (token.startsWith('/')) return null
  const base = token.startsWith('.') || !token.includes('/') ? posix.dirname(file) : ''
  const resolved = posix.normalize(posix.join(base, token))
  return resolved.startsWith('../') || resolved === '..' ? null : resolved
}

function existsInTree(tree: Tree, path: string): boolean {
  if (tree.files.has(path) || tree.dirs.has(path)) return true
  // TypeScript imports name the emitted .js file; the tracked source is the .ts one.
  return path.endsWith('.js') && tree.files.has(`${path.slice(0, -3)}.ts`)
}

const WORK_DIR = /\/work\//g
const NOTES_DIR = /shared\/design\b/g
// The lookbehind anchors a match at the start of a run of `../`, so no position is rescanned.
const SHARED_RELATIVE = /(?<![\w./])(?:\.\.\/)+shared\b[\w./-]*/g
const DESIGN_DOC = new RegExp(`\\b(?:${DESIGN_DOCS.join('|')})\\.md\\b`, 'g')
// A comment may break the line between the name and the number: "house style\n * rule 7".
const HOUSE_STYLE_RULE = /\bhouse[- ]style,?[\s*/#]*(?:rule\s+)?\d/gi

/** Every reference in `text` (the content of tracked `file`) that leaves the repository. */
export function outsideReferences(file: string, text: string, tree: Tree): Problem[] {
  const problems: Problem[] = []
  const report = (index: number, message: string) =>
    problems.push({ line: lineAt(text, index), message })

  for (const m of text.matchAll(WORK_DIR)) report(m.index, 'absolute path into the work directory')
  for (const m of text.matchAll(NOTES_DIR))
    report(m.index, 'cites the shared design-notes directory')
  for (const m of text.matchAll(SHARED_RELATIVE)) {
    const resolved = resolveCited(file, m[0])
    if (resolved === null || !existsInTree(tree, resolved)) {
      report(m.index, `${m[0]} does not resolve to a tracked path`)
    }
  }
  for (const m of text.matchAll(DESIGN_DOC)) {
    const end = m.index + m[0].length
    const { start, token } = tokenEndingAt(text, end, m.index)
    if (posix.basename(token) !== m[0]) continue // another file that merely ends alike
    if (text[start - 1] === ':') continue // a URL (scheme:...), a public reference
    const resolved = resolveCited(file, token)
    if (resolved === null || !resolved.startsWith('docs/') || !tree.files.has(resolved)) {
      report(start, `${token} does not resolve to a tracked file in docs/ (write docs/${m[0]})`)
    }
  }
  for (const m of text.matchAll(HOUSE_STYLE_RULE)) {
    report(m.index, `"${m[0]}" cites a house-style rule without its file (docs/house-style.md)`)
  }
  return problems
}
