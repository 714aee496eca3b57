/**
 * Throughput measurement for the wasm benchmark. Contenders are measured in alternating rounds
 * (ours, theirs, ours, theirs, ...) and each keeps its best round, so that a burst of noise on
 * a shared machine hits both sides alike and the ratios stay meaningful.
 */

export type Op = () => unknown | Promise<unknown>

export interface Contender {
  name: string
  op: Op
  /** Units of work (bytes, scores) one call of op performs. */
  units: number
}

const ROUNDS = 3

/** Best units per second of `op` over a timed window of `ms`. */
async function round(c: Contender, ms: number): Promise<number> {
  let calls = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    const r = c.op()
    if (r instanceof Promise) await r
    calls++
    now = performance.now()
  }
  return (calls * c.units) / ((now - start) / 1000)
}

/** Units per second of each contender, best of ROUNDS alternating rounds of `ms` each. */
export async function race(contenders: Contender[], ms = 250): Promise<Record<string, number>> {
  const best: Record<string, number> = {}
  for (const c of contenders) {
    await round(c, Math.min(50, ms)) // warm-up: tier up the JIT, grow wasm memory
    best[c.name] = 0
  }
  for (let i = 0; i < ROUNDS; i++) {
    for (const c of contenders) best[c.name] = Math.max(best[c.name]!, await round(c, ms))
  }
  return best
}

export function mb(bytesPerSec: number): number {
  return Math.round(bytesPerSec / 1e5) / 10
}

export function ratio(a: number, b: number): number {
  return b > 0 ? Math.round((a / b) * 100) / 100 : 0
}
