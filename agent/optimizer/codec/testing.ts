/**
 * Test and benchmark helpers: a seeded PRNG (runs repeat exactly) and packet makers for
 * compressible and incompressible payloads shaped like IP packets.
 */

/** mulberry32: a small, fast, seeded PRNG giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS =
  'the quick brown fox jumps over lazy dog route path tunnel packet loss latency jitter site ' +
  'policy class uplink mesh agent control plane metrics block parity window session'

/** Text-like bytes (JSON/log lines): LZ4 shrinks these well. */
export function textPacket(length: number, random: () => number): Uint8Array {
  const words = WORDS.split(' ')
  let s = ''
  while (s.length < length) {
    s += `{"event":"${words[Math.floor(random() * words.length)]}","n":${Math.floor(random() * 1000)}} `
  }
  return new TextEncoder().encode(s.slice(0, length))
}

/** Uniform random bytes (encrypted or already compressed data): LZ4 cannot shrink these. */
export function randomPacket(length: number, random: () => number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256)
  return out
}
