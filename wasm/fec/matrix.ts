/**
 * The coding matrices. The code is systematic: shard i < k is data shard i unchanged, and parity
 * shard j is row j of a Cauchy matrix C[j][i] = 1 / (x_j + y_i) with x_j = k + j, y_i = i (all
 * distinct field elements, so k + m <= 256). Every square submatrix of a Cauchy matrix is
 * invertible, hence any k rows of [I; C] form an invertible matrix and any k shards recover the
 * rest. Matrices are row-major Uint8Arrays.
 */
import { inv, mul } from './gf256.js'

/** The m x k parity rows. */
export function cauchyParity(k: number, m: number): Uint8Array {
  const c = new Uint8Array(m * k)
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < k; i++) c[j * k + i] = inv((k + j) ^ i)
  }
  return c
}

/** Row `shard` of the full (k + m) x k encoding matrix [I; C]. */
export function encodingRow(parity: Uint8Array, k: number, shard: number): Uint8Array {
  if (shard < k) {
    const row = new Uint8Array(k)
    row[shard] = 1
    return row
  }
  return parity.subarray((shard - k) * k, (shard - k + 1) * k)
}

/** Inverse of an n x n matrix by Gauss-Jordan elimination; throws if it is singular. */
export function invert(a: Uint8Array, n: number): Uint8Array {
  const w = a.slice()
  const r = new Uint8Array(n * n)
  for (let i = 0; i < n; i++) r[i * n + i] = 1
  for (let col = 0; col < n; col++) {
    let pivot = col
    while (pivot < n && w[pivot * n + col] === 0) pivot++
    if (pivot === n) throw new RangeError('matrix is singular')
    if (pivot !== col) {
      swapRows(w, n, pivot, col)
      swapRows(r, n, pivot, col)
    }
    const scale = inv(w[col * n + col]!)
    scaleRow(w, n, col, scale)
    scaleRow(r, n, col, scale)
    for (let row = 0; row < n; row++) {
      const f = w[row * n + col]!
      if (row === col || f === 0) continue
      for (let i = 0; i < n; i++) {
        w[row * n + i]! ^= mul(f, w[col * n + i]!)
        r[row * n + i]! ^= mul(f, r[col * n + i]!)
      }
    }
  }
  return r
}

/** Product of an a x b and a b x c matrix. */
export function multiply(
  x: Uint8Array,
  y: Uint8Array,
  a: number,
  b: number,
  c: number,
): Uint8Array {
  const out = new Uint8Array(a * c)
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < c; j++) {
      let acc = 0
      for (let t = 0; t < b; t++) acc ^= mul(x[i * b + t]!, y[t * c + j]!)
      out[i * c + j] = acc
    }
  }
  return out
}

function swapRows(m: Uint8Array, n: number, a: number, b: number): void {
  for (let i = 0; i < n; i++) {
    const t = m[a * n + i]!
    m[a * n + i] = m[b * n + i]!
    m[b * n + i] = t
  }
}

function scaleRow(m: Uint8Array, n: number, row: number, s: number): void {
  for (let i = 0; i < n; i++) m[row * n + i] = mul(m[row * n + i]!, s)
}
