/**
 * Inputs for the LZ4 tests: random (incompressible), repetitive text-like (compressible) and
 * mixed data, reproducible from a seed so a failure can be replayed.
 */

/** xorshift32 bytes: incompressible for LZ4's purposes. */
export function randomData(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed | 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

const WORDS = ['path', 'uplink', 'latency', 'jitter', 'loss', 'wireguard', 'site', ' ', '\n', 'a']

/** Words from a small vocabulary with runs and repeats: compresses well. */
export function textData(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed | 1
  let i = 0
  while (i < length) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const word = WORDS[(x >>> 8) % WORDS.length]!
    const repeat = (x & 0x1f) === 0 ? 40 : 1
    for (let r = 0; r < repeat; r++) {
      for (let c = 0; c < word.length && i < length; c++) out[i++] = word.charCodeAt(c)
    }
  }
  return out
}

/** Alternating stretches of random and text data, with zero runs between. */
export function mixedData(length: number, seed = 3): Uint8Array {
  const out = new Uint8Array(length)
  let at = 0
  let part = 0
  while (at < length) {
    const n = Math.min(length - at, 1000 + ((seed * 7919 + part * 104729) % 30000))
    const chunk =
      part % 3 === 0
        ? randomData(n, seed + part)
        : part % 3 === 1
          ? textData(n, seed + part)
          : new Uint8Array(n)
    out.set(chunk, at)
    at += n
    part++
  }
  return out
}
