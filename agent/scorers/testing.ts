/**
 * Test support: scorer plugin components written in WebAssembly text, built the way
 * wasm/build.mjs builds the example (a core module given the patronus:scorer world by
 * `jco embed`, wrapped by `jco new`), so tests can have plugins that loop, trap or prefer
 * what the built-in preferences would not.
 */
import { readFileSync } from 'node:fs'
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco'

const WIT = readFileSync(new URL('../../wasm/plugin/wit/scorer.wit', import.meta.url), 'utf8')

/**
 * A plugin whose `score` body is `body`: WAT over the locals $latency $jitter $loss
 * $bandwidth $cost $mos (the record's fields, flattened), leaving one f64.
 */
export async function watScorer(body: string): Promise<Uint8Array> {
  const core = await parse(`(module
    (memory (export "memory") 0)
    (func (export "score")
      (param $latency f64) (param $jitter f64) (param $loss f64)
      (param $bandwidth f64) (param $cost f64) (param $mos f64) (result f64)
      ${body}))`)
  return componentNew(await componentEmbed({ binary: core, witSource: WIT, world: 'scorer' }))
}

export const PLUGINS = {
  /** The cheapest path: score = -cost. */
  cheapest: '(f64.neg (local.get $cost))',
  /** Never returns. */
  loop: '(loop $forever (br $forever)) (unreachable)',
  /** Traps on every call. */
  trap: '(unreachable)',
  /** Refuses every path. */
  refuseAll: '(f64.const nan)',
} as const

export async function plugin(name: keyof typeof PLUGINS): Promise<Uint8Array> {
  return watScorer(PLUGINS[name])
}

/** A worker entry as a data: URL (a script that misbehaves as no real plugin can). */
export function workerScript(source: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`)
}
