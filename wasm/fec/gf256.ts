/**
 * GF(2^8) arithmetic for the Reed-Solomon code: the field of bytes with the primitive polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11d) and generator 2, the usual choice for storage codes. Used for
 * the small matrix work (building and inverting coding matrices); the per-byte work happens in
 * wasm through nibble tables derived from `mul`.
 */

const POLY = 0x11d

/** exp[i] = 2^i for i in [0, 510), doubled so exp[log a + log b] needs no modulo. */
const exp = new Uint8Array(510)
/** log[a] for a in [1, 256); log[0] is unused. */
const log = new Uint8Array(256)

{
  let x = 1
  for (let i = 0; i < 255; i++) {
    exp[i] = x
    exp[i + 255] = x
    log[x] = i
    x <<= 1
    if (x & 0x100) x ^= POLY
  }
}

export function mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0
  return exp[log[a]! + log[b]!]!
}

export function inv(a: number): number {
  if (a === 0) throw new RangeError('GF(256): zero has no inverse')
  return exp[255 - log[a]!]!
}
