/**
 * No runtime import cycle in the control plane. A cycle makes module evaluation order
 * depend on which module is loaded first (a binding read during evaluation can still be
 * uninitialised), and it hides layering mistakes: services/events.ts once imported the
 * alert evaluator, which imported the webhook outbox, which imported events.ts back.
 *
 * The graph is read with the TypeScript parser, over every non-test module of worker/ and
 * whatever they import relatively (protocol/). `import type` and `export type` are erased
 * and do not count; `import { type A }` does, as verbatimModuleSyntax keeps it as
 * `import {} from` (the module still loads). Dynamic `import()` is lazy and not counted.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourcesUnder(path)
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
  })
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''))
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate
  }
  return undefined
}

/** The modules `file` loads when it is evaluated. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const targets: string[] = []
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined
    if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) {
      specifier = statement.moduleSpecifier
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
      specifier = statement.moduleSpecifier
    }
    if (!specifier || !ts.isStringLiteral(specifier)) continue
    const target = resolveImport(file, specifier.text)
    if (target) targets.push(target)
  }
  return targets
}

function importGraph(entries: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const pending = [...entries]
  while (pending.length > 0) {
    const file = pending.pop()!
    if (graph.has(file)) continue
    const targets = runtimeImports(file)
    graph.set(file, targets)
    pending.push(...targets)
  }
  return graph
}

/** Strongly connected components with more than one module, or a module importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string) => {
    index.set(node, counter)
    low.set(node, counter++)
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!))
      }
    }
    if (low.get(node) !== index.get(node)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component)
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

/** Whether `from` reaches `to` through runtime imports. */
function reaches(graph: Map<string, string[]>, from: string, to: string): boolean {
  const seen = new Set<string>()
  const pending = [...(graph.get(from) ?? [])]
  while (pending.length > 0) {
    const file = pending.pop()!
    if (file === to) return true
    if (seen.has(file)) continue
    seen.add(file)
    pending.push(...(graph.get(file) ?? []))
  }
  return false
}

const name = (file: string) => relative(ROOT, file)

describe('worker import graph', () => {
  const graph = importGraph(sourcesUnder(join(ROOT, 'worker')))

  it('has no runtime import cycle', () => {
    const found = cycles(graph).map((component) => component.map(name).sort().join(' <-> '))
    expect(found, `import cycles:\n${found.join('\n')}`).toEqual([])
  })

  it('events.ts, the alert evaluator and the webhook outbox do not import each other back', () => {
    const events = join(ROOT, 'worker/services/events.ts')
    const onEvent = join(ROOT, 'worker/services/alerts/on-event.ts')
    const outbox = join(ROOT, 'worker/services/webhooks/outbox.ts')
    // The one direction: recording an event runs the rules and fills the outbox.
    expect(reaches(graph, events, onEvent)).toBe(true)
    expect(reaches(graph, onEvent, outbox)).toBe(true)
    expect(reaches(graph, events, events)).toBe(false)
    expect(reaches(graph, outbox, events)).toBe(false)
    expect(reaches(graph, onEvent, events)).toBe(false)
  })

  it('reads `import type` as erased and other imports as loads', () => {
    // A check of the reader itself, on a module whose imports are known.
    const imports = runtimeImports(join(ROOT, 'worker/services/events.ts')).map(name)
    expect(imports).toContain('worker/services/alerts/on-event.ts')
    expect(imports).toContain('worker/services/event-view.ts')
    expect(imports).not.toContain('worker/services/alerts/event-plan.ts') // `import type`
  })
})
