/**
 * Reed-Solomon codecs by shape. A block closed at its deadline has fewer data packets than
 * planned, so sender and receiver need codecs for many (k, m) pairs; building one inverts
 * nothing but does compute a Cauchy matrix and tables, so each shape is made once per process.
 * Shapes are bounded by OPTIMIZER_MAX_K x OPTIMIZER_MAX_M (512), so the cache is too.
 */
import { createReedSolomon, type ReedSolomon } from '../../../wasm/fec'

const codecs = new Map<number, ReedSolomon>()

export function reedSolomon(k: number, m: number): ReedSolomon {
  const key = k * 256 + m
  let codec = codecs.get(key)
  if (!codec) {
    codec = createReedSolomon(k, m)
    codecs.set(key, codec)
  }
  return codec
}
