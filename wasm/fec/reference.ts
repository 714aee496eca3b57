/**
 * Plain TypeScript Reed-Solomon encoder over the same Cauchy code, one byte at a time with a full
 * 64 KiB product table. It is the independent reference the wasm encoder is tested against and
 * the "plain TypeScript" baseline of the benchmark; nothing in the agent uses it.
 */
import { mul } from './gf256.js'
import { cauchyParity } from './matrix.js'

export function referenceEncoder(
  k: number,
  m: number,
): (data: readonly Uint8Array[]) => Uint8Array[] {
  const parity = cauchyParity(k, m)
  const product = new Uint8Array(256 * 256)
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) product[a * 256 + b] = mul(a, b)
  return (data) => {
    const len = data[0]!.length
    const out = Array.from({ length: m }, () => new Uint8Array(len))
    for (let j = 0; j < m; j++) {
      const o = out[j]!
      for (let i = 0; i < k; i++) {
        const row = parity[j * k + i]! * 256
        const d = data[i]!
        for (let p = 0; p < len; p++) o[p]! ^= product[row + d[p]!]!
      }
    }
    return out
  }
}
