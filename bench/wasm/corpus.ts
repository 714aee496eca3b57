/**
 * Benchmark corpora built from files of the machine, in a fixed (sorted) order so runs on the
 * same machine compress the same bytes: ~8 MiB of text (Python standard library sources and C
 * headers) and ~8 MiB of binary (executables from /usr/bin).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const CORPUS_SIZE = 8 * 1024 * 1024

function* walk(dir: string, accept: (name: string) => boolean, depth = 0): Generator<string> {
  let names: string[]
  try {
    names = readdirSync(dir).sort()
  } catch {
    return
  }
  for (const name of names) {
    const path = join(dir, name)
    let st: ReturnType<typeof statSync>
    try {
      st = statSync(path)
    } catch {
      continue
    }
    if (st.isDirectory() && depth < 6) yield* walk(path, accept, depth + 1)
    else if (st.isFile() && st.size > 0 && accept(name)) yield path
  }
}

function fill(
  sources: Iterable<string>,
  size: number,
  keep: (b: Buffer) => boolean = () => true,
): Buffer {
  const parts: Buffer[] = []
  let total = 0
  for (const path of sources) {
    let b: Buffer
    try {
      b = readFileSync(path)
    } catch {
      continue
    }
    if (!keep(b)) continue
    parts.push(b)
    total += b.length
    if (total >= size) break
  }
  return Buffer.concat(parts).subarray(0, size)
}

function* chain(...gens: Iterable<string>[]): Generator<string> {
  for (const g of gens) yield* g
}

export function textCorpus(): Buffer {
  const half = CORPUS_SIZE / 2
  const py = fill(
    walk('/usr/lib/python3.11', (n) => n.endsWith('.py')),
    half,
  )
  const h = fill(
    chain(
      walk('/usr/include', (n) => n.endsWith('.h')),
      walk('/usr/share', (n) => n.endsWith('.txt')),
    ),
    CORPUS_SIZE - py.length,
  )
  return Buffer.concat([py, h])
}

export function binaryCorpus(): Buffer {
  const elf = (b: Buffer) =>
    b.length > 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46
  return fill(
    chain(
      walk('/usr/bin', () => true),
      walk('/usr/lib/x86_64-linux-gnu', (n) => n.includes('.so')),
    ),
    CORPUS_SIZE,
    elf,
  )
}
