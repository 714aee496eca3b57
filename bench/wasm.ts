/**
 * `npm run bench:wasm`: the WebAssembly library against the native Node addons and the reference
 * `lz4` CLI, all in one run. Writes bench/results/wasm.json and the WASM section of
 * docs/benchmarks.md. Needs `npm run build:wasm` first and the `lz4` CLI on PATH.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { binaryCorpus, textCorpus } from './wasm/corpus.js'
import { benchFec, type FecFigures } from './wasm/fec.js'
import { benchLz4, type Lz4Figures } from './wasm/lz4.js'
import { renderMarkdown, type WasmResults, writeSection } from './wasm/report.js'
import { benchScore } from './wasm/score.js'

const root = new URL('../', import.meta.url)

async function main(): Promise<void> {
  const fec: Record<string, FecFigures> = {}
  for (const [k, m, size, label] of [
    [10, 4, 1024, '10+4/1KiB'],
    [10, 4, 65536, '10+4/64KiB'],
    [20, 4, 1024, '20+4/1KiB'],
    [20, 4, 65536, '20+4/64KiB'],
  ] as const) {
    fec[label] = await benchFec(k, m, size)
    console.log(`fec ${label}`, JSON.stringify(fec[label]))
  }

  const lz4: Record<string, Lz4Figures> = {}
  for (const [name, corpus] of [
    ['text', textCorpus()],
    ['binary', binaryCorpus()],
  ] as const) {
    lz4[name] = await benchLz4(corpus)
    console.log(`lz4 ${name} (${corpus.length} bytes)`, JSON.stringify(lz4[name]))
  }

  const score = await benchScore()
  console.log('score', JSON.stringify(score))

  const results: WasmResults = { fec, lz4, score }
  mkdirSync(new URL('bench/results/', root), { recursive: true })
  writeFileSync(new URL('bench/results/wasm.json', root), `${JSON.stringify(results, null, 2)}\n`)
  const machine = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    node: process.versions.node,
    date: new Date().toISOString().slice(0, 10),
  }
  writeSection(new URL('docs/benchmarks.md', root).pathname, renderMarkdown(results, machine))
  console.log('wrote bench/results/wasm.json and docs/benchmarks.md (## WASM)')
}

await main()
